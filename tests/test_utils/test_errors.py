"""Input errors: one base class, reported by the tools without traceback."""
import importlib.util
from pathlib import Path

import pytest

from mmseg_pixdiva.utils.errors import InputError, exit_on_input_error

ROOT = Path(__file__).resolve().parents[2]


def test_project_input_errors_share_the_base_class():
    from mmseg_pixdiva.datasets.analytics import DatasetStatisticsError
    from mmseg_pixdiva.datasets.gt_image import InvalidGTError
    from mmseg_pixdiva.datasets.pairing import PairingError
    from mmseg_pixdiva.evaluation.layout_io import LayoutInputError
    from mmseg_pixdiva.visualization.page import PageSizeError
    from mmseg_pixdiva.compat.checkpoint import (CorruptCheckpointError,
                                                 UnsafeCheckpointError)
    from mmseg_pixdiva.core.encoding import (InvalidLabelValuesError,
                                             UnknownLabelValueError)
    from mmseg_pixdiva.datasets.page_headers import \
        PageSizeMismatchError
    for error in (DatasetStatisticsError, InvalidGTError, PairingError,
                  LayoutInputError, PageSizeError, CorruptCheckpointError,
                  InvalidLabelValuesError, UnknownLabelValueError,
                  PageSizeMismatchError):
        # Still ValueErrors, so callers that caught those keep working.
        assert issubclass(error, InputError) and issubclass(error, ValueError)
    import pickle
    assert issubclass(UnsafeCheckpointError, InputError)
    assert issubclass(UnsafeCheckpointError, pickle.UnpicklingError)


def test_exit_on_input_error(capsys):
    @exit_on_input_error
    def tool(what):
        if what == 'input':
            raise InputError('/data/page.png: not a page')
        if what == 'missing':
            raise FileNotFoundError('/data/gt does not exist')
        if what == 'bug':
            raise KeyError('a bug keeps its traceback')
        return None if what == 'none' else 3

    assert tool('input') == 2
    assert capsys.readouterr().err == 'error: /data/page.png: not a page\n'
    assert tool('missing') == 2
    assert 'error: /data/gt does not exist' in capsys.readouterr().err
    with pytest.raises(KeyError):
        tool('bug')
    assert tool('none') == 0 and tool('other') == 3


def test_test_tool_reports_a_missing_data_root(tmp_path, capsys):
    spec = importlib.util.spec_from_file_location(
        'pixdiva_test_tool', ROOT / 'tools' / 'test.py')
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    checkpoint = tmp_path / 'model.pth'
    checkpoint.write_bytes(b'never read: the data root is checked first')
    missing = tmp_path / 'no_such_root'
    code = tool.main([str(ROOT / 'configs' / 'demo_synthetic_unet.py'),
                      str(checkpoint), '--data-root', str(missing),
                      '--work-dir', str(tmp_path / 'work')])
    assert code == 2
    err = capsys.readouterr().err
    assert err.startswith('error: ') and str(missing) in err
    assert 'Traceback' not in err


class _BrokenPages:
    """A dataset whose every item raises ``error`` (in a worker)."""

    def __init__(self, error):
        self.error = error

    def __len__(self):
        return 1

    def __getitem__(self, index):
        raise self.error


def test_dataloader_worker_errors_print_their_own_message(capsys):
    """torch re-raises a worker's error as ``Caught <Type> in DataLoader
    worker process 0`` plus the worker's traceback; the tools print the
    message the error was raised with, as without workers."""
    from torch.utils.data import DataLoader

    from mmseg_pixdiva.core.encoding import UnknownLabelValueError
    from mmseg_pixdiva.datasets.pairing import PairingError
    from mmseg_pixdiva.utils.errors import input_error_message

    @exit_on_input_error
    def tool(error, num_workers=1):
        for _ in DataLoader(_BrokenPages(error), num_workers=num_workers):
            pass

    unknown = UnknownLabelValueError(
        '/data/val/gt/p.png: blue values not in the class list [1, 2]: '
        'blue=3 (6 pixels)')
    for workers in (0, 1):
        assert tool(unknown, workers) == 2
        assert capsys.readouterr().err == f'error: {unknown}\n'
    # A message of several lines keeps them all, and only them.
    pairing = PairingError('cannot pair images and GTs:\n  image a.jpg has '
                           'no GT\n  GT b.png has no image')
    assert tool(pairing) == 2
    assert capsys.readouterr().err == f'error: {pairing}\n'
    assert tool(FileNotFoundError('/data/val/gt does not exist')) == 2
    assert capsys.readouterr().err == 'error: /data/val/gt does not exist\n'
    # Anything else is left as it is.
    assert input_error_message(InputError('Caught nothing')) == \
        'Caught nothing'

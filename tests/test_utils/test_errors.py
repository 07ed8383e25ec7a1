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
    from mmseg_pixdiva.datasets.encoding import (InvalidLabelValuesError,
                                                 UnknownLabelValueError)
    from mmseg_pixdiva.datasets.samplers.page_headers import \
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

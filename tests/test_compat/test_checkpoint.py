"""Checkpoints load under torch>=2.6 with an allow-list, nothing more."""
import pickle

import numpy as np
import pytest
import torch
from mmengine.logging.history_buffer import HistoryBuffer
from mmengine.runner.checkpoint import CheckpointLoader, _load_checkpoint

from mmseg_pixdiva.compat.checkpoint import UnsafeCheckpointError


class Payload:
    """Not allow-listed: unpickling it would run arbitrary code."""


def test_mmengine_uses_the_safe_loader():
    assert CheckpointLoader._get_checkpoint_loader('a.pth').__name__ == \
        'load_from_local_safely'


def test_runner_style_checkpoint_loads_in_a_fresh_process(tmp_path,
                                                          fresh_python):
    buffer = HistoryBuffer()
    buffer.update(0.5)
    ckpt = dict(state_dict={'w': torch.ones(2)},
                message_hub=dict(log_scalars={'loss': buffer},
                                 runtime_info={'arr': np.arange(3),
                                               'dt': np.dtype('float32'),
                                               'scalar': np.float64(2.5)}))
    path = tmp_path / 'ok.pth'
    torch.save(ckpt, path)
    # A fresh process: nothing there has created a HistoryBuffer yet.
    code = ('import mmseg_pixdiva\n'
            'from mmengine.runner.checkpoint import _load_checkpoint\n'
            f'c = _load_checkpoint({str(path)!r}, map_location="cpu")\n'
            'hub = c["message_hub"]\n'
            'print(c["state_dict"]["w"].tolist(),'
            ' hub["log_scalars"]["loss"].current(),'
            ' hub["runtime_info"]["arr"].tolist(),'
            ' hub["runtime_info"]["scalar"])')
    assert fresh_python(code).splitlines()[-1] == \
        '[1.0, 1.0] 0.5 [0, 1, 2] 2.5'


def test_restricted_getattr_refuses_other_attributes():
    from mmseg_pixdiva.compat.checkpoint import history_buffer_getattr
    assert history_buffer_getattr(HistoryBuffer, 'mean') is HistoryBuffer.mean
    with pytest.raises(pickle.UnpicklingError):
        history_buffer_getattr(HistoryBuffer, '__init__')
    with pytest.raises(pickle.UnpicklingError):
        history_buffer_getattr(np, 'load')


def test_foreign_objects_are_refused_with_the_file_name(tmp_path):
    path = tmp_path / 'evil.pth'
    torch.save({'meta': Payload()}, path)
    with pytest.raises(UnsafeCheckpointError) as info:
        _load_checkpoint(str(path), map_location='cpu')
    assert 'evil.pth' in str(info.value) and 'Payload' in str(info.value)
    assert isinstance(info.value, pickle.UnpicklingError)


def _corrupt_files(tmp_path):
    """Random bytes, a text file, an empty file and two truncated saves."""
    files = {}
    files['random.pth'] = np.random.default_rng(0).bytes(2000)
    files['text.pth'] = b'hello world\n'
    files['empty.pth'] = b''
    good = tmp_path / 'good.pth'
    torch.save({'w': torch.ones(1000)}, good)
    files['truncated_zip.pth'] = good.read_bytes()[:good.stat().st_size // 2]
    torch.save({'w': torch.ones(10)}, good,
               _use_new_zipfile_serialization=False)
    files['truncated_legacy.pth'] = good.read_bytes()[:-20]
    paths = []
    for name, data in files.items():
        path = tmp_path / name
        path.write_bytes(data)
        paths.append(path)
    return paths


def test_corrupt_or_truncated_checkpoints_name_the_file(tmp_path):
    from mmseg_pixdiva.compat.checkpoint import CorruptCheckpointError
    for path in _corrupt_files(tmp_path):
        with pytest.raises(CorruptCheckpointError) as info:
            _load_checkpoint(str(path), map_location='cpu')
        message = str(info.value)
        assert str(path) in message, message
        assert 'corrupt or truncated' in message
        # Never the advice to drop weights_only for a file we cannot trust.
        assert 'weights_only' not in message
        assert not isinstance(info.value, UnsafeCheckpointError)


def test_other_runtime_errors_name_the_file_and_keep_their_type(
        tmp_path, monkeypatch):
    from mmseg_pixdiva.compat import checkpoint
    path = tmp_path / 'cuda.pth'
    torch.save({'w': torch.ones(2)}, path)

    def fail(*args, **kwargs):
        raise RuntimeError('Attempting to deserialize object on a CUDA '
                           'device but torch.cuda.is_available() is False.')

    monkeypatch.setattr(checkpoint.torch, 'load', fail)
    with pytest.raises(RuntimeError) as info:
        checkpoint.load_from_local_safely(str(path))
    assert not isinstance(info.value, checkpoint.CorruptCheckpointError)
    assert str(path) in str(info.value) and 'CUDA' in str(info.value)


def test_keyboard_interrupt_is_not_swallowed(tmp_path, monkeypatch):
    from mmseg_pixdiva.compat import checkpoint
    path = tmp_path / 'ok.pth'
    torch.save({'w': torch.ones(2)}, path)

    def interrupt(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(checkpoint.torch, 'load', interrupt)
    with pytest.raises(KeyboardInterrupt):
        checkpoint.load_from_local_safely(str(path))


def test_checkpoint_module_imports_right_after_the_package(fresh_python):
    # Used to fail with a circular ImportError unless mmengine.runner had
    # been imported before.
    code = ('import mmseg_pixdiva\n'
            'from mmseg_pixdiva.compat.checkpoint import '
            'load_from_local_safely\n'
            'from mmengine.runner.checkpoint import CheckpointLoader\n'
            'print(CheckpointLoader._get_checkpoint_loader("a.pth")'
            '.__name__)')
    assert fresh_python(code).splitlines()[-1] == 'load_from_local_safely'

"""Checkpoints load under torch>=2.6 with an allow-list, nothing more."""
import pickle
import subprocess
import sys

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


def test_runner_style_checkpoint_loads_in_a_fresh_process(tmp_path):
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
    result = subprocess.run([sys.executable, '-c', code], capture_output=True,
                            text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == \
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

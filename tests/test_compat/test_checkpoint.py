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
        'load_checkpoint_safely'


def test_runner_style_checkpoint_loads(tmp_path):
    buffer = HistoryBuffer()
    buffer.update(0.5)
    ckpt = dict(state_dict={'w': torch.ones(2)},
                message_hub=dict(log_scalars={'loss': buffer},
                                 runtime_info={'arr': np.arange(3),
                                               'dt': np.dtype('float32')}))
    path = tmp_path / 'ok.pth'
    torch.save(ckpt, path)
    loaded = _load_checkpoint(str(path), map_location='cpu')
    assert loaded['state_dict']['w'].tolist() == [1.0, 1.0]
    assert loaded['message_hub']['log_scalars']['loss'].current() == 0.5
    assert loaded['message_hub']['runtime_info']['arr'].tolist() == [0, 1, 2]


def test_foreign_objects_are_refused_with_the_file_name(tmp_path):
    path = tmp_path / 'evil.pth'
    torch.save({'meta': Payload()}, path)
    with pytest.raises(UnsafeCheckpointError) as info:
        _load_checkpoint(str(path), map_location='cpu')
    assert 'evil.pth' in str(info.value) and 'Payload' in str(info.value)
    assert isinstance(info.value, pickle.UnpicklingError)

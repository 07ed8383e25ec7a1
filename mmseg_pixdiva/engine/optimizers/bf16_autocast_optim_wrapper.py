"""Mixed precision in bfloat16 wherever the model lives, CPUs included."""
from contextlib import contextmanager

import torch
import torch.nn as nn
from mmengine.optim import OptimWrapper
from mmseg.registry import OPTIM_WRAPPERS


@OPTIM_WRAPPERS.register_module()
class BF16AutocastOptimWrapper(OptimWrapper):
    """An :class:`~mmengine.optim.OptimWrapper` whose forward and loss run
    under ``torch.autocast`` in bfloat16 on the model's device.

    mmengine's ``AmpOptimWrapper`` refuses to be built without a GPU (or
    NPU, MLU, MUSA). On CPUs with bfloat16 instructions (AVX512-BF16, AMX)
    oneDNN's convolutions run much faster in bfloat16: a training step of
    ``configs/hisdb_real_pages_cpu.py``'s model takes about 0.6 of the
    float32 time on the 2-core CPU machine (``docs/benchmarks.md``,
    ``benchmarks/bench_channels_last_training.py``). Only the autocast
    context is added: the weights, their gradients and the optimizer state
    stay float32, losses are computed in float32 (autocast's policy), and
    validation and testing (outside the context) run in float32.
    bfloat16 has float32's exponent range, so no loss scaling is needed.

    Use it in a config like any optim wrapper::

        optim_wrapper = dict(type='BF16AutocastOptimWrapper',
                             optimizer=dict(type='Adam', lr=1e-3))
    """

    @contextmanager
    def optim_context(self, model: nn.Module):
        """The parent's context (gradient accumulation) plus autocast to
        bfloat16 on the device of ``model``'s first parameter."""
        param = next(model.parameters(), None)
        device_type = 'cpu' if param is None else param.device.type
        with super().optim_context(model), \
                torch.autocast(device_type=device_type, dtype=torch.bfloat16):
            yield

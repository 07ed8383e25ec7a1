"""Mixed precision in bfloat16 wherever the model lives, CPUs included."""
import logging
from contextlib import contextmanager
from typing import Optional

import torch
import torch.nn as nn
from mmengine.logging import print_log
from mmengine.optim import OptimWrapper
from mmseg.registry import OPTIM_WRAPPERS


def cpu_has_bf16_instructions() -> bool:
    """Whether this CPU computes in bfloat16 natively (AVX512-BF16 or AMX on
    x86; other CPUs are taken to).

    Without them oneDNN emulates bfloat16, and a training step is about ten
    times slower than in float32 (docs/benchmarks.md). torch exposes the
    check only as private helpers of ``torch.cpu``; where they are missing,
    the CPU is taken to have the instructions (the wrapper then does what it
    is told).
    """
    import platform
    if platform.machine().lower() not in ('x86_64', 'amd64', 'i386',
                                          'i686'):
        return True  # the flags below are x86's (Arm has its own BF16)
    checks = [getattr(torch.cpu, name, None) for name in
              ('_is_avx512_bf16_supported', '_is_amx_tile_supported')]
    if not all(callable(check) for check in checks):
        return True
    return any(check() for check in checks)


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

    On a CPU without bfloat16 instructions, where bfloat16 is about ten
    times *slower* than float32, it trains in float32 and says so once in
    the log, unless ``bf16_without_cpu_support=True``.

    Use it in a config like any optim wrapper::

        optim_wrapper = dict(type='BF16AutocastOptimWrapper',
                             optimizer=dict(type='Adam', lr=1e-3))

    Args:
        bf16_without_cpu_support (bool): Autocast on a CPU that lacks
            AVX512-BF16 and AMX all the same (e.g. to compare numbers).
        **kwargs: Those of :class:`~mmengine.optim.OptimWrapper`.
    """

    def __init__(self, *args, bf16_without_cpu_support: bool = False,
                 **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.bf16_without_cpu_support = bf16_without_cpu_support
        #: The CPU's answer, asked once (the context opens every step).
        self._cpu_bf16: Optional[bool] = None

    def _autocast_on(self, device_type: str) -> bool:
        if device_type != 'cpu' or self.bf16_without_cpu_support:
            return True
        if self._cpu_bf16 is None:
            self._cpu_bf16 = cpu_has_bf16_instructions()
            if not self._cpu_bf16:
                print_log(
                    'BF16AutocastOptimWrapper: this CPU has no bfloat16 '
                    'instructions (AVX512-BF16 or AMX), where bfloat16 '
                    'training is about 10x slower than float32; training in '
                    'float32 (bf16_without_cpu_support=True autocasts all '
                    'the same)', logger='current', level=logging.WARNING)
        return self._cpu_bf16

    @contextmanager
    def optim_context(self, model: nn.Module):
        """The parent's context (gradient accumulation) plus autocast to
        bfloat16 on the device of ``model``'s first parameter (on a CPU,
        if it has bfloat16 instructions or the config insists)."""
        param = next(model.parameters(), None)
        device_type = 'cpu' if param is None else param.device.type
        with super().optim_context(model), \
                torch.autocast(device_type=device_type, dtype=torch.bfloat16,
                               enabled=self._autocast_on(device_type)):
            yield

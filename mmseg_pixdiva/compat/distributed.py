"""Distributed training on CPU (gloo) with mmengine's pytorch launcher.

Two things in mmengine 0.10.7 assume CUDA when launched by ``torchrun``:
``_init_dist_pytorch`` calls ``torch.cuda.set_device`` unconditionally (an
AttributeError on a CPU build of torch) and the runner wraps the model with
``device_ids=[LOCAL_RANK]``, which DDP rejects for a CPU module. Both are
patched here only for the CPU case; with CUDA, mmengine's code runs unchanged.
"""
import os
from types import ModuleType

import torch


def _patch_init_dist(dist_utils: ModuleType) -> None:
    original = dist_utils._init_dist_pytorch
    if getattr(original, '_pixdiva_cpu', False):
        return

    def init_dist_pytorch(backend='nccl', init_backend='torch', **kwargs):
        if torch.cuda.is_available():
            return original(backend, init_backend=init_backend, **kwargs)
        # CPU: no device to select and NCCL does not exist; gloo does.
        torch.distributed.init_process_group(
            backend='gloo',
            rank=int(os.environ['RANK']),
            world_size=int(os.environ['WORLD_SIZE']),
            **kwargs)

    init_dist_pytorch._pixdiva_cpu = True
    dist_utils._init_dist_pytorch = init_dist_pytorch


def _patch_runner_ddp(runner_module: ModuleType) -> None:
    base = runner_module.MMDistributedDataParallel
    if getattr(base, '_pixdiva_cpu', False):
        return

    class CPUAwareMMDistributedDataParallel(base):
        """MMDDP that drops ``device_ids`` for a module on the CPU."""

        _pixdiva_cpu = True

        def __init__(self, module, device_ids=None, **kwargs):
            first = next(module.parameters(), None)
            if first is not None and first.device.type == 'cpu':
                device_ids = None
            super().__init__(module=module, device_ids=device_ids, **kwargs)

    runner_module.MMDistributedDataParallel = CPUAwareMMDistributedDataParallel


def patch_dist_utils(module: ModuleType) -> None:
    """Patch ``mmengine.dist.utils`` (and its re-export) for CPU launch."""
    _patch_init_dist(module)


def patch_runner(module: ModuleType) -> None:
    """Patch ``mmengine.runner.runner`` so DDP accepts CPU modules."""
    _patch_runner_ddp(module)

"""Lay the model's convolution weights out channels-last (faster on CPUs)."""
from typing import Sequence

import torch
from mmengine.hooks import Hook
from mmengine.logging import print_log
from mmengine.model import is_model_wrapper
from mmseg.registry import HOOKS
from torch.nn.parallel import DistributedDataParallel


@HOOKS.register_module()
class ChannelsLastHook(Hook):
    """Convert the model's 4-D weights to channels-last memory format.

    On a CPU, oneDNN's convolutions run faster on channels-last tensors (a
    training step of ``configs/hisdb_real_pages_cpu.py``'s model takes 0.31
    instead of 0.40 s on 2 cores, measured by
    ``benchmarks/bench_channels_last_training.py``). PyTorch picks the
    channels-last kernels as soon as the weight is channels-last, so
    converting the weights is enough: inputs, activations and gradients
    follow. Values are unchanged (only the layout); checkpoints load into
    either layout.

    The conversion runs in ``before_run``: after the optimizer is built
    (parameters are converted in place, so the optimizer keeps them) and
    before the weights are initialised or a checkpoint is loaded (both copy
    into the existing tensors, which keeps the layout). A model wrapped for
    distributed training is left as it is (with a log line): DDP lays its
    gradient buckets out for the strides the parameters had when it wrapped
    them (before any hook runs), and would copy every gradient between the
    two layouts.

    Args:
        devices (Sequence[str]): Device types to convert on. Default
            ``('cpu',)``: GPUs are left as configured (cuDNN's choice there
            depends on the GPU and on AMP).
    """

    priority = 'VERY_HIGH'

    def __init__(self, devices: Sequence[str] = ('cpu', )) -> None:
        if isinstance(devices, str):
            devices = (devices, )
        self.devices = tuple(devices)

    def before_run(self, runner) -> None:
        """Convert the (unwrapped) model if it lives on one of ``devices``."""
        model = runner.model.module if is_model_wrapper(runner.model) \
            else runner.model
        param = next(model.parameters(), None)
        if param is None or param.device.type not in self.devices:
            return
        if isinstance(runner.model, DistributedDataParallel):
            print_log(
                'ChannelsLastHook: the model is wrapped for distributed '
                'training; weights keep their layout (DDP built its '
                'gradient buckets for it)', logger='current')
            return
        model.to(memory_format=torch.channels_last)
        print_log(
            f'ChannelsLastHook: {type(model).__name__} weights are '
            f'channels-last on {param.device.type}', logger='current')

"""Repairs of the stack (mmcv-lite, torch>=2.6 checkpoints, CPU distributed)
and the lazy registration, all applied by :func:`apply_compat_shims`, which
the package ``__init__`` calls once.

Each repair is a named function in its own module, listed in :data:`SHIMS`
with the module it concerns and why it exists. It runs when that module is
first imported (see :mod:`.after_import`), or at once if it is imported
already, so ``import mmseg_pixdiva`` itself imports neither torch nor mmseg.
"""
import importlib
from types import ModuleType
from typing import NamedTuple

from .after_import import when_imported
from .mmcv_ops import install_mmcv_ops_shim


class Shim(NamedTuple):
    """One repair: ``function`` (``'module:name'``, imported only when it
    runs) is called with module ``target`` once that is imported."""
    target: str
    function: str
    reason: str


#: The repairs applied after their module's import, and why.
SHIMS = (
    Shim('mmseg.registry',
         'mmseg_pixdiva.compat.registry_locations:add_registry_locations',
         'our components register on the first registry lookup, so the '
         'package import loads neither torch nor mmseg'),
    Shim('mmengine.dist.utils',
         'mmseg_pixdiva.compat.distributed:patch_dist_utils',
         "mmengine's torchrun launcher selects a CUDA device; on CPU it "
         'must start gloo instead'),
    Shim('mmengine.runner.runner',
         'mmseg_pixdiva.compat.distributed:patch_runner',
         "mmengine's runner gives DDP CUDA device_ids, which DDP refuses "
         'for a model on the CPU'),
    Shim('mmengine.runner.checkpoint',
         'mmseg_pixdiva.compat.checkpoint:install_safe_checkpoint_loader',
         'torch>=2.6 loads with weights_only=True, which refuses what '
         'mmengine checkpoints hold; an allow-list loads exactly that'),
)


def _resolve(function: str):
    module_name, name = function.split(':')
    return getattr(importlib.import_module(module_name), name)


def _apply(shim: Shim, module: ModuleType) -> None:
    _resolve(shim.function)(module)


def apply_compat_shims() -> None:
    """Install every repair (idempotent: each one checks it ran before).

    The stand-in ``mmcv.ops`` goes in at once, since it must be in place
    before anything imports ``mmcv.ops`` (mmseg imports compiled ops
    unguarded, which mmcv-lite lacks); the others wait for their module.
    """
    install_mmcv_ops_shim()
    for shim in SHIMS:
        when_imported(shim.target,
                      lambda module, shim=shim: _apply(shim, module))

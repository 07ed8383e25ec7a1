"""mmseg_pixdiva: DeepDIVA-style document-image segmentation for MMSegmentation.

``import mmseg_pixdiva`` (what ``custom_imports`` in every config does):

* makes mmseg usable with mmcv-lite (no-op with full mmcv);
* registers every component (datasets, transforms, sampler, segmentor,
  metric, hooks, loop, optimizer wrapper) in mmseg's registries;
* repairs checkpoint loading under torch>=2.6 with an allow-list and CPU
  distributed launch with gloo.

It does all of this *without importing torch or mmseg itself*: the
registration is attached to mmseg's registries as a lazy import location (the
mechanism mmengine uses for mmseg's own modules), and each repair runs when
the module it patches is first imported. The pure modules
(``mmseg_pixdiva.evaluation.layout_analysis`` above all, used by the fast
evaluator CLI) therefore import in milliseconds.
"""
from types import ModuleType

from .compat.after_import import when_imported
from .compat.mmcv_ops import install_mmcv_ops_shim
from .version import __version__

__all__ = ['__version__', 'register_all_modules']

#: The module whose import registers every component of this plugin.
REGISTRATION_MODULE = 'mmseg_pixdiva.registration'

#: mmseg registries our components are registered in.
_REGISTRIES = ('DATASETS', 'TRANSFORMS', 'DATA_SAMPLERS', 'MODELS',
               'METRICS', 'HOOKS', 'LOOPS', 'OPTIM_WRAPPERS')


def register_all_modules() -> None:
    """Import and register every component now (explicit, eager form)."""
    import importlib
    importlib.import_module(REGISTRATION_MODULE)


def _add_registry_locations(mmseg_registry: ModuleType) -> None:
    """Make mmseg's registries import our components on first lookup."""
    for name in _REGISTRIES:
        registry = getattr(mmseg_registry, name)
        if REGISTRATION_MODULE not in registry._locations:
            registry._locations.append(REGISTRATION_MODULE)
            # Already-used registries must look at their locations again.
            registry._imported = False


def _patch_dist_utils(module: ModuleType) -> None:
    from .compat.distributed import patch_dist_utils
    patch_dist_utils(module)


def _patch_runner(module: ModuleType) -> None:
    from .compat.distributed import patch_runner
    patch_runner(module)


def _patch_checkpoint(module: ModuleType) -> None:
    from .compat.checkpoint import install_safe_checkpoint_loader
    install_safe_checkpoint_loader()


install_mmcv_ops_shim()
when_imported('mmseg.registry', _add_registry_locations)
when_imported('mmengine.dist.utils', _patch_dist_utils)
when_imported('mmengine.runner.runner', _patch_runner)
when_imported('mmengine.runner.checkpoint', _patch_checkpoint)

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
import importlib

from .compat import apply_compat_shims
from .compat.registry_locations import REGISTRATION_MODULE
from .compat.registry_locations import REGISTRIES as _REGISTRIES  # noqa: F401
from .version import __version__

__all__ = ['__version__', 'register_all_modules']


def register_all_modules() -> None:
    """Import and register every component now (explicit, eager form)."""
    importlib.import_module(REGISTRATION_MODULE)


# The one call that installs the repairs and the lazy registration
# (each named, with its reason, in mmseg_pixdiva.compat.SHIMS).
apply_compat_shims()

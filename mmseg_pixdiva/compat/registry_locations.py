"""Our components in mmseg's registries, imported on their first lookup.

``Registry(..., locations=[...])`` is mmengine's public way to name the
modules a registry imports on its first lookup, but only where the registry
is built, and mmseg builds its own. Registering eagerly with
``register_module`` would make ``import mmseg_pixdiva`` import torch and
mmseg. So the module list of mmseg's registries is extended after they are
built: the one place the package writes mmengine's private registry fields
(``_locations``, ``_imported``), checked by
``tests/test_compat/test_light_import.py``.
"""
from types import ModuleType

#: The module whose import registers every component of this plugin.
REGISTRATION_MODULE = 'mmseg_pixdiva.registration'

#: mmseg registries our components are registered in.
REGISTRIES = ('DATASETS', 'TRANSFORMS', 'DATA_SAMPLERS', 'MODELS',
              'METRICS', 'HOOKS', 'LOOPS', 'OPTIM_WRAPPERS')


def add_registry_locations(mmseg_registry: ModuleType) -> None:
    """Make mmseg's registries import our components on first lookup.

    Args:
        mmseg_registry (ModuleType): ``mmseg.registry``.
    """
    for name in REGISTRIES:
        registry = getattr(mmseg_registry, name)
        if REGISTRATION_MODULE not in registry._locations:
            registry._locations.append(REGISTRATION_MODULE)
            # Already-used registries must look at their locations again.
            registry._imported = False

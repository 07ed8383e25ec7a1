"""Make mmseg importable with mmcv-lite (mmcv without compiled ops).

mmseg imports ``mmcv.ops`` unguarded in a few modules (``point_sample`` in
``mmseg.utils.mask_classification`` and ``mmseg.models.utils``,
``sigmoid_focal_loss`` in the focal loss). With mmcv-lite, ``mmcv/ops/__init__``
loads ``mmcv._ext`` and every one of those imports fails, so nothing in
``mmseg.models`` can be used. We register a stand-in ``mmcv.ops`` package whose
``__path__`` is the real folder, so the pure-python submodules
(``mmcv.ops.point_sample``) import normally, while names that need compiled
kernels raise :class:`ModuleNotFoundError` (which mmseg already guards for
CCNet, PSANet, PointRend and DCN). With full mmcv this is a no-op.
"""
import importlib
import importlib.util
import sys
import types
from pathlib import Path
from typing import Any, Callable

from .after_import import when_imported

# Names that live in pure-python mmcv.ops submodules.
_PURE_OPS = {
    'point_sample': 'mmcv.ops.point_sample',
    'SimpleRoIAlign': 'mmcv.ops.point_sample',
    'bilinear_grid_sample': 'mmcv.ops.point_sample',
    'rel_roi_point_to_rel_img_point': 'mmcv.ops.point_sample',
}

# Imported unguarded at module level by mmseg but only *called* on CUDA; a
# stub keeps the import working and fails clearly if it is ever called.
_CALL_TIME_STUBS = ('sigmoid_focal_loss', )


def _needs_compiled(name: str) -> Callable[..., Any]:

    def stub(*args, **kwargs):
        raise RuntimeError(
            f'mmcv.ops.{name} needs the compiled mmcv ops, but mmcv-lite is '
            'installed. Install full mmcv (see docs/development.md, '
            '"Installation").')

    stub.__name__ = name
    return stub


def _resolve(name: str) -> Any:
    if name in _PURE_OPS:
        source = importlib.import_module(_PURE_OPS[name])
        # Importing the submodule bound e.g. `mmcv.ops.point_sample` to the
        # *module*; rebind the function names, as the real __init__ does.
        shim = sys.modules['mmcv.ops']
        for op, module_name in _PURE_OPS.items():
            if module_name == source.__name__:
                setattr(shim, op, getattr(source, op))
        return getattr(source, name)
    if name in _CALL_TIME_STUBS:
        return _needs_compiled(name)
    if name.startswith('__'):
        raise AttributeError(name)
    raise ModuleNotFoundError(
        f'mmcv.ops.{name} is a compiled op and mmcv-lite is installed; '
        'install full mmcv to use it (see docs/development.md, '
        '"Installation").',
        name='mmcv._ext')


def has_compiled_mmcv_ops() -> bool:
    """Whether the installed mmcv ships its compiled ``_ext`` extension.

    Returns:
        bool: True for full mmcv, False for mmcv-lite or no mmcv at all.
    """
    spec = importlib.util.find_spec('mmcv')
    if spec is None or not spec.submodule_search_locations:
        return False
    folder = Path(list(spec.submodule_search_locations)[0])
    return any(folder.glob('_ext*'))


def install_mmcv_ops_shim() -> bool:
    """Register the stand-in ``mmcv.ops`` when mmcv-lite is installed.

    Must run before anything imports ``mmcv.ops``. Does not import mmcv or
    torch itself.

    Returns:
        bool: True if the stand-in was installed.
    """
    if 'mmcv.ops' in sys.modules or has_compiled_mmcv_ops():
        return False
    spec = importlib.util.find_spec('mmcv')
    if spec is None:
        return False
    ops_dir = Path(list(spec.submodule_search_locations)[0]) / 'ops'
    module = types.ModuleType('mmcv.ops', __doc__)
    module.__path__ = [str(ops_dir)]
    module.__getattr__ = _resolve  # PEP 562 module attribute hook
    module.MMCV_LITE_SHIM = True
    sys.modules['mmcv.ops'] = module
    # `import mmcv.ops; mmcv.ops.x` needs the attribute on the package too.
    when_imported('mmcv', lambda mmcv: setattr(mmcv, 'ops', module))
    return True

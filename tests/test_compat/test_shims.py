"""compat.SHIMS: every repair named, explained, and installed by one call."""
import ast
import importlib

from mmseg_pixdiva.compat import SHIMS, apply_compat_shims


def test_every_shim_names_its_module_function_and_reason():
    assert {shim.target for shim in SHIMS} == {
        'mmseg.registry', 'mmengine.dist.utils', 'mmengine.runner.runner',
        'mmengine.runner.checkpoint'}
    for shim in SHIMS:
        module_name, name = shim.function.split(':')
        assert module_name.startswith('mmseg_pixdiva.compat.'), shim
        assert callable(getattr(importlib.import_module(module_name), name))
        assert len(shim.reason) > 20, shim


def test_applying_again_changes_nothing():
    from mmseg.registry import HOOKS
    before = list(HOOKS._locations)
    apply_compat_shims()
    assert list(HOOKS._locations) == before
    assert before.count('mmseg_pixdiva.registration') == 1


def test_the_package_import_is_the_one_call(fresh_python):
    out = fresh_python('import mmseg_pixdiva\n'
                       'from mmseg_pixdiva.compat import after_import\n'
                       'print(sorted(after_import._pending))')
    # Every repair waits for its module ('mmcv' too with mmcv-lite, for the
    # stand-in mmcv.ops); nothing else is watched.
    pending = set(ast.literal_eval(out))
    assert {shim.target for shim in SHIMS} <= pending
    assert pending - {shim.target for shim in SHIMS} <= {'mmcv'}

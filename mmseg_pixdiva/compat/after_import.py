"""Run a callback once a given module has finished importing.

Why this exists: ``import mmseg_pixdiva`` must register our components in
mmseg's registries and repair a few stack incompatibilities, yet the pure
modules of this package (the layout evaluator above all) must import in a
fraction of a second without torch or mmseg. So the package ``__init__`` only
*arranges* the heavy work: each piece runs when the module it concerns
(``mmseg.registry``, ``mmengine.dist.utils``, ...) is loaded by whoever needs
it, or at once if it is loaded already.
"""
import importlib.abc
import importlib.util
import sys
import threading
from types import ModuleType
from typing import Callable, Dict, List, Optional

Callback = Callable[[ModuleType], None]

_pending: Dict[str, List[Callback]] = {}
_lock = threading.RLock()


def _run(module: ModuleType, callbacks: List[Callback]) -> None:
    for callback in callbacks:
        callback(module)


class _AfterImportLoader(importlib.abc.Loader):
    """Wraps the real loader; runs the callbacks after the module executed."""

    def __init__(self, loader: importlib.abc.Loader, name: str) -> None:
        self._loader = loader
        self._name = name

    def create_module(self, spec):  # noqa: D102
        return self._loader.create_module(spec)

    def exec_module(self, module: ModuleType) -> None:  # noqa: D102
        self._loader.exec_module(module)
        with _lock:
            callbacks = _pending.pop(self._name, [])
        _run(module, callbacks)


class _AfterImportFinder(importlib.abc.MetaPathFinder):
    """Meta-path finder that only intercepts the watched module names."""

    def find_spec(self, fullname: str, path=None, target=None):  # noqa: D102
        if fullname not in _pending:
            return None
        # Let the normal finders locate the module, then wrap its loader.
        sys.meta_path.remove(self)
        try:
            spec = importlib.util.find_spec(fullname)
        finally:
            sys.meta_path.insert(0, self)
        if spec is None or spec.loader is None:
            return None
        spec.loader = _AfterImportLoader(spec.loader, fullname)
        return spec


_finder: Optional[_AfterImportFinder] = None


def when_imported(name: str, callback: Callback) -> None:
    """Call ``callback(module)`` once module ``name`` is fully imported.

    Args:
        name (str): Dotted module name, e.g. ``'mmseg.registry'``.
        callback (Callable): Receives the imported module. Runs immediately
            when the module is already in ``sys.modules``.
    """
    global _finder
    module = sys.modules.get(name)
    if module is not None:
        callback(module)
        return
    with _lock:
        _pending.setdefault(name, []).append(callback)
        if _finder is None:
            _finder = _AfterImportFinder()
            sys.meta_path.insert(0, _finder)


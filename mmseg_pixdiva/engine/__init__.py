"""Engine components (hooks)."""
from . import hooks  # noqa: F401

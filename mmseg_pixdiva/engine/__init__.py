"""Engine components (hooks, loops)."""
from . import hooks  # noqa: F401
from . import runner  # noqa: F401

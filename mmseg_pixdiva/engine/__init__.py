"""Engine components (hooks, loops, optimizer wrappers)."""
from . import hooks  # noqa: F401
from . import optimizers  # noqa: F401
from . import runner  # noqa: F401

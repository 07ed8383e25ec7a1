"""Models: segmentors and the pure helpers they use."""
from . import losses, segmentors, utils  # noqa: F401

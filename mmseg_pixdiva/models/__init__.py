"""Models: segmentors and the pure helpers they use."""
from . import segmentors, utils  # noqa: F401

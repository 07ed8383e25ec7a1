"""Data transforms."""
from .loading import LoadBlueChannelAnnotations
from .page_crop import LoadPageCrop

__all__ = ['LoadBlueChannelAnnotations', 'LoadPageCrop']

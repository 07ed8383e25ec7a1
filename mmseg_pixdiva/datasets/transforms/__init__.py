"""Data transforms."""
from .loading import LoadBlueChannelAnnotations, LoadScanFromFile
from .page_crop import LoadPageCrop

__all__ = ['LoadBlueChannelAnnotations', 'LoadPageCrop', 'LoadScanFromFile']

"""Data transforms."""
from .loading import LoadBlueChannelAnnotations

__all__ = ['LoadBlueChannelAnnotations']

"""Version of mmseg_pixdiva."""

__version__ = '0.1.0'

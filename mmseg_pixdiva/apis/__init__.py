"""High-level helpers used by the tools."""
from .auto_config import resolve_auto_config

__all__ = ['resolve_auto_config']

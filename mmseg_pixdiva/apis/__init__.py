"""High-level helpers used by the tools."""
from .auto_config import resolve_auto_config, set_data_root

__all__ = ['resolve_auto_config', 'set_data_root']

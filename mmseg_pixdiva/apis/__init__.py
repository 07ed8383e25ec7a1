"""High-level helpers used by the tools."""
from .auto_config import (auto_keys, fill_auto_from, resolve_auto_config,
                          set_data_root)

__all__ = ['auto_keys', 'fill_auto_from', 'resolve_auto_config',
           'set_data_root']

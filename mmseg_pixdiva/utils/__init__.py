"""Small shared utilities (no torch, no mmseg)."""
from .atomic import (atomic_path, atomic_write_bytes, atomic_write_image,
                     atomic_write_text, cache_location, write_cache_text)
from .file_signature import file_sha256, files_signature

__all__ = ['atomic_path', 'atomic_write_bytes', 'atomic_write_image',
           'atomic_write_text', 'cache_location', 'file_sha256',
           'files_signature', 'write_cache_text']

"""Pure model helpers (torch only, no mmseg)."""
from .band_merge import merge_in_bands
from .sliding_window import (MERGE_MODES, Window, default_stride,
                             extract_windows, finalize_canvas_,
                             merge_windows_, new_canvas, window_counts,
                             window_grid, window_starts)

__all__ = [
    'MERGE_MODES', 'Window', 'default_stride', 'extract_windows',
    'finalize_canvas_', 'merge_in_bands', 'merge_windows_', 'new_canvas',
    'window_counts', 'window_grid', 'window_starts'
]

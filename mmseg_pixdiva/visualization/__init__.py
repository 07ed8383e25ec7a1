"""Pure colouring, error maps, legends and plots (numpy/Pillow/matplotlib;
no torch, no mmseg; matplotlib and Pillow load on first use).

The confusion counting and its metric key are
:mod:`mmseg_pixdiva.evaluation.confusion`'s, re-exported here for the
plots' users (the hooks may not import ``evaluation`` themselves).
"""
from ..evaluation.confusion import (CONFUSION_MATRIX_KEY, confusion_matrix,
                                    iou_from_confusion, row_normalise)
from .colour import (IGNORE_COLOUR, blend, colourize, distinct_palette,
                     is_bit_flag_encoding, palette_lut, resolve_palette)
from .io import decode_rgb, read_rgb
from .legend import legend_image
from .page import (LEGEND, PICTURE_KINDS, PICTURE_SOFTWARE, PageSizeError,
                   check_same_size, error_picture, is_picture_file,
                   overlay_picture, page_pictures, picture_path,
                   write_page_pictures)
from .panel import (fit_size, page_panel, resize_image, resize_labels,
                    side_by_side)
from .plots import (confusion_matrix_figure, confusion_matrix_image,
                    figure_to_rgb, iou_bar_chart)

__all__ = [
    'IGNORE_COLOUR', 'blend', 'colourize', 'distinct_palette',
    'is_bit_flag_encoding', 'palette_lut', 'resolve_palette',
    'CONFUSION_MATRIX_KEY', 'confusion_matrix', 'iou_from_confusion',
    'row_normalise', 'decode_rgb', 'read_rgb', 'legend_image',
    'LEGEND', 'PICTURE_KINDS', 'PICTURE_SOFTWARE', 'PageSizeError', 'check_same_size',
    'error_picture', 'is_picture_file', 'overlay_picture', 'page_pictures', 'picture_path', 'write_page_pictures',
    'fit_size', 'page_panel', 'resize_image', 'resize_labels', 'side_by_side',
    'confusion_matrix_figure', 'confusion_matrix_image', 'figure_to_rgb',
    'iou_bar_chart'
]

"""Ink binarisation of a page scan (OpenCV, imported lazily).

Local thresholding, not a global one: parchment darkens towards the edges
and the fold, so one threshold for the page misses faint strokes (on CB55
0059v, Otsu's global threshold finds 77 % of the ink pixels of the official
GT; a Gaussian-weighted local mean over a 201-pixel window finds 94 % with
99 % precision, see docs/page_xml.md).
"""
import numpy as np

#: Side of the neighbourhood, in pixels: two to three text-line heights on
#: the full-resolution DIVA-HisDB scans, so a window always holds parchment.
DEFAULT_BLOCK = 201

#: A pixel is ink if it is darker than its neighbourhood mean minus this.
DEFAULT_OFFSET = 0


def binarize_ink(grey: np.ndarray, block: int = DEFAULT_BLOCK,
                 offset: float = DEFAULT_OFFSET) -> np.ndarray:
    """Ink pixels of a greyscale scan.

    Args:
        grey (np.ndarray): ``HxW`` uint8 grey page.
        block (int): Odd window side (pixels) of the local mean.
        offset (float): Subtracted from the local mean before comparing.

    Returns:
        np.ndarray: ``HxW`` bool, True where the pixel is darker than the
        Gaussian-weighted mean of its ``block x block`` neighbourhood minus
        ``offset``.
    """
    import cv2
    if block < 3 or block % 2 == 0:
        raise ValueError(f'block must be an odd number >= 3, got {block}')
    dark = cv2.adaptiveThreshold(grey, 1, cv2.ADAPTIVE_THRESH_GAUSSIAN_C,
                                 cv2.THRESH_BINARY_INV, block, offset)
    return dark.astype(bool)

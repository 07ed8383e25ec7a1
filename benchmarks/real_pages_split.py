"""How the real-page benchmark cuts a page: pure functions (numpy and the
package's label-encoding constants only).

A page is cut into three horizontal bands that do not overlap and together
cover it (rows ``[start, stop)``, top to bottom)::

    train  rows [0, val_start)            the top two thirds minus the band
    val    rows [val_start, test_start)   the last band of the top two thirds
    test   rows [test_start, height)      the bottom third (held out)

The validation band is taken from the bottom of the top two thirds (the
slice between train and test) rather than from the middle of the training
part: training then sees one contiguous block, validation crops come from
the text closest to the test part, and the test third stays exactly the
bottom third of the page (4872x2165 for CB55 0059v, 3328x1664 for CSG863
004). Scan and GT are cut with the same rows.

CSG18 096 carries an older GT: its boundary flag (red bit 7) sits on
background pixels, ``(128, 0, 1)``, where the newer GTs put it on the
foreground halo of the strokes only. :func:`clear_background_boundary`
removes the flag from background pixels. This changes no score: the
evaluator's boundary rule adds background to the GT label set of a
boundary pixel, which for a background pixel is already ``{background}``,
and training sets boundary pixels to background anyway. It only makes the
file read like the newer GTs (and the error maps show no boundary there).
"""
from typing import Dict, Tuple

import numpy as np

from mmseg_pixdiva.core.encoding import BOUNDARY_RED_BIT, HISDB_BACKGROUND

#: Split names, top to bottom.
SPLITS: Tuple[str, ...] = ('train', 'val', 'test')

#: Defaults: the bottom third is the test part; the validation band is one
#: twelfth of the page height (541 rows of CB55, 416 of CSG863), so
#: training keeps 7/12 of every page.
TEST_FRACTION = 1 / 3
VAL_FRACTION = 1 / 12


def split_rows(height: int,
               test_fraction: float = TEST_FRACTION,
               val_fraction: float = VAL_FRACTION
               ) -> Dict[str, Tuple[int, int]]:
    """Rows of the train, val and test bands of a page.

    Args:
        height (int): Page height in pixels.
        test_fraction (float): Share of the height held out at the bottom
            (rounded to whole rows: 2165 of CB55's 6496 rows).
        val_fraction (float): Share of the height in the validation band,
            directly above the test part.

    Returns:
        dict: ``{'train': (0, v), 'val': (v, t), 'test': (t, height)}``,
        half-open row ranges, each at least one row.

    Raises:
        ValueError: If a band would be empty.
    """
    height = int(height)
    test_rows = int(round(height * test_fraction))
    val_rows = int(round(height * val_fraction))
    test_start = height - test_rows
    val_start = test_start - val_rows
    if test_rows < 1 or val_rows < 1 or val_start < 1:
        raise ValueError(
            f'cannot cut a page of height {height} into train/val/test with '
            f'test_fraction={test_fraction} and val_fraction={val_fraction}: '
            f'a band would be empty (train 0..{val_start}, val '
            f'{val_start}..{test_start}, test {test_start}..{height})')
    return dict(train=(0, val_start), val=(val_start, test_start),
                test=(test_start, height))


def cut_rows(image: np.ndarray, rows: Tuple[int, int]) -> np.ndarray:
    """The band ``rows = (start, stop)`` of an ``HxW[xC]`` image (a view).

    Raises:
        ValueError: If the band is not inside the image.
    """
    start, stop = rows
    if not 0 <= start < stop <= image.shape[0]:
        raise ValueError(f'rows {start}..{stop} are not inside an image of '
                         f'height {image.shape[0]}')
    return image[start:stop]


def clear_background_boundary(gt_rgb: np.ndarray) -> np.ndarray:
    """Remove the boundary flag from background pixels (old HisDB GTs).

    Args:
        gt_rgb (np.ndarray): ``HxWx3`` uint8 RGB GT.

    Returns:
        np.ndarray: A copy whose red bit 7 is cleared where the blue value
        is exactly background (``0x01``); every other pixel is unchanged.
    """
    if gt_rgb.ndim != 3 or gt_rgb.shape[2] != 3 or gt_rgb.dtype != np.uint8:
        raise ValueError('expected an HxWx3 uint8 RGB GT, got '
                         f'{gt_rgb.dtype} {gt_rgb.shape}')
    out = gt_rgb.copy()
    background = out[..., 2] == HISDB_BACKGROUND
    out[..., 0][background] &= np.uint8(~BOUNDARY_RED_BIT & 0xFF)
    return out

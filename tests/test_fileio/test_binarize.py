"""mmseg_pixdiva.fileio.binarize: local ink threshold."""
import numpy as np
import pytest

from mmseg_pixdiva.fileio.binarize import binarize_ink


def test_faint_strokes_on_a_darkening_page():
    # Parchment from 230 (left) to 110 (right); strokes 60 darker than the
    # parchment around them. One global threshold cannot separate both
    # ends (a left stroke, 170, is lighter than the right parchment, 110).
    x = np.linspace(230, 110, 400)
    grey = np.repeat(x[None, :], 300, axis=0).astype(np.uint8)
    strokes = np.zeros(grey.shape, bool)
    strokes[50:54, 10:390] = True
    strokes[100:250, 20:23] = True
    strokes[100:250, 370:373] = True
    grey[strokes] -= 60
    # An offset of a few grey levels absorbs the rounding of the ramp.
    ink = binarize_ink(grey, block=51, offset=3)
    assert (ink == strokes).all()


def test_ties_with_the_local_mean_count_as_ink_by_default():
    # Why the tool's window must hold ink: on flat parchment every pixel
    # equals its mean. Real scans have texture, and the tool only uses ink
    # inside text lines and regions, whose ink pulls the mean down.
    flat = np.full((40, 40), 200, np.uint8)
    assert binarize_ink(flat, block=11).all()
    assert not binarize_ink(flat, block=11, offset=1).any()


def test_block_must_be_odd():
    with pytest.raises(ValueError, match='odd number >= 3, got 100'):
        binarize_ink(np.zeros((8, 8), np.uint8), block=100)

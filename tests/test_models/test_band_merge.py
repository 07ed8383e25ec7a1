"""Band-streaming merge: the bands are exactly the rows of the canvas."""
import itertools

import pytest
import torch

from mmseg_pixdiva.models.utils.band_merge import merge_in_bands
from mmseg_pixdiva.models.utils.sliding_window import (
    batched, finalize_canvas_, merge_windows_, new_canvas, window_counts,
    window_grid)


def fake_logits(channels, crop, seed=0):
    """Window logits that depend on the window's place (so a window merged
    at the wrong place, twice or not at all changes the result), with
    many ties in 'max'."""
    def logits_of(windows):
        out = []
        for window in windows:
            generator = torch.Generator().manual_seed(
                seed + 7919 * window.top + 104729 * window.left)
            values = torch.randint(-4, 5, (channels, ) + crop,
                                   generator=generator).float()
            out.append(values / 3)  # non-dyadic: sums round
        return torch.stack(out)
    return logits_of


def recording(logits_of, batches):
    """``logits_of`` that also appends each batch of windows it is given
    to ``batches``."""
    def spy(chunk):
        batches.append(list(chunk))
        return logits_of(chunk)
    return spy


def canvas_merge(height, width, channels, crop, stride, batch, merge):
    windows = window_grid(height, width, crop, stride)
    logits_of = fake_logits(channels, crop)
    canvas = new_canvas((channels, height, width), merge)
    for chunk in batched(windows, batch):
        merge_windows_(canvas, logits_of(chunk), chunk, merge)
    if merge == 'mean':
        finalize_canvas_(canvas, merge, window_counts(windows, height, width))
    return canvas


def band_merge(height, width, channels, crop, stride, batch, merge):
    windows = window_grid(height, width, crop, stride)
    return list(merge_in_bands(windows, height, width, channels,
                               fake_logits(channels, crop), batch, merge))


CASES = [
    # (height, width, crop, stride): odd sizes, strides that do not divide
    # the page, pages smaller than a window (one axis or both), stride ==
    # crop (no overlap), stride 1.
    (37, 29, (8, 6), (4, 3)),
    (50, 41, (9, 7), (5, 4)),
    (23, 30, (8, 8), (8, 8)),
    (5, 3, (8, 6), (4, 3)),
    (6, 40, (8, 6), (4, 3)),
    (40, 4, (8, 6), (4, 3)),
    (17, 13, (4, 4), (1, 1)),
    (8, 6, (8, 6), (4, 3)),
]


@pytest.mark.parametrize('merge', ['max', 'mean'])
@pytest.mark.parametrize('height,width,crop,stride', CASES)
@pytest.mark.parametrize('batch', [1, 3, 1000])
def test_bands_equal_the_canvas_bit_for_bit(height, width, crop, stride,
                                            batch, merge):
    channels = 3
    canvas = canvas_merge(height, width, channels, crop, stride, batch, merge)
    bands = band_merge(height, width, channels, crop, stride, batch, merge)
    tops = [top for top, _ in bands]
    assert tops[0] == 0 and tops == sorted(set(tops))
    streamed = torch.cat([band for _, band in bands], dim=1)
    assert streamed.shape == canvas.shape
    # Bit-for-bit, not allclose: same windows, same order, same division.
    assert torch.equal(streamed, canvas)
    for (top, band), (next_top, _) in zip(bands, bands[1:] + [(height, 0)]):
        assert band.shape[1] == next_top - top


def test_band_holds_about_one_window_not_the_page():
    height, width, crop, stride = 200, 30, (16, 16), (8, 8)
    windows = window_grid(height, width, crop, stride)
    batches = []
    spy = recording(fake_logits(2, crop), batches)
    bands = list(merge_in_bands(windows, height, width, 2, spy, 2))
    largest = [max(w.bottom for w in chunk) - min(w.top for w in chunk)
               for chunk in batches]
    # One window row per band: a band is one stride tall (the last one a
    # window), never the page.
    assert max(band.shape[1] for _, band in bands) <= crop[0]
    assert len(bands) == len({w.top for w in windows})
    # A batch may end one window row and start the next: the live rows
    # are then one window plus one stride.
    assert max(largest) <= crop[0] + stride[0]


def test_a_batch_spanning_rows_still_streams():
    # A batch larger than a window row (narrow page, GPU-sized batch).
    height, width, crop, stride = 40, 10, (8, 8), (4, 4)
    bands = band_merge(height, width, 2, crop, stride, 7, 'max')
    canvas = canvas_merge(height, width, 2, crop, stride, 7, 'max')
    assert len(bands) > 1
    assert torch.equal(torch.cat([b for _, b in bands], 1), canvas)


def test_unsorted_or_uncovering_windows_are_refused():
    windows = window_grid(20, 20, (8, 8), (4, 4))
    logits_of = fake_logits(1, (8, 8))
    with pytest.raises(ValueError, match='sorted'):
        list(merge_in_bands(windows[::-1], 20, 20, 1, logits_of, 2))
    with pytest.raises(ValueError, match='cover'):
        list(merge_in_bands(windows[:3], 20, 20, 1, logits_of, 2))


def test_every_window_is_run_once_in_the_canvas_batches():
    height, width, crop, stride = 33, 21, (8, 6), (5, 4)
    windows = window_grid(height, width, crop, stride)
    seen = []
    list(merge_in_bands(windows, height, width, 1,
                        recording(fake_logits(1, crop), seen), 4))
    assert seen == [list(chunk) for chunk in batched(windows, 4)]
    assert list(itertools.chain(*seen)) == windows

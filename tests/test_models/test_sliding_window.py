"""Pure window grid and in-place merge (no mmseg)."""
import itertools

import pytest
import torch

from mmseg_pixdiva.models.utils.sliding_window import (
    Window, default_stride, extract_windows, finalize_canvas_,
    merge_windows_, new_canvas, window_counts, window_grid, window_starts)


def mmseg_starts(length, crop, stride):
    """The grid of mmseg's EncoderDecoder.slide_inference, written out."""
    grids = max(length - crop + stride - 1, 0) // stride + 1
    starts = []
    for i in range(grids):
        end = min(i * stride + crop, length)
        starts.append(max(end - crop, 0))
    return starts


@pytest.mark.parametrize('length,crop,stride,expected', [
    (10, 4, 2, [0, 2, 4, 6]),
    (11, 4, 2, [0, 2, 4, 6, 7]),
    (4, 4, 2, [0]),
    (3, 4, 2, [0]),
    (5, 4, 4, [0, 1]),
    (9, 4, 3, [0, 3, 5]),
    (1, 1, 1, [0]),
])
def test_window_starts_values(length, crop, stride, expected):
    assert window_starts(length, crop, stride) == expected


def test_window_starts_cover_flush_and_match_mmseg():
    for length, crop in itertools.product(range(1, 40), range(1, 12)):
        for stride in range(1, crop + 1):
            starts = window_starts(length, crop, stride)
            assert starts[0] == 0
            assert len(set(starts)) == len(starts)
            assert all(b > a for a, b in zip(starts, starts[1:]))
            if length >= crop:
                assert starts == mmseg_starts(length, crop, stride)
                assert starts[-1] + crop == length  # flush with the border
                assert all(b - a <= stride for a, b in zip(starts, starts[1:]))
            else:
                assert starts == [0]


@pytest.mark.parametrize('args', [(0, 4, 2), (5, 0, 1), (5, 4, 0), (5, 4, 5)])
def test_window_starts_rejects_bad_sizes(args):
    with pytest.raises(ValueError):
        window_starts(*args)


def test_default_stride_is_half_the_crop():
    assert default_stride((128, 96)) == (64, 48)
    assert default_stride(5) == (2, 2)
    assert default_stride(1) == (1, 1)


def test_window_grid_row_major_and_clipped():
    grid = window_grid(5, 11, crop_size=(8, 4), stride=(4, 4))
    # Height 5 < crop 8: one row of windows sticking out of the page.
    assert grid == [Window(0, 0, 5, 4), Window(0, 4, 5, 8),
                    Window(0, 7, 5, 11)]
    grid = window_grid(6, 6, crop_size=4)  # default stride 2
    assert [(w.top, w.left) for w in grid] == [(0, 0), (0, 2), (2, 0),
                                               (2, 2)]


def test_window_grid_rejects_bad_config():
    with pytest.raises(ValueError, match='crop_size'):
        window_grid(10, 10, crop_size=(4, 0))
    with pytest.raises(ValueError, match='stride'):
        window_grid(10, 10, crop_size=4, stride=(1, 2, 3))
    with pytest.raises(ValueError, match='larger than the crop'):
        window_grid(10, 10, crop_size=4, stride=5)


def test_extract_windows_pads_only_small_pages():
    page = torch.arange(2 * 3 * 5, dtype=torch.float32).reshape(2, 3, 5)
    windows = window_grid(3, 5, crop_size=(4, 4), stride=(2, 2))
    assert windows == [Window(0, 0, 3, 4), Window(0, 1, 3, 5)]
    crops = extract_windows(page, windows, (4, 4), pad_value=-7.)
    assert crops.shape == (2, 2, 4, 4)
    torch.testing.assert_close(crops[0, :, :3, :], page[:, :, 0:4])
    torch.testing.assert_close(crops[1, :, :3, :], page[:, :, 1:5])
    assert (crops[:, :, 3, :] == -7.).all()


def test_merge_max_equals_elementwise_max_in_place():
    torch.manual_seed(0)
    height, width, crop = 13, 17, (6, 5)
    windows = window_grid(height, width, crop, stride=(3, 2))
    logits = torch.randn(len(windows), 4, *crop)
    canvas = new_canvas((4, height, width), 'max')
    pointer = canvas.data_ptr()
    for start in range(0, len(windows), 5):  # batches of 5
        merge_windows_(canvas, logits[start:start + 5],
                       windows[start:start + 5], 'max')
    assert canvas.data_ptr() == pointer
    reference = torch.full((4, height, width), float('-inf'))
    for window, logit in zip(windows, logits):
        region = reference[:, window.top:window.bottom,
                           window.left:window.right]
        region.copy_(torch.maximum(region, logit))
    assert torch.equal(canvas, reference)
    assert torch.isfinite(canvas).all()


def test_merge_mean_sums_and_divides_by_counts():
    torch.manual_seed(1)
    height, width, crop = 9, 10, (4, 4)
    windows = window_grid(height, width, crop)
    logits = torch.randn(len(windows), 3, *crop)
    canvas = new_canvas((3, height, width), 'mean')
    merge_windows_(canvas, logits, windows, 'mean')
    counts = window_counts(windows, height, width)
    finalize_canvas_(canvas, 'mean', counts)
    total = torch.zeros(3, height, width)
    count = torch.zeros(1, height, width)
    for window, logit in zip(windows, logits):
        total[:, window.top:window.bottom, window.left:window.right] += logit
        count[:, window.top:window.bottom, window.left:window.right] += 1
    assert torch.equal(counts, count)
    torch.testing.assert_close(canvas, total / count)


def test_merge_small_page_drops_the_padding():
    windows = window_grid(3, 2, crop_size=4)
    logits = torch.arange(16, dtype=torch.float32).reshape(1, 1, 4, 4)
    canvas = merge_windows_(new_canvas((1, 3, 2)), logits, windows)
    assert torch.equal(canvas[0], logits[0, 0, :3, :2])


def test_merge_rejects_mismatch_and_unknown_mode():
    windows = window_grid(4, 4, crop_size=4)
    with pytest.raises(ValueError, match='2 window logits for 1 windows'):
        merge_windows_(new_canvas((1, 4, 4)), torch.zeros(2, 1, 4, 4),
                       windows)
    with pytest.raises(ValueError, match='merge must be one of'):
        new_canvas((1, 4, 4), 'median')
    with pytest.raises(ValueError, match='needs the window counts'):
        finalize_canvas_(new_canvas((1, 4, 4), 'mean'), 'mean')


def test_merge_allocates_no_page_sized_temporary():
    """The merge touches canvas slices only: no allocation near the canvas
    size happens while merging (mmseg pads each window to the page)."""
    from torch.profiler import ProfilerActivity, profile
    height, width, crop = 512, 512, (64, 64)
    windows = window_grid(height, width, crop)
    logits = torch.randn(len(windows), 4, *crop)
    canvas = new_canvas((4, height, width), 'max')
    with profile(activities=[ProfilerActivity.CPU],
                 profile_memory=True) as prof:
        merge_windows_(canvas, logits, windows, 'max')
    largest = max((event.cpu_memory_usage for event in prof.events()),
                  default=0)
    assert largest < canvas.numel() * 4 // 16

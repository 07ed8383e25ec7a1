"""benchmarks/stream_page_profile.py: the other max merges it times give
today's canvas exactly, so a GPU run compares like with like."""
import sys
from pathlib import Path

import pytest
import torch

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / 'benchmarks'))

import stream_page_profile  # noqa: E402

from mmseg_pixdiva.models.utils.sliding_window import (  # noqa: E402
    batched, merge_windows_, new_canvas, window_grid)


@pytest.mark.parametrize('height, width, crop, stride, batch', [
    (61, 97, 16, 8, 7),     # strides that do not divide the page
    (64, 64, 16, 8, 5),     # windows side by side in chains
    (40, 90, 12, 5, 64),    # stride not half the crop: no chains
])
def test_merges_equal_the_loop(height, width, crop, stride, batch):
    windows = window_grid(height, width, crop, stride)
    generator = torch.Generator().manual_seed(0)
    logits = torch.randn(len(windows), 3, crop, crop, generator=generator)
    canvases = []
    for merge in (merge_windows_, stream_page_profile.merge_index_reduce_,
                  stream_page_profile.merge_strips_):
        canvas = new_canvas((3, height, width))
        start = 0
        for part in batched(windows, batch):
            merge(canvas, logits[start:start + len(part)], part)
            start += len(part)
        canvases.append(canvas)
    assert torch.isfinite(canvases[0]).all()
    assert all(torch.equal(canvases[0], c) for c in canvases[1:])


def test_strips_are_chains_of_adjacent_windows(monkeypatch):
    windows = window_grid(16, 64, 16, 8)  # one row: lefts 0, 8, ..., 48
    calls = []
    real = torch.maximum
    monkeypatch.setattr(torch, 'maximum',
                        lambda *a, **k: calls.append(a[1].shape) or
                        real(*a, **k))
    canvas = new_canvas((2, 16, 64))
    stream_page_profile.merge_strips_(canvas, torch.zeros(7, 2, 16, 16),
                                      windows)
    # Lefts 0, 16, 32, 48 and 8, 24, 40: two chains, two maxima.
    assert sorted(calls) == [(2, 16, 48), (2, 16, 64)]

"""Band-streaming merge of window logits (pure torch).

:mod:`.sliding_window` merges every window into one float32 canvas of the
whole page (``C x H x W``: about 1 GB for a 4872x6496 page of 8 classes,
13 GB for a 20000x20000 map). But windows come row by row, and once every
window that covers a pixel row has been merged that row is final: no later
window can change it. :func:`merge_in_bands` keeps only the rows that a
window still to come can touch (about one window height plus the stride),
and hands each finished band to the caller, top to bottom. Peak memory then
no longer grows with the page's height.

The arithmetic is the canvas' own: each pixel sees the same windows in the
same order, merged with :func:`~.sliding_window.merge_windows_` and divided
by the same counts for ``'mean'``, so the bands are bit-for-bit the rows of
the canvas (``tests/test_models/test_band_merge.py`` checks it).

No mmseg, no registry: the segmentor's streaming inference
(:meth:`~mmseg_pixdiva.models.segmentors.MaxSlideEncoderDecoder.stream_page`)
is a thin loop over this.
"""
from bisect import bisect_left
from typing import Callable, Iterator, List, Optional, Sequence, Tuple, Union

import torch
from torch import Tensor

from .sliding_window import (Window, batched, check_merge, finalize_canvas_,
                             merge_windows_, new_canvas, window_counts)

#: ``logits_of(windows)`` -> ``B x C x h x w`` logits of a batch of windows.
WindowLogits = Callable[[Sequence[Window]], Tensor]


def _shifted(windows: Sequence[Window], rows: int,
             height: Optional[int] = None) -> List[Window]:
    """The windows moved ``rows`` up (into band coordinates), clipped to
    a band of ``height`` rows if given."""
    if height is None:
        return [Window(w.top - rows, w.left, w.bottom - rows, w.right)
                for w in windows]
    return [Window(max(w.top - rows, 0), w.left, min(w.bottom - rows, height),
                   w.right) for w in windows]


def merge_in_bands(windows: Sequence[Window],
                   height: int,
                   width: int,
                   channels: int,
                   logits_of: WindowLogits,
                   batch_size: int,
                   merge: str = 'max',
                   device: Union[str, torch.device, None] = None
                   ) -> Iterator[Tuple[int, Tensor]]:
    """Merge the windows of one page, yielding finished bands of rows.

    Windows are run in the batches of :func:`~.sliding_window.batched` (the
    same batches as the canvas merge, so a model sees the same inputs).
    After each batch, the rows above the next window's top are final and
    are yielded. The bands cover ``0..height`` in order, without gaps.

    Args:
        windows (Sequence[Window]): The grid of
            :func:`~.sliding_window.window_grid`, sorted by top (its order).
        height (int): Page height.
        width (int): Page width.
        channels (int): Logit channels ``C``.
        logits_of (WindowLogits): Runs the model on a batch of windows.
        batch_size (int): Windows per call of ``logits_of``.
        merge (str): ``'max'`` or ``'mean'``.
        device: Where the band lives.

    Yields:
        tuple[int, Tensor]: ``(top, band)``: the band's first page row and
        its ``C x rows x W`` float32 merged logits (the mean already
        divided). The tensor is the caller's; it is not reused.

    Raises:
        ValueError: If the windows are not sorted by top, or leave rows of
            the page uncovered.
    """
    check_merge(merge)
    tops = [window.top for window in windows]
    if tops != sorted(tops):
        raise ValueError('windows must be sorted by their top row')
    if not windows or tops[0] != 0 or \
            max(window.bottom for window in windows) < height:
        raise ValueError(f'the windows do not cover all {height} rows')
    tallest = max(window.height for window in windows)
    band_top = 0
    band = new_canvas((channels, 0, width), merge, device)
    done = 0  # windows merged so far
    for batch in batched(windows, batch_size):
        bottom = max(window.bottom for window in batch)
        missing = bottom - band_top - band.shape[1]
        if missing > 0:
            band = torch.cat(
                [band, new_canvas((channels, missing, width), merge, device)],
                dim=1)
        merge_windows_(band, logits_of(batch), _shifted(batch, band_top),
                       merge)
        done += len(batch)
        final = windows[done].top if done < len(windows) else height
        if final <= band_top:
            continue
        rows = final - band_top
        finished, band = band[:, :rows], band[:, rows:].clone()
        if merge == 'mean':
            # The counts of these rows, from every window (all merged now).
            first = bisect_left(tops, band_top - tallest + 1)
            covering = [w for w in windows[first:bisect_left(tops, final)]
                        if w.bottom > band_top]
            counts = window_counts(_shifted(covering, band_top, rows), rows,
                                   width, device)
            finalize_canvas_(finished, merge, counts)
        yield band_top, finished
        band_top = final

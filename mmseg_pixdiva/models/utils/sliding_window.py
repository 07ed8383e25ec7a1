"""Sliding-window grid and in-place merging of window logits (pure torch).

DeepDIVA segments a whole page with windows of the training crop size and
keeps, for every pixel and class, the **maximum** raw activation over the
windows that cover it. mmseg's ``slide_inference`` averages instead and pads
every window to the page size before adding it. The functions here hold the
arithmetic of both merges without any full-size temporary:

* :func:`window_starts` / :func:`window_grid` place windows exactly as mmseg
  does (start every ``stride``, the last one flush with the border), and
  also handle pages smaller than the crop (one window on a padded page);
* :func:`extract_windows` cuts a batch of windows out of a page, padding only
  the windows that stick out of a small page;
* :func:`merge_windows_` merges a batch of window logits into a preallocated
  float32 canvas in place (``max``: :func:`torch.maximum` on the canvas
  slice; ``mean``: sums, divided by a count map in :func:`finalize_canvas_`).

No mmseg, no registry: the segmentor
(:class:`~mmseg_pixdiva.models.segmentors.MaxSlideEncoderDecoder`) is a thin
loop over these.
"""
from typing import Iterator, List, NamedTuple, Optional, Sequence, Tuple, Union

import torch
import torch.nn.functional as F
from torch import Tensor

#: Supported ways of merging overlapping windows.
MERGE_MODES = ('max', 'mean')

IntPair = Union[int, Sequence[int]]


class Window(NamedTuple):
    """One window of the grid, in page coordinates.

    ``top:bottom`` x ``left:right`` is the part of the window that lies on
    the page. It is the full crop except on a page smaller than the crop,
    where the window extends below/right of the page into padding.
    """
    top: int
    left: int
    bottom: int
    right: int

    @property
    def height(self) -> int:
        """Rows of the window that lie on the page."""
        return self.bottom - self.top

    @property
    def width(self) -> int:
        """Columns of the window that lie on the page."""
        return self.right - self.left


def to_pair(value: IntPair, name: str = 'value') -> Tuple[int, int]:
    """``(h, w)`` from an int or a 2-sequence, checked to be positive.

    Args:
        value (int | Sequence[int]): One size for both axes or ``(h, w)``.
        name (str): Named in the error message.

    Returns:
        tuple[int, int]: ``(h, w)``.

    Raises:
        ValueError: If not one or two positive integers.
    """
    pair = (value, value) if isinstance(value, int) else tuple(value)
    if len(pair) != 2 or any(int(v) != v or v < 1 for v in pair):
        raise ValueError(f'{name} must be a positive int or a pair of '
                         f'positive ints (h, w), got {value!r}')
    return int(pair[0]), int(pair[1])


def default_stride(crop_size: IntPair) -> Tuple[int, int]:
    """Half the crop (50% overlap, DeepDIVA's default), at least 1.

    Args:
        crop_size (int | Sequence[int]): ``(h, w)`` of the window.

    Returns:
        tuple[int, int]: ``(sh, sw)``.
    """
    h, w = to_pair(crop_size, 'crop_size')
    return max(h // 2, 1), max(w // 2, 1)


def window_starts(length: int, crop: int, stride: int) -> List[int]:
    """Start offsets of the windows along one axis.

    Windows start every ``stride`` pixels and the last one is flush with the
    border, so every pixel is covered and no window leaves the page (mmseg's
    own grid). A page not longer than the crop gets one window at 0.

    Args:
        length (int): Page size along the axis (> 0).
        crop (int): Window size along the axis.
        stride (int): Step between windows, ``1 <= stride <= crop``.

    Returns:
        list[int]: Increasing start offsets, no duplicates.

    Raises:
        ValueError: On a non-positive size, or a stride larger than the crop
            (pixels between the windows would not be covered).
    """
    if length < 1 or crop < 1 or stride < 1:
        raise ValueError(f'length, crop and stride must be positive, got '
                         f'{length}, {crop}, {stride}')
    if stride > crop:
        raise ValueError(f'stride {stride} is larger than the crop {crop}: '
                         'pixels between the windows would not be covered')
    if length <= crop:
        return [0]
    count = -(-(length - crop) // stride) + 1  # ceil division
    return [min(i * stride, length - crop) for i in range(count)]


def window_grid(height: int,
                width: int,
                crop_size: IntPair,
                stride: Optional[IntPair] = None) -> List[Window]:
    """All windows over an ``height x width`` page, row by row.

    The order (top to bottom, then left to right) is mmseg's, so averaging
    in this order reproduces mmseg's sums exactly.

    Args:
        height (int): Page height.
        width (int): Page width.
        crop_size (int | Sequence[int]): ``(h, w)`` of a window.
        stride (int | Sequence[int], optional): ``(sh, sw)``; defaults to
            half the crop.

    Returns:
        list[Window]: The windows, clipped to the page.
    """
    crop_h, crop_w = to_pair(crop_size, 'crop_size')
    stride_h, stride_w = default_stride(crop_size) if stride is None \
        else to_pair(stride, 'stride')
    tops = window_starts(height, crop_h, stride_h)
    lefts = window_starts(width, crop_w, stride_w)
    return [
        Window(top, left, min(top + crop_h, height), min(left + crop_w, width))
        for top in tops for left in lefts
    ]


def batched(windows: Sequence[Window],
            batch_size: int) -> Iterator[Sequence[Window]]:
    """Consecutive batches of at most ``batch_size`` windows."""
    if batch_size < 1:
        raise ValueError(f'batch size must be >= 1, got {batch_size}')
    for start in range(0, len(windows), batch_size):
        yield windows[start:start + batch_size]


def extract_windows(page: Tensor,
                    windows: Sequence[Window],
                    crop_size: IntPair,
                    pad_value: float = 0.) -> Tensor:
    """Stack the windows of one page into a batch.

    Args:
        page (Tensor): ``C x H x W`` page (already normalised).
        windows (Sequence[Window]): Windows of :func:`window_grid`.
        crop_size (int | Sequence[int]): ``(h, w)`` of a window.
        pad_value (float): Fills the part of a window beyond a page smaller
            than the crop (0 is the mean colour after normalisation).

    Returns:
        Tensor: ``B x C x h x w``.
    """
    crop_h, crop_w = to_pair(crop_size, 'crop_size')
    crops = []
    for window in windows:
        crop = page[:, window.top:window.bottom, window.left:window.right]
        if window.height != crop_h or window.width != crop_w:
            # Only on a page smaller than the crop: pad bottom/right.
            crop = F.pad(crop, (0, crop_w - window.width, 0,
                                crop_h - window.height), value=pad_value)
        crops.append(crop)
    return torch.stack(crops)


def new_canvas(shape: Sequence[int],
               merge: str = 'max',
               device: Union[str, torch.device, None] = None) -> Tensor:
    """A float32 canvas ready for :func:`merge_windows_`.

    Args:
        shape (Sequence[int]): e.g. ``(C, H, W)`` or ``(N, C, H, W)``.
        merge (str): ``'max'`` starts at ``-inf`` (any logit wins);
            ``'mean'`` starts at 0 (a sum).
        device: Where to allocate it.

    Returns:
        Tensor: The canvas.
    """
    check_merge(merge)
    fill = float('-inf') if merge == 'max' else 0.
    return torch.full(tuple(shape), fill, dtype=torch.float32, device=device)


def window_counts(windows: Sequence[Window],
                  height: int,
                  width: int,
                  device: Union[str, torch.device, None] = None) -> Tensor:
    """How many windows cover each pixel (``1 x H x W`` float32).

    Args:
        windows (Sequence[Window]): The grid.
        height (int): Page height.
        width (int): Page width.
        device: Where to allocate it.

    Returns:
        Tensor: The count map, same dtype as the canvas so that the mean is
        the same division mmseg does.
    """
    counts = torch.zeros((1, height, width), dtype=torch.float32,
                         device=device)
    for window in windows:
        counts[:, window.top:window.bottom, window.left:window.right] += 1
    return counts


def check_merge(merge: str) -> None:
    """Raise a clear error for an unknown merge mode."""
    if merge not in MERGE_MODES:
        raise ValueError(f'merge must be one of {MERGE_MODES}, got {merge!r}')


def merge_windows_(canvas: Tensor,
                   logits: Tensor,
                   windows: Sequence[Window],
                   merge: str = 'max') -> Tensor:
    """Merge a batch of window logits into ``canvas`` in place.

    Only the canvas slice under each window is touched, so no full-size
    temporary is made (mmseg pads every window to the page size).

    Args:
        canvas (Tensor): ``C x H x W`` float32 from :func:`new_canvas`.
        logits (Tensor): ``B x C x h x w`` logits of the windows, on the
            canvas' device.
        windows (Sequence[Window]): The ``B`` windows, in the same order.
        merge (str): ``'max'`` keeps the element-wise maximum; ``'mean'``
            adds (divide with :func:`finalize_canvas_`).

    Returns:
        Tensor: ``canvas``.
    """
    check_merge(merge)
    if logits.shape[0] != len(windows):
        raise ValueError(f'{logits.shape[0]} window logits for '
                         f'{len(windows)} windows')
    for window, window_logits in zip(windows, logits):
        # Drop what lies on the padding of a page smaller than the crop.
        window_logits = window_logits[:, :window.height, :window.width]
        target = canvas[:, window.top:window.bottom, window.left:window.right]
        if merge == 'max':
            torch.maximum(target, window_logits, out=target)
        else:
            target += window_logits
    return canvas


def finalize_canvas_(canvas: Tensor,
                     merge: str = 'max',
                     counts: Optional[Tensor] = None) -> Tensor:
    """Finish a merged canvas in place (``mean``: divide by the counts).

    Args:
        canvas (Tensor): ``C x H x W`` (or ``N x C x H x W``) canvas.
        merge (str): The merge mode the canvas was filled with.
        counts (Tensor, optional): ``1 x H x W`` from
            :func:`window_counts`; required for ``'mean'``.

    Returns:
        Tensor: ``canvas``.
    """
    check_merge(merge)
    if merge == 'mean':
        if counts is None:
            raise ValueError("merge='mean' needs the window counts")
        canvas /= counts
    return canvas

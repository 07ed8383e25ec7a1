"""The DIVA Layout Analysis Evaluator, re-implemented in pure numpy.

Exact semantics of the official Java tool
(https://github.com/DIVA-DIA/DIVA_Layout_Analysis_Evaluator, commit 87a11ed):

* bit ``c`` of the blue channel is class ``c``; the number of classes ``L``
  is the bit length of the largest GT blue value; prediction bits ``>= L``
  are ignored; every pixel counts one-vs-rest TP/FP/FN/TN for every class
  (multi-label);
* boundary pixels (GT red bit 7): background joins the GT label set ``G``;
  if ``G`` and the predicted set ``P`` then share a class, ``P |= G``;
* IU, precision, recall, F1 per class with ``0/0 = NaN``; means skip NaN
  classes; frequency-weighted means are ``sum(v*f)/sum(f)`` over non-NaN
  classes; background is a class like any other.

Design: every pixel is reduced to a 17-bit code ``(boundary, pred blue, GT
blue)`` and the codes are counted (:class:`LayoutHistogram`). Every number of
the evaluator follows exactly from that histogram, so pages pool by adding
histograms, the full-resolution images are touched only once, and the count
runs in row chunks (low memory) on several threads (numpy releases the GIL).

This module imports numpy and the package's label encoding only (no torch,
mmseg or cv2): the evaluator CLI starts in a fraction of a second.
"""
import math
from concurrent.futures import ThreadPoolExecutor
from decimal import ROUND_HALF_UP, Decimal
from typing import (Callable, Dict, Iterable, List, Optional, Sequence,
                    Tuple)

import numpy as np

# encoding is numpy-only too, so the CLI stays fast.
from ..core.encoding import BOUNDARY_RED_BIT

#: Summary keys, in the order the Java evaluator prints them.
SCORE_KEYS: Tuple[str, ...] = (
    'exact_match', 'hamming_score', 'mean_iu', 'fw_iu', 'mean_f1',
    'mean_precision', 'mean_recall', 'fw_f1', 'fw_precision', 'fw_recall')

#: Per-class keys (lists indexed by bit/class).
PER_CLASS_KEYS: Tuple[str, ...] = ('iu', 'precision', 'recall', 'f1', 'freq')

#: Histogram axes: (boundary flag, prediction blue, GT blue).
HISTOGRAM_SHAPE = (2, 256, 256)
# The boundary bit is red's top bit, so shifting it down leaves exactly the
# 0/1 flag of the histogram's first axis.
_BOUNDARY_SHIFT = BOUNDARY_RED_BIT.bit_length() - 1
_NUM_CODES = 2 * 256 * 256

#: Error-visualisation colours of the evaluator (RGB).
VIS_WHITE = (255, 255, 255)  # prediction holds background AND another class
VIS_BLACK = (0, 0, 0)  # correct background (or boundary predicted as bg)
VIS_RED = (255, 0, 0)  # GT background, prediction something else
VIS_CYAN = (0, 255, 255)  # GT foreground predicted as background
VIS_GREEN = (0, 127, 0)  # exact match of the foreground classes
VIS_YELLOW = (255, 255, 0)  # any other mismatch

# Threads over row chunks by default. Measured on a CB55 page: 1 thread
# counts in ~0.08 s and 2 threads are no faster, because np.bincount holds
# the GIL; the second core is better spent decoding the other PNG (see
# layout_io.read_label_pair).
DEFAULT_THREADS = 1

# About 1M pixels per chunk: a few MB of temporaries per thread.
_PIXELS_PER_CHUNK = 1 << 20


class LayoutHistogram:
    """Joint pixel counts of (boundary flag, prediction blue, GT blue).

    ``counts[b, p, g]`` is the number of pixels with boundary flag ``b``
    (GT red bit 7), prediction blue value ``p`` and GT blue value ``g``.
    Full 8-bit values are kept, so histograms of pages with different
    numbers of classes can be added and scored together.

    Args:
        counts (np.ndarray, optional): ``(2, 256, 256)`` integer counts;
            zeros if omitted.
    """

    def __init__(self, counts: Optional[np.ndarray] = None) -> None:
        if counts is None:
            counts = np.zeros(HISTOGRAM_SHAPE, dtype=np.int64)
        counts = np.asarray(counts)
        if counts.shape != HISTOGRAM_SHAPE:
            raise ValueError(f'histogram counts must have shape '
                             f'{HISTOGRAM_SHAPE}, got {counts.shape}')
        self.counts = counts.astype(np.int64, copy=False)

    def __add__(self, other: 'LayoutHistogram') -> 'LayoutHistogram':
        return LayoutHistogram(self.counts + other.counts)

    def __iadd__(self, other: 'LayoutHistogram') -> 'LayoutHistogram':
        self.counts = self.counts + other.counts
        return self

    def __eq__(self, other: object) -> bool:
        return isinstance(other, LayoutHistogram) and bool(
            np.array_equal(self.counts, other.counts))

    def __repr__(self) -> str:
        return (f'LayoutHistogram(num_pixels={self.num_pixels}, '
                f'num_classes={self.num_classes})')

    @property
    def num_pixels(self) -> int:
        """Number of pixels counted."""
        return int(self.counts.sum())

    @property
    def max_gt_blue(self) -> int:
        """Largest GT blue value present (0 if none)."""
        present = np.nonzero(self.counts.sum(axis=(0, 1)))[0]
        return int(present[-1]) if present.size else 0

    @property
    def num_classes(self) -> int:
        """Number of classes ``L`` as the evaluator derives it from the GT:
        the bit length of the largest GT blue value."""
        return self.max_gt_blue.bit_length()

    def to_sparse(self) -> List[List[int]]:
        """Non-zero entries as ``[boundary, pred_blue, gt_blue, count]``
        lists (compact and JSON/pickle friendly)."""
        index = np.nonzero(self.counts)
        values = self.counts[index]
        return [[int(b), int(p), int(g), int(n)]
                for b, p, g, n in zip(*index, values)]

    @classmethod
    def from_sparse(cls,
                    entries: Iterable[Sequence[int]]) -> 'LayoutHistogram':
        """Inverse of :meth:`to_sparse`."""
        counts = np.zeros(HISTOGRAM_SHAPE, dtype=np.int64)
        for b, p, g, n in entries:
            counts[int(b), int(p), int(g)] += int(n)
        return cls(counts)

    @classmethod
    def sum(cls,
            histograms: Iterable['LayoutHistogram']) -> 'LayoutHistogram':
        """Pool several histograms (e.g. the pages of a data set)."""
        counts = np.zeros(HISTOGRAM_SHAPE, dtype=np.int64)
        for hist in histograms:
            counts += hist.counts
        return cls(counts)


# --------------------------------------------------------------------------
# Counting
# --------------------------------------------------------------------------
def _label_planes(gt_rgb: np.ndarray, pred: np.ndarray
                  ) -> Tuple[np.ndarray, Optional[np.ndarray], np.ndarray]:
    """Views of GT blue, GT red (``None`` for a grey GT) and prediction blue.

    A 2-D array is a grey image whose value is the blue value (no boundary
    flag); a 3-D array is RGB (a 4th channel, alpha, is ignored).
    """
    for name, array in (('GT', gt_rgb), ('prediction', pred)):
        if not isinstance(array, np.ndarray) or array.dtype != np.uint8:
            raise TypeError(f'{name} must be a uint8 numpy array, got '
                            f'{getattr(array, "dtype", type(array))}')
        if array.ndim not in (2, 3) or (array.ndim == 3
                                        and array.shape[2] < 3):
            raise ValueError(f'{name} must be HxW or HxWx3 (RGB), got shape '
                             f'{array.shape}')
    if gt_rgb.shape[:2] != pred.shape[:2]:
        raise ValueError(f'prediction size {pred.shape[1]}x{pred.shape[0]} '
                         f'differs from GT size '
                         f'{gt_rgb.shape[1]}x{gt_rgb.shape[0]} (WxH)')
    if gt_rgb.ndim == 3:
        gt_blue, gt_red = gt_rgb[..., 2], gt_rgb[..., 0]
    else:
        gt_blue, gt_red = gt_rgb, None
    pred_blue = pred[..., 2] if pred.ndim == 3 else pred
    return gt_blue, gt_red, pred_blue


def _row_chunks(height: int, width: int,
                rows_per_chunk: Optional[int]) -> List[Tuple[int, int]]:
    rows = rows_per_chunk or max(1, _PIXELS_PER_CHUNK // max(1, width))
    return [(r, min(r + rows, height)) for r in range(0, height, rows)]


def _resolve_threads(num_threads: Optional[int], num_chunks: int) -> int:
    if num_threads is None:
        num_threads = DEFAULT_THREADS
    return max(1, min(int(num_threads), num_chunks))


class _CodeBuffer:
    """Reusable int64 buffer holding the 17-bit pixel codes of a chunk.

    The code ``gt_blue | pred_blue << 8 | boundary << 16`` is assembled by
    writing bytes 0, 1 and 2 of little-endian int64 words: three strided
    byte copies instead of widening arithmetic, and ``np.bincount`` /
    ``np.take`` consume int64 (``intp``) without another conversion.
    """

    def __init__(self, max_rows: int, width: int) -> None:
        self.width = width
        self.words = np.zeros(max_rows * width, dtype='<i8')
        self.bytes = self.words.view(np.uint8).reshape(max_rows, width, 8)

    def fill(self, gt_blue: np.ndarray, gt_red: Optional[np.ndarray],
             pred_blue: np.ndarray) -> np.ndarray:
        rows = gt_blue.shape[0]
        view = self.bytes[:rows]
        view[..., 0] = gt_blue
        view[..., 1] = pred_blue
        if gt_red is not None:
            np.right_shift(gt_red, _BOUNDARY_SHIFT, out=view[..., 2])
        return self.words[:rows * self.width]


def _run_chunks(task, chunks: List[Tuple[int, int]], num_threads: int):
    """Run ``task(list_of_chunks)`` on ``num_threads`` interleaved shares."""
    if num_threads == 1:
        return [task(chunks)]
    shares = [chunks[i::num_threads] for i in range(num_threads)]
    with ThreadPoolExecutor(max_workers=num_threads) as pool:
        return list(pool.map(task, shares))


def layout_histogram(gt_rgb: np.ndarray,
                     pred: np.ndarray,
                     num_threads: Optional[int] = None,
                     rows_per_chunk: Optional[int] = None) -> LayoutHistogram:
    """Count the (boundary, prediction blue, GT blue) codes of a page.

    Args:
        gt_rgb (np.ndarray): GT, ``HxWx3`` uint8 RGB (blue = class bits,
            red bit 7 = boundary); an ``HxW`` array is read as blue values
            without boundary.
        pred (np.ndarray): Prediction, ``HxWx3`` uint8 RGB or ``HxW`` uint8
            blue values (only blue is used, as by the Java tool).
        num_threads (int, optional): Threads over row chunks; default
            :data:`DEFAULT_THREADS`.
        rows_per_chunk (int, optional): Rows per chunk; default about 1M
            pixels per chunk.

    Returns:
        LayoutHistogram: The page's joint counts.
    """
    gt_blue, gt_red, pred_blue = _label_planes(gt_rgb, pred)
    height, width = gt_blue.shape
    chunks = _row_chunks(height, width, rows_per_chunk)
    if not chunks:
        return LayoutHistogram()
    threads = _resolve_threads(num_threads, len(chunks))
    max_rows = max(r1 - r0 for r0, r1 in chunks)

    def count(share: List[Tuple[int, int]]) -> np.ndarray:
        buffer = _CodeBuffer(max_rows, width)
        total = np.zeros(_NUM_CODES, dtype=np.int64)
        for r0, r1 in share:
            codes = buffer.fill(gt_blue[r0:r1],
                                None if gt_red is None else gt_red[r0:r1],
                                pred_blue[r0:r1])
            total += np.bincount(codes, minlength=_NUM_CODES)
        return total

    counts = sum(_run_chunks(count, chunks, threads))
    return LayoutHistogram(counts.reshape(HISTOGRAM_SHAPE))


# --------------------------------------------------------------------------
# Scores
# --------------------------------------------------------------------------
def _resolve_num_classes(hist: LayoutHistogram,
                         num_classes: Optional[int]) -> int:
    if num_classes is None:
        num_classes = hist.num_classes
    if not 1 <= num_classes <= 8:
        raise ValueError(
            'the GT holds no class: every GT blue value is 0, so the '
            'evaluator finds 0 classes' if num_classes == 0 else
            f'num_classes must be in 1..8, got {num_classes}')
    return num_classes


def _label_sets(hist: LayoutHistogram, num_classes: int
                ) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    """GT and predicted label sets after the boundary rule, with counts,
    for every non-empty histogram cell (a few dozen on real pages)."""
    boundary, pred_blue, gt_blue = np.nonzero(hist.counts)
    counts = hist.counts[boundary, pred_blue, gt_blue]
    mask = (1 << num_classes) - 1
    gt_set = gt_blue & mask
    pred_set = pred_blue & mask
    on_boundary = boundary == 1
    # Boundary rule: background joins G; if G and P overlap, P |= G.
    gt_set = np.where(on_boundary, gt_set | 1, gt_set)
    overlap = on_boundary & ((gt_set & pred_set) != 0)
    pred_set = np.where(overlap, pred_set | gt_set, pred_set)
    return gt_set, pred_set, counts


def _divide(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    """Element-wise division with 0/0 -> NaN, without warnings."""
    numerator = numerator.astype(np.float64)
    denominator = denominator.astype(np.float64)
    out = np.full(numerator.shape, np.nan)
    np.divide(numerator, denominator, out=out, where=denominator != 0)
    return out


def _mean(values: np.ndarray) -> float:
    valid = ~np.isnan(values)
    return float(values[valid].sum() / valid.sum()) if valid.any() \
        else math.nan


def _weighted_mean(values: np.ndarray, weights: np.ndarray) -> float:
    valid = ~np.isnan(values) & ~np.isnan(weights)
    total = weights[valid].sum()
    return float((values[valid] * weights[valid]).sum() / total) \
        if valid.any() and total != 0 else math.nan


def class_counts(hist: LayoutHistogram,
                 num_classes: Optional[int] = None) -> Dict[str, object]:
    """Per-class TP/FP/FN/TN and the exact-match / Hamming counts.

    Args:
        hist (LayoutHistogram): Counts of one page or of pooled pages.
        num_classes (int, optional): ``L``; default from the GT in ``hist``.

    Returns:
        dict: ``tp``, ``fp``, ``fn``, ``tn`` (int64 arrays of length ``L``),
        ``num_pixels``, ``exact_matches`` (pixels whose ``L`` bits all agree)
        and ``differing_bits`` (sum over pixels of differing bits), all
        after the boundary rule, plus ``num_classes``.
    """
    num_classes = _resolve_num_classes(hist, num_classes)
    gt_set, pred_set, counts = _label_sets(hist, num_classes)
    bits = np.arange(num_classes)
    gt_bits = (gt_set[:, None] >> bits) & 1
    pred_bits = (pred_set[:, None] >> bits) & 1
    weights = counts[:, None]
    tp = (weights * (gt_bits & pred_bits)).sum(axis=0)
    fp = (weights * (pred_bits & (1 - gt_bits))).sum(axis=0)
    fn = (weights * (gt_bits & (1 - pred_bits))).sum(axis=0)
    num_pixels = int(counts.sum())
    differing = np.array([bin(int(v)).count('1')
                          for v in (gt_set ^ pred_set)], dtype=np.int64)
    return dict(
        num_classes=num_classes,
        num_pixels=num_pixels,
        tp=tp.astype(np.int64),
        fp=fp.astype(np.int64),
        fn=fn.astype(np.int64),
        tn=(num_pixels - tp - fp - fn).astype(np.int64),
        exact_matches=int(counts[gt_set == pred_set].sum()),
        differing_bits=int((counts * differing).sum()))


def layout_scores(hist: LayoutHistogram,
                  num_classes: Optional[int] = None) -> Dict[str, object]:
    """All results of the evaluator from a histogram.

    Args:
        hist (LayoutHistogram): Counts of one page, or the sum of several
            pages (pooled scores: as if the pages were one image).
        num_classes (int, optional): ``L``; default the bit length of the
            largest GT blue value in ``hist`` (for pooled pages: the
            largest over all pages).

    Returns:
        dict: the keys of :data:`SCORE_KEYS` (floats, ``nan`` where the
        evaluator has NaN), ``per_class`` (dict of :data:`PER_CLASS_KEYS`
        to lists of floats indexed by class bit), ``num_classes`` and
        ``num_pixels``.
    """
    counts = class_counts(hist, num_classes)
    tp, fp, fn = counts['tp'], counts['fp'], counts['fn']
    num_classes = counts['num_classes']
    num_pixels = counts['num_pixels']
    iu = _divide(tp, tp + fp + fn)
    precision = _divide(tp, tp + fp)
    recall = _divide(tp, tp + fn)
    f1 = _divide(2 * tp, 2 * tp + fp + fn)
    freq = _divide(tp + fn, np.full_like(tp, (tp + fn).sum()))
    scores: Dict[str, object] = {
        'exact_match': counts['exact_matches'] / num_pixels
        if num_pixels else math.nan,
        'hamming_score': 1.0 - counts['differing_bits'] /
        (num_pixels * num_classes) if num_pixels else math.nan,
        'mean_iu': _mean(iu),
        'fw_iu': _weighted_mean(iu, freq),
        'mean_f1': _mean(f1),
        'mean_precision': _mean(precision),
        'mean_recall': _mean(recall),
        'fw_f1': _weighted_mean(f1, freq),
        'fw_precision': _weighted_mean(precision, freq),
        'fw_recall': _weighted_mean(recall, freq),
    }
    scores['per_class'] = {
        'iu': iu.tolist(),
        'precision': precision.tolist(),
        'recall': recall.tolist(),
        'f1': f1.tolist(),
        'freq': freq.tolist(),
    }
    scores['num_classes'] = num_classes
    scores['num_pixels'] = num_pixels
    return scores


def evaluate_layout(gt_rgb: np.ndarray,
                    pred: np.ndarray,
                    num_threads: Optional[int] = None) -> Dict[str, object]:
    """Score one page like the Java evaluator.

    Args:
        gt_rgb (np.ndarray): ``HxWx3`` uint8 RGB GT.
        pred (np.ndarray): ``HxWx3`` uint8 RGB prediction (or ``HxW`` blue
            values).
        num_threads (int, optional): See :func:`layout_histogram`.

    Returns:
        dict: See :func:`layout_scores`.
    """
    return layout_scores(layout_histogram(gt_rgb, pred, num_threads))


def mean_of_page_scores(
        page_scores: Sequence[Dict[str, object]]) -> Dict[str, object]:
    """Average per-page scores (each key over the pages where it is not
    NaN; per-class lists by class index, pages with fewer classes simply
    do not contribute to the missing classes).

    Args:
        page_scores: Results of :func:`layout_scores`, one per page.

    Returns:
        dict: Same keys as :func:`layout_scores` (without ``num_pixels``;
        ``num_pages`` instead).
    """
    result: Dict[str, object] = {
        key: _mean(np.array([float(s[key]) for s in page_scores]))
        for key in SCORE_KEYS
    }
    num_classes = max((int(s['num_classes']) for s in page_scores),
                      default=0)
    per_class = {}
    for key in PER_CLASS_KEYS:
        table = np.full((len(page_scores), num_classes), np.nan)
        for row, scores in enumerate(page_scores):
            values = scores['per_class'][key]
            table[row, :len(values)] = values
        per_class[key] = [_mean(table[:, c]) for c in range(num_classes)]
    result['per_class'] = per_class
    result['num_classes'] = num_classes
    result['num_pages'] = len(page_scores)
    return result


# --------------------------------------------------------------------------
# Error visualisation
# --------------------------------------------------------------------------
#: Palette of the error visualisation (RGB), indexed by the values of
#: :func:`error_indices`.
VIS_PALETTE = np.array(
    [VIS_BLACK, VIS_WHITE, VIS_RED, VIS_CYAN, VIS_GREEN, VIS_YELLOW],
    dtype=np.uint8)
_BLACK, _WHITE, _RED, _CYAN, _GREEN, _YELLOW = range(6)


def error_index_table(num_classes: int) -> np.ndarray:
    """Visualisation colour (index into :data:`VIS_PALETTE`) of every
    (boundary, prediction blue, GT blue) code.

    The evaluator's rules on the raw labels (no boundary step), restricted
    to the ``L`` class bits, first match wins: prediction holds background
    and another class -> white; GT background & prediction background ->
    black; GT background & prediction not background -> red; GT not
    background & prediction background on a boundary pixel -> black; GT
    not background & prediction background -> cyan; exact match -> green;
    otherwise yellow. "Background" means the label set is exactly
    {background} (value 1).

    Args:
        num_classes (int): ``L``.

    Returns:
        np.ndarray: ``(2*256*256,)`` uint8, indexed by
        ``gt_blue | pred_blue << 8 | boundary << 16``.
    """
    mask = (1 << num_classes) - 1
    code = np.arange(_NUM_CODES)
    gt = (code & 0xFF) & mask
    pred = ((code >> 8) & 0xFF) & mask
    boundary = (code >> 16) & 1
    rules = [
        (((pred & 1) == 1) & (pred != 1), _WHITE),
        ((gt == 1) & (pred == 1), _BLACK),
        (gt == 1, _RED),
        ((pred == 1) & (boundary == 1), _BLACK),
        (pred == 1, _CYAN),
        (gt == pred, _GREEN),
    ]
    table = np.full(_NUM_CODES, _YELLOW, dtype=np.uint8)
    # Assign in reverse so that the first matching rule wins.
    for rule, colour in reversed(rules):
        table[rule] = colour
    return table


def error_indices(gt_rgb: np.ndarray,
                  pred: np.ndarray,
                  num_classes: Optional[int] = None,
                  out: Optional[np.ndarray] = None,
                  num_threads: Optional[int] = None,
                  rows_per_chunk: Optional[int] = None) -> np.ndarray:
    """The error visualisation as palette indices (one byte per pixel).

    Args:
        gt_rgb (np.ndarray): ``HxWx3`` uint8 RGB GT.
        pred (np.ndarray): ``HxWx3`` uint8 RGB prediction (or ``HxW``).
        num_classes (int, optional): ``L``; default from the GT.
        out (np.ndarray, optional): ``HxW`` uint8 output.
        num_threads (int, optional): See :func:`layout_histogram`.
        rows_per_chunk (int, optional): See :func:`layout_histogram`.

    Returns:
        np.ndarray: ``HxW`` uint8 indices into :data:`VIS_PALETTE`.
    """
    gt_blue, gt_red, pred_blue = _label_planes(gt_rgb, pred)
    height, width = gt_blue.shape
    if num_classes is None:
        num_classes = gt_num_classes(gt_rgb)
    table = error_index_table(max(1, num_classes))
    if out is None:
        out = np.empty((height, width), dtype=np.uint8)
    elif out.shape != (height, width) or out.dtype != np.uint8 or \
            not out.flags.c_contiguous:
        raise ValueError(f'out must be C-contiguous uint8 of shape '
                         f'{(height, width)}, got {out.dtype} {out.shape}')
    chunks = _row_chunks(height, width, rows_per_chunk)
    if not chunks:
        return out
    threads = _resolve_threads(num_threads, len(chunks))
    max_rows = max(r1 - r0 for r0, r1 in chunks)

    def paint(share: List[Tuple[int, int]]) -> None:
        buffer = _CodeBuffer(max_rows, width)
        for r0, r1 in share:
            codes = buffer.fill(gt_blue[r0:r1],
                                None if gt_red is None else gt_red[r0:r1],
                                pred_blue[r0:r1])
            np.take(table, codes, mode='clip', out=out[r0:r1].reshape(-1))

    _run_chunks(paint, chunks, threads)
    return out


def gt_num_classes(gt_rgb: np.ndarray) -> int:
    """``L`` of a GT image: the bit length of its largest blue value."""
    gt_blue = gt_rgb[..., 2] if gt_rgb.ndim == 3 else gt_rgb
    return int(gt_blue.max()).bit_length() if gt_blue.size else 0


def layout_histogram_and_errors(
        gt_rgb: np.ndarray,
        pred: np.ndarray,
        on_rows: Optional[Callable[[np.ndarray], None]] = None,
        out: Optional[np.ndarray] = None,
        rows_per_chunk: Optional[int] = None
) -> Tuple[LayoutHistogram, Optional[np.ndarray]]:
    """Count a page and paint its error visualisation in one pass.

    Each row chunk's codes are built once and feed both the histogram and
    the colour lookup; the chunk's colour indices go to ``on_rows`` (e.g. a
    streaming PNG writer that compresses in another thread while the next
    chunk is counted), so the full-page index image is only allocated if
    ``out`` is given.

    Args:
        gt_rgb (np.ndarray): ``HxWx3`` uint8 RGB GT.
        pred (np.ndarray): ``HxWx3`` uint8 RGB prediction (or ``HxW``).
        on_rows (callable, optional): Called with each chunk's ``rows x W``
            uint8 indices, top to bottom (the array is reused afterwards:
            copy what you keep).
        out (np.ndarray, optional): ``HxW`` uint8 to receive all indices.
        rows_per_chunk (int, optional): See :func:`layout_histogram`.

    Returns:
        tuple: ``(histogram, out)``.
    """
    gt_blue, gt_red, pred_blue = _label_planes(gt_rgb, pred)
    height, width = gt_blue.shape
    table = error_index_table(max(1, gt_num_classes(gt_rgb)))
    if out is not None and (out.shape != (height, width) or
                            out.dtype != np.uint8 or
                            not out.flags.c_contiguous):
        raise ValueError(f'out must be C-contiguous uint8 of shape '
                         f'{(height, width)}, got {out.dtype} {out.shape}')
    chunks = _row_chunks(height, width, rows_per_chunk)
    total = np.zeros(_NUM_CODES, dtype=np.int64)
    if chunks:
        max_rows = max(r1 - r0 for r0, r1 in chunks)
        buffer = _CodeBuffer(max_rows, width)
        scratch = np.empty((max_rows, width), dtype=np.uint8)
        for r0, r1 in chunks:
            codes = buffer.fill(gt_blue[r0:r1],
                                None if gt_red is None else gt_red[r0:r1],
                                pred_blue[r0:r1])
            total += np.bincount(codes, minlength=_NUM_CODES)
            target = out[r0:r1] if out is not None else scratch[:r1 - r0]
            np.take(table, codes, mode='clip', out=target.reshape(-1))
            if on_rows is not None:
                on_rows(target)
    return LayoutHistogram(total.reshape(HISTOGRAM_SHAPE)), out


def error_visualization(gt_rgb: np.ndarray,
                        pred: np.ndarray,
                        num_classes: Optional[int] = None) -> np.ndarray:
    """The evaluator's error-visualisation image.

    Args:
        gt_rgb (np.ndarray): ``HxWx3`` uint8 RGB GT.
        pred (np.ndarray): ``HxWx3`` uint8 RGB prediction (or ``HxW``).
        num_classes (int, optional): ``L``; default from the GT.

    Returns:
        np.ndarray: ``HxWx3`` uint8 RGB; colours in
        :func:`error_index_table`. (Files store the cheaper
        :func:`error_indices` as a palette PNG with the same colours.)
    """
    return VIS_PALETTE[error_indices(gt_rgb, pred, num_classes)]


def error_overlay(error_rgb: np.ndarray,
                  original_rgb: np.ndarray,
                  alpha: float = 0.5,
                  out: Optional[np.ndarray] = None,
                  channel_order: str = 'rgb') -> np.ndarray:
    """Overlay the error visualisation on the page image.

    Black visualisation pixels (correct background) leave the page as it
    is; every other pixel is blended with its error colour, so errors show
    on top of the script.

    Args:
        error_rgb (np.ndarray): ``HxWx3`` uint8 colours from
            :func:`error_visualization`, or ``HxW`` indices from
            :func:`error_indices`.
        original_rgb (np.ndarray): ``HxWx3`` uint8 page image, or ``HxW``
            grey.
        alpha (float): Weight of the error colour (0..1).
        out (np.ndarray, optional): Output; may be ``original_rgb`` itself
            (in place, no full-page copy).
        channel_order (str): Order of the page (and output) channels:
            ``'rgb'`` or ``'bgr'`` (the colours follow it).

    Returns:
        np.ndarray: ``HxWx3`` uint8.
    """
    if channel_order not in ('rgb', 'bgr'):
        raise ValueError(f"channel_order must be 'rgb' or 'bgr', got "
                         f'{channel_order!r}')
    if original_rgb.ndim == 2:
        original_rgb = np.repeat(original_rgb[..., None], 3, axis=2)
    if original_rgb.shape[:2] != error_rgb.shape[:2]:
        raise ValueError(
            f'original size {original_rgb.shape[1]}x{original_rgb.shape[0]} '
            f'differs from the GT size {error_rgb.shape[1]}x'
            f'{error_rgb.shape[0]} (WxH)')
    original_rgb = original_rgb[..., :3]
    if out is None:
        out = original_rgb.copy()
    elif out is not original_rgb:
        out[...] = original_rgb
    palette = VIS_PALETTE if channel_order == 'rgb' else VIS_PALETTE[:, ::-1]
    weight = int(round(alpha * 256))
    rows = max(1, _PIXELS_PER_CHUNK // max(1, error_rgb.shape[1]))
    for r0 in range(0, error_rgb.shape[0], rows):
        colour = error_rgb[r0:r0 + rows]
        if colour.ndim == 2:
            errors = colour != _BLACK
            colour = palette[colour]
        else:
            errors = colour.any(axis=2)
        page = out[r0:r0 + rows]
        blended = (page.astype(np.uint16) * (256 - weight) +
                   colour.astype(np.uint16) * weight) >> 8
        np.copyto(page, blended.astype(np.uint8), where=errors[..., None])
    return out


# --------------------------------------------------------------------------
# Console output
# --------------------------------------------------------------------------
def java_format_fixed(value: float, digits: int) -> str:
    """Format like Java's ``String.format("%.<digits>f", value)``.

    Java rounds the shortest decimal representation of the double half-up
    (``0.125 -> 0.13``, ``1.005 -> 1.01``) and prints ``NaN``; Python's
    ``%`` rounds the exact binary value half-even. Locale independent
    (always a dot).
    """
    value = float(value)
    if math.isnan(value):
        return 'NaN'
    if math.isinf(value):
        return 'Infinity' if value > 0 else '-Infinity'
    quantum = Decimal(1).scaleb(-digits)
    return format(Decimal(repr(value)).quantize(quantum, ROUND_HALF_UP), 'f')


def format_console_lines(scores: Dict[str, object]) -> Tuple[str, str]:
    """The evaluator's two console lines.

    Args:
        scores (dict): Result of :func:`layout_scores`.

    Returns:
        tuple: ``('Mean IU (Jaccard index) = 0.56437', 'EM=0.82 HS=0.91
        IU=0.56,0.71[0.82|0.48|0.53|0.44] F1=... P=... R=...Freq:[...]')``.
    """
    def f2(value: float) -> str:
        return java_format_fixed(value, 2)

    def group(name: str, mean_key: str, fw_key: str, class_key: str) -> str:
        per_class = '|'.join(f2(v) for v in scores['per_class'][class_key])
        return (f'{name}={f2(scores[mean_key])},{f2(scores[fw_key])}'
                f'[{per_class}]')

    line1 = 'Mean IU (Jaccard index) = ' + java_format_fixed(
        scores['mean_iu'], 5)
    freq = '|'.join(f2(v) for v in scores['per_class']['freq'])
    line2 = ' '.join([
        f'EM={f2(scores["exact_match"])}',
        f'HS={f2(scores["hamming_score"])}',
        group('IU', 'mean_iu', 'fw_iu', 'iu'),
        group('F1', 'mean_f1', 'fw_f1', 'f1'),
        group('P', 'mean_precision', 'fw_precision', 'precision'),
        group('R', 'mean_recall', 'fw_recall', 'recall'),
    ]) + f'Freq:[{freq}]'
    return line1, line2


def nan_to_none(value):
    """Replace NaN floats by ``None`` recursively (valid JSON; the Java tool
    writes a bare ``NaN``, which JSON parsers reject)."""
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, dict):
        return {k: nan_to_none(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [nan_to_none(v) for v in value]
    if isinstance(value, np.generic):
        return nan_to_none(value.item())
    return value

"""Dataset statistics like DeepDIVA's analytics (pure numpy + OpenCV).

Computed once over the **training** pages and cached as JSON in the data
root:

* per-channel **mean and std** of the images, in 0..255, over all pixels
  (streaming: one page in memory at a time; exact, from per-channel 256-bin
  histograms summed in integers). Stored in both orders: ``mean_rgb`` /
  ``std_rgb`` and ``mean_bgr`` / ``std_bgr``. mmseg's ``SegDataPreProcessor``
  applies ``mean``/``std`` to the image *as loaded*, which is BGR with mmcv's
  default ``LoadImageFromFile``; so use ``mean_bgr``/``std_bgr`` there, or
  ``mean_rgb``/``std_rgb`` together with ``bgr_to_rgb=True``.
  (DeepDIVA averages per-image means, i.e. weights every page equally; here
  every *pixel* counts equally, the two agree when pages have one size.)
* **class pixel counts and frequencies** for a list of blue
  ``label_values`` (class order), optionally with DIVA-HisDB's boundary
  pixels (red bit 7) counted as background (``boundary_to_background``, as
  DeepDIVA's HisDB runner trains).
* **class weights** as DeepDIVA's ``w_c = (1/n_c) / sum_k (1/n_k)``. A class
  with no training pixel (``n_c = 0``) gets weight 0 and the sum runs over
  the present classes: its weight never multiplies a training pixel, and an
  infinite weight would break the loss. ``class_weights_mean_one`` holds the
  same ratios scaled to mean 1 over the present classes, for mmseg's
  ``CrossEntropyLoss(class_weight=...)``, which (unlike
  ``torch.nn.CrossEntropyLoss``) does not divide by the summed weights, so
  weights that sum to 1 would shrink the loss.
"""
import json
import os.path as osp
import warnings
from fractions import Fraction
from typing import Dict, Iterable, List, Optional, Sequence, Tuple

import numpy as np

from ..utils import cache_location, files_signature, write_cache_text
from ..utils.errors import InputError
from ..utils.image_reader import read_scan
from ..utils.png_rows import NeedsFullDecode, iter_unfiltered_rows
from ..core.encoding import check_label_values
from .gt_image import read_gt_rgb
from .pairing import pair_by_stem

#: Version of the statistics / cache format.
STATISTICS_VERSION = 1

#: Default cache file name in the data root.
DEFAULT_CACHE_NAME = 'pixdiva_statistics.json'

#: Cache entries kept per file (one per split/option combination).
_MAX_CACHE_ENTRIES = 16

# Histograms are taken in row blocks of at most this many pixels, because
# OpenCV counts in float32, exact only up to 2**24.
_HIST_BLOCK_PIXELS = 1 << 23



class DatasetStatisticsError(InputError, ValueError):
    """A file of the dataset cannot be used for the statistics."""


def read_image_rgb(path: str) -> np.ndarray:
    """Read a page image as ``HxWx3`` uint8 RGB, as training reads it
    (:func:`~mmseg_pixdiva.utils.image_reader.read_scan`: EXIF orientation
    applied).

    Raises:
        DatasetStatisticsError: Naming the file if it cannot be decoded or
            is cut short (a truncated JPEG decodes "successfully", its
            missing rows grey, and would bias the mean and std).
    """
    from .file_checks import check_file_complete
    try:
        check_file_complete(str(path), 'image')
        return read_scan(path, role='image')
    except InputError as error:
        raise DatasetStatisticsError(str(error)) from None


def _opencv_layout(array: np.ndarray) -> np.ndarray:
    """``array``, copied only if OpenCV cannot take it as it is (rows may
    lie apart, but each row's pixels must be packed, in forward order)."""
    packed = array.strides[-1] == array.itemsize and (
        array.ndim < 3 or array.strides[-2] == array.shape[-1] *
        array.itemsize) and array.strides[0] > 0
    return array if packed else np.ascontiguousarray(array)


def _histogram(array: np.ndarray, channel: int = 0,
               mask: Optional[np.ndarray] = None) -> np.ndarray:
    """Exact 256-bin histogram (int64) of one channel of a uint8 array."""
    import cv2
    counts = np.zeros(256, np.int64)
    rows = max(1, _HIST_BLOCK_PIXELS // max(1, array.shape[1]))
    for y in range(0, array.shape[0], rows):
        block = _opencv_layout(array[y:y + rows])
        block_mask = None if mask is None else np.ascontiguousarray(
            mask[y:y + rows])
        hist = cv2.calcHist([block], [channel], block_mask, [256], [0, 256])
        counts += np.rint(hist.reshape(-1)).astype(np.int64)
    return counts


def image_channel_histograms(image: np.ndarray) -> np.ndarray:
    """Per-channel histograms of a ``HxWx3`` uint8 image.

    Returns:
        np.ndarray: ``(3, 256)`` int64, channels in the image's order.
    """
    return np.stack([_histogram(image, c) for c in range(3)])


def gt_blue_histograms(gt_rgb: np.ndarray) -> np.ndarray:
    """Blue-value histograms of a GT, split by the boundary flag.

    Args:
        gt_rgb (np.ndarray): ``HxWx3`` uint8 RGB GT.

    Returns:
        np.ndarray: ``(2, 256)`` int64; row 0 counts non-boundary pixels,
        row 1 boundary pixels (red bit 7 set), per blue value.
    """
    from ..core.encoding import BOUNDARY_RED_BIT
    boundary = ((gt_rgb[..., 0] & BOUNDARY_RED_BIT) != 0).view(np.uint8)
    total = _histogram(gt_rgb, 2)
    on_boundary = _histogram(gt_rgb, 2, boundary) if boundary.any() else \
        np.zeros(256, np.int64)
    return np.stack([total - on_boundary, on_boundary])


def scan_blue_values(gt_paths: Iterable[str]) -> Dict[int, int]:
    """Count the pixels of every blue value over GT files.

    Args:
        gt_paths (Iterable[str]): GT image paths.

    Returns:
        dict: ``{blue value: pixel count}`` for the values present, sorted.
    """
    counts = np.zeros(256, np.int64)
    for path in gt_paths:
        counts += _gt_blue_histogram(path)
    return {int(v): int(counts[v]) for v in np.flatnonzero(counts)}


def _gt_blue_histogram(path: str) -> np.ndarray:
    """256-bin blue histogram of one GT file.

    A plain PNG (the DIVA-HisDB GTs) is counted from its inflated rows,
    without a decoder (:mod:`~mmseg_pixdiva.utils.png_rows`); any other file
    is decoded whole, and refused as :func:`read_gt_rgb` refuses it.
    """
    counts = np.zeros(256, np.int64)
    try:
        for block in iter_unfiltered_rows(path):
            counts += _histogram(block, block.shape[2] - 1)
        return counts
    except (NeedsFullDecode, OSError):
        return _histogram(read_gt_rgb(path), 2)


def mean_std_from_histograms(
        histograms: np.ndarray) -> Tuple[List[float], List[float]]:
    """Exact mean and (population) std per channel from value histograms.

    Args:
        histograms (np.ndarray): ``(C, 256)`` pixel counts per value.

    Returns:
        tuple[list, list]: ``(mean, std)``, one float per channel.
    """
    values = list(range(histograms.shape[1]))
    means, stds = [], []
    for hist in histograms:
        counts = [int(n) for n in hist]
        n = sum(counts)
        if n == 0:
            raise ValueError('no pixels to compute mean/std from')
        s = sum(v * c for v, c in zip(values, counts))
        q = sum(v * v * c for v, c in zip(values, counts))
        # Integer arithmetic: no cancellation however many pixels.
        variance = Fraction(n * q - s * s, n * n)
        means.append(float(Fraction(s, n)))
        stds.append(float(variance)**0.5)
    return means, stds


def class_pixel_counts(blue_histograms: np.ndarray,
                       label_values: Sequence[int],
                       boundary_to_background: bool = False,
                       background_value: Optional[int] = None,
                       filename: Optional[str] = None) -> List[int]:
    """Pixels per class from :func:`gt_blue_histograms`.

    Args:
        blue_histograms (np.ndarray): ``(2, 256)`` non-boundary / boundary
            counts per blue value.
        label_values (Sequence[int]): Blue values in class order.
        boundary_to_background (bool): Count boundary pixels as background.
        background_value (int, optional): Blue value of the background
            class; defaults to ``label_values[0]``.
        filename (str, optional): Named in errors.

    Returns:
        list[int]: Pixel count per class.

    Raises:
        DatasetStatisticsError: A blue value is not in ``label_values``
            (the message names the file, the values and their counts).
    """
    # Validated: a negative value would index the histogram from its end,
    # a repeated one would count its pixels twice.
    values = check_label_values(label_values)
    both = blue_histograms.sum(axis=0)
    unknown = [(v, int(both[v])) for v in np.flatnonzero(both)
               if int(v) not in values]
    if unknown:
        listed = ', '.join(f'blue={v} ({n} pixels)' for v, n in unknown)
        raise DatasetStatisticsError(
            f'{filename or "GT"}: blue values not in the class list '
            f'{values}: {listed}')
    if not boundary_to_background:
        return [int(both[v]) for v in values]
    background = values[0] if background_value is None \
        else int(background_value)
    if background not in values:
        raise ValueError(f'background value {background} is not in '
                         f'label_values {values}')
    counts = [int(blue_histograms[0, v]) for v in values]
    counts[values.index(background)] += int(blue_histograms[1].sum())
    return counts


def deepdiva_class_weights(counts: Sequence[int]) -> List[float]:
    """DeepDIVA's class weights ``(1/n_c) / sum_k (1/n_k)``.

    Args:
        counts (Sequence[int]): Training pixels per class.

    Returns:
        list[float]: Weights summing to 1 over the classes with pixels;
        a class with no pixel gets 0 (see the module docstring).
    """
    present = [int(n) for n in counts if int(n) > 0]
    if not present:
        raise ValueError('no class has any pixel')
    total = sum(Fraction(1, n) for n in present)
    return [float(Fraction(1, int(n)) / total) if int(n) > 0 else 0.0
            for n in counts]


def compute_dataset_statistics(
        pairs: Sequence[Tuple[str, str]],
        label_values: Optional[Sequence[int]] = None,
        boundary_to_background: bool = False,
        background_value: Optional[int] = None,
        progress: bool = True) -> dict:
    """Mean/std of the images and class statistics of the GTs.

    Args:
        pairs (Sequence[tuple]): ``(image path, GT path)`` per page.
        label_values (Sequence[int], optional): Blue values in class order;
            by default every blue value present, ascending.
        boundary_to_background (bool): Count boundary pixels (red bit 7)
            as background, as DeepDIVA trains on DIVA-HisDB.
        background_value (int, optional): Blue value of the background
            class; defaults to the first label value.
        progress (bool): Show a progress bar.

    Returns:
        dict: ``num_images``, ``num_pixels``, ``mean_rgb``, ``std_rgb``,
        ``mean_bgr``, ``std_bgr``, ``label_values``, ``background_value``,
        ``boundary_to_background``, ``class_pixel_counts``,
        ``class_frequencies``, ``class_weights`` (DeepDIVA, sum 1),
        ``class_weights_mean_one``, ``boundary_pixels`` and
        ``blue_value_counts`` (``{str(blue): pixels}``, boundary included).

    Raises:
        DatasetStatisticsError: Naming the file: unreadable image or GT,
            image and GT of different sizes, a blue value outside
            ``label_values``.
    """
    if not pairs:
        raise ValueError('no (image, GT) pairs to compute statistics from')
    bar = _progress_bar(len(pairs)) if progress else None
    rgb_hist = np.zeros((3, 256), np.int64)
    blue_hist = np.zeros((2, 256), np.int64)
    per_file = []
    for img_path, gt_path in pairs:
        image = read_image_rgb(img_path)
        gt = read_gt_rgb(gt_path)
        if image.shape[:2] != gt.shape[:2]:
            raise DatasetStatisticsError(
                f'{img_path} is {image.shape[1]}x{image.shape[0]} but its GT '
                f'{gt_path} is {gt.shape[1]}x{gt.shape[0]}')
        rgb_hist += image_channel_histograms(image)
        del image
        hist = gt_blue_histograms(gt)
        del gt
        blue_hist += hist
        per_file.append((gt_path, hist))
        if bar is not None:
            bar.update()
    observed = [int(v) for v in np.flatnonzero(blue_hist.sum(axis=0))]
    values = observed if label_values is None else \
        check_label_values(label_values)
    background = values[0] if background_value is None \
        else int(background_value)
    # Per file, so an unknown value names the GT that holds it.
    for gt_path, hist in per_file:
        class_pixel_counts(hist, values, filename=gt_path)
    counts = class_pixel_counts(blue_hist, values, boundary_to_background,
                                background)
    if not any(counts):
        raise DatasetStatisticsError('the GTs hold no pixel of any class')
    absent = [v for v, n in zip(values, counts) if n == 0]
    if absent:
        warnings.warn(f'classes with blue values {absent} have no training '
                      'pixel; their class weight is set to 0')
    total = sum(counts)
    weights = deepdiva_class_weights(counts)
    present = sum(1 for n in counts if n > 0)
    mean, std = mean_std_from_histograms(rgb_hist)
    both = blue_hist.sum(axis=0)
    return dict(
        version=STATISTICS_VERSION,
        num_images=len(pairs),
        num_pixels=int(rgb_hist[0].sum()),
        mean_rgb=mean,
        std_rgb=std,
        mean_bgr=mean[::-1],
        std_bgr=std[::-1],
        label_values=values,
        background_value=background,
        boundary_to_background=bool(boundary_to_background),
        class_pixel_counts=counts,
        class_frequencies=[n / total for n in counts],
        class_weights=weights,
        class_weights_mean_one=[w * present for w in weights],
        boundary_pixels=int(blue_hist[1].sum()),
        blue_value_counts={str(v): int(both[v]) for v in observed})


def load_or_compute_statistics(
        data_root: str,
        img_dir: str = 'train/data',
        gt_dir: str = 'train/gt',
        label_values: Optional[Sequence[int]] = None,
        boundary_to_background: bool = False,
        background_value: Optional[int] = None,
        cache_name: str = DEFAULT_CACHE_NAME,
        use_cache: bool = True,
        progress: bool = True) -> dict:
    """Statistics of the training pages, cached in ``data_root``.

    The cache (``<data_root>/<cache_name>``) records what each result was
    computed from: the folders, every file's name, size and modification
    time, and the options. Any change recomputes; results for other
    folders/options stay cached beside it. A read-only data root keeps it
    in the user's cache folder instead (:func:`~mmseg_pixdiva.utils.atomic.
    cache_location`); a failed write only warns: the statistics are
    returned uncached.

    Args:
        data_root (str): Dataset root.
        img_dir (str): Image folder, relative to ``data_root``.
        gt_dir (str): GT folder, relative to ``data_root``.
        label_values, boundary_to_background, background_value: See
            :func:`compute_dataset_statistics`.
        cache_name (str): Cache file name.
        use_cache (bool): Read and write the cache.
        progress (bool): Show a progress bar while computing.

    Returns:
        dict: See :func:`compute_dataset_statistics`; ``cached`` says
        whether it came from the cache.
    """
    pairs = [(img, gt) for _, img, gt in pair_by_stem(
        osp.join(data_root, img_dir), osp.join(data_root, gt_dir))]
    source = dict(
        img_dir=img_dir,
        gt_dir=gt_dir,
        label_values=None if label_values is None else
        [int(v) for v in label_values],
        boundary_to_background=bool(boundary_to_background),
        background_value=None if background_value is None else
        int(background_value),
        images=files_signature([p[0] for p in pairs], data_root),
        gts=files_signature([p[1] for p in pairs], data_root))
    cache_path = statistics_cache_path(data_root, cache_name)
    entries = _read_cache(cache_path) if use_cache else []
    for entry in entries:
        if entry.get('source') == source:
            return dict(entry['statistics'], cached=True)
    statistics = compute_dataset_statistics(pairs, label_values,
                                            boundary_to_background,
                                            background_value, progress)
    if use_cache:
        key = {k: v for k, v in source.items() if k not in ('images', 'gts')}
        kept = [e for e in entries if {
            k: v for k, v in e.get('source', {}).items()
            if k not in ('images', 'gts')
        } != key][-(_MAX_CACHE_ENTRIES - 1):]
        kept.append(dict(source=source, statistics=statistics))
        _write_cache(cache_path, kept)
    return dict(statistics, cached=False)


def statistics_cache_path(data_root: str,
                          cache_name: str = DEFAULT_CACHE_NAME) -> str:
    """Where :func:`load_or_compute_statistics` reads and writes the cache
    of ``data_root``: in it, or in the user's cache folder for a read-only
    one (:func:`~mmseg_pixdiva.utils.atomic.cache_location`)."""
    return str(cache_location(osp.join(data_root, cache_name)))


def _read_cache(path: str) -> List[dict]:
    if not osp.isfile(path):
        return []
    try:
        with open(path, encoding='utf-8') as f:
            cache = json.load(f)
        if cache.get('version') != STATISTICS_VERSION:
            return []
        return [e for e in cache['entries']
                if isinstance(e, dict) and 'statistics' in e]
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        warnings.warn(f'{path}: unreadable statistics cache; recomputing')
        return []


def is_statistics_cache(path: str) -> bool:
    """Whether the file ``path`` is a statistics cache (of any version).

    What :func:`_write_cache` writes: a JSON object with ``version`` and
    ``entries``. A tool checks the cache's name with it before any work, so
    that a file of the user's under that name is not replaced.
    """
    try:
        with open(path, encoding='utf-8') as f:
            cache = json.load(f)
    except (OSError, ValueError):
        return False
    return isinstance(cache, dict) and 'version' in cache and \
        isinstance(cache.get('entries'), list)


def _write_cache(path: str, entries: List[dict]) -> None:
    text = json.dumps(dict(version=STATISTICS_VERSION, entries=entries),
                      indent=1)
    write_cache_text(path, text, 'the statistics')


def _progress_bar(total: int):
    try:
        from mmengine.utils import ProgressBar
    except ImportError:  # pure use without mmengine: no bar
        return None
    return ProgressBar(total)

"""Pick the page clean-up's parameters on validation pages (pure).

:func:`~mmseg_pixdiva.evaluation.region_filter.filter_small_regions`
removes, per class bit, small groups of pixels and bits that a page holds
too little of. Which sizes are "small" depends on the model and the
manuscripts, so they are chosen where the scores are: on validation pages
with their GTs, by the DIVA evaluator's mean IU (mean over pages).

The search is per bit: removing pixels of one bit changes the IU of that
bit (and, through the pixels that become background, a little of the
background's), so every candidate of a bit is scored with the other bits
left as predicted, and the best candidate of each bit is kept (ties go to
the smaller values, i.e. the lighter filter). One ``group_distance`` serves
all bits: the one whose best candidates gain the most together. The chosen
settings are then scored exactly.

With several pages, :func:`tune_region_filter` also reports a
leave-one-page-out estimate: each page scored with settings chosen on the
other pages only, the honest guess of what the settings do on unseen pages
(scores on the tuning pages themselves are optimistic).
"""
import hashlib
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import numpy as np

from ..core.encoding import HISDB_FOREGROUND_BITS, check_bits
from .region_filter import (bit_groups, filter_small_regions,
                                          pixels_to_drop,
                                          region_filter_settings)
from .layout_analysis import evaluate_layout

#: Default candidates: fewest pixels of a group / of a page, group distance.
DEFAULT_MIN_AREAS: Tuple[int, ...] = (0, 100, 300, 1000, 3000, 10000)
DEFAULT_MIN_PAGE_PIXELS: Tuple[int, ...] = (0, 1000, 3000, 10000, 30000)
DEFAULT_GROUP_DISTANCES: Tuple[int, ...] = (4, 16, 48)

#: A page: (name, GT as HxWx3 RGB, prediction as HxW blue values).
Page = Tuple[str, np.ndarray, np.ndarray]
#: A candidate of one bit: (group distance, min area, min page pixels).
Candidate = Tuple[int, int, int]


def _page_mean_iu(gt_rgb: np.ndarray, blue: np.ndarray) -> float:
    return float(evaluate_layout(gt_rgb, blue)['mean_iu'])


def _without(blue: np.ndarray, drop: np.ndarray, bit: int, foreground: int,
             background_value: int) -> np.ndarray:
    """``blue`` with ``bit`` removed from ``drop`` (as the filter does)."""
    out = blue.copy()
    out[drop] &= np.uint8(~bit & 0xFF)
    out[drop & ((out & foreground) == 0)] = background_value
    return out


def candidate_scores(gt_rgb: np.ndarray,
                     blue: np.ndarray,
                     bits: Sequence[int] = HISDB_FOREGROUND_BITS,
                     min_areas: Sequence[int] = DEFAULT_MIN_AREAS,
                     min_page_pixels: Sequence[int] = DEFAULT_MIN_PAGE_PIXELS,
                     group_distances: Sequence[int] = DEFAULT_GROUP_DISTANCES,
                     background_value: int = 1
                     ) -> Dict[int, Dict[Candidate, float]]:
    """The page's mean IU for every candidate of every bit, alone.

    Args:
        gt_rgb (np.ndarray): ``H x W x 3`` RGB GT.
        blue (np.ndarray): ``H x W`` uint8 predicted blue values.
        bits, min_areas, min_page_pixels, group_distances: The candidates.
        background_value (int): Blue value of a pixel left without bits.

    Returns:
        dict: ``{bit: {(group distance, min area, min page pixels): mean
        IU}}``, the other bits as predicted. Candidates that remove nothing
        are scored once (the unfiltered page) and shared.
    """
    bits = check_bits(bits)
    foreground = int(np.bitwise_or.reduce(np.asarray(bits)))
    raw = _page_mean_iu(gt_rgb, blue)
    scores: Dict[int, Dict[Candidate, float]] = {}
    for bit in bits:
        mask = (blue & bit) != 0
        count = int(np.count_nonzero(mask))
        by_drop: Dict[bytes, float] = {}
        scores[bit] = {}
        for distance in group_distances:
            groups = None
            for area in min_areas:
                for page_pixels in min_page_pixels:
                    if count == 0:
                        scores[bit][(distance, area, page_pixels)] = raw
                        continue
                    if groups is None and area > 1 and count >= page_pixels:
                        groups = bit_groups(mask, distance)
                    drop = pixels_to_drop(mask, groups, area, page_pixels)
                    dropped = int(np.count_nonzero(drop))
                    if dropped == 0:
                        score = raw
                    else:
                        # Same pixels dropped -> same score: many candidates
                        # drop the same pixels (the whole bit, say).
                        key = hashlib.blake2b(
                            np.packbits(drop).tobytes()).digest()
                        score = by_drop.get(key)
                        if score is None:
                            score = _page_mean_iu(
                                gt_rgb, _without(blue, drop, bit, foreground,
                                                 background_value))
                            by_drop[key] = score
                    scores[bit][(distance, area, page_pixels)] = score
    return scores


def choose_settings(page_scores: Sequence[Dict[int, Dict[Candidate, float]]],
                    raw_scores: Sequence[float]) -> dict:
    """The best settings for a set of pages, from :func:`candidate_scores`.

    Args:
        page_scores (Sequence[dict]): :func:`candidate_scores` per page.
        raw_scores (Sequence[float]): Unfiltered mean IU per page.

    Returns:
        dict: :func:`region_filter_settings` keys.
    """
    bits = list(page_scores[0])
    baseline = float(np.mean(raw_scores))
    candidates = sorted(page_scores[0][bits[0]])
    distances = sorted({c[0] for c in candidates})
    best = None
    for distance in distances:
        chosen, gain = [], 0.0
        for bit in bits:
            top, top_gain = (distance, 0, 0), 0.0
            for candidate in candidates:
                if candidate[0] != distance:
                    continue
                mean = float(np.mean([s[bit][candidate]
                                      for s in page_scores]))
                # Strictly better by more than rounding: ties keep the
                # lighter filter (candidates are sorted ascending).
                if mean - baseline > top_gain + 1e-12:
                    top, top_gain = candidate, mean - baseline
            chosen.append(top)
            gain += top_gain
        if best is None or gain > best[1] + 1e-12:
            best = (chosen, gain)
    chosen = best[0]
    return region_filter_settings(
        bits=bits,
        min_area=[c[1] for c in chosen],
        min_page_pixels=[c[2] for c in chosen],
        group_distance=chosen[0][0])


def tune_region_filter(
        pages: Sequence[Page],
        bits: Sequence[int] = HISDB_FOREGROUND_BITS,
        min_areas: Sequence[int] = DEFAULT_MIN_AREAS,
        min_page_pixels: Sequence[int] = DEFAULT_MIN_PAGE_PIXELS,
        group_distances: Sequence[int] = DEFAULT_GROUP_DISTANCES,
        background_value: int = 1,
        progress: Optional[Callable[[str], None]] = None) -> dict:
    """Choose the clean-up's settings on ``pages`` and score them.

    Args:
        pages (Sequence[Page]): ``(name, GT RGB, predicted blue)`` each.
        bits, min_areas, min_page_pixels, group_distances: The candidates
            (see :func:`candidate_scores`).
        background_value (int): Blue value of a pixel left without bits.
        progress (callable, optional): Called with a page name as each page
            is done.

    Returns:
        dict: ``settings`` (for ``test_cfg.postprocess``), ``mean_iu_raw``,
        ``mean_iu_filtered`` (the settings on the pages they were chosen
        on), ``mean_iu_leave_one_out`` (each page with settings chosen on
        the others; None for a single page) and ``pages``: per page
        ``name``, ``raw``, ``filtered``, ``leave_one_out`` (and its
        ``leave_one_out_settings``).
    """
    if not pages:
        raise ValueError('no pages to tune the clean-up on')
    raw, scores = [], []
    for name, gt_rgb, blue in pages:
        raw.append(_page_mean_iu(gt_rgb, blue))
        scores.append(candidate_scores(gt_rgb, blue, bits, min_areas,
                                       min_page_pixels, group_distances,
                                       background_value))
        if progress is not None:
            progress(name)
    settings = choose_settings(scores, raw)

    def filtered_score(index: int, chosen: dict) -> float:
        _, gt_rgb, blue = pages[index]
        return _page_mean_iu(gt_rgb, filter_small_regions(
            blue, **chosen, background_value=background_value))

    records: List[dict] = []
    for index, (name, _, _) in enumerate(pages):
        record = dict(name=name, raw=raw[index],
                      filtered=filtered_score(index, settings),
                      leave_one_out=None, leave_one_out_settings=None)
        if len(pages) > 1:
            others = [i for i in range(len(pages)) if i != index]
            held_out = choose_settings([scores[i] for i in others],
                                       [raw[i] for i in others])
            record['leave_one_out'] = filtered_score(index, held_out)
            record['leave_one_out_settings'] = held_out
        records.append(record)
    loo = None if len(pages) < 2 else float(
        np.mean([r['leave_one_out'] for r in records]))
    return dict(settings=settings,
                mean_iu_raw=float(np.mean(raw)),
                mean_iu_filtered=float(np.mean([r['filtered']
                                                for r in records])),
                mean_iu_leave_one_out=loo,
                pages=records)

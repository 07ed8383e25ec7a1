"""Choosing the page clean-up on validation pages."""
import numpy as np

from mmseg_pixdiva.evaluation.layout_analysis import evaluate_layout
from mmseg_pixdiva.evaluation.region_filter_tuning import (
    candidate_scores, choose_settings, tune_region_filter)
from mmseg_pixdiva.evaluation.region_filter import filter_small_regions


def _pages(count=3, seed=0):
    """Pages whose predictions are right except for scattered decoration
    specks; the GT of page 1 has no decoration at all."""
    rng = np.random.default_rng(seed)
    pages = []
    for index in range(count):
        gt = np.ones((120, 100), np.uint8)
        gt[10:60, 10:90] = 8
        gt[70:90, 10:30] = 2
        if index != 1:
            gt[95:115, 50:90] = 12
        pred = gt.copy()
        rows, cols = rng.integers(0, 120, 12), rng.integers(0, 100, 12)
        pred[rows, cols] |= 4
        pred[pred == 5] = 4  # background + decoration bit -> decoration
        gt_rgb = np.zeros(gt.shape + (3, ), np.uint8)
        gt_rgb[..., 2] = gt
        pages.append((f'page{index}', gt_rgb, pred))
    return pages


def test_candidate_scores_are_exact_filtered_scores():
    name, gt, pred = _pages(1)[0]
    scores = candidate_scores(gt, pred, min_areas=(0, 50),
                              min_page_pixels=(0, 500),
                              group_distances=(2, ))
    for (distance, area, page_pixels), score in scores[4].items():
        settings = dict(min_area=(0, area, 0),
                        min_page_pixels=(0, page_pixels, 0),
                        group_distance=distance)
        expected = evaluate_layout(gt, filter_small_regions(pred, **settings))
        assert score == expected['mean_iu']


def test_tuning_removes_the_specks_and_reports_leave_one_out():
    pages = _pages()
    result = tune_region_filter(pages, min_areas=(0, 20, 100),
                                min_page_pixels=(0, 50),
                                group_distances=(2, ))
    assert result['settings']['min_area'][1] > 0  # decoration filtered
    assert result['mean_iu_filtered'] > result['mean_iu_raw']
    # page 1 has no decoration: every speck costs a quarter of its mean IU
    page1 = result['pages'][1]
    assert page1['raw'] < 0.76 and page1['filtered'] > 0.99
    assert result['mean_iu_leave_one_out'] is not None
    assert len(result['pages']) == 3


def test_ties_keep_the_lighter_filter():
    name, gt, pred = _pages(1)[0]
    pred = gt[..., 2].copy()  # a perfect prediction: nothing to gain
    scores = [candidate_scores(gt, pred, min_areas=(0, 50),
                               min_page_pixels=(0, 500),
                               group_distances=(2, ))]
    raw = [evaluate_layout(gt, pred)['mean_iu']]
    settings = choose_settings(scores, raw)
    assert settings['min_area'] == [0, 0, 0]
    assert settings['min_page_pixels'] == [0, 0, 0]

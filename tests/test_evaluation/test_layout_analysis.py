"""The pure evaluator reproduces the Java DIVA Layout Analysis Evaluator."""
import math

import numpy as np
import pytest
from layout_eval_helpers import (load_golden, packed_to_rgb, rgb_to_packed,
                                 small_page)

from mmseg_pixdiva.evaluation import layout_analysis as la

TOY_CASES = load_golden('toy_cases.json')
PAGE_CASES = load_golden('cases.json')
TOLERANCE = 1e-12


def assert_value(actual, expected, what):
    if expected is None:
        assert math.isnan(actual), f'{what}: expected NaN, got {actual}'
    else:
        assert abs(actual - expected) <= TOLERANCE, \
            f'{what}: {actual!r} != {expected!r}'


def assert_scores(scores, expected_values, expected_per_class, case):
    for key, expected in zip(la.SCORE_KEYS, expected_values):
        assert_value(scores[key], expected, f'{case} {key}')
    for key in la.PER_CLASS_KEYS:
        actual = scores['per_class'][key]
        assert len(actual) == len(expected_per_class[key]), (case, key)
        for c, (a, e) in enumerate(zip(actual, expected_per_class[key])):
            assert_value(a, e, f'{case} {key}[{c}]')


# --------------------------------------------------------------------------
# Golden values
# --------------------------------------------------------------------------
@pytest.mark.parametrize('case', TOY_CASES, ids=lambda c: c['case'])
def test_toy_case_scores(case, shared):
    gt = packed_to_rgb(case['gt_rgb'])
    pred = packed_to_rgb(case['prediction_rgb'])
    scores = la.evaluate_layout(gt, pred)
    assert_scores(scores, case['values'], case, case['case'])


@pytest.mark.parametrize('case', TOY_CASES, ids=lambda c: c['case'])
def test_toy_case_visualization_colours(case, shared):
    gt = packed_to_rgb(case['gt_rgb'])
    pred = packed_to_rgb(case['prediction_rgb'])
    vis = la.error_visualization(gt, pred)
    assert vis.shape == gt.shape and vis.dtype == np.uint8
    assert rgb_to_packed(vis) == case['visualization_rgb']


@pytest.mark.parametrize('case', PAGE_CASES, ids=lambda c: c['case'])
def test_full_page_case(case, shared):
    from mmseg_pixdiva.evaluation.layout_io import read_label_pair
    gt, pred = read_label_pair(shared / case['gt'],
                               shared / case['prediction'])
    scores = la.evaluate_layout(gt, pred)
    values = [case[key] for key in la.SCORE_KEYS]
    assert_scores(scores, values, case['per_class'], case['case'])
    assert scores['num_pixels'] == gt.shape[0] * gt.shape[1]


def test_toy_cases_are_present(shared):
    assert len(TOY_CASES) >= 8 and len(PAGE_CASES) >= 8


# --------------------------------------------------------------------------
# Semantics on hand-made pixels
# --------------------------------------------------------------------------
def column(*values):
    return packed_to_rgb(values)


def test_boundary_rule_makes_every_gt_class_a_tp_when_sets_overlap():
    # Boundary pixel, GT main text (8); prediction background (1) overlaps
    # G | background, so main text and background are TPs, nothing else.
    counts = la.class_counts(la.layout_histogram(column(0x800008),
                                                 column(1)))
    assert counts['tp'].tolist() == [1, 0, 0, 1]
    assert counts['fp'].tolist() == [0, 0, 0, 0]
    assert counts['fn'].tolist() == [0, 0, 0, 0]
    assert counts['exact_matches'] == 1


def test_boundary_without_overlap_counts_gt_and_background_as_fn():
    counts = la.class_counts(la.layout_histogram(column(0x800008),
                                                 column(2)))
    assert counts['tp'].tolist() == [0, 0, 0, 0]
    assert counts['fp'].tolist() == [0, 1, 0, 0]
    assert counts['fn'].tolist() == [1, 0, 0, 1]
    assert counts['differing_bits'] == 3


def test_prediction_bits_above_gt_classes_are_ignored():
    # GT max blue 2 -> L = 2: bits 2.. of the prediction do not count.
    scores = la.evaluate_layout(column(1, 2), column(1 | 4 | 128, 2 | 8))
    assert scores['num_classes'] == 2
    assert scores['exact_match'] == 1.0


def test_red_and_green_of_the_prediction_are_ignored():
    gt, pred = small_page(1)
    noisy = pred.copy()
    noisy[..., 0] = 255
    noisy[..., 1] = 77
    assert la.layout_histogram(gt, pred) == la.layout_histogram(gt, noisy)


def test_grey_prediction_equals_its_blue_channel():
    gt, pred = small_page(2)
    assert la.layout_histogram(gt, pred) == \
        la.layout_histogram(gt, np.ascontiguousarray(pred[..., 2]))


def test_gt_without_classes_is_refused():
    hist = la.layout_histogram(column(0, 0), column(1, 0))
    with pytest.raises(ValueError, match='no class'):
        la.layout_scores(hist)


def test_size_mismatch_is_refused():
    with pytest.raises(ValueError, match='differs'):
        la.layout_histogram(np.zeros((4, 5, 3), np.uint8),
                            np.zeros((5, 4, 3), np.uint8))


def test_wrong_dtype_is_refused():
    with pytest.raises(TypeError, match='uint8'):
        la.layout_histogram(np.zeros((4, 5, 3), np.uint16),
                            np.zeros((4, 5, 3), np.uint8))


# --------------------------------------------------------------------------
# Histogram properties
# --------------------------------------------------------------------------
def reference_histogram(gt, pred):
    """Straightforward per-pixel count, to check the chunked byte trick."""
    counts = np.zeros(la.HISTOGRAM_SHAPE, np.int64)
    np.add.at(counts, (gt[..., 0].ravel() >> 7, pred[..., 2].ravel(),
                       gt[..., 2].ravel()), 1)
    return counts


@pytest.mark.parametrize('rows,threads', [(None, None), (1, 1), (3, 2),
                                          (7, 3)])
def test_histogram_is_independent_of_chunks_and_threads(rows, threads):
    gt, pred = small_page(3)
    hist = la.layout_histogram(gt, pred, num_threads=threads,
                               rows_per_chunk=rows)
    assert np.array_equal(hist.counts, reference_histogram(gt, pred))
    assert hist.num_pixels == gt.shape[0] * gt.shape[1]


def test_histogram_accepts_strided_views():
    gt, pred = small_page(4)
    bgr_gt = np.ascontiguousarray(gt[..., ::-1])
    bgr_pred = np.ascontiguousarray(pred[..., ::-1])
    hist = la.layout_histogram(bgr_gt[..., ::-1], bgr_pred[..., ::-1])
    assert hist == la.layout_histogram(gt, pred)


def test_sparse_round_trip_and_pooling_equals_concatenated_pages():
    gt_a, pred_a = small_page(5)
    gt_b, pred_b = small_page(6)
    gt_b[..., 2] = np.where(gt_b[..., 2] == 4, 1, gt_b[..., 2])  # L stays 4
    hist_a = la.layout_histogram(gt_a, pred_a)
    hist_b = la.layout_histogram(gt_b, pred_b)
    assert la.LayoutHistogram.from_sparse(hist_a.to_sparse()) == hist_a
    pooled = la.layout_scores(la.LayoutHistogram.sum([hist_a, hist_b]))
    joined = la.evaluate_layout(np.concatenate([gt_a, gt_b]),
                                np.concatenate([pred_a, pred_b]))
    # Same counts -> the very same arithmetic: bitwise equal.
    assert la.nan_to_none(pooled) == la.nan_to_none(joined)


def test_pooling_uses_the_largest_number_of_classes():
    # Page A has only background and comment (L=2); page B has main text
    # (L=4). Pooled, A's predicted main text is a false positive.
    hist_a = la.layout_histogram(column(1, 2), column(8 | 1, 2))
    hist_b = la.layout_histogram(column(8, 1), column(8, 1))
    assert la.layout_scores(hist_a)['exact_match'] == 1.0
    pooled = la.layout_scores(hist_a + hist_b)
    assert pooled['num_classes'] == 4
    assert pooled['exact_match'] == 0.75
    assert pooled['per_class']['precision'][3] == 0.5


def test_mean_of_page_scores_skips_nan_and_missing_classes():
    page_a = la.evaluate_layout(column(1, 2), column(1, 2))  # L=2
    page_b = la.evaluate_layout(column(1, 8), column(1, 1))  # L=4
    mean = la.mean_of_page_scores([page_a, page_b])
    assert mean['num_pages'] == 2 and mean['num_classes'] == 4
    assert mean['exact_match'] == pytest.approx(0.75)
    # Comment: 1.0 on page A, NaN on page B -> 1.0.
    assert mean['per_class']['iu'][1] == 1.0
    # Main text exists on page B only: IU 0 there.
    assert mean['per_class']['iu'][3] == 0.0
    assert mean['per_class']['iu'][2] != mean['per_class']['iu'][2]  # NaN


# --------------------------------------------------------------------------
# Visualisation
# --------------------------------------------------------------------------
def test_visualization_rules_in_order():
    # (gt, pred, expected colour); L = 4 from the GT value 8.
    rows = [
        (0x000008, 0x000009, la.VIS_WHITE),   # pred bg + other class
        (0x000001, 0x000001, la.VIS_BLACK),   # correct background
        (0x000001, 0x000004, la.VIS_RED),     # false positive on background
        (0x800008, 0x000001, la.VIS_BLACK),   # boundary predicted background
        (0x000008, 0x000001, la.VIS_CYAN),    # missed foreground
        (0x00000A, 0x00000A, la.VIS_GREEN),   # exact multi-label match
        (0x00000A, 0x000008, la.VIS_YELLOW),  # other mismatch
        (0x000008, 0x000018, la.VIS_GREEN),   # bit 4 is not a class (L=4)
    ]
    gt = column(*[r[0] for r in rows])
    pred = column(*[r[1] for r in rows])
    vis = la.error_visualization(gt, pred)
    assert [tuple(v) for v in vis[:, 0]] == [r[2] for r in rows]


def test_error_indices_match_rgb_and_threads():
    gt, pred = small_page(7)
    indices = la.error_indices(gt, pred, rows_per_chunk=3, num_threads=2)
    assert np.array_equal(la.VIS_PALETTE[indices],
                          la.error_visualization(gt, pred))


@pytest.mark.parametrize('rows', [None, 1, 7])
def test_one_pass_histogram_and_errors_equal_the_separate_passes(rows):
    gt, pred = small_page(8)
    streamed = []
    hist, indices = la.layout_histogram_and_errors(
        gt, pred, on_rows=lambda r: streamed.append(r.copy()),
        out=np.empty(gt.shape[:2], np.uint8), rows_per_chunk=rows)
    assert hist == la.layout_histogram(gt, pred)
    assert np.array_equal(indices, la.error_indices(gt, pred))
    assert np.array_equal(np.concatenate(streamed), indices)
    hist_only, none = la.layout_histogram_and_errors(gt, pred)
    assert hist_only == hist and none is None


def test_overlay_keeps_black_and_blends_errors():
    error = np.zeros((2, 2, 3), np.uint8)
    error[0, 0] = la.VIS_RED
    page = np.full((2, 2, 3), 200, np.uint8)
    out = la.error_overlay(error, page, alpha=0.5)
    assert out[1, 1].tolist() == [200, 200, 200]
    assert out[0, 0].tolist() == [227, 100, 100]
    assert page[0, 0].tolist() == [200, 200, 200]  # input untouched
    # Indices give the same, also in BGR order and in place.
    indices = np.zeros((2, 2), np.uint8)
    indices[0, 0] = 2  # red
    bgr = page[..., ::-1].copy()
    la.error_overlay(indices, bgr, out=bgr, channel_order='bgr')
    assert np.array_equal(bgr[..., ::-1], out)


# --------------------------------------------------------------------------
# Console lines
# --------------------------------------------------------------------------
@pytest.mark.parametrize('value,digits,text', [
    (0.125, 2, '0.13'),  # Java: half-up (Python's '%.2f' gives 0.12)
    (1.005, 2, '1.01'),  # on the shortest decimal representation
    (0.625, 2, '0.63'),
    (0.994999999, 2, '0.99'),
    (0.995, 2, '1.00'),
    (0.123455, 5, '0.12346'),
    (1.0, 2, '1.00'),
    (0.0, 5, '0.00000'),
    (float('nan'), 2, 'NaN'),
])
def test_java_number_format(value, digits, text):
    # Expected strings printed by Java 17's String.format on this machine.
    assert la.java_format_fixed(value, digits) == text


def test_console_lines_format(shared):
    case = next(c for c in TOY_CASES if c['case'] == 'boundary')
    scores = la.evaluate_layout(packed_to_rgb(case['gt_rgb']),
                                packed_to_rgb(case['prediction_rgb']))
    line1, line2 = la.format_console_lines(scores)
    assert line1 == 'Mean IU (Jaccard index) = 0.47619'
    assert line2 == ('EM=0.50 HS=0.78 IU=0.48,0.71[0.71|0.00|NaN|0.71] '
                     'F1=0.56,0.83[0.83|0.00|NaN|0.83] '
                     'P=0.67,1.00[1.00|0.00|NaN|1.00] '
                     'R=0.71,0.71[0.71|NaN|NaN|0.71]'
                     'Freq:[0.50|0.00|0.00|0.50]')


def test_nan_to_none_makes_valid_json():
    import json
    data = la.nan_to_none({'a': float('nan'), 'b': [1.0, float('nan')],
                           'c': np.float64('nan')})
    assert json.loads(json.dumps(data, allow_nan=False)) == \
        {'a': None, 'b': [1.0, None], 'c': None}


# --------------------------------------------------------------------------
# Light import
# --------------------------------------------------------------------------
def test_module_imports_neither_torch_nor_mmseg_nor_cv2(fresh_python):
    code = ('import sys, mmseg_pixdiva.evaluation.layout_analysis, '
            'mmseg_pixdiva.evaluation.layout_io, '
            'mmseg_pixdiva.evaluation.layout_report, '
            'mmseg_pixdiva.evaluation.layout_cli\n'
            "print(sorted(m for m in ('torch', 'mmseg', 'mmengine', 'cv2') "
            'if m in sys.modules))')
    assert fresh_python(code, timeout=120) == '[]'

"""Confusion matrix counts, the heatmap built from them, the IU chart."""
import numpy as np
import pytest

from mmseg_pixdiva.visualization import (confusion_matrix,
                                         confusion_matrix_figure,
                                         confusion_matrix_image,
                                         figure_to_rgb, iou_bar_chart,
                                         iou_from_confusion, row_normalise)


def test_confusion_matrix_matches_pixel_by_pixel_count():
    rng = np.random.default_rng(0)
    gt = rng.integers(0, 4, (37, 23)).astype(np.uint8)
    pred = rng.integers(0, 4, (37, 23)).astype(np.uint8)
    gt[0, :5] = 255
    pred[1, :3] = 255
    expected = np.zeros((4, 4), np.int64)
    for g, p in zip(gt.ravel(), pred.ravel()):
        if g != 255 and p != 255:
            expected[g, p] += 1
    counts = confusion_matrix(gt, pred, 4)
    assert counts.dtype == np.int64
    np.testing.assert_array_equal(counts, expected)
    assert counts.sum() == gt.size - 5 - 3


def test_confusion_matrix_errors():
    with pytest.raises(ValueError, match='differ'):
        confusion_matrix(np.zeros((2, 2)), np.zeros((2, 3)), 2)
    with pytest.raises(ValueError, match=r'0\.\.1'):
        confusion_matrix(np.array([0, 2]), np.array([0, 1]), 2)


def test_row_normalise_and_iou_values():
    counts = np.array([[8, 2, 0], [1, 3, 0], [0, 0, 0]])
    normalised = row_normalise(counts)
    np.testing.assert_allclose(normalised[:2],
                               [[0.8, 0.2, 0.0], [0.25, 0.75, 0.0]])
    assert np.isnan(normalised[2]).all()
    iou = iou_from_confusion(counts)
    np.testing.assert_allclose(iou[:2], [8 / 11, 3 / 6])
    assert np.isnan(iou[2])


def test_confusion_heatmap_cells_show_normalised_counts():
    import matplotlib
    counts = np.array([[90, 10, 0], [30, 60, 10], [0, 0, 0]])
    names = ['background', 'comment', 'comment+main text']
    figure, normalised = confusion_matrix_figure(counts, names,
                                                 annotate=False)
    np.testing.assert_allclose(normalised[0], [0.9, 0.1, 0.0])
    np.testing.assert_allclose(normalised[1], [0.3, 0.6, 0.1])
    rgb = figure_to_rgb(figure)
    axes = figure.axes[0]
    assert [t.get_text() for t in axes.get_xticklabels()] == names
    assert [t.get_text() for t in axes.get_yticklabels()] == names
    blues = matplotlib.colormaps['Blues']
    height = rgb.shape[0]
    for row in range(3):
        for col in range(3):
            x, y = axes.transData.transform((col, row))
            pixel = rgb[int(round(height - y)), int(round(x))].astype(int)
            value = normalised[row, col]
            if np.isnan(value):  # GT-absent class: grey row
                expected = [217, 217, 217]
            else:
                expected = [round(c * 255) for c in blues(value)[:3]]
            assert np.abs(pixel - expected).max() <= 2, (row, col, pixel,
                                                         expected)
    image, same = confusion_matrix_image(counts, names)
    assert image.dtype == np.uint8 and image.ndim == 3
    np.testing.assert_array_equal(same, normalised)


def test_confusion_heatmap_rejects_wrong_names():
    with pytest.raises(ValueError, match='2 class names'):
        confusion_matrix_image(np.zeros((3, 3)), ['a', 'b'])


def test_iou_bar_chart_bars_use_class_colours():
    palette = [[255, 0, 0], [0, 0, 255]]
    rgb = iou_bar_chart([1.0, 0.5], ['a', 'b'], palette)
    flat = rgb.reshape(-1, 3)
    red = np.all(flat == [255, 0, 0], axis=1).sum()
    blue = np.all(flat == [0, 0, 255], axis=1).sum()
    # The IU=1 bar is twice as tall as the IU=0.5 bar, same width.
    assert blue > 100 and red / blue == pytest.approx(2.0, rel=0.05)
    with pytest.raises(ValueError, match='2 classes'):
        iou_bar_chart([1.0], ['a', 'b'])

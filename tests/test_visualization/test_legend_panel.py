"""Legend rows and downscaled side-by-side panels."""
import numpy as np
import pytest

from mmseg_pixdiva.core.encoding import hisdb_class_name, hisdb_palette
from mmseg_pixdiva.visualization import (fit_size, legend_image, page_panel,
                                         resize_labels, side_by_side)

VALUES = [1, 2, 4, 8, 10, 12]


def _colour_present(image, colour):
    return np.all(image.reshape(-1, 3) == colour, axis=1).sum()


def test_legend_has_a_swatch_per_class_including_combinations():
    names = [hisdb_class_name(v) for v in VALUES]
    assert 'comment+main text' in names
    palette = hisdb_palette(VALUES)
    swatch, padding, font = 20, 8, 16
    legend = legend_image(names, palette, VALUES, font_size=font,
                          swatch=swatch, padding=padding)
    row = max(swatch, font) + padding
    assert legend.shape[0] == padding + row * len(names)
    for i, colour in enumerate(palette):
        y = padding + i * row + swatch // 2
        assert legend[y, padding + swatch // 2].tolist() == colour
        # a full swatch interior (outline excluded) of that colour
        inner = legend[padding + i * row + 1:padding + i * row + swatch - 1,
                       padding + 1:padding + swatch - 1]
        assert (inner == colour).all()


def test_legend_rejects_mismatched_lists():
    with pytest.raises(ValueError, match='only 1 colours'):
        legend_image(['a', 'b'], [[0, 0, 0]])
    with pytest.raises(ValueError, match='1 label values'):
        legend_image(['a', 'b'], [[0, 0, 0], [1, 1, 1]], [1])


def test_fit_size_never_enlarges():
    assert fit_size(6000, 4000, 1000) == (1000, 667)
    assert fit_size(100, 50, 1000) == (100, 50)


def test_resize_labels_keeps_labels():
    labels = np.repeat(np.arange(4, dtype=np.uint8)[:, None], 8, axis=1)
    small = resize_labels(labels, (2, 4))
    assert small.shape == (2, 4)
    assert set(np.unique(small)) <= {0, 1, 2, 3}


def test_page_panel_is_small_and_keeps_exact_colours():
    height, width = 1200, 900
    rng = np.random.default_rng(1)
    scan = rng.integers(0, 256, (height, width, 3), dtype=np.uint8)
    gt = np.zeros((height, width), np.uint8)
    gt[300:600, 100:800] = 1
    gt[700:900, 100:800] = 2
    pred = gt.copy()
    pred[300:400] = 3
    palette = [[0, 0, 0], [255, 0, 0], [0, 255, 0], [0, 0, 255]]
    panel = page_panel(scan, gt, pred, palette, max_size=300)
    assert max(panel.shape[:2]) <= 300
    # three 3:4 tiles side by side under a 20-pixel caption row, 4-pixel gaps
    tile_height = panel.shape[0] - 20
    assert panel.shape[1] == pytest.approx(3 * 0.75 * tile_height + 8, abs=3)
    for colour in palette:
        assert _colour_present(panel, colour) > 0
    # No blended colours between red and green in the label tiles.
    right = panel[:, panel.shape[1] // 3:]
    mixed = (right[..., 0] > 0) & (right[..., 0] < 255) & \
        (right[..., 1] > 0) & (right[..., 1] < 255) & (right[..., 2] == 0)
    assert not mixed.any()


def test_side_by_side_titles_and_errors():
    tiles = [np.zeros((40, 40, 3), np.uint8), np.zeros((20, 10, 3), np.uint8)]
    panel = side_by_side(tiles, ['a', 'b'], max_size=100)
    assert max(panel.shape[:2]) <= 100
    with pytest.raises(ValueError, match='2 tiles but 1 titles'):
        side_by_side(tiles, ['a'])
    with pytest.raises(ValueError, match='no tiles'):
        side_by_side([])

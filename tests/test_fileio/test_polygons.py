"""mmseg_pixdiva.fileio.polygons: outlines that cover, are valid and fit."""
import numpy as np
import pytest
from shapely.geometry import Polygon

from mmseg_pixdiva.fileio.polygons import (covered_share, mask_to_polygons,
                                           polygons_to_mask)


def strokes(shape=(300, 400), seed=0):
    """Random pen strokes: thin lines, dots and rings, touching the edges."""
    import cv2
    rng = np.random.default_rng(seed)
    mask = np.zeros(shape, np.uint8)
    for _ in range(40):
        x0, y0, x1, y1 = (int(v) for v in rng.integers(
            -10, max(shape) + 10, 4))
        cv2.line(mask, (x0, y0), (x1, y1), 1, int(rng.integers(1, 4)))
    for _ in range(30):
        mask[rng.integers(0, shape[0]), rng.integers(0, shape[1])] = 1
    cv2.circle(mask, (200, 150), 40, 1, 2)
    return mask.astype(bool)


@pytest.mark.parametrize('scale, tolerance, join', [
    (1, 0, 0), (1, 2, 0), (4, 2, 24), (4, 5, 8), (3, 1.5, 0), (8, 2, 40)])
@pytest.mark.parametrize('seed', [0, 1, 2])
def test_polygons_cover_every_pixel_and_are_valid(scale, tolerance, join,
                                                  seed):
    mask = strokes(seed=seed)
    polygons = mask_to_polygons(mask, tolerance, join, scale)
    for rule in ('awt', 'closed'):
        covered = polygons_to_mask(polygons, mask.shape, rule)
        assert covered_share(mask, covered) == 1.0
    for points in polygons:
        assert points.dtype == np.int32 and len(points) >= 3
        assert Polygon(points).is_valid
        # PAGE's coordinates run to imageWidth,imageHeight.
        assert points[:, 0].min() >= 0 and points[:, 0].max() <= 400
        assert points[:, 1].min() >= 0 and points[:, 1].max() <= 300


def test_one_region_per_connected_area():
    mask = np.zeros((100, 200), bool)
    mask[10:30, 10:50] = True
    mask[10:30, 54:80] = True  # 4 pixels from the first
    mask[60:90, 150:190] = True
    assert len(mask_to_polygons(mask, join=0, scale=1, tolerance=0)) == 3
    joined = mask_to_polygons(mask, join=8, scale=1, tolerance=0)
    assert len(joined) == 2
    # Largest first: the joined pair (20x70) before the 30x40 block.
    assert joined[0][:, 0].min() < 15 and joined[1][:, 0].min() > 140


def test_exact_outline_of_a_rectangle_at_scale_one():
    mask = np.zeros((50, 60), bool)
    mask[10:20, 5:25] = True
    (points, ) = mask_to_polygons(mask, tolerance=0, join=0, scale=1)
    # A margin of 1 pixel around the block (corners cut by the disk).
    assert points[:, 0].min() == 4 and points[:, 0].max() == 25
    assert points[:, 1].min() == 9 and points[:, 1].max() == 20
    assert len(points) == 8


def test_areas_in_a_hole_are_covered_by_the_outer_region():
    mask = np.zeros((100, 100), bool)
    mask[10:90, 10:90] = True
    mask[20:80, 20:80] = False
    mask[45:55, 45:55] = True
    polygons = mask_to_polygons(mask, join=0, scale=1)
    assert len(polygons) == 1
    assert covered_share(mask, polygons_to_mask(polygons, mask.shape)) == 1.0


def test_empty_mask_and_argument_checks():
    assert mask_to_polygons(np.zeros((10, 10), bool)) == []
    with pytest.raises(ValueError, match='scale'):
        mask_to_polygons(np.ones((10, 10), bool), scale=0)
    with pytest.raises(ValueError, match='tolerance'):
        mask_to_polygons(np.ones((10, 10), bool), tolerance=-1)


def test_overlapping_polygons_do_not_cancel():
    square = np.array([[0, 0], [9, 0], [9, 9], [0, 9]], np.int32)
    closed = polygons_to_mask([square, square + 5], (20, 20), 'closed')
    assert closed[5:10, 5:10].all() and closed.sum() == 100 + 100 - 25
    # Java's rule leaves out the right and bottom outline: 9x9 each.
    awt = polygons_to_mask([square, square + 5], (20, 20))
    assert awt[5:9, 5:9].all() and awt.sum() == 81 + 81 - 16
    assert not awt[9, 0] and not awt[0, 9] and awt[8, 8] and awt[0, 0]


#: java.awt.Polygon(xs, ys).contains(x, y) for x, y in 0..size-1, recorded
#: with OpenJDK 17 (rows are y). The module was also checked against it on
#: 400 random, partly self-intersecting polygons.
JAVA_CONTAINS = [
    ([[0, 0], [6, 0], [0, 6]], 8, ['11111100', '11111000', '11110000',
                                   '11100000', '11000000', '10000000',
                                   '00000000', '00000000']),
    ([[0, 0], [4, 4], [4, 0], [0, 4]], 6, ['000000', '100100', '111100',
                                           '100100', '000000', '000000']),
    ([[1, 1], [7, 2], [5, 7]], 9, ['000000000', '000000000', '001111100',
                                   '000111100', '000111100', '000011000',
                                   '000001000', '000000000', '000000000']),
]


@pytest.mark.parametrize('points, size, rows', JAVA_CONTAINS)
def test_awt_rule_is_java_polygon_contains(points, size, rows):
    mask = polygons_to_mask([np.array(points)], (size, size))
    expected = np.array([[c == '1' for c in row] for row in rows])
    np.testing.assert_array_equal(mask, expected)


def test_bad_rule():
    with pytest.raises(ValueError, match="rule must be one of"):
        polygons_to_mask([], (2, 2), 'even-odd')

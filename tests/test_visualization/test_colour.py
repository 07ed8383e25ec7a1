"""Colouring: every class gets exactly its palette colour."""
import numpy as np
import pytest

from mmseg_pixdiva.core.encoding import IGNORE_INDEX, hisdb_palette
from mmseg_pixdiva.visualization import (IGNORE_COLOUR, blend, colourize,
                                         distinct_palette,
                                         is_bit_flag_encoding,
                                         resolve_palette)

HISDB_VALUES = [1, 2, 4, 8, 6, 10, 12, 14]


@pytest.mark.parametrize('palette', [
    hisdb_palette(HISDB_VALUES),
    distinct_palette(12),
    [[10, 20, 30], [200, 100, 0], [255, 255, 255]],
])
def test_colourize_gives_palette_colour_of_every_class(palette):
    classes = np.arange(len(palette), dtype=np.uint8)
    class_map = np.tile(classes, (3, 2))  # every class, several pixels
    rgb = colourize(class_map, palette)
    assert rgb.shape == class_map.shape + (3, ) and rgb.dtype == np.uint8
    for c, colour in enumerate(palette):
        assert (rgb[class_map == c] == colour).all(), c


def test_hisdb_combinations_have_their_own_fixed_colours():
    palette = hisdb_palette(HISDB_VALUES)
    rgb = colourize(np.arange(len(HISDB_VALUES))[None, :], palette)
    assert rgb[0, 0].tolist() == [0, 0, 0]  # background
    assert rgb[0, 3].tolist() == [255, 220, 0]  # main text
    # comment+main text lies between the comment and main-text colours
    assert rgb[0, 5].tolist() == [128, 210, 128]
    assert len({tuple(c) for c in rgb[0].tolist()}) == len(HISDB_VALUES)


def test_colourize_ignore_index_and_int_types():
    class_map = np.array([[0, IGNORE_INDEX], [1, 0]], dtype=np.int64)
    rgb = colourize(class_map, [[1, 2, 3], [4, 5, 6]])
    assert rgb[0, 1].tolist() == list(IGNORE_COLOUR)
    assert rgb[1, 0].tolist() == [4, 5, 6]


def test_colourize_views_and_empty_maps():
    palette = [[1, 2, 3], [4, 5, 6]]
    class_map = np.array([[0, 1, 0], [1, 1, 0]], np.uint8)
    np.testing.assert_array_equal(colourize(class_map[:, ::2], palette),
                                  np.array(palette, np.uint8)[[[0, 0],
                                                               [1, 0]]])
    assert colourize(np.zeros((0, 4), np.uint8), palette).shape == (0, 4, 3)


def test_colourize_rejects_index_without_colour():
    with pytest.raises(ValueError, match=r'class indices \[2\]'):
        colourize(np.array([[0, 2]]), [[0, 0, 0], [1, 1, 1]])
    with pytest.raises(ValueError, match='HxW'):
        colourize(np.zeros((2, 2, 2), np.uint8), [[0, 0, 0]])


def test_blend_weights():
    image = np.full((1, 2, 3), 100, np.uint8)
    colours = np.full((1, 2, 3), 200, np.uint8)
    assert blend(image, colours, 0.25)[0, 0].tolist() == [125, 125, 125]
    with pytest.raises(ValueError, match='differ in size'):
        blend(image, colours[:, :1], 0.5)


def test_distinct_palette_is_fixed_and_distinct():
    first = distinct_palette(20)
    assert first == distinct_palette(20)
    assert len({tuple(c) for c in first}) == 20


def test_resolve_palette_order():
    dataset = [[1, 1, 1], [2, 2, 2]]
    assert resolve_palette(2, dataset, [1, 2]) == dataset
    assert resolve_palette(2, None, [1, 2]) == hisdb_palette([1, 2])
    assert resolve_palette(2, None, [0, 255]) == distinct_palette(2)
    assert resolve_palette(2, [[1, 1, 1]], None) == distinct_palette(2)


def test_bit_flag_encoding_detection():
    assert is_bit_flag_encoding([1, 2, 4, 8, 10])
    assert not is_bit_flag_encoding([0, 1, 2])
    assert not is_bit_flag_encoding([2, 4])
    assert not is_bit_flag_encoding(None)

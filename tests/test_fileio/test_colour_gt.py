"""mmseg_pixdiva.fileio.colour_gt: colour / palette GT -> blue values."""
import json

import numpy as np
import pytest

from mmseg_pixdiva.fileio.colour_gt import (ColourMapping, ColourMappingError,
                                            colours_to_blue, indices_to_blue,
                                            load_colour_mapping)


def test_load_mapping_formats(tmp_path):
    path = tmp_path / 'm.json'
    path.write_text(json.dumps({
        'colours': {'#000000': 'background', '255, 0, 0': 'decoration',
                    '#ffff00': ['comment', 'main text'], '1,2,3': 12},
        'indices': {'0': 'background', '7': 'main text'}}))
    mapping = load_colour_mapping(path)
    assert mapping.colours == {(0, 0, 0): 1, (255, 0, 0): 4,
                               (255, 255, 0): 10, (1, 2, 3): 12}
    assert mapping.indices == {0: 1, 7: 8}


@pytest.mark.parametrize('spec, message', [
    ({'colours': {'#12345': 'comment'}}, 'colours\\["#12345"\\]: colour'),
    ({'colours': {'1,2,300': 'comment'}}, 'neither'),
    ({'colours': {'1,2,3': 'gloss'}}, 'unknown class "gloss"'),
    ({'colours': {'1,2,3': 0}}, 'is not a class name'),
    ({'indices': {'256': 'comment'}}, 'not a palette index'),
    ({'palette': {}}, "unknown key\\(s\\) \\['palette'\\]"),
    ({}, 'no "colours" and no "indices"'),
])
def test_bad_mapping_names_file_and_entry(tmp_path, spec, message):
    path = tmp_path / 'm.json'
    path.write_text(json.dumps(spec))
    with pytest.raises(ColourMappingError, match=message) as error:
        load_colour_mapping(path)
    assert str(error.value).startswith(str(path))


def test_colours_to_blue_values_and_unknown_colour_report():
    mapping = ColourMapping({(0, 0, 0): 1, (255, 0, 0): 4}, {}, 'm.json')
    rgb = np.zeros((4, 5, 3), np.uint8)
    rgb[0, :2] = (255, 0, 0)
    np.testing.assert_array_equal(colours_to_blue(rgb, mapping)[0],
                                  [4, 4, 1, 1, 1])
    rgb[3, :3] = (12, 34, 56)
    rgb[2, 4] = (1, 1, 1)
    with pytest.raises(ColourMappingError) as error:
        colours_to_blue(rgb, mapping, 'x.png')
    assert str(error.value) == (
        'x.png: 2 colour(s) not in the mapping m.json: (12, 34, 56) '
        '#0C2238: 3 pixels, (1, 1, 1) #010101: 1 pixels')


def test_indices_to_blue_and_unknown_index_report():
    mapping = ColourMapping({}, {0: 1, 3: 8}, 'm.json')
    indices = np.array([[0, 3, 3], [5, 5, 0]], np.uint8)
    with pytest.raises(ColourMappingError, match='^x.png: 1 palette index'
                       r'\(es\) not in the mapping m.json: index 5: 2 '
                       'pixels$'):
        indices_to_blue(indices, mapping, 'x.png')
    indices[1, :2] = 3
    np.testing.assert_array_equal(indices_to_blue(indices, mapping),
                                  [[1, 8, 8], [8, 8, 1]])

import numpy as np
import pytest

from mmseg_pixdiva.core.encoding import (IGNORE_INDEX,
                                         UnknownLabelValueError,
                                         blue_to_class, build_blue_lut,
                                         check_label_values,
                                         class_to_blue, classes_to_gt_rgb,
                                         decode_gt, hisdb_class_name,
                                         hisdb_palette)

HISDB = [1, 2, 4, 6, 8, 10, 12, 14]


def test_lut_maps_values_to_their_index_and_others_to_ignore():
    lut = build_blue_lut([1, 8, 2])
    assert lut[1] == 0 and lut[8] == 1 and lut[2] == 2
    assert (np.delete(lut, [1, 8, 2]) == IGNORE_INDEX).all()


@pytest.mark.parametrize('bad', [[], [1, 1], [300], list(range(256))])
def test_lut_rejects_bad_class_lists(bad):
    with pytest.raises(ValueError):
        build_blue_lut(bad)


@pytest.mark.parametrize('bad, message', [
    ([1, 300], r'label_values\[1\] = 300 is outside 0\.\.255'),
    ([-1, 2], r'label_values\[0\] = -1 is outside 0\.\.255'),
    ([1, 2, 1], r'label_values\[2\] = 1 repeats label_values\[0\]'),
    ([1, 2.5], r'label_values\[1\] = 2\.5 is not an integer'),
    (['1'], r"label_values\[0\] = '1' is not an integer"),
    ([], 'label_values is empty'),
])
def test_every_label_values_function_names_the_bad_value(bad, message):
    classes = np.zeros((2, 2), np.uint8)
    gt = np.zeros((2, 2, 3), np.uint8)
    calls = [lambda: build_blue_lut(bad),
             lambda: class_to_blue(classes, bad),
             lambda: classes_to_gt_rgb(classes, bad),
             lambda: blue_to_class(gt[..., 2], bad),
             lambda: decode_gt(gt, bad, boundary_to_background=True),
             lambda: hisdb_palette(bad)]
    for call in calls:
        with pytest.raises(ValueError, match=message):
            call()


def test_numpy_integer_label_values_are_accepted():
    values = np.array([1, 8, 2], dtype=np.int64)
    assert check_label_values(values) == [1, 8, 2]
    assert all(type(v) is int for v in check_label_values(values))
    assert class_to_blue(np.array([2, 0, 1]), values).tolist() == [2, 1, 8]


def test_round_trip_class_to_blue_to_class():
    rng = np.random.default_rng(0)
    classes = rng.integers(0, len(HISDB), size=(7, 5)).astype(np.uint8)
    rgb = classes_to_gt_rgb(classes, HISDB)
    assert rgb.dtype == np.uint8 and rgb.shape == (7, 5, 3)
    assert (rgb[..., :2] == 0).all()
    assert (rgb[..., 2] == np.array(HISDB)[classes]).all()
    assert (decode_gt(rgb, HISDB) == classes).all()


def test_unknown_value_error_names_file_value_and_count():
    blue = np.array([[1, 3, 3], [8, 3, 200]], dtype=np.uint8)
    with pytest.raises(UnknownLabelValueError) as info:
        blue_to_class(blue, [1, 8], filename='page7.png')
    message = str(info.value)
    assert 'page7.png' in message
    assert 'blue=3 (3 pixels)' in message and 'blue=200 (1 pixels)' in message


def test_boundary_pixels_become_background_only_when_asked():
    rgb = np.zeros((1, 4, 3), dtype=np.uint8)
    rgb[0, :, 2] = [8, 8, 2, 1]
    rgb[0, :, 0] = [128, 0, 128, 128]  # boundary on text, comment, bg
    plain = decode_gt(rgb, [1, 2, 8])
    assert plain.tolist() == [[2, 2, 1, 0]]
    filtered = decode_gt(rgb, [1, 2, 8], boundary_to_background=True)
    assert filtered.tolist() == [[0, 2, 0, 0]]


def test_class_to_blue_rejects_out_of_range_indices():
    with pytest.raises(ValueError, match='0..1'):
        class_to_blue(np.array([0, 2]), [1, 8])


def test_hisdb_names_and_palette():
    assert hisdb_class_name(0x0A) == 'comment+main text'
    assert hisdb_class_name(1) == 'background'
    assert hisdb_class_name(0x0E) == 'comment+decoration+main text'
    palette = hisdb_palette(HISDB)
    assert len(palette) == len(HISDB)
    assert len({tuple(c) for c in palette}) == len(HISDB)  # distinct

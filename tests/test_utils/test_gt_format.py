"""GT-format writing and the PNG completeness check."""
import numpy as np
import pytest

from mmseg_pixdiva.core.encoding import decode_gt
from mmseg_pixdiva.utils.atomic import atomic_write_image
from mmseg_pixdiva.utils.gt_format import (gt_format_path,
                                           is_prediction_file, png_size,
                                           write_gt_format_prediction)

HISDB_VALUES = [1, 2, 4, 6, 8, 10, 12, 14]


def read_rgb(path):
    import cv2
    return cv2.imread(str(path), cv2.IMREAD_UNCHANGED)[..., ::-1]


def test_path_keeps_the_stem(tmp_path):
    assert gt_format_path(tmp_path, '/a/b/page.23.jpg') == \
        tmp_path / 'page.23.png'


def test_written_prediction_decodes_back(tmp_path):
    rng = np.random.default_rng(0)
    classes = rng.integers(0, len(HISDB_VALUES), size=(37, 53))
    path = tmp_path / 'out' / 'page.png'
    write_gt_format_prediction(path, classes, HISDB_VALUES)
    rgb = read_rgb(path)
    assert rgb.shape == (37, 53, 3) and rgb.dtype == np.uint8
    assert (rgb[..., :2] == 0).all()
    assert np.array_equal(rgb[..., 2], np.array(HISDB_VALUES)[classes])
    assert np.array_equal(decode_gt(rgb, HISDB_VALUES), classes)
    assert png_size(path) == (53, 37)
    assert [p.name for p in path.parent.iterdir()] == ['page.png']


def test_predictions_are_marked_as_ours(tmp_path):
    """A prediction carries the PNG marker that lets a rerun replace it; a
    GT of the same pixels (no marker) or any other file does not."""
    classes = np.zeros((4, 5), int)
    write_gt_format_prediction(tmp_path / 'pred.png', classes, HISDB_VALUES)
    atomic_write_image(tmp_path / 'gt.png', read_rgb(tmp_path / 'pred.png'))
    (tmp_path / 'notes.png').write_text('not a PNG')
    assert is_prediction_file(tmp_path / 'pred.png')
    assert not is_prediction_file(tmp_path / 'gt.png')
    assert not is_prediction_file(tmp_path / 'notes.png')
    assert not is_prediction_file(tmp_path / 'missing.png')


def test_bad_classes_leave_no_file(tmp_path):
    path = tmp_path / 'page.png'
    with pytest.raises(ValueError, match='class indices'):
        write_gt_format_prediction(path, np.full((4, 4), 9), [1, 2])
    with pytest.raises(ValueError, match='HxW'):
        write_gt_format_prediction(path, np.zeros((1, 4, 4), int), [1, 2])
    assert list(tmp_path.iterdir()) == []


def test_png_size_rejects_truncated_and_foreign_files(tmp_path):
    path = tmp_path / 'p.png'
    write_gt_format_prediction(path, np.zeros((20, 30), int), [1])
    data = path.read_bytes()
    assert png_size(path) == (30, 20)
    (tmp_path / 'cut.png').write_bytes(data[:-5])
    assert png_size(tmp_path / 'cut.png') is None
    (tmp_path / 'text.png').write_bytes(b'not a png at all, just text....')
    assert png_size(tmp_path / 'text.png') is None
    (tmp_path / 'empty.png').write_bytes(b'')
    assert png_size(tmp_path / 'empty.png') is None
    assert png_size(tmp_path / 'missing.png') is None

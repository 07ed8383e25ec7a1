"""PngStreamWriter: a PNG written band by band decodes to the same image,
and a write that does not finish leaves nothing."""
import cv2
import numpy as np
import pytest
from PIL import Image

from mmseg_pixdiva.utils.gt_format import (GTFormatPngStream, png_size,
                                           write_gt_format_prediction)
from mmseg_pixdiva.utils.png_stream import IDAT_BYTES, PngStreamWriter
from mmseg_pixdiva.utils.png_text import read_text


def image(height, width, seed=0):
    return np.random.default_rng(seed).integers(
        0, 256, (height, width, 3), dtype=np.uint8)


@pytest.mark.parametrize('bands', [[5], [1, 2, 2], [0, 3, 0, 2]])
def test_bands_decode_to_the_image(tmp_path, bands):
    rgb = image(5, 7)
    path = tmp_path / 'out.png'
    with PngStreamWriter(path, 7, 5, software='pixdiva test') as png:
        top = 0
        for rows in bands:
            png.write(rgb[top:top + rows])
            top += rows
    # OpenCV (BGR) and PIL read the same pixels.
    assert np.array_equal(cv2.imread(str(path), cv2.IMREAD_UNCHANGED),
                          rgb[..., ::-1])
    assert np.array_equal(np.asarray(Image.open(path)), rgb)
    assert png_size(path) == (7, 5)  # complete: IEND at the end
    assert read_text(path) == {'Software': 'pixdiva test'}
    assert [p.name for p in tmp_path.iterdir()] == ['out.png']


def test_large_image_spans_several_idat_chunks(tmp_path):
    rgb = image(400, 1000, seed=1)  # random: about 1.2 MB compressed
    path = tmp_path / 'big.png'
    with PngStreamWriter(path, 1000, 400, compression=0) as png:
        for top in range(0, 400, 64):
            png.write(rgb[top:top + 64])
    assert path.stat().st_size > IDAT_BYTES
    assert np.array_equal(np.asarray(Image.open(path)), rgb)


def test_too_few_rows_leave_nothing(tmp_path):
    path = tmp_path / 'out.png'
    with pytest.raises(ValueError, match='3 of 5 rows'):
        with PngStreamWriter(path, 7, 5) as png:
            png.write(image(3, 7))
    assert list(tmp_path.iterdir()) == []


def test_an_error_midway_leaves_the_old_file(tmp_path):
    path = tmp_path / 'out.png'
    path.write_bytes(b'old')
    with pytest.raises(KeyboardInterrupt):
        with PngStreamWriter(path, 7, 5) as png:
            png.write(image(2, 7))
            raise KeyboardInterrupt
    assert path.read_bytes() == b'old'
    assert [p.name for p in tmp_path.iterdir()] == ['out.png']


@pytest.mark.parametrize('rows,message', [
    (image(6, 7), '6 rows for an image of 5'),
    (image(2, 8), 'expected rows x 7 x 3 uint8'),
    (image(2, 7).astype(np.uint16), 'expected rows x 7 x 3 uint8'),
])
def test_wrong_rows_are_refused(tmp_path, rows, message):
    with pytest.raises(ValueError, match=message):
        with PngStreamWriter(tmp_path / 'out.png', 7, 5) as png:
            png.write(rows)
    assert list(tmp_path.iterdir()) == []


def test_gt_format_stream_equals_the_whole_page_writer(tmp_path):
    classes = np.random.default_rng(2).integers(0, 4, (300, 41))
    values = [1, 2, 4, 8]
    with GTFormatPngStream(tmp_path / 'a.png', 41, 300, values) as png:
        for top in range(0, 300, 70):
            png.write_classes(classes[top:top + 70])
    write_gt_format_prediction(tmp_path / 'b.png', classes, values)
    a = np.asarray(Image.open(tmp_path / 'a.png'))
    assert np.array_equal(a, np.asarray(Image.open(tmp_path / 'b.png')))
    assert np.array_equal(a[..., 2], np.asarray(values, np.uint8)[classes])
    assert not a[..., :2].any()

"""The one pixel reader: EXIF policy, shapes, errors."""
import io

import numpy as np
import pytest

from mmseg_pixdiva.utils.errors import InputError
from mmseg_pixdiva.utils.image_reader import (ImageInputError,
                                              ImageSizeError,
                                              LabelImageError,
                                              check_same_shape, decode_scan,
                                              read_label_image,
                                              read_label_rgb, read_scan)


def _turned_jpeg(path):
    """A 40x80 (HxW) JPEG whose EXIF says: turn it by 90 degrees."""
    from PIL import Image
    image = Image.fromarray(np.zeros((40, 80, 3), np.uint8))
    exif = image.getexif()
    exif[0x0112] = 6
    buffer = io.BytesIO()
    image.save(buffer, 'JPEG', exif=exif)
    path.write_bytes(buffer.getvalue())
    return buffer.getvalue()


def test_scans_are_turned_by_their_exif_orientation(tmp_path):
    data = _turned_jpeg(tmp_path / 'scan.jpg')
    assert read_scan(tmp_path / 'scan.jpg').shape == (80, 40, 3)
    assert read_scan(tmp_path / 'scan.jpg', shape=(80, 40)).shape == \
        (80, 40, 3)
    assert decode_scan(data, 'scan.jpg').shape == (80, 40, 3)


def test_label_images_are_read_unchanged(tmp_path):
    import cv2
    grey = np.arange(12, dtype=np.uint8).reshape(3, 4)
    cv2.imwrite(str(tmp_path / 'gt.png'), grey)
    rgb = read_label_rgb(tmp_path / 'gt.png')
    assert rgb.shape == (3, 4, 3)
    assert np.array_equal(rgb[..., 2], grey) and not rgb[..., :2].any()
    assert np.array_equal(read_label_image(tmp_path / 'gt.png', 'GT'), grey)


def test_shapes_are_hw_and_messages_wxh():
    check_same_shape('p.png', (3, 4), 'the GT g.png', (3, 4, 3), 'fix it')
    with pytest.raises(ImageSizeError) as error:
        check_same_shape('p.png', (3, 4), 'the GT g.png', (4, 3), 'fix it')
    assert str(error.value) == ('p.png: size 4x3 differs from the GT g.png '
                                '(3x4, WxH); fix it')


def test_one_exception_family(tmp_path):
    for error in (ImageSizeError, LabelImageError):
        assert issubclass(error, ImageInputError)
    assert issubclass(ImageInputError, InputError)
    assert issubclass(ImageInputError, ValueError)
    (tmp_path / 'junk.png').write_bytes(b'junk')
    with pytest.raises(LabelImageError, match='junk.png: cannot read the GT'):
        read_label_rgb(tmp_path / 'junk.png')
    with pytest.raises(ImageInputError, match='junk.png: cannot decode the '
                       'original image'):
        read_scan(tmp_path / 'junk.png')

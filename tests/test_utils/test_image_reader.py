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


def _page(path, height=37, width=53):
    import cv2
    rng = np.random.default_rng(1)
    cv2.imwrite(str(path), rng.integers(0, 256, (height, width, 3),
                                        dtype=np.uint8))
    return cv2.imread(str(path), cv2.IMREAD_COLOR)


@pytest.mark.parametrize('suffix', ['.jpg', '.png', '.tif', '.bmp'])
def test_scans_are_decoded_into_the_array_given(tmp_path, suffix):
    """One page in memory while decoding: OpenCV writes into the array the
    caller makes, the pixels those of a plain cv2.imread."""
    expected = _page(tmp_path / f'scan{suffix}')
    made = []

    def allocate(shape):
        made.append(np.empty(shape, np.uint8))
        return made[-1]

    bgr = read_scan(tmp_path / f'scan{suffix}', channel_order='bgr',
                    allocate=allocate)
    assert len(made) == 1 and bgr is made[0]
    assert np.array_equal(bgr, expected)
    rgb = read_scan(tmp_path / f'scan{suffix}', allocate=allocate)
    assert np.array_equal(rgb, expected[..., ::-1])
    assert np.shares_memory(rgb, made[1])


def test_a_turned_scan_is_decoded_into_a_new_array(tmp_path):
    _turned_jpeg(tmp_path / 'scan.jpg')
    made = []
    image = read_scan(tmp_path / 'scan.jpg',
                      allocate=lambda shape: made.append(shape))
    assert image.shape == (80, 40, 3) and made == []


def test_a_scan_of_the_wrong_size_is_refused_before_decoding(tmp_path):
    _page(tmp_path / 'scan.jpg', 37, 53)
    made = []
    with pytest.raises(ImageSizeError, match='scan.jpg: original page size '
                       '53x37 differs from the GT g.png'):
        read_scan(tmp_path / 'scan.jpg', shape=(53, 37), reference='g.png',
                  allocate=lambda shape: made.append(shape))
    assert made == []


def test_a_truncated_scan_is_refused_even_into_an_array(tmp_path):
    _page(tmp_path / 'scan.jpg', 64, 64)
    data = (tmp_path / 'scan.jpg').read_bytes()
    (tmp_path / 'cut.jpg').write_bytes(data[:len(data) // 2])
    with pytest.raises(ImageInputError, match='cut.jpg: cannot decode'):
        read_scan(tmp_path / 'cut.jpg')
    with pytest.raises(ValueError, match="channel_order must be 'rgb' or "):
        read_scan(tmp_path / 'scan.jpg', channel_order='RGB')


def _claiming_size(png: bytes, width: int, height: int) -> bytes:
    """``png`` with its IHDR saying ``width`` x ``height`` (CRC fixed)."""
    import struct
    import zlib
    data = bytearray(png)
    data[16:24] = struct.pack('>II', width, height)
    data[29:33] = struct.pack('>I', zlib.crc32(bytes(data[12:29])))
    return bytes(data)


def test_label_headers_beyond_the_decoder_are_refused_by_name(tmp_path):
    """A corrupt header claiming 200000x200000 pixels: one line naming the
    file, not OpenCV's assertion text, on every label path."""
    import cv2

    from mmseg_pixdiva.datasets.analytics import scan_blue_values
    from mmseg_pixdiva.utils.image_reader import decode_label_rgb
    png = cv2.imencode('.png', np.full((8, 8, 3), 1, np.uint8))[1].tobytes()
    path = tmp_path / 'huge.png'
    path.write_bytes(_claiming_size(png, 200000, 200000))
    for read in (lambda: read_label_rgb(path),
                 lambda: decode_label_rgb(path.read_bytes(), str(path)),
                 lambda: scan_blue_values([str(path)])):
        with pytest.raises(LabelImageError,
                           match=r'huge\.png: the header says 200000x200000'):
            read()
    # Other formats go through OpenCV, whose failure is named too.
    bmp = bytearray(cv2.imencode('.bmp', np.zeros((4, 4, 3), np.uint8))[1])
    bmp[18:26] = (200000).to_bytes(4, 'little') * 2
    path = tmp_path / 'huge.bmp'
    path.write_bytes(bytes(bmp))
    with pytest.raises(LabelImageError, match=r'huge\.bmp: cannot read'):
        read_label_rgb(path)

"""PNG text chunks mark a tool's own pictures without re-encoding them."""
import cv2
import numpy as np
import pytest

from mmseg_pixdiva.utils.atomic import atomic_write_image
from mmseg_pixdiva.utils.png_text import read_text, with_text


def test_text_chunk_keeps_the_pixels_and_is_read_back(tmp_path):
    image = np.arange(60, dtype=np.uint8).reshape(4, 5, 3)
    atomic_write_image(tmp_path / 'a.png', image, software='tool 1')
    assert read_text(tmp_path / 'a.png') == {'Software': 'tool 1'}
    decoded = cv2.imread(str(tmp_path / 'a.png'), cv2.IMREAD_UNCHANGED)
    np.testing.assert_array_equal(decoded[..., ::-1], image)
    # PIL checks every chunk's CRC.
    from PIL import Image
    with Image.open(tmp_path / 'a.png') as pil:
        pil.load()
        assert pil.text == {'Software': 'tool 1'}
    atomic_write_image(tmp_path / 'b.png', image)
    assert read_text(tmp_path / 'b.png') == {}


def test_not_a_png(tmp_path):
    (tmp_path / 'x.png').write_bytes(b'not a png at all')
    assert read_text(tmp_path / 'x.png') == {}
    assert read_text(tmp_path / 'missing.png') == {}
    with pytest.raises(ValueError, match='not a PNG'):
        with_text(b'GIF89a', 'Software', 'x')

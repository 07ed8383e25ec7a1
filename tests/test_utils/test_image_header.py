"""Image sizes from headers: EXIF orientation, pages beyond PIL's limit."""
import cv2

def test_header_size_follows_exif_orientation(tmp_path):
    from PIL import Image

    from mmseg_pixdiva.utils.image_header import header_size
    path = tmp_path / 'turned.jpg'
    exif = Image.Exif()
    exif[0x0112] = 6  # stored 40x30 (WxH), shown turned by 90 degrees
    Image.new('RGB', (40, 30), (200, 10, 10)).save(path, exif=exif)
    assert header_size(str(path)) == (30, 40)
    # LoadImageFromFile (cv2, colour) applies the orientation; so must the
    # size the sampler compares with the GT.
    decoded = cv2.imread(str(path), cv2.IMREAD_COLOR)
    assert header_size(str(path), apply_orientation=True) == \
        decoded.shape[:2] == (40, 30)


def test_header_size_of_a_page_beyond_pils_bomb_limit(tmp_path):
    """A 20000x20000 map is 400 megapixels, beyond PIL's 179-megapixel
    decompression-bomb error; only its header is read, so it is sized (and
    PIL's limit is left as it was)."""
    import struct
    import zlib

    from PIL import Image

    from mmseg_pixdiva.utils.image_header import header_size

    def chunk(kind, data):
        return (struct.pack('>I', len(data)) + kind + data +
                struct.pack('>I', zlib.crc32(kind + data)))

    path = tmp_path / 'map.png'
    path.write_bytes(b'\x89PNG\r\n\x1a\n' + chunk(
        b'IHDR', struct.pack('>IIBBBBB', 20000, 30000, 8, 2, 0, 0, 0)) +
        chunk(b'IEND', b''))
    limit = Image.MAX_IMAGE_PIXELS
    assert header_size(str(path)) == (30000, 20000)
    assert Image.MAX_IMAGE_PIXELS == limit

"""Rows of unfiltered PNGs read without a decoder, and the GT scan on them."""
import struct
import zlib

import cv2
import numpy as np
import pytest

from mmseg_pixdiva.datasets import analytics
from mmseg_pixdiva.datasets.gt_image import InvalidGTError, read_gt_rgb
from mmseg_pixdiva.utils import png_rows
from mmseg_pixdiva.utils.png_rows import NeedsFullDecode, \
    iter_unfiltered_rows
from mmseg_pixdiva.utils.png_text import PNG_SIGNATURE, chunk


def _png(pixels: np.ndarray, filters=None, extra=(), idat=None,
         depth: int = 8, interlace: int = 0) -> bytes:
    """A PNG of ``pixels`` (HxWx3 RGB or HxW grey), each row led by its
    byte of ``filters`` (default 0) stored as-is; ``extra`` chunks go
    before the data, ``idat`` replaces the zlib stream."""
    rgb = pixels.ndim == 3
    height, width = pixels.shape[:2]
    rows = pixels.reshape(height, -1)
    filters = [0] * height if filters is None else filters
    raw = b''.join(bytes([f]) + row.tobytes() for f, row in zip(filters,
                                                                 rows))
    header = struct.pack('>IIBBBBB', width, height, depth, 2 if rgb else 0,
                         0, 0, interlace)
    stream = zlib.compress(raw, 6) if idat is None else idat
    return (PNG_SIGNATURE + chunk(b'IHDR', header) + b''.join(extra) +
            chunk(b'IDAT', stream[:len(stream) // 2]) +
            chunk(b'IDAT', stream[len(stream) // 2:]) + chunk(b'IEND', b''))


def _page(height=37, width=23, seed=0):
    rng = np.random.default_rng(seed)
    page = np.zeros((height, width, 3), np.uint8)
    page[..., 2] = rng.choice([1, 2, 4, 8, 6], size=(height, width))
    page[..., 0] = rng.choice([0, 128], size=(height, width))
    return page


def _rows(path, **kwargs) -> np.ndarray:
    return np.concatenate([block.copy() for block in
                           iter_unfiltered_rows(path, **kwargs)])


@pytest.mark.parametrize('block_pixels', [1, 50, 10**6])
def test_rows_are_the_decoded_pixels(tmp_path, block_pixels):
    page = _page()
    path = tmp_path / 'gt.png'
    path.write_bytes(_png(page))
    blocks = list(iter_unfiltered_rows(path, block_pixels=block_pixels))
    assert len(blocks) == -(-37 // max(1, block_pixels // 23))
    assert np.array_equal(_rows(path, block_pixels=block_pixels), page)
    assert np.array_equal(read_gt_rgb(str(path)), page)


def test_grey_rows_and_stdlib_zlib(tmp_path, monkeypatch):
    grey = _page()[..., 2]
    path = tmp_path / 'grey.png'
    path.write_bytes(_png(grey))
    assert np.array_equal(_rows(path)[..., 0], grey)
    monkeypatch.setattr(png_rows, '_inflate_lib', zlib)
    assert np.array_equal(_rows(path)[..., 0], grey)


def test_the_project_png_writer_is_read_as_plain(tmp_path):
    from mmseg_pixdiva.utils.png_stream import PngStreamWriter
    page = _page(height=40)
    path = tmp_path / 'streamed.png'
    with PngStreamWriter(str(path), 23, 40, software='pixdiva') as writer:
        writer.write(page[:17])
        writer.write(page[17:])
    assert np.array_equal(_rows(path), page)


def _bad_idat_crc(png: bytes) -> bytes:
    """``png`` with the last byte of its last IDAT's CRC flipped (the
    IEND chunk, 12 bytes, follows it)."""
    return png[:-13] + bytes([png[-13] ^ 0xFF]) + png[-12:]


def _text_between_idats(png: bytes) -> bytes:
    """``png`` (two IDAT chunks, then IEND) with a tEXt chunk between
    its IDATs, which the PNG format does not allow."""
    from mmseg_pixdiva.utils.png_text import text_chunk
    first = 33 + 12 + struct.unpack('>I', png[33:37])[0]
    return png[:first] + text_chunk('Comment', 'x') + png[first:]


def _long_ihdr(png: bytes) -> bytes:
    """``png`` with a byte appended to its IHDR data (CRC right)."""
    ihdr = png[16:29] + b'\0'
    return png[:8] + chunk(b'IHDR', ihdr) + png[33:]


def _needs_full_decode(path):
    with pytest.raises(NeedsFullDecode):
        for _ in iter_unfiltered_rows(path, block_pixels=23 * 5):
            pass


@pytest.mark.parametrize('case', [
    'filtered first row', 'filtered last row', 'transparency chunk',
    'gamma chunk', 'bad IDAT CRC', 'short stream', 'stream runs on',
    'data after the stream', '16-bit', 'interlaced', 'no IEND', 'JPEG',
    'text between the data chunks', 'IHDR of a wrong length',
    'text before IHDR', 'wider than libpng reads'])
def test_anything_not_plain_goes_to_the_decoder(tmp_path, case):
    page = _page()
    raw = b''.join(b'\0' + row.tobytes() for row in page.reshape(37, -1))
    png = {
        'filtered first row': lambda: _png(page, [1] + [0] * 36),
        'filtered last row': lambda: _png(page, [0] * 36 + [2]),
        'transparency chunk': lambda: _png(
            page, extra=[chunk(b'tRNS', b'\0\1\0\2\0\3')]),
        'gamma chunk': lambda: _png(
            page, extra=[chunk(b'gAMA', struct.pack('>I', 50000))]),
        'bad IDAT CRC': lambda: _bad_idat_crc(_png(page)),
        'short stream': lambda: _png(page, idat=zlib.compress(raw[:-70])),
        'stream runs on': lambda: _png(page, idat=zlib.compress(raw + b'\0')),
        'data after the stream': lambda: _png(
            page, idat=zlib.compress(raw) + b'junk'),
        '16-bit': lambda: _png(page, depth=16),
        'interlaced': lambda: _png(page, interlace=1),
        'no IEND': lambda: _png(page)[:-12],
        'JPEG': lambda: cv2.imencode('.jpg', page)[1].tobytes(),
        'text between the data chunks': lambda: _text_between_idats(
            _png(page)),
        'IHDR of a wrong length': lambda: _long_ihdr(_png(page)),
        'text before IHDR': lambda: PNG_SIGNATURE + chunk(b'tEXt', b'a\0b')
        + _png(page)[8:],
        'wider than libpng reads': lambda: _png(
            np.zeros((1, 1_000_001), np.uint8)),
    }[case]()
    path = tmp_path / 'odd.png'
    path.write_bytes(png)
    _needs_full_decode(path)


def test_text_chunks_do_not_stop_the_fast_path(tmp_path):
    from mmseg_pixdiva.utils.png_text import text_chunk
    page = _page()
    path = tmp_path / 'marked.png'
    path.write_bytes(_png(page, extra=[text_chunk('Software', 'x')]))
    assert np.array_equal(_rows(path), page)


def test_scan_counts_plain_and_filtered_gts_alike(tmp_path, monkeypatch):
    page = _page()
    plain, filtered = tmp_path / 'plain.png', tmp_path / 'filtered.png'
    plain.write_bytes(_png(page))
    # Filter 0 except the last row, which is stored with filter 1 (Sub):
    # the blocks already counted must be discarded, the file decoded.
    last = page[-1].reshape(-1).astype(np.int16)
    sub = (last - np.concatenate([[0, 0, 0], last[:-3]])) % 256
    stored = page.copy()
    stored[-1] = sub.astype(np.uint8).reshape(23, 3)
    filtered.write_bytes(_png(stored, [0] * 36 + [1]))
    assert np.array_equal(read_gt_rgb(str(filtered)), page)
    decodes = []
    real = analytics.read_gt_rgb
    monkeypatch.setattr(analytics, 'read_gt_rgb',
                        lambda p: decodes.append(p) or real(p))
    expected = {int(v): int(n) for v, n in zip(
        *np.unique(page[..., 2], return_counts=True))}
    assert analytics.scan_blue_values([str(plain)]) == expected
    assert decodes == []
    assert analytics.scan_blue_values([str(filtered)]) == expected
    assert decodes == [str(filtered)]


def test_scan_refuses_what_the_decoder_refuses(tmp_path):
    page = _page()
    path = tmp_path / 'crc.png'
    path.write_bytes(_bad_idat_crc(_png(page)))
    with pytest.raises(InvalidGTError, match='crc.png'):
        analytics.scan_blue_values([str(path)])
    transparent = tmp_path / 'trns.png'
    transparent.write_bytes(_png(page, extra=[chunk(b'tRNS',
                                                    b'\0\0\0\0\0\2')]))
    with pytest.raises(InvalidGTError, match='trns.png.*transparent'):
        analytics.scan_blue_values([str(transparent)])


def test_real_gts_scan_as_decoded(hisdb_pages):
    paths = sorted(hisdb_pages.glob('*/val/gt/*.png'))[:2]
    assert paths
    for path in paths:
        assert list(iter_unfiltered_rows(path))  # the fast path applies
        decoded = analytics._histogram(read_gt_rgb(str(path)), 2)
        assert np.array_equal(analytics._gt_blue_histogram(str(path)),
                              decoded)

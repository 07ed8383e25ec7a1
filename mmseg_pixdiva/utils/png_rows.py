"""The pixel rows of a PNG stored without row filters, read without a decoder.

A PNG's pixels are a zlib stream of rows, each led by a filter byte. The
official DIVA-HisDB GTs, and the label PNGs this project streams out
(:mod:`.png_stream`), store every row with filter 0 (None): once inflated,
the stream *is* the pixels. Counting a GT's blue values then needs no image
decoder, only an inflate (zlib-ng's, about 2.5 times as fast as the zlib
that OpenCV's libpng uses) in blocks of rows, each block counted while it is
still in the cache (docs/benchmarks.md, "Checks before training").

This path takes only the plain case: 8-bit grey or RGB, not interlaced, no
chunk beyond text and timestamps that could change what a decoder returns,
every CRC right, a zlib stream that holds exactly the rows and ends with a
good checksum, and no filtered row. Anything else raises
:class:`NeedsFullDecode`, and the caller decodes the file the usual way
(:mod:`.image_reader`), which also gives the usual errors: the fast path never
accepts a file the decoder refuses, nor reads one differently.
"""
import os
import struct
import zlib
from typing import Iterator, List, Tuple, Union

import numpy as np

from .image_reader import MAX_DECODED_PIXELS
from .png_text import PNG_SIGNATURE

try:
    from zlib_ng import zlib_ng as _inflate_lib
except ImportError:  # a dependency; stdlib zlib inflates the same bytes
    _inflate_lib = zlib

#: Channels of the colour types read here (PNG colour type: 0 grey, 2 RGB).
_CHANNELS = {0: 1, 2: 3}

#: Ancillary chunks that cannot change the pixels a decoder returns. Any
#: other (transparency, gamma, significant bits, ...) sends the file to the
#: full decoder, which knows what OpenCV makes of it.
_INERT_CHUNKS = frozenset({b'tEXt', b'zTXt', b'iTXt', b'tIME', b'pHYs'})

#: The longest side libpng (so OpenCV) decodes by default; longer PNGs are
#: refused by the decoder, so they must not be read here either.
LIBPNG_MAX_SIDE = 1_000_000

#: Pixels per block: a few MB of inflated rows, so a block is counted while
#: it is in the CPU cache and a page never sits whole in memory.
DEFAULT_BLOCK_PIXELS = 1 << 20


class NeedsFullDecode(Exception):
    """The PNG is not a plain one: decode it with the image decoder."""


def _plain_layout(data: bytes) -> Tuple[int, int, int, List[memoryview]]:
    """Width, height, channels and IDAT payloads of a plain PNG.

    Raises:
        NeedsFullDecode: For anything but a plain 8-bit grey or RGB PNG
            with intact chunks.
    """
    if not data.startswith(PNG_SIGNATURE):
        raise NeedsFullDecode('not a PNG')
    view = memoryview(data)
    pos, header, idat, previous = len(PNG_SIGNATURE), None, [], b''
    while True:
        if pos + 12 > len(data):
            raise NeedsFullDecode('cut short')
        length, kind = struct.unpack_from('>I4s', data, pos)
        end = pos + 8 + length
        if end + 4 > len(data):
            raise NeedsFullDecode('cut short')
        (crc, ) = struct.unpack_from('>I', data, end)
        if zlib.crc32(view[pos + 4:end]) != crc:
            raise NeedsFullDecode(f'CRC error in {kind!r}')
        payload = view[pos + 8:end]
        if (kind == b'IHDR') != (header is None):
            raise NeedsFullDecode('IHDR not the first chunk, or twice')
        if kind == b'IHDR':
            if length != 13:
                raise NeedsFullDecode('IHDR of a wrong length')
            header = struct.unpack('>IIBBBBB', payload)
        elif kind == b'IDAT':
            if idat and previous != b'IDAT':
                raise NeedsFullDecode('IDAT chunks not consecutive')
            idat.append(payload)
        elif kind == b'IEND':
            break
        elif kind not in _INERT_CHUNKS:
            raise NeedsFullDecode(f'{kind!r} chunk')
        pos, previous = end + 4, kind
    if header is None or not idat:
        raise NeedsFullDecode('no IHDR or IDAT')
    width, height, depth, colour, compression, filtering, interlace = header
    if depth != 8 or colour not in _CHANNELS or compression or filtering \
            or interlace or not 0 < width * height <= MAX_DECODED_PIXELS \
            or max(width, height) > LIBPNG_MAX_SIDE:
        raise NeedsFullDecode('not plain 8-bit grey or RGB')
    return width, height, _CHANNELS[colour], idat


def iter_unfiltered_rows(path: Union[str, os.PathLike],
                         block_pixels: int = DEFAULT_BLOCK_PIXELS
                         ) -> Iterator[np.ndarray]:
    """Yield the pixels of a plain PNG in blocks of whole rows.

    Args:
        path: The PNG file.
        block_pixels (int): About how many pixels per block (at least one
            row).

    Yields:
        np.ndarray: ``(rows, W, C)`` uint8 read-only views, top to bottom;
        ``C`` is 3 (RGB order) or 1 (grey).

    Raises:
        NeedsFullDecode: Before the first block, or after any of them (a
            filtered row, a stream that ends early or runs on, a bad
            checksum): the blocks already yielded must then be discarded
            and the file decoded whole.
        OSError: The file cannot be read.
    """
    with open(path, 'rb') as f:
        data = f.read()
    width, height, channels, idat = _plain_layout(data)
    stride = 1 + width * channels
    rows_per_block = max(1, block_pixels // width)
    inflater = _inflate_lib.decompressobj()
    pending = b''.join(idat)
    done = 0
    try:
        while done < height:
            rows = min(rows_per_block, height - done)
            raw = inflater.decompress(pending, rows * stride)
            pending = inflater.unconsumed_tail
            if len(raw) != rows * stride:
                raise NeedsFullDecode('the image data ends early')
            block = np.frombuffer(raw, np.uint8).reshape(rows, stride)
            if block[:, 0].any():
                raise NeedsFullDecode('filtered rows')
            yield block[:, 1:].reshape(rows, width, channels)
            done += rows
        rest = inflater.decompress(pending)
    except _inflate_lib.error as error:
        raise NeedsFullDecode(f'zlib: {error}') from None
    if rest or not inflater.eof or inflater.unused_data:
        raise NeedsFullDecode('the image data runs on or has no checksum')

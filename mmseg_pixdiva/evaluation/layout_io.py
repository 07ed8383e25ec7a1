"""The layout evaluator's inputs and outputs: what it reads, how it writes.

The readers are :mod:`mmseg_pixdiva.utils.image_reader`'s (the project's
one reader), named here as the evaluator uses them. What the Java evaluator
accepts (it reads through ``ImageIO`` and
``getRGB``), with each way an input can silently change its labels turned
into a clear error that names the file:

* PNG in RGB, 8-bit grey (grey value = blue value) or palette (resolved to
  its colours); BMP and TIFF decode the same way;
* RGBA / grey+alpha / palette with transparency: accepted when every pixel
  is opaque, refused otherwise (what lies under a transparent pixel is not
  a reliable label);
* 16-bit: accepted when every value is an 8-bit value scaled by 257 (exact
  conversion), refused otherwise; grey below 8 bits is refused (its values
  are scaled to 0..255 by decoders, which is not a label encoding);
* JPEG (and other lossy formats) are refused: lossy compression changes
  label values.

Note on grey PNGs: Java's ``getRGB`` converts a linear-grey image to sRGB
(grey 1 becomes 13, 8 becomes 50), so the Java tool scores a grey
prediction on the wrong values; here the grey value is the blue value,
which is what the writer of such a file means.

Decoding uses OpenCV (imported lazily) into a pre-allocated array: no
second full-size copy is made, and two files decode in parallel threads.
The writers here (PNG and palette PNG encoding) are the evaluator's own.
"""
import os
import struct
from pathlib import Path
from typing import Optional, Tuple, Union

import numpy as np

# The header reader and the decoders live in utils (the datasets, the
# pictures and the GT writer use them too); the evaluator's names stay
# importable from here.
from ..utils.image_header import (JPEG_SIGNATURE, PNG_SIGNATURE,  # noqa: F401
                                  ImageHeader, ImageInputError,
                                  jpeg_file_is_complete, jpeg_is_complete,
                                  read_image_header)
from ..utils.image_reader import (MAX_DECODED_PIXELS,  # noqa: F401
                                  PREDICTION_SIZE_REMEDY, ImageSizeError,
                                  check_label_header, check_same_shape,
                                  read_label_image, read_label_pair,
                                  read_scan)

PathLike = Union[str, os.PathLike]


#: Suffixes the evaluator's folder mode looks at (others are ignored). Not
#: the scan suffixes of :data:`mmseg_pixdiva.datasets.pairing.IMAGE_SUFFIXES`:
#: formats the evaluator refuses (GIF, JPEG, JPEG 2000, WebP) are listed too,
#: so that such a page is named in an error, not skipped without a word.
FOLDER_MODE_SUFFIXES = ('.png', '.bmp', '.tif', '.tiff', '.jpg', '.jpeg',
                        '.jp2', '.webp', '.gif')

#: The evaluator's name for an input image it cannot score as it is.
LayoutInputError = ImageInputError


def read_page_image(path: PathLike,
                    size: Optional[Tuple[int, int]] = None,
                    gt_path: Optional[PathLike] = None) -> np.ndarray:
    """:func:`~mmseg_pixdiva.utils.image_reader.read_scan` with the size as
    ``(W, H)``, the order this function has always taken (new code calls
    ``read_scan`` with ``shape=(H, W)``)."""
    return read_scan(path, None if size is None else (size[1], size[0]),
                     gt_path)


def bgr_buffer(rgb: np.ndarray) -> Optional[np.ndarray]:
    """The writable, C-contiguous BGR array behind an RGB view returned by
    the readers here, or ``None`` if ``rgb`` is not such a view."""
    if rgb.ndim != 3 or rgb.shape[2] != 3:
        return None
    bgr = rgb[..., ::-1]
    return bgr if bgr.flags.c_contiguous and bgr.flags.writeable else None


def encode_png(bgr_or_grey: np.ndarray, compression: int = 1) -> bytes:
    """Encode a BGR (OpenCV order) or grey uint8 image as PNG bytes.

    Args:
        bgr_or_grey (np.ndarray): Contiguous ``HxWx3`` BGR or ``HxW``.
        compression (int): zlib level 0-9; 1 is fast and label-like images
            (large flat areas) still compress well.

    Returns:
        bytes: The PNG file.
    """
    import cv2
    ok, encoded = cv2.imencode(
        '.png', bgr_or_grey, [cv2.IMWRITE_PNG_COMPRESSION, compression])
    if not ok:
        raise OSError('PNG encoding failed')
    return encoded.tobytes()


class IndexedPngWriter:
    """Streaming encoder of an 8-bit palette PNG (lossless).

    Rows are added top to bottom; zlib (which releases the GIL) compresses
    them in a background thread, so encoding overlaps whatever produces the
    next rows. The error visualisation has six colours: one byte per pixel
    and zlib's run-length strategy make it about 8x faster to write (and 2x
    smaller) than the same image as RGB through OpenCV, and every PNG
    reader shows the same RGB colours.

    Args:
        width (int): Image width.
        height (int): Image height.
        palette (np.ndarray): ``Nx3`` uint8 RGB colours (N <= 256).
        level (int): zlib level (1 is fast; RLE does the work).
    """

    def __init__(self, width: int, height: int, palette: np.ndarray,
                 level: int = 1) -> None:
        import zlib
        from concurrent.futures import ThreadPoolExecutor
        self.palette = np.asarray(palette, dtype=np.uint8).reshape(-1, 3)
        if not 0 < len(self.palette) <= 256:
            raise ValueError(f'palette needs 1..256 colours, got '
                             f'{len(self.palette)}')
        self.width, self.height = int(width), int(height)
        self.rows_written = 0
        self._compressor = zlib.compressobj(level, zlib.DEFLATED, 15, 9,
                                            zlib.Z_RLE)
        self._pool = ThreadPoolExecutor(max_workers=1)
        self._parts = []

    def add_rows(self, rows: np.ndarray) -> None:
        """Queue ``rows`` (``n x width`` uint8 indices) for compression; the
        array may be reused by the caller afterwards."""
        rows = np.asarray(rows)
        if rows.ndim != 2 or rows.shape[1] != self.width or \
                rows.dtype != np.uint8:
            raise ValueError(f'rows must be uint8 of shape (n, {self.width}),'
                             f' got {rows.dtype} {rows.shape}')
        if rows.size and int(rows.max()) >= len(self.palette):
            raise ValueError(f'index {int(rows.max())} outside the palette '
                             f'of {len(self.palette)} colours')
        if self.rows_written + len(rows) > self.height:
            raise ValueError(f'more than {self.height} rows added')
        scanlines = np.zeros((len(rows), self.width + 1), dtype=np.uint8)
        scanlines[:, 1:] = rows  # column 0: PNG filter type 0 (None)
        self.rows_written += len(rows)
        self._parts.append(
            self._pool.submit(self._compressor.compress, scanlines.data))

    def finish(self) -> bytes:
        """Wait for the compression and return the PNG file."""
        import zlib
        try:
            if self.rows_written != self.height:
                raise ValueError(f'{self.rows_written} of {self.height} rows '
                                 f'added')
            data = [part.result() for part in self._parts]
            data.append(self._compressor.flush())
        finally:
            self._pool.shutdown(wait=True)

        def chunk(kind: bytes, payload: bytes) -> bytes:
            crc = zlib.crc32(kind + payload) & 0xFFFFFFFF
            return (struct.pack('>I', len(payload)) + kind + payload +
                    struct.pack('>I', crc))

        header = struct.pack('>IIBBBBB', self.width, self.height, 8, 3, 0, 0,
                             0)
        return b''.join([
            PNG_SIGNATURE,
            chunk(b'IHDR', header),
            chunk(b'PLTE', self.palette.tobytes()),
            chunk(b'IDAT', b''.join(data)),
            chunk(b'IEND', b''),
        ])


def encode_indexed_png(indices: np.ndarray,
                       palette: np.ndarray,
                       level: int = 1,
                       rows_per_chunk: int = 256) -> bytes:
    """Encode ``HxW`` uint8 palette indices as a palette PNG (see
    :class:`IndexedPngWriter`)."""
    indices = np.asarray(indices)
    if indices.ndim != 2:
        raise ValueError(f'indices must be HxW, got shape {indices.shape}')
    writer = IndexedPngWriter(indices.shape[1], indices.shape[0], palette,
                              level)
    for r0 in range(0, indices.shape[0], rows_per_chunk):
        writer.add_rows(indices[r0:r0 + rows_per_chunk])
    return writer.finish()


def stem_of(path: PathLike) -> str:
    """File name without its last suffix (pairing key in folder mode)."""
    return Path(path).stem

"""Write an RGB PNG band by band, atomically.

OpenCV and PIL encode a PNG from the whole image, so writing a page needs
its full ``H x W x 3`` array (1.2 GB for a 20000x20000 map) on top of the
data it was made from. A PNG is a zlib stream of rows, each led by a filter
byte: :class:`PngStreamWriter` compresses the rows as they come and keeps
nothing but zlib's window, so band-streaming inference can write a page of
any height in bounded memory.

The file is written under a temporary name and renamed when the last row is
in (:func:`~.atomic.atomic_path`): an interrupted or failed write leaves
nothing behind. Pure numpy and zlib.
"""
import os
import struct
import zlib
from typing import Optional, Union

import numpy as np

from .atomic import atomic_path
from .png_text import PNG_SIGNATURE, chunk, text_chunk

PathLike = Union[str, os.PathLike]

#: Bytes of compressed data per IDAT chunk (any size is valid PNG; larger
#: chunks mean fewer headers, smaller ones less buffering).
IDAT_BYTES = 1 << 20


class PngStreamWriter:
    """An 8-bit RGB PNG written row band by row band.

    Use as a context manager: leaving the ``with`` block normally with all
    ``height`` rows written renames the file into place; an exception (or
    too few rows) deletes it.

    Args:
        path: The final file name.
        width (int): Image width.
        height (int): Image height.
        compression (int): zlib level 0-9 (3, as the project's other PNG
            writers: label images compress well and fast).
        software (str, optional): Recorded as the file's ``Software`` text
            (:mod:`.png_text`), so the tool recognises its own output.

    Example:
        >>> with PngStreamWriter('out.png', 640, 480) as png:
        ...     for band in bands:          # each rows x 640 x 3 uint8 RGB
        ...         png.write(band)
    """

    def __init__(self, path: PathLike, width: int, height: int,
                 compression: int = 3,
                 software: Optional[str] = None) -> None:
        if width < 1 or height < 1:
            raise ValueError(f'{path}: a PNG needs a positive size, got '
                             f'{width}x{height} (WxH)')
        self.path, self.width, self.height = path, int(width), int(height)
        self.rows_written = 0
        self._compression = compression
        self._software = software
        self._atomic = None
        self._file = None
        self._zlib = None
        self._pending = bytearray()

    def __enter__(self) -> 'PngStreamWriter':
        self._atomic = atomic_path(self.path)
        tmp = self._atomic.__enter__()
        try:
            self._file = open(tmp, 'wb')
            header = struct.pack('>IIBBBBB', self.width, self.height, 8, 2, 0,
                                 0, 0)  # 8-bit RGB, no interlace
            self._file.write(PNG_SIGNATURE + chunk(b'IHDR', header))
            if self._software is not None:
                self._file.write(text_chunk('Software', self._software))
            self._zlib = zlib.compressobj(self._compression)
        except BaseException as error:
            self._abort(error)
            raise
        return self

    def write(self, rgb: np.ndarray) -> None:
        """Append rows.

        Args:
            rgb (np.ndarray): ``rows x width x 3`` uint8 RGB.

        Raises:
            ValueError: On a wrong shape or dtype, or more rows than
                ``height``.
        """
        if rgb.ndim != 3 or rgb.shape[1:] != (self.width, 3) or \
                rgb.dtype != np.uint8:
            raise ValueError(
                f'{self.path}: expected rows x {self.width} x 3 uint8, got '
                f'{rgb.dtype} {rgb.shape}')
        if self.rows_written + len(rgb) > self.height:
            raise ValueError(f'{self.path}: {self.rows_written + len(rgb)} '
                             f'rows for an image of {self.height}')
        # Each row is led by its filter type, 0 (None): label images are
        # runs of equal pixels, which zlib compresses without a filter.
        rows = np.zeros((len(rgb), 1 + self.width * 3), dtype=np.uint8)
        rows[:, 1:] = rgb.reshape(len(rgb), self.width * 3)
        self._pending += self._zlib.compress(rows.data)
        self.rows_written += len(rgb)
        self._flush(IDAT_BYTES)

    def _flush(self, at_least: int) -> None:
        while len(self._pending) >= max(at_least, 1):
            data = bytes(self._pending[:IDAT_BYTES])
            del self._pending[:IDAT_BYTES]
            self._file.write(chunk(b'IDAT', data))

    def _abort(self, error: BaseException) -> None:
        if self._file is not None:
            self._file.close()
        self._atomic.__exit__(type(error), error, error.__traceback__)

    def __exit__(self, kind, error, traceback) -> bool:
        if kind is None and self.rows_written != self.height:
            error = ValueError(f'{self.path}: {self.rows_written} of '
                               f'{self.height} rows written')
            self._abort(error)
            raise error
        if kind is not None:
            self._abort(error)
            return False
        try:
            self._pending += self._zlib.flush()
            self._flush(0)
            self._file.write(chunk(b'IEND', b''))
            self._file.close()
        except BaseException as failure:
            self._abort(failure)
            raise
        self._atomic.__exit__(None, None, None)  # renames into place
        return False

"""Reading pages and GT-format PNGs as RGB arrays for the pictures.

The decoding is :mod:`mmseg_pixdiva.utils.image_reader`'s (the project's
one reader, one EXIF policy); these names stay for the tools and tests that
import them from here.
"""
from pathlib import Path
from typing import Union

import numpy as np

from ..utils.image_reader import decode_label_rgb
from ..utils.image_reader import decode_scan as decode_rgb  # noqa: F401


def read_rgb(path: Union[str, Path]) -> np.ndarray:
    """Read a GT, prediction or picture file as ``HxWx3`` uint8 RGB, pixel
    values unchanged (grey: the value is the blue channel).

    Raises:
        FileNotFoundError: If the file does not exist.
        ImageInputError: If it is not an 8-bit opaque image (a
            ``ValueError``).
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f'{path}: no such file')
    return decode_label_rgb(path.read_bytes(), str(path))

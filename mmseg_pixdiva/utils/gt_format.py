"""Write predictions in the GT's own format, and check what was written.

A prediction in GT format is an RGB PNG, same size and same stem as the input
page, whose blue channel holds the class encoding (``label_values[class]``;
the HisDB bits for DIVA-HisDB) and whose red and green channels are 0: the
evaluators that read the GTs read it unchanged. Numpy only (OpenCV is loaded
when writing).
"""
import os
import struct
from pathlib import Path
from typing import Optional, Sequence, Tuple, Union

import numpy as np

from ..datasets.encoding import classes_to_gt_rgb
from .atomic import atomic_write_image
from .output_guard import OutputIsInputError, same_file

PathLike = Union[str, os.PathLike]

_PNG_SIGNATURE = b'\x89PNG\r\n\x1a\n'
# The IEND chunk is always the same 12 bytes: length 0, type, CRC.
_PNG_IEND = b'\x00\x00\x00\x00IEND\xaeB`\x82'


def gt_format_path(out_dir: PathLike, img_path: PathLike) -> Path:
    """``<out_dir>/<stem of img_path>.png``."""
    return Path(out_dir) / f'{Path(img_path).stem}.png'


def check_not_an_input(out_path: PathLike,
                       inputs: Sequence[Optional[PathLike]]) -> None:
    """Refuse an output path that is one of the sample's own input files.

    A prediction folder pointed at the dataset's ``gt/`` (or ``data/``)
    folder would silently replace the ground truth with predictions, which
    is never wanted and cannot be undone.

    Args:
        out_path: Where a prediction is about to be written.
        inputs: The sample's files (page image, GT); ``None`` entries are
            ignored.

    Raises:
        OutputIsInputError: Naming both paths, if ``out_path`` is one of
            them (links included).
    """
    for path in inputs:
        if path is not None and same_file(out_path, path):
            raise OutputIsInputError(
                f'{out_path}: writing the prediction there would replace the '
                f'input file {path}; choose an output folder outside the '
                'dataset')


def write_gt_format_prediction(path: PathLike, classes: np.ndarray,
                               label_values: Sequence[int]) -> None:
    """Write class indices as a GT-format RGB PNG, atomically.

    Args:
        path: Output file (``.png``).
        classes (np.ndarray): ``HxW`` integer class indices.
        label_values (Sequence[int]): Blue values in class order.
    """
    classes = np.asarray(classes)
    if classes.ndim != 2:
        raise ValueError(f'{path}: expected HxW class indices, got shape '
                         f'{classes.shape}')
    atomic_write_image(path, classes_to_gt_rgb(classes, label_values))


def png_size(path: PathLike) -> Optional[Tuple[int, int]]:
    """``(width, height)`` of a *complete* PNG file, else None.

    Complete means: PNG signature, an IHDR chunk first, and the file ends
    with the IEND chunk (a file cut short by an interrupted copy does not).
    Reads 24 bytes from the start and 12 from the end only.

    Args:
        path: The file.

    Returns:
        tuple | None: ``(width, height)``, or None if missing or incomplete.
    """
    try:
        with open(path, 'rb') as f:
            head = f.read(24)
            f.seek(0, os.SEEK_END)
            if f.tell() < 24 + len(_PNG_IEND):
                return None
            f.seek(-len(_PNG_IEND), os.SEEK_END)
            tail = f.read()
    except OSError:
        return None
    if head[:8] != _PNG_SIGNATURE or head[12:16] != b'IHDR' \
            or tail != _PNG_IEND:
        return None
    width, height = struct.unpack('>II', head[16:24])
    return width, height

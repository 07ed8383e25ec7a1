"""Write predictions in the GT's own format, and check what was written.

A prediction in GT format is an RGB PNG, same size and same stem as the input
page, whose blue channel holds the class encoding (``label_values[class]``;
the HisDB bits for DIVA-HisDB) and whose red and green channels are 0: the
evaluators that read the GTs read it unchanged. Numpy only (OpenCV is loaded
when writing).
"""
import os
from pathlib import Path
from typing import Optional, Sequence, Tuple, Union

import numpy as np

from ..core.encoding import classes_to_gt_rgb
from .errors import InputError
from .image_header import read_image_header
from .output_guard import OutputIsInputError, same_file
from .png_stream import PngStreamWriter
from .png_text import read_text

PathLike = Union[str, os.PathLike]

#: The ``Software`` text of every GT-format prediction written here: a rerun
#: replaces such files, never a user's file of the same name.
PREDICTION_SOFTWARE = 'mmseg_pixdiva predictions'


def gt_format_path(out_dir: PathLike, img_path: PathLike) -> Path:
    """``<out_dir>/<stem of img_path>.png``."""
    return Path(out_dir) / f'{Path(img_path).stem}.png'


def is_prediction_file(path: PathLike) -> bool:
    """Whether the file at ``path`` is a GT-format prediction this package
    wrote (its PNG ``Software`` text is :data:`PREDICTION_SOFTWARE`)."""
    return read_text(path).get('Software') == PREDICTION_SOFTWARE


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


class GTFormatPngStream(PngStreamWriter):
    """A GT-format prediction written band by band (a
    :class:`~.png_stream.PngStreamWriter` fed with class indices), marked
    with :data:`PREDICTION_SOFTWARE`.

    Args:
        path: Output file (``.png``).
        width (int): Page width.
        height (int): Page height.
        label_values (Sequence[int]): Blue values in class order.
    """

    def __init__(self, path: PathLike, width: int, height: int,
                 label_values: Sequence[int]) -> None:
        super().__init__(path, width, height, software=PREDICTION_SOFTWARE)
        self.label_values = list(label_values)

    def write_classes(self, classes: np.ndarray) -> None:
        """Append ``rows x width`` integer class indices."""
        classes = np.asarray(classes)
        if classes.ndim != 2:
            raise ValueError(f'{self.path}: expected rows x W class indices, '
                             f'got shape {classes.shape}')
        self.write(classes_to_gt_rgb(classes, self.label_values))


#: Rows encoded at a time by :func:`write_gt_format_prediction` (bounds the
#: RGB rows held besides the class map).
WRITE_ROWS = 256


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
    height, width = classes.shape
    with GTFormatPngStream(path, width, height, label_values) as png:
        for top in range(0, height, WRITE_ROWS):
            png.write_classes(classes[top:top + WRITE_ROWS])


def png_size(path: PathLike) -> Optional[Tuple[int, int]]:
    """``(width, height)`` of a *complete* PNG file, else None.

    Complete means: PNG signature, an IHDR chunk first, and the IEND chunk
    at the file's end (a file cut short by an interrupted copy has none;
    bytes after it, which decoders ignore, are allowed), as
    :func:`~mmseg_pixdiva.utils.image_header.read_image_header` reads them:
    the file's first bytes and its tail only.

    Args:
        path: The file.

    Returns:
        tuple | None: ``(width, height)``, or None if missing or incomplete.
    """
    try:
        header = read_image_header(path)
    except InputError:  # missing, unreadable, empty or a cut IHDR
        return None
    if header.format != 'PNG' or not header.complete:
        return None
    return header.width, header.height

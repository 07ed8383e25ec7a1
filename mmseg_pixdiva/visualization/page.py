"""The pictures of one page: coloured prediction, coloured GT, error map,
overlay (pure; shared by the hook and ``tools/visualize.py``)."""
import os
from pathlib import Path
from typing import Dict, Optional, Sequence

import numpy as np

from mmseg_pixdiva.core.encoding import classes_to_gt_rgb, decode_gt
from mmseg_pixdiva.utils.atomic import atomic_write_image
from mmseg_pixdiva.utils.image_reader import ImageSizeError, check_same_shape
from mmseg_pixdiva.utils.png_text import read_text

from .colour import blend, colourize

#: Order and file-name suffixes of the pictures of a page.
PICTURE_KINDS = ('pred', 'gt', 'errors', 'overlay')
#: The ``Software`` text of every picture and legend written here: a rerun
#: replaces such files, never a user's file of the same name.
PICTURE_SOFTWARE = 'mmseg_pixdiva pictures'
#: File name of the legend written beside the pictures.
LEGEND = 'legend.png'


#: A prediction and its GT (or scan) differ in size.
PageSizeError = ImageSizeError


def check_same_size(expected: Sequence[int], actual: Sequence[int],
                    what: str, filename: Optional[str] = None) -> None:
    """Raise :class:`PageSizeError` naming the file if two sizes differ.

    Args:
        expected (Sequence[int]): Shape ``(height, width, ...)`` of the
            prediction (the reference).
        actual (Sequence[int]): Shape ``(height, width, ...)`` of the
            other image.
        what (str): What the other image is, e.g. ``'GT'`` or
            ``'scan data/page.jpg'``.
        filename (str, optional): The prediction, named in the message.
    """
    check_same_shape(filename or 'page', expected, f'the {what}', actual,
                     'they must have the same size', 'prediction size')


def error_picture(gt_rgb: np.ndarray, pred_classes: np.ndarray,
                  label_values: Sequence[int]) -> np.ndarray:
    """DIVA layout evaluator's error colour code for a prediction.

    The prediction is first written in the GT's own format (blue = class
    encoding), exactly as it would be handed to the evaluator.

    Args:
        gt_rgb (np.ndarray): ``HxWx3`` uint8 RGB GT as read from its file
            (boundary bit in red included).
        pred_classes (np.ndarray): ``HxW`` predicted class indices.
        label_values (Sequence[int]): Blue values in class order.

    Returns:
        np.ndarray: ``HxWx3`` uint8 RGB error map.
    """
    # Local import keeps `import mmseg_pixdiva.visualization` small.
    from mmseg_pixdiva.evaluation.layout_analysis import error_visualization
    pred_rgb = classes_to_gt_rgb(pred_classes, label_values)
    return error_visualization(gt_rgb, pred_rgb)


def overlay_picture(scan: np.ndarray,
                    errors: Optional[np.ndarray] = None,
                    pred_colours: Optional[np.ndarray] = None,
                    alpha: float = 0.5) -> np.ndarray:
    """The error map over the scan (evaluator style), or else the coloured
    prediction blended over the scan."""
    if errors is not None:
        from mmseg_pixdiva.evaluation.layout_analysis import error_overlay
        return error_overlay(errors, scan)
    if pred_colours is None:
        raise ValueError('an overlay needs the error map or the prediction')
    return blend(scan, pred_colours, alpha)


def page_pictures(pred: np.ndarray,
                  palette: Sequence[Sequence[int]],
                  label_values: Optional[Sequence[int]] = None,
                  gt_rgb: Optional[np.ndarray] = None,
                  gt_classes: Optional[np.ndarray] = None,
                  scan: Optional[np.ndarray] = None,
                  error_map: bool = True,
                  overlay: bool = False,
                  overlay_alpha: float = 0.5,
                  colour_gt: bool = True,
                  filename: Optional[str] = None) -> Dict[str, np.ndarray]:
    """Make the full-resolution pictures of a page.

    Args:
        pred (np.ndarray): ``HxW`` predicted class indices.
        palette (Sequence[Sequence[int]]): One RGB colour per class.
        label_values (Sequence[int], optional): Blue values in class order;
            needed to decode ``gt_rgb`` and for the error map.
        gt_rgb (np.ndarray, optional): ``HxWx3`` RGB GT as read from file.
        gt_classes (np.ndarray, optional): ``HxW`` GT class indices (used
            instead of decoding ``gt_rgb`` for the coloured GT).
        scan (np.ndarray, optional): ``HxWx3`` RGB page, for the overlay.
        error_map (bool): Make the evaluator-style error map (needs
            ``gt_rgb`` and ``label_values``).
        overlay (bool): Make the overlay on ``scan``.
        overlay_alpha (float): Weight of the prediction colours in the
            overlay when there is no error map.
        colour_gt (bool): Make the coloured GT (False when the GT is known
            not to decode; the error map only needs the raw ``gt_rgb``).
        filename (str, optional): The page, named in error messages.

    Returns:
        dict: Some of ``'pred'``, ``'gt'``, ``'errors'``, ``'overlay'``
        (see :data:`PICTURE_KINDS`), each ``HxWx3`` uint8 RGB.

    Raises:
        PageSizeError: If GT or scan size differs from the prediction.
        UnknownLabelValueError: If the GT holds blue values that are not
            classes.
    """
    pred = np.asarray(pred)
    if pred.ndim != 2:
        raise ValueError(f'{filename or "page"}: prediction must be HxW, '
                         f'got shape {pred.shape}')
    for other, what in ((gt_rgb, 'GT'), (gt_classes, 'GT classes'),
                        (scan, 'scan')):
        if other is not None:
            check_same_size(pred.shape, other.shape, what, filename)
    pictures = {'pred': colourize(pred, palette)}
    if colour_gt and gt_classes is None and gt_rgb is not None \
            and label_values is not None:
        gt_classes = decode_gt(gt_rgb, label_values, filename=filename)
    if colour_gt and gt_classes is not None:
        pictures['gt'] = colourize(gt_classes, palette)
    if error_map and gt_rgb is not None and label_values is not None:
        pictures['errors'] = error_picture(gt_rgb, pred, label_values)
    if overlay and scan is not None:
        pictures['overlay'] = overlay_picture(
            scan, pictures.get('errors'), pictures['pred'], overlay_alpha)
    return pictures


def is_picture_file(path) -> bool:
    """Whether the file at ``path`` is a picture or legend this package
    wrote (its PNG ``Software`` text is :data:`PICTURE_SOFTWARE`)."""
    return read_text(path).get('Software') == PICTURE_SOFTWARE


def picture_path(out_dir, stem: str, kind: str) -> Path:
    """File name of a page picture: ``<out_dir>/<stem>_<kind>.png``."""
    return Path(out_dir) / f'{stem}_{kind}.png'


def write_page_pictures(out_dir, stem: str, pictures: Dict[str, np.ndarray],
                        compression: int = 3) -> Dict[str, Path]:
    """Write every picture atomically as ``<stem>_<kind>.png``.

    Returns:
        dict: The written path per kind.
    """
    os.makedirs(out_dir, exist_ok=True)
    written = {}
    for kind in PICTURE_KINDS:
        if kind in pictures:
            path = picture_path(out_dir, stem, kind)
            atomic_write_image(path, pictures[kind], compression=compression,
                               software=PICTURE_SOFTWARE)
            written[kind] = path
    return written

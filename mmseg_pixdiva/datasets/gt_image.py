"""Read and validate GT images as RGB (pure: numpy + OpenCV)."""
from typing import Optional

import numpy as np

from ..utils.errors import InputError


class InvalidGTError(InputError, ValueError):
    """A GT file cannot hold exact class labels."""


def gt_image_to_rgb(decoded: np.ndarray, filename: Optional[str] = None,
                    channel_order: str = 'bgr') -> np.ndarray:
    """Turn a decoded GT (as OpenCV/mmcv return it) into ``HxWx3`` RGB.

    Args:
        decoded (np.ndarray): ``HxW`` (grey: the value is the blue class
            encoding), ``HxWx3`` or ``HxWx4`` uint8.
        filename (str, optional): Named in errors.
        channel_order (str): ``'bgr'`` (OpenCV, mmcv) or ``'rgb'``.

    Returns:
        np.ndarray: ``HxWx3`` uint8 RGB (may be a view of ``decoded``).

    Raises:
        InvalidGTError: For non-8-bit data, an unexpected channel count or
            a non-opaque alpha channel (its colours would be ambiguous).
    """
    name = filename or 'GT'
    if decoded is None:
        raise InvalidGTError(f'{name}: could not be decoded as an image')
    if decoded.dtype != np.uint8:
        raise InvalidGTError(
            f'{name}: GT has {decoded.dtype} pixels; expected 8-bit RGB '
            '(class in the blue channel)')
    if decoded.ndim == 2:
        rgb = np.zeros(decoded.shape + (3, ), dtype=np.uint8)
        rgb[..., 2] = decoded
        return rgb
    if decoded.ndim != 3 or decoded.shape[2] not in (3, 4):
        raise InvalidGTError(f'{name}: GT has shape {decoded.shape}; '
                             'expected an RGB image')
    if decoded.shape[2] == 4:
        alpha = decoded[..., 3]
        if alpha.min() != 255:
            raise InvalidGTError(
                f'{name}: GT has a transparent alpha channel '
                f'({int((alpha != 255).sum())} pixels not opaque); save it '
                'as plain RGB')
        decoded = decoded[..., :3]
    return decoded[..., ::-1] if channel_order == 'bgr' else decoded


def read_gt_rgb(path: str) -> np.ndarray:
    """Read a GT file from the local disk as ``HxWx3`` uint8 RGB.

    Args:
        path (str): GT image path.

    Returns:
        np.ndarray: RGB array.
    """
    import cv2
    decoded = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    if decoded is None:
        raise InvalidGTError(f'{path}: cannot read the GT (missing file or '
                             'not an image)')
    return gt_image_to_rgb(decoded, str(path))

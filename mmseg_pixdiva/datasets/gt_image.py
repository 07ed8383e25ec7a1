"""Read and validate GT images as RGB, the datasets' way.

The decoding and its rules are :mod:`mmseg_pixdiva.utils.image_reader`'s
(the project's one reader); these names stay for the dataset, the
transforms and the tools that import them from here.
"""
from typing import Optional

import numpy as np

from ..utils.image_reader import LabelImageError, label_to_rgb, \
    read_label_rgb

#: A GT file cannot hold exact class labels.
InvalidGTError = LabelImageError


def gt_image_to_rgb(decoded: np.ndarray, filename: Optional[str] = None,
                    channel_order: str = 'bgr') -> np.ndarray:
    """Turn a decoded GT (as OpenCV/mmcv return it) into ``HxWx3`` RGB
    (see :func:`~mmseg_pixdiva.utils.image_reader.label_to_rgb`).

    Raises:
        InvalidGTError: For non-8-bit data, an unexpected channel count or
            a non-opaque alpha channel.
    """
    return label_to_rgb(decoded, filename or 'GT', channel_order)


def read_gt_rgb(path: str) -> np.ndarray:
    """Read a GT file from the local disk as ``HxWx3`` uint8 RGB.

    Raises:
        InvalidGTError: Naming the file if it is missing or not an 8-bit
            opaque image.
    """
    return read_label_rgb(path, 'GT')

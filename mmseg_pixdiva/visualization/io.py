"""Reading pages and GT-format PNGs as RGB arrays (OpenCV, imported lazily)."""
from pathlib import Path
from typing import Optional, Union

import numpy as np

#: OpenCV's decode-time reductions; JPEG decodes much faster reduced.
_REDUCTIONS = (8, 4, 2)


def _to_rgb(image: Optional[np.ndarray], source: str) -> np.ndarray:
    if image is None:
        raise ValueError(f'{source}: not a readable image')
    if image.dtype != np.uint8:
        raise ValueError(f'{source}: expected an 8-bit image, got '
                         f'{image.dtype}')
    if image.ndim == 2:
        # A single-channel label image: its value plays the blue channel.
        return np.repeat(image[..., None], 3, axis=2)
    return np.ascontiguousarray(image[..., 2::-1])  # BGR(A) -> RGB


def decode_rgb(data: bytes, source: str = 'image',
               max_size: Optional[int] = None,
               full_shape: Optional[tuple] = None) -> np.ndarray:
    """Decode image bytes to ``HxWx3`` uint8 RGB, pixel values unchanged.

    Args:
        data (bytes): Encoded image.
        source (str): Named in error messages (the file name).
        max_size (int, optional): Only for photos (scans): decode at a
            reduced resolution (1/2, 1/4 or 1/8) that is still at least
            ``max_size`` on the longer side; needs ``full_shape``.
        full_shape (tuple, optional): ``(height, width)`` of the full page.

    Returns:
        np.ndarray: ``HxWx3`` uint8 RGB.
    """
    import cv2
    buffer = np.frombuffer(data, dtype=np.uint8)
    flag = cv2.IMREAD_UNCHANGED
    if max_size is not None and full_shape is not None:
        longest = max(full_shape[:2])
        flags = {8: cv2.IMREAD_REDUCED_COLOR_8, 4: cv2.IMREAD_REDUCED_COLOR_4,
                 2: cv2.IMREAD_REDUCED_COLOR_2}
        for factor in _REDUCTIONS:
            if longest // factor >= max_size:
                flag = flags[factor]
                break
        else:
            flag = cv2.IMREAD_COLOR
    return _to_rgb(cv2.imdecode(buffer, flag), source)


def read_rgb(path: Union[str, Path]) -> np.ndarray:
    """Read an image file as ``HxWx3`` uint8 RGB, pixel values unchanged.

    Raises:
        FileNotFoundError: If the file does not exist.
        ValueError: If it is not an 8-bit image.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f'{path}: no such file')
    return decode_rgb(path.read_bytes(), str(path))

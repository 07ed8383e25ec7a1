"""Pure colouring of class maps (numpy only).

A class map holds one class index per pixel (``IGNORE_INDEX`` = 255 where
there is no label); a palette lists one RGB colour per class.
"""
from typing import List, Optional, Sequence

import numpy as np

from mmseg_pixdiva.core.encoding import (HISDB_BACKGROUND, IGNORE_INDEX,
                                         distinct_palette, hisdb_palette)

#: Colour of pixels without a label (IGNORE_INDEX) in coloured maps.
IGNORE_COLOUR = (128, 128, 128)


def palette_lut(palette: Sequence[Sequence[int]],
                ignore_colour: Sequence[int] = IGNORE_COLOUR) -> np.ndarray:
    """Lookup table from class index (0..255) to RGB.

    Args:
        palette (Sequence[Sequence[int]]): One ``(r, g, b)`` per class.
        ignore_colour (Sequence[int]): Colour of :data:`IGNORE_INDEX`.

    Returns:
        np.ndarray: ``(256, 3)`` uint8.

    Raises:
        ValueError: If the palette is empty, too long or not RGB in 0..255.
    """
    colours = np.asarray(palette, dtype=np.int64)
    if colours.ndim != 2 or colours.shape[1] != 3 or not len(colours):
        raise ValueError('palette must be a non-empty list of (r, g, b), '
                         f'got shape {colours.shape}')
    if len(colours) >= IGNORE_INDEX:
        raise ValueError(f'at most {IGNORE_INDEX - 1} classes are supported')
    if colours.min() < 0 or colours.max() > 255:
        raise ValueError('palette colours must be in 0..255')
    lut = np.zeros((256, 3), dtype=np.uint8)
    lut[:len(colours)] = colours
    lut[IGNORE_INDEX] = ignore_colour
    return lut


def colourize(class_map: np.ndarray,
              palette: Sequence[Sequence[int]],
              ignore_colour: Sequence[int] = IGNORE_COLOUR) -> np.ndarray:
    """Colour a class map with a palette.

    Args:
        class_map (np.ndarray): ``HxW`` integer class indices;
            :data:`IGNORE_INDEX` marks unlabelled pixels.
        palette (Sequence[Sequence[int]]): One ``(r, g, b)`` per class.
        ignore_colour (Sequence[int]): Colour of unlabelled pixels.

    Returns:
        np.ndarray: ``HxWx3`` uint8 RGB.

    Raises:
        ValueError: If the map holds an index that has no colour.
    """
    class_map = np.asarray(class_map)
    if class_map.ndim != 2:
        raise ValueError(f'expected an HxW class map, got {class_map.shape}')
    lut = palette_lut(palette, ignore_colour)
    if class_map.dtype != np.uint8:
        if class_map.size and (class_map.min() < 0
                               or class_map.max() > IGNORE_INDEX):
            raise ValueError('class indices must be in 0..255, got '
                             f'{class_map.min()}..{class_map.max()}')
        class_map = class_map.astype(np.uint8)
    num_classes = len(palette)
    # max() is cheap; the exact list of bad indices only when needed.
    if class_map.size and class_map.max() >= num_classes:
        bad_mask = (class_map >= num_classes) & (class_map != IGNORE_INDEX)
        if bad_mask.any():
            bad = np.unique(class_map[bad_mask]).tolist()
            raise ValueError(f'class indices {bad} have no colour in a '
                             f'palette of {num_classes} classes')
    if not class_map.size:
        return np.zeros(class_map.shape + (3, ), dtype=np.uint8)
    import cv2
    class_map = np.ascontiguousarray(class_map)
    # A 3-channel cv2.LUT is ~2x faster than numpy fancy indexing on
    # 30-megapixel pages (and gives the same values).
    return cv2.LUT(cv2.merge([class_map] * 3), lut.reshape(256, 1, 3))


def blend(image: np.ndarray, colours: np.ndarray,
          alpha: float = 0.5) -> np.ndarray:
    """Blend a coloured map over an image.

    Args:
        image (np.ndarray): ``HxWx3`` uint8 RGB (or ``HxW`` grey) scan.
        colours (np.ndarray): ``HxWx3`` uint8 RGB, same height and width.
        alpha (float): Weight of ``colours`` (0 keeps the image).

    Returns:
        np.ndarray: ``HxWx3`` uint8 RGB.
    """
    if image.ndim == 2:
        image = np.repeat(image[..., None], 3, axis=2)
    if image.shape[:2] != colours.shape[:2]:
        raise ValueError(f'image {image.shape[:2]} and colours '
                         f'{colours.shape[:2]} differ in size')
    mixed = (1.0 - alpha) * image[..., :3].astype(np.float32) \
        + alpha * colours.astype(np.float32)
    return np.clip(np.rint(mixed), 0, 255).astype(np.uint8)


def is_bit_flag_encoding(label_values: Optional[Sequence[int]]) -> bool:
    """Whether blue values follow DIVA-HisDB's bit flags.

    That is: every value is in 1..255 and background (0x01) is a class. The
    evaluator-style error map is only meaningful for such an encoding.
    """
    if not label_values:
        return False
    values = [int(v) for v in label_values]
    return all(0 < v < 256 for v in values) and HISDB_BACKGROUND in values


def resolve_palette(num_classes: int,
                    palette: Optional[Sequence[Sequence[int]]] = None,
                    label_values: Optional[Sequence[int]] = None,
                    hisdb: Optional[bool] = None) -> List[List[int]]:
    """Pick the colours of ``num_classes`` classes.

    Order: an explicit ``palette`` (the dataset's) if it has one colour per
    class; else the fixed DIVA-HisDB colours if the classes are HisDB bit
    flags (``hisdb=None`` decides from ``label_values``); else
    :func:`distinct_palette`.

    Args:
        num_classes (int): Number of classes.
        palette (Sequence[Sequence[int]], optional): Dataset palette.
        label_values (Sequence[int], optional): Blue values in class order.
        hisdb (bool, optional): Force or forbid the HisDB colours.

    Returns:
        list: ``num_classes`` RGB lists.
    """
    if palette is not None and len(palette) >= num_classes:
        return [[int(c) for c in colour] for colour in palette[:num_classes]]
    if hisdb is None:
        hisdb = is_bit_flag_encoding(label_values)
    if hisdb and label_values is not None \
            and len(label_values) >= num_classes:
        return hisdb_palette(list(label_values)[:num_classes])
    return distinct_palette(num_classes)

"""Pure conversions between GT pixels and class indices (numpy only).

A GT (and a prediction written in GT format) is an RGB image whose **blue**
channel encodes the class. ``label_values`` lists the blue values in class
order, so class ``i`` is written as blue ``label_values[i]``. DIVA-HisDB uses
bit flags in blue (0x01 background, 0x02 comment, 0x04 decoration, 0x08 main
text; multi-label pixels OR them) and marks boundary pixels with bit 7 of red.
"""
import operator
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np

from .errors import InputError

#: Index used for pixels that carry no label (padding, mmseg's default).
IGNORE_INDEX = 255

#: Red-channel bit that DIVA-HisDB sets on boundary pixels.
BOUNDARY_RED_BIT = 0x80

#: Blue value of the DIVA-HisDB background bit (bit 0).
HISDB_BACKGROUND = 0x01

#: DIVA-HisDB blue-channel bits and their class names.
HISDB_BITS: Dict[int, str] = {
    HISDB_BACKGROUND: 'background',
    0x02: 'comment',
    0x04: 'decoration',
    0x08: 'main text',
}

#: Fixed colours of the single-bit HisDB classes (RGB).
HISDB_BIT_COLOURS: Dict[int, Tuple[int, int, int]] = {
    0x01: (0, 0, 0),
    0x02: (0, 200, 255),
    0x04: (255, 60, 60),
    0x08: (255, 220, 0),
}


#: The DIVA-HisDB foreground bits, in the channel order of per-bit
#: prediction (one output per bit; background is "no bit set").
HISDB_FOREGROUND_BITS: Tuple[int, ...] = (0x02, 0x04, 0x08)


class InvalidLabelValuesError(InputError, ValueError):
    """A ``label_values`` list a GT blue channel cannot encode."""


class UnknownLabelValueError(InputError, ValueError):
    """A GT holds blue values that are not in the class list."""


def hisdb_class_name(blue: int) -> str:
    """Name a DIVA-HisDB blue value from its bits.

    Args:
        blue (int): Blue value, e.g. ``0x0A``.

    Returns:
        str: e.g. ``'comment+main text'``; unknown bits as ``'bit4'``.
    """
    if blue == 0:
        return 'none'
    names = []
    for bit in range(8):
        flag = 1 << bit
        if blue & flag:
            names.append(HISDB_BITS.get(flag, f'bit{bit}'))
    return '+'.join(names)


def hisdb_colour(blue: int) -> Tuple[int, int, int]:
    """Fixed RGB colour of a HisDB blue value.

    Single bits have fixed colours; a combination mixes the colours of its
    foreground bits (average), so e.g. comment+main text lies between the
    comment and main-text colours and stays recognisable.

    Args:
        blue (int): Blue value.

    Returns:
        tuple: ``(r, g, b)``.
    """
    bits = [1 << b for b in range(8) if blue & (1 << b)]
    foreground = [b for b in bits if b != HISDB_BACKGROUND] or bits
    colours = [HISDB_BIT_COLOURS.get(b, (128, 128, 128)) for b in foreground]
    if not colours:
        return (128, 128, 128)
    mixed = np.mean(np.array(colours, dtype=np.float64), axis=0)
    return tuple(int(round(c)) for c in mixed)


def hisdb_palette(label_values: Sequence[int]) -> List[List[int]]:
    """Palette (RGB lists) for HisDB classes given by their blue values.

    Args:
        label_values (Sequence[int]): Blue values in class order.

    Returns:
        list: One RGB list per class.

    Raises:
        ValueError: If ``label_values`` is invalid (see
            :func:`check_label_values`).
    """
    return [list(hisdb_colour(v)) for v in check_label_values(label_values)]


def distinct_palette(num_classes: int) -> List[List[int]]:
    """Fixed, well-separated RGB colours for generic classes.

    Class 0 (usually background) is black; the others walk the hue circle by
    the golden angle so neighbouring classes never look alike.

    Args:
        num_classes (int): Number of colours.

    Returns:
        list: ``num_classes`` RGB lists.
    """
    import colorsys
    palette = [[0, 0, 0]]
    for i in range(1, num_classes):
        hue = (i * 0.618033988749895) % 1.0
        value = 1.0 if i % 2 else 0.75
        r, g, b = colorsys.hsv_to_rgb(hue, 0.85, value)
        palette.append([int(round(c * 255)) for c in (r, g, b)])
    return palette[:num_classes]


def check_label_values(label_values: Sequence[int]) -> List[int]:
    """Validate a class list of blue values and return it as plain ints.

    Every function taking ``label_values`` goes through here, so a value a
    uint8 blue channel cannot hold is reported by name instead of surfacing
    as numpy's ``OverflowError`` (or wrapping around silently).

    Args:
        label_values (Sequence[int]): Blue values in class order.

    Returns:
        list[int]: The same values as Python ints.

    Raises:
        InvalidLabelValuesError: If the list is empty, a value is not an
            integer, is outside 0..255 or repeats an earlier one, or there
            are more classes than :data:`IGNORE_INDEX` leaves room for; the
            message names the offending value and its position.
    """
    values: List[int] = []
    for position, value in enumerate(label_values):
        try:
            # operator.index takes numpy integers but refuses 2.5 or '2',
            # which int() would silently truncate or parse.
            number = operator.index(value)
        except TypeError:
            raise InvalidLabelValuesError(
                f'label_values[{position}] = {value!r} is not an integer '
                f'(label_values: {list(label_values)})') from None
        if not 0 <= number <= 255:
            raise InvalidLabelValuesError(
                f'label_values[{position}] = {number} is outside 0..255, the '
                f'range of a GT blue channel (label_values: '
                f'{list(label_values)})')
        if number in values:
            raise InvalidLabelValuesError(
                f'label_values[{position}] = {number} repeats '
                f'label_values[{values.index(number)}] (label_values: '
                f'{list(label_values)})')
        values.append(number)
    if not values:
        raise InvalidLabelValuesError('label_values is empty')
    if len(values) >= IGNORE_INDEX:
        raise InvalidLabelValuesError(
            f'label_values has {len(values)} classes; at most '
            f'{IGNORE_INDEX - 1} are supported ({IGNORE_INDEX} is the '
            'ignore index)')
    return values


def build_blue_lut(label_values: Sequence[int]) -> np.ndarray:
    """Lookup table from blue value (0..255) to class index.

    Args:
        label_values (Sequence[int]): Blue values in class order.

    Returns:
        np.ndarray: ``(256,)`` uint8; values not in the list map to
        :data:`IGNORE_INDEX`.

    Raises:
        ValueError: On duplicates, values outside 0..255 or too many classes.
    """
    values = check_label_values(label_values)
    lut = np.full(256, IGNORE_INDEX, dtype=np.uint8)
    lut[values] = np.arange(len(values), dtype=np.uint8)
    return lut


def blue_to_class(blue: np.ndarray,
                  label_values: Sequence[int],
                  filename: Optional[str] = None) -> np.ndarray:
    """Decode blue values to class indices.

    Args:
        blue (np.ndarray): ``HxW`` uint8 blue channel.
        label_values (Sequence[int]): Blue values in class order.
        filename (str, optional): Named in the error message.

    Returns:
        np.ndarray: ``HxW`` uint8 class indices.

    Raises:
        UnknownLabelValueError: If a blue value is not in ``label_values``;
            the message names the file, each such value and its pixel count.
    """
    lut = build_blue_lut(label_values)
    classes = lut[blue]
    if (lut == IGNORE_INDEX).any() and (classes == IGNORE_INDEX).any():
        counts = np.bincount(blue.ravel(), minlength=256)
        raise unknown_label_values_error(
            filename, label_values,
            {v: int(counts[v]) for v in range(256)
             if counts[v] and lut[v] == IGNORE_INDEX})
    return classes


def unknown_label_values_error(filename: Optional[str],
                               label_values: Sequence[int],
                               unknown: Dict[int, int]
                               ) -> UnknownLabelValueError:
    """The error for GT blue values outside the class list.

    Args:
        filename (str, optional): The GT, named first.
        label_values (Sequence[int]): The class list.
        unknown (dict): ``{blue value: pixel count}`` of the values not in
            it.

    Returns:
        UnknownLabelValueError: One line naming the file, the class list
        and every unknown value with its pixel count.
    """
    listed = ', '.join(f'blue={v} ({n} pixels)'
                       for v, n in sorted(unknown.items()))
    return UnknownLabelValueError(
        f'{filename or "GT"}: blue values not in the class list '
        f'{list(label_values)}: {listed}')


def boundary_mask(red: np.ndarray) -> np.ndarray:
    """Boundary pixels of a DIVA-HisDB GT (red bit 7 set).

    Args:
        red (np.ndarray): ``HxW`` uint8 red channel.

    Returns:
        np.ndarray: ``HxW`` bool.
    """
    return (red & BOUNDARY_RED_BIT) != 0


def decode_gt(gt_rgb: np.ndarray,
              label_values: Sequence[int],
              boundary_to_background: bool = False,
              background_value: Optional[int] = None,
              filename: Optional[str] = None) -> np.ndarray:
    """Decode an RGB GT to class indices.

    Args:
        gt_rgb (np.ndarray): ``HxWx3`` uint8, RGB order.
        label_values (Sequence[int]): Blue values in class order.
        boundary_to_background (bool): Set boundary pixels (red bit 7) to the
            background class, as DeepDIVA does for the HisDB training loss.
        background_value (int, optional): Blue value of the background class.
            Defaults to ``label_values[0]``.
        filename (str, optional): Named in error messages.

    Returns:
        np.ndarray: ``HxW`` uint8 class indices.
    """
    if gt_rgb.ndim != 3 or gt_rgb.shape[2] < 3:
        raise ValueError(f'{filename or "GT"}: expected an RGB image, got '
                         f'shape {gt_rgb.shape}')
    classes = blue_to_class(gt_rgb[..., 2], label_values, filename)
    if boundary_to_background:
        values = check_label_values(label_values)
        background = values[0] if background_value is None \
            else int(background_value)
        if background not in values:
            raise ValueError(f'background value {background} is not in '
                             f'label_values {values}')
        classes[boundary_mask(gt_rgb[..., 0])] = values.index(background)
    return classes


def decode_gt_as_dataset(gt_rgb: np.ndarray, label_values: Sequence[int],
                         dataset_meta: dict,
                         filename: Optional[str] = None) -> np.ndarray:
    """:func:`decode_gt` by the rule a dataset's metainfo states.

    ``PairedBlueChannelDataset`` (and ``HisDBDataset``) put
    ``boundary_to_background`` and ``background_value`` in their metainfo,
    so code that decodes a GT file outside the pipeline (a metric, a hook)
    gets the classes ``LoadBlueChannelAnnotations`` gives.

    Args:
        gt_rgb (np.ndarray): ``HxWx3`` uint8 RGB GT.
        label_values (Sequence[int]): Blue values in class order.
        dataset_meta (dict): The dataset's metainfo; without the two keys,
            boundary pixels keep their class and the first class is the
            background.
        filename (str, optional): Named in errors.
    """
    return decode_gt(
        gt_rgb, label_values,
        boundary_to_background=bool(
            dataset_meta.get('boundary_to_background', False)),
        background_value=dataset_meta.get('background_value'),
        filename=filename)


def class_to_blue(classes: np.ndarray,
                  label_values: Sequence[int]) -> np.ndarray:
    """Encode class indices as blue values.

    Args:
        classes (np.ndarray): Integer class indices, any shape.
        label_values (Sequence[int]): Blue values in class order.

    Returns:
        np.ndarray: uint8 blue values, same shape.

    Raises:
        ValueError: If an index has no class, or ``label_values`` is invalid
            (see :func:`check_label_values`).
    """
    values = np.asarray(check_label_values(label_values), dtype=np.uint8)
    classes = np.asarray(classes)
    if classes.size and (classes.min() < 0 or classes.max() >= len(values)):
        raise ValueError(
            f'class indices must be in 0..{len(values) - 1}, got '
            f'{int(classes.min())}..{int(classes.max())}')
    return values[classes]


def classes_to_gt_rgb(classes: np.ndarray,
                      label_values: Sequence[int]) -> np.ndarray:
    """Write class indices in the GT's own format.

    Args:
        classes (np.ndarray): ``HxW`` class indices.
        label_values (Sequence[int]): Blue values in class order.

    Returns:
        np.ndarray: ``HxWx3`` uint8 RGB, blue = class encoding, red = green
        = 0.
    """
    rgb = np.zeros(classes.shape + (3, ), dtype=np.uint8)
    rgb[..., 2] = class_to_blue(classes, label_values)
    return rgb


def check_bits(bits: Sequence[int]) -> List[int]:
    """Validate a list of single-bit blue values (e.g. ``(2, 4, 8)``).

    Raises:
        InvalidLabelValuesError: Naming the value that is not a single bit
            of a byte, or a repeat.
    """
    values = []
    for bit in bits:
        if isinstance(bit, bool) or int(bit) != bit or not 0 < bit < 256 \
                or int(bit) & (int(bit) - 1):
            raise InvalidLabelValuesError(
                f'bits must be single bits of a byte (1, 2, 4, ..., 128), '
                f'got {bit!r} in {list(bits)}')
        if int(bit) in values:
            raise InvalidLabelValuesError(f'bit {bit} repeats in {list(bits)}')
        values.append(int(bit))
    if not values:
        raise InvalidLabelValuesError('bits is empty')
    return values


def class_bits_table(label_values: Sequence[int],
                     bits: Sequence[int] = HISDB_FOREGROUND_BITS
                     ) -> np.ndarray:
    """Which of ``bits`` each class's blue value holds.

    Args:
        label_values (Sequence[int]): Blue values in class order.
        bits (Sequence[int]): Single-bit values, in output-channel order.

    Returns:
        np.ndarray: ``(num_classes, num_bits)`` uint8 of 0/1: row ``c`` is
        the per-bit target of a pixel of class ``c`` (e.g. HisDB's 12,
        decoration + main text, is ``[0, 1, 1]`` for bits 2, 4, 8).
    """
    values = np.asarray(check_label_values(label_values), dtype=np.int64)
    bit_values = np.asarray(check_bits(bits), dtype=np.int64)
    return ((values[:, None] & bit_values[None, :]) != 0).astype(np.uint8)


def bits_to_class_table(label_values: Sequence[int],
                        bits: Sequence[int] = HISDB_FOREGROUND_BITS,
                        background_value: Optional[int] = None
                        ) -> np.ndarray:
    """Class index of every combination of ``bits``.

    Entry ``k`` is the class of a pixel whose set bits are those ``bits[i]``
    with bit ``i`` of ``k`` set: the class whose blue value is their OR, or
    ``background_value`` (default ``label_values[0]``) for no bit.

    Args:
        label_values (Sequence[int]): Blue values in class order.
        bits (Sequence[int]): Single-bit values, in output-channel order.
        background_value (int, optional): Class of "no bit set".

    Returns:
        np.ndarray: ``(2 ** num_bits,)`` int64 class indices.

    Raises:
        InvalidLabelValuesError: If a combination has no class, naming the
            missing blue values (per-bit prediction can produce any of
            them, and a prediction must be writable).
    """
    values = check_label_values(label_values)
    bit_values = check_bits(bits)
    if background_value is None:
        background_value = values[0]
    index = {v: i for i, v in enumerate(values)}
    table = np.empty(2 ** len(bit_values), dtype=np.int64)
    missing = []
    for combo in range(len(table)):
        blue = 0
        for i, bit in enumerate(bit_values):
            if combo >> i & 1:
                blue |= bit
        blue = blue or int(background_value)
        if blue not in index:
            missing.append(blue)
            continue
        table[combo] = index[blue]
    if missing:
        raise InvalidLabelValuesError(
            f'per-bit prediction over bits {bit_values} can produce the blue '
            f'values {missing}, which are not in label_values {values}; list '
            'every combination of the bits as a class')
    return table

"""Colour or palette GTs to DIVA-HisDB blue-channel GTs (numpy only).

Many layout datasets store one colour per class (RGB) or one palette index
per class. A mapping file says which class each colour or index is::

    {"colours": {"#000000": "background", "255,0,0": "decoration",
                 "#FFFF00": "main text", "0,255,255": ["comment",
                                                       "main text"]},
     "indices": {"0": "background", "1": "main text", "2": 4}}

A class is a name of :data:`~mmseg_pixdiva.core.encoding.HISDB_BITS`,
a list of names (OR-ed, for multi-label colours) or a blue value 1..255.
``colours`` serves RGB images (and palette images resolved to their
colours), ``indices`` palette and 8-bit grey images by their index.
"""
import os
from dataclasses import dataclass, field
from typing import Dict, List, Tuple, Union

import numpy as np

from ..core.encoding import HISDB_BITS
from ..utils.errors import InputError
from .inputs import read_json_object

PathLike = Union[str, os.PathLike]

#: How many unknown colours an error message lists.
_LISTED = 5


class ColourMappingError(InputError, ValueError):
    """A mapping file, or an image with a colour the mapping lacks; the
    message names the file, the value and its pixel count."""


@dataclass
class ColourMapping:
    """Blue value of every class colour / palette index.

    Attributes:
        colours (dict): ``(r, g, b)`` -> blue value.
        indices (dict): palette index -> blue value.
        source (str): The mapping file (messages).
    """
    colours: Dict[Tuple[int, int, int], int] = field(default_factory=dict)
    indices: Dict[int, int] = field(default_factory=dict)
    source: str = 'mapping'


def _parse_class(value, where: str) -> int:
    names = {name: bit for bit, name in HISDB_BITS.items()}
    if isinstance(value, str):
        value = [value]
    if isinstance(value, list) and value and all(
            isinstance(v, str) for v in value):
        unknown = [v for v in value if v not in names]
        if unknown:
            raise ColourMappingError(
                f'{where}: unknown class "{unknown[0]}" (known: '
                f'{sorted(names)}, or a blue value 1..255)')
        blue = 0
        for name in value:
            blue |= names[name]
        return blue
    if isinstance(value, int) and not isinstance(value, bool) \
            and 1 <= value <= 255:
        return value
    raise ColourMappingError(f'{where}: {value!r} is not a class name, a '
                             f'list of them or a blue value 1..255')


def _parse_colour(text: str, where: str) -> Tuple[int, int, int]:
    text = text.strip()
    try:
        if text.startswith('#') and len(text) == 7:
            return tuple(int(text[i:i + 2], 16) for i in (1, 3, 5))
        parts = [int(v) for v in text.split(',')]
    except ValueError:
        parts = []
    if len(parts) == 3 and all(0 <= v <= 255 for v in parts):
        return tuple(parts)
    raise ColourMappingError(f'{where}: colour "{text}" is neither '
                             f'"#RRGGBB" nor "r,g,b" with values 0..255')


def load_colour_mapping(path: PathLike) -> ColourMapping:
    """Read a mapping file (see the module docstring).

    Raises:
        ColourMappingError: Naming the file and the entry at fault.
    """
    spec = read_json_object(path, ('colours', 'indices'),
                            ColourMappingError)
    if not spec:
        raise ColourMappingError(f'{path}: no "colours" and no "indices"')
    mapping = ColourMapping(source=str(path))
    for text, value in spec.get('colours', {}).items():
        where = f'{path}: colours["{text}"]'
        colour = _parse_colour(text, where)
        if colour in mapping.colours:
            raise ColourMappingError(f'{where}: colour {colour} is listed '
                                     f'twice')
        mapping.colours[colour] = _parse_class(value, where)
    for text, value in spec.get('indices', {}).items():
        where = f'{path}: indices["{text}"]'
        try:
            index = int(text)
        except ValueError:
            index = -1
        if not 0 <= index <= 255:
            raise ColourMappingError(f'{where}: not a palette index 0..255')
        mapping.indices[index] = _parse_class(value, where)
    return mapping


def _first_few(items: List[str]) -> str:
    """The first :data:`_LISTED` items, joined, and how many more."""
    more = f' and {len(items) - _LISTED} more' if len(items) > _LISTED \
        else ''
    return ', '.join(items[:_LISTED]) + more


def colours_to_blue(rgb: np.ndarray, mapping: ColourMapping,
                    source: str = 'GT') -> np.ndarray:
    """Blue values of an RGB class-colour image.

    Args:
        rgb (np.ndarray): ``HxWx3`` uint8 RGB.
        mapping (ColourMapping): With ``colours``.
        source (str): The image's file, for messages.

    Returns:
        np.ndarray: ``HxW`` uint8 blue values.

    Raises:
        ColourMappingError: Listing the colours not in the mapping with
            their pixel counts.
    """
    # A 2^24 lookup table (16 MB) is one gather per pixel; sorting the
    # page's colours (np.unique) would take seconds on a full page.
    lut = np.zeros(1 << 24, np.uint8)
    for (r, g, b), blue in mapping.colours.items():
        lut[(r << 16) | (g << 8) | b] = blue
    code = (rgb[..., 0].astype(np.uint32) << 16) | \
        (rgb[..., 1].astype(np.uint32) << 8) | rgb[..., 2]
    blue = lut[code]
    unknown = blue == 0
    if unknown.any():
        values, counts = np.unique(code[unknown], return_counts=True)
        order = np.argsort(-counts)
        listed = _first_few([
            f'({v >> 16}, {(v >> 8) & 255}, {v & 255}) #{int(v):06X}: '
            f'{int(c)} pixels' for v, c in zip(values[order], counts[order])])
        raise ColourMappingError(
            f'{source}: {len(values)} colour(s) not in the mapping '
            f'{mapping.source}: {listed}')
    return blue


def indices_to_blue(indices: np.ndarray, mapping: ColourMapping,
                    source: str = 'GT') -> np.ndarray:
    """Blue values of a palette-index (or 8-bit grey) class image.

    Raises:
        ColourMappingError: Listing the indices not in the mapping with
            their pixel counts.
    """
    lut = np.zeros(256, np.uint8)
    for index, blue in mapping.indices.items():
        lut[index] = blue
    blue = lut[indices]
    if not blue.all():
        counts = np.bincount(indices[blue == 0].ravel(), minlength=256)
        missing = np.flatnonzero(counts)
        listed = _first_few([f'index {i}: {int(counts[i])} pixels'
                             for i in missing])
        raise ColourMappingError(
            f'{source}: {len(missing)} palette index(es) not in the mapping '
            f'{mapping.source}: {listed}')
    return blue

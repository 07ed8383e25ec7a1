"""Colour legend: one row per class with its swatch and name (Pillow)."""
from typing import Optional, Sequence

import numpy as np

from .text import default_font, text_size


def legend_image(class_names: Sequence[str],
                 palette: Sequence[Sequence[int]],
                 label_values: Optional[Sequence[int]] = None,
                 font_size: int = 16,
                 swatch: int = 20,
                 padding: int = 8,
                 title: Optional[str] = None) -> np.ndarray:
    """Draw a legend of class colours.

    Every class gets a row (DIVA-HisDB combinations such as
    ``'comment+main text'`` included), so any colour seen in a coloured
    prediction can be looked up.

    Args:
        class_names (Sequence[str]): Class names in class order.
        palette (Sequence[Sequence[int]]): One RGB colour per class.
        label_values (Sequence[int], optional): Blue values, shown after the
            names (e.g. ``0x0A``) so a GT-format pixel can be looked up too.
        font_size (int): Text height in pixels.
        swatch (int): Side of the colour square in pixels.
        padding (int): Margin and row gap in pixels.
        title (str, optional): A heading line.

    Returns:
        np.ndarray: ``HxWx3`` uint8 RGB on white.
    """
    from PIL import Image, ImageDraw
    if len(palette) < len(class_names):
        raise ValueError(f'{len(class_names)} classes but only '
                         f'{len(palette)} colours')
    if label_values is not None and len(label_values) != len(class_names):
        raise ValueError(f'{len(class_names)} classes but '
                         f'{len(label_values)} label values')
    font = default_font(font_size)
    labels = []
    for i, name in enumerate(class_names):
        label = f'{i}: {name}'
        if label_values is not None:
            value = int(label_values[i])
            label += f'  (blue {value} = 0x{value:02X})'
        labels.append(label)
    lines = ([title] if title else []) + labels
    widths = [text_size(line, font)[0] for line in lines] or [0]
    row = max(swatch, font_size) + padding
    width = padding * 3 + swatch + max(widths)
    height = padding + row * len(lines)
    image = Image.new('RGB', (width, height), (255, 255, 255))
    draw = ImageDraw.Draw(image)
    y = padding
    if title:
        draw.text((padding, y), title, fill=(0, 0, 0), font=font)
        y += row
    for label, colour in zip(labels, palette):
        colour = tuple(int(c) for c in colour)
        # A grey outline keeps white and near-white swatches visible.
        draw.rectangle([padding, y, padding + swatch - 1, y + swatch - 1],
                       fill=colour, outline=(96, 96, 96))
        text_y = y + (swatch - font_size) // 2
        draw.text((padding * 2 + swatch, text_y), label, fill=(0, 0, 0),
                  font=font)
        y += row
    return np.asarray(image, dtype=np.uint8).copy()

"""Downscaled side-by-side panels (scan, GT, prediction) for dashboards.

Pages are up to ~30 megapixels; TensorBoard and image logs want a few
hundred kilobytes. Class maps are shrunk *before* colouring, with nearest
neighbour, so colours stay exact palette colours.
"""
from typing import Optional, Sequence, Tuple

import numpy as np

from .text import default_font, text_size


def fit_size(height: int, width: int, max_size: int) -> Tuple[int, int]:
    """Size that fits ``max_size`` on the longer side, keeping the aspect.

    Never enlarges; every side is at least 1 pixel.
    """
    scale = min(1.0, max_size / max(height, width, 1))
    return (max(1, int(round(height * scale))),
            max(1, int(round(width * scale))))


def resize_image(image: np.ndarray, size: Tuple[int, int]) -> np.ndarray:
    """Shrink a photo-like image with area averaging.

    Args:
        image (np.ndarray): ``HxW`` or ``HxWxC`` uint8.
        size (tuple): ``(height, width)``.
    """
    import cv2
    if image.shape[:2] == tuple(size):
        return image
    return cv2.resize(image, (size[1], size[0]), interpolation=cv2.INTER_AREA)


def resize_labels(class_map: np.ndarray,
                  size: Tuple[int, int]) -> np.ndarray:
    """Resize a class map (or a colour-coded map) with nearest neighbour.

    Args:
        class_map (np.ndarray): ``HxW`` (or ``HxWxC``) array.
        size (tuple): ``(height, width)``.
    """
    if class_map.shape[:2] == tuple(size):
        return class_map
    # Index sampling instead of cv2: works for any dtype and never mixes
    # labels.
    rows = (np.arange(size[0]) * class_map.shape[0] // size[0])
    cols = (np.arange(size[1]) * class_map.shape[1] // size[1])
    return class_map[rows[:, None], cols[None, :]]


def side_by_side(tiles: Sequence[np.ndarray],
                 titles: Optional[Sequence[str]] = None,
                 max_size: int = 1024,
                 gap: int = 4,
                 font_size: int = 14,
                 nearest: Optional[Sequence[bool]] = None) -> np.ndarray:
    """Join RGB tiles left to right into one panel of bounded size.

    Each tile is shrunk (area averaging) to a common height so that the
    whole panel, titles included, fits ``max_size`` on its longer side.
    Tiles of colour-coded label maps should be resized with nearest
    neighbour (``nearest``) so they keep exact palette colours.

    Args:
        tiles (Sequence[np.ndarray]): ``HxWx3`` uint8 RGB images.
        titles (Sequence[str], optional): A caption above each tile.
        max_size (int): Longest side of the result in pixels.
        gap (int): White pixels between tiles.
        font_size (int): Caption height in pixels.
        nearest (Sequence[bool], optional): Per tile, resize with nearest
            neighbour instead of area averaging. Defaults to all False.

    Returns:
        np.ndarray: ``HxWx3`` uint8 RGB.
    """
    if not tiles:
        raise ValueError('no tiles to join')
    if titles is not None and len(titles) != len(tiles):
        raise ValueError(f'{len(tiles)} tiles but {len(titles)} titles')
    header = font_size + 6 if titles else 0
    # Widths scale with the common height, so solve for that height.
    aspect = sum(t.shape[1] / t.shape[0] for t in tiles)
    gaps = gap * (len(tiles) - 1)
    height = min(max(t.shape[0] for t in tiles), max_size - header,
                 int((max_size - gaps) / aspect))
    height = max(1, height)
    if nearest is None:
        nearest = [False] * len(tiles)
    resized = []
    for tile, exact in zip(tiles, nearest):
        if tile.ndim == 2:
            tile = np.repeat(tile[..., None], 3, axis=2)
        width = max(1, int(round(tile.shape[1] * height / tile.shape[0])))
        resize = resize_labels if exact else resize_image
        resized.append(resize(tile[..., :3], (height, width)))
    total_width = sum(t.shape[1] for t in resized) + gaps
    panel = np.full((height + header, total_width, 3), 255, dtype=np.uint8)
    x = 0
    for tile in resized:
        panel[header:, x:x + tile.shape[1]] = tile
        x += tile.shape[1] + gap
    if titles:
        from PIL import Image, ImageDraw
        image = Image.fromarray(panel)
        draw = ImageDraw.Draw(image)
        x = 0
        for tile, title in zip(resized, titles):
            font, title = _fit_title(title, tile.shape[1] - 4, font_size)
            draw.text((x + 2, 2), title, fill=(0, 0, 0), font=font)
            x += tile.shape[1] + gap
        panel = np.asarray(image, dtype=np.uint8).copy()
    return panel


def _fit_title(title: str, width: int, font_size: int):
    """A font (down to 8 px) and title (shortened if need be) that fit
    ``width`` pixels, so captions of narrow tiles do not overlap."""
    for size in range(font_size, 7, -1):
        font = default_font(size)
        if text_size(title, font)[0] <= width:
            return font, title
    while len(title) > 1 and text_size(title + '.', font)[0] > width:
        title = title[:-1]
    return font, title + '.' if title else title


def page_panel(scan: Optional[np.ndarray],
               gt: Optional[np.ndarray],
               pred: np.ndarray,
               palette: Sequence[Sequence[int]],
               max_size: int = 1024,
               titles: bool = True) -> np.ndarray:
    """Downscaled side-by-side scan, coloured GT and coloured prediction.

    Args:
        scan (np.ndarray, optional): ``HxWx3`` uint8 RGB page.
        gt (np.ndarray, optional): ``HxW`` class indices.
        pred (np.ndarray): ``HxW`` class indices.
        palette (Sequence[Sequence[int]]): One RGB colour per class.
        max_size (int): Longest side of the result.
        titles (bool): Caption the tiles ('scan', 'GT',
            'prediction').

    Returns:
        np.ndarray: ``HxWx3`` uint8 RGB, longest side <= ``max_size``.
    """
    from .colour import colourize
    tiles, names, nearest = [], [], []
    count = 1 + (scan is not None) + (gt is not None)
    # Shrink the class maps before colouring (30 MP pages): colouring a
    # small map is cheap, and nearest neighbour keeps exact colours.
    tile_max = max(1, max_size // count)
    if scan is not None:
        tiles.append(resize_image(scan, fit_size(*scan.shape[:2], tile_max)))
        names.append('scan')
        nearest.append(False)
    for label_map, name in ((gt, 'GT'), (pred, 'prediction')):
        if label_map is None:
            continue
        small = resize_labels(label_map, fit_size(*label_map.shape, tile_max))
        tiles.append(colourize(small, palette))
        names.append(name)
        nearest.append(True)
    return side_by_side(tiles, names if titles else None, max_size=max_size,
                        nearest=nearest)

"""Text drawing with Pillow's default font (no font files needed)."""
from functools import lru_cache


@lru_cache(maxsize=8)
def default_font(size: int = 16):
    """Pillow's bundled font at ``size`` pixels.

    Pillow >= 10.1 ships a scalable font; older versions only a small
    bitmap font, used as the fallback.
    """
    from PIL import ImageFont
    try:
        return ImageFont.load_default(size=size)
    except TypeError:  # Pillow < 10.1: no size argument
        return ImageFont.load_default()


def text_size(text: str, font) -> tuple:
    """Width and height in pixels of ``text`` drawn with ``font``."""
    left, top, right, bottom = font.getbbox(text)
    return right - left, bottom

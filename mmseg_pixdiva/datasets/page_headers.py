"""Page sizes from file headers, and the image/GT size check.

Reading a header costs one small read per file, so every page of a dataset
can be checked when the sampler is built instead of failing when the page
is first decoded, perhaps hours into training.

PIL reads the header here, not the byte-level reader of
:mod:`mmseg_pixdiva.utils.image_header`: scans are JPEG or TIFF, whose
sizes (and EXIF orientation) that reader does not parse. Sizes are
``(h, w)``, mmseg's ``img_shape`` order.
"""
import threading
import warnings
from typing import Sequence, Tuple

from ..utils.image_header import ImageInputError
from ..utils.image_reader import ImageSizeError

#: EXIF orientations that turn the picture by 90 degrees (swap h and w).
_TRANSPOSING_ORIENTATIONS = (5, 6, 7, 8)
_EXIF_ORIENTATION = 0x0112


class PageSizeMismatchError(ImageSizeError):
    """A page's image and GT files are not of one size."""


class PageHeaderError(ImageInputError):
    """A page's image or GT file has no readable image header."""


#: Held while PIL's module-wide pixel limit is lifted for a header read.
_PIL_LIMIT = threading.Lock()


def header_size(path: str, apply_orientation: bool = False
                ) -> Tuple[int, int]:
    """``(h, w)`` of an image file, read from its header only.

    Args:
        path (str): Image file.
        apply_orientation (bool): Give the size after the EXIF orientation
            is applied, as colour decoding (``LoadImageFromFile``) does;
            unchanged decoding (the GT's) ignores it.

    Returns:
        tuple: ``(height, width)``.

    Raises:
        PageHeaderError: Naming the file if it cannot be opened as an
            image.
    """
    from PIL import Image
    try:
        # Only the header is read, so PIL's guard against decoding a large
        # picture (a warning from 89 megapixels, an error from 179: a
        # 20000x20000 map) does not apply; the decoders' own limit
        # (MAX_DECODED_PIXELS) is checked where pages are decoded.
        with warnings.catch_warnings(), _PIL_LIMIT:
            warnings.simplefilter('ignore', Image.DecompressionBombWarning)
            limit, Image.MAX_IMAGE_PIXELS = Image.MAX_IMAGE_PIXELS, None
            try:
                img = Image.open(path)
            finally:
                Image.MAX_IMAGE_PIXELS = limit
            with img:
                height, width = img.height, img.width
                orientation = img.getexif().get(_EXIF_ORIENTATION) \
                    if apply_orientation else None
    except (OSError, ValueError, Image.DecompressionBombError) as err:
        raise PageHeaderError(f'{path}: cannot read the image size: '
                              f'{err}') from None
    if orientation in _TRANSPOSING_ORIENTATIONS:
        height, width = width, height
    return height, width


def size_mismatch_message(img_path: str, img_hw: Sequence[int],
                          gt_path: str, gt_hw: Sequence[int]) -> str:
    """One line naming both files and both sizes (``WxH``)."""
    return (f'image {img_path} is {img_hw[1]}x{img_hw[0]} (WxH) but its GT '
            f'{gt_path} is {gt_hw[1]}x{gt_hw[0]}')


def check_pair_size(img_path: str, img_hw: Sequence[int], gt_path: str,
                    gt_hw: Sequence[int]) -> None:
    """Raise :class:`PageSizeMismatchError` if the two sizes differ.

    Args:
        img_path (str): The page's image file.
        img_hw (Sequence[int]): Its ``(h, w)``.
        gt_path (str): The page's GT file.
        gt_hw (Sequence[int]): Its ``(h, w)``.
    """
    if tuple(img_hw[:2]) != tuple(gt_hw[:2]):
        raise PageSizeMismatchError(
            size_mismatch_message(img_path, img_hw, gt_path, gt_hw) +
            '; a page and its GT must have one size')

"""The image/GT size check of a page, from file headers.

Reading a header costs one small read per file, so every page of a dataset
can be checked when the sampler is built instead of failing when the page
is first decoded, perhaps hours into training. The sizes come from
:func:`mmseg_pixdiva.utils.image_header.header_size`; they are ``(h, w)``,
mmseg's ``img_shape`` order.
"""
from typing import Sequence

# The size reader lives with the project's one header reader; the datasets
# import it from here too.
from ..utils.image_header import (PageHeaderError,  # noqa: F401
                                  header_size)
from ..utils.image_reader import ImageSizeError


class PageSizeMismatchError(ImageSizeError):
    """A page's image and GT files are not of one size."""


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

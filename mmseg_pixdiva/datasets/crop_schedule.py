"""Pure arithmetic of crops-per-image sampling (numpy only).

An epoch of :class:`CropsPerImageSampler` on one rank is a sequence of
samples, each naming a page and a random key from which the crop position is
drawn once the page size is known (:func:`crop_position`). The sequence is a
deterministic function of ``(seed, epoch, rank, world_size)``, so resuming
only needs the position in it.

Order: the rank's pages (its share of a seeded permutation of all pages) are
cut into *groups* of ``imgs_in_memory`` consecutive pages; all crops of a
group are shuffled together and the groups follow each other. So at most
``imgs_in_memory`` pages are in use between two group boundaries, which is
what lets the page cache hold only that many pages without re-decoding.
"""
import math
from typing import NamedTuple, Optional, Sequence, Tuple

import numpy as np

from ..utils.errors import InputError

#: Keys are drawn below this bound (fits in a signed 64-bit integer).
_KEY_BOUND = 2**62


class EpochSchedule(NamedTuple):
    """One rank's epoch (all arrays have the epoch length).

    Attributes:
        pages (np.ndarray): Dataset index of the page of each sample.
        group_starts (np.ndarray): Position of the first sample of the
            sample's page group (pages of one group are used together).
        keys (np.ndarray): Random key of each sample's crop position.
    """
    pages: np.ndarray
    group_starts: np.ndarray
    keys: np.ndarray


class CropSettingError(InputError, ValueError):
    """A crops-per-image setting that cannot work (named in the message)."""


class CropSettingTypeError(InputError, TypeError):
    """A crops-per-image setting of the wrong type (named in the message)."""


class CropTooLargeError(InputError, ValueError):
    """A page is smaller than the crop and padding is off."""


def check_crop_settings(crops_per_image: int, imgs_in_memory: int) -> None:
    """Raise an error naming a bad setting.

    Args:
        crops_per_image (int): Crops taken from every page per epoch.
        imgs_in_memory (int): Decoded pages held at most.

    Raises:
        CropSettingTypeError: A setting is not an integer.
        CropSettingError: A setting is below 1.
    """
    for name, value in (('crops_per_image', crops_per_image),
                        ('imgs_in_memory', imgs_in_memory)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
            raise CropSettingTypeError(
                f'{name} must be an integer, got {value!r}')
        if value < 1:
            raise CropSettingError(f'{name} must be at least 1, got {value}')


def _rng(*words: int) -> np.random.Generator:
    return np.random.default_rng([int(w) for w in words])


def rank_pages(num_pages: int,
               seed: int,
               epoch: int,
               rank: int = 0,
               world_size: int = 1,
               shuffle: bool = True) -> np.ndarray:
    """Pages of one rank in one epoch, in the order they are used.

    All ranks permute the pages the same way (same ``seed`` and ``epoch``)
    and take every ``world_size``-th page from ``rank`` on, so no two ranks
    share a page in an epoch.

    Args:
        num_pages (int): Pages in the dataset.
        seed (int): Run seed (identical on all ranks).
        epoch (int): Epoch number.
        rank (int): This rank.
        world_size (int): Number of ranks.
        shuffle (bool): Permute the pages every epoch.

    Returns:
        np.ndarray: int64 dataset indices.
    """
    if not 0 <= rank < world_size:
        raise ValueError(f'rank {rank} is not in 0..{world_size - 1}')
    if num_pages < world_size:
        raise ValueError(
            f'{num_pages} pages cannot be split across {world_size} ranks '
            'without two ranks sharing a page')
    order = _rng(seed, epoch).permutation(num_pages) if shuffle \
        else np.arange(num_pages)
    return order[rank::world_size].astype(np.int64)


def samples_per_rank(num_pages: int, crops_per_image: int,
                     world_size: int = 1) -> int:
    """Epoch length on every rank.

    Ranks must run the same number of iterations, so each takes
    ``ceil(num_pages / world_size) * crops_per_image`` samples; a rank with
    one page fewer spreads the extra crops over its own pages.

    Args:
        num_pages (int): Pages in the dataset.
        crops_per_image (int): Crops per page and epoch.
        world_size (int): Number of ranks.

    Returns:
        int: Samples per rank and epoch.
    """
    return math.ceil(num_pages / world_size) * crops_per_image


def crops_per_page(num_rank_pages: int, num_samples: int) -> np.ndarray:
    """Split ``num_samples`` crops over pages as evenly as possible.

    Args:
        num_rank_pages (int): Pages of the rank.
        num_samples (int): Samples of the rank.

    Returns:
        np.ndarray: int64 crop count of each page (earlier pages get the
        remainder).
    """
    base, extra = divmod(num_samples, num_rank_pages)
    counts = np.full(num_rank_pages, base, dtype=np.int64)
    counts[:extra] += 1
    return counts


def epoch_schedule(num_pages: int,
                   crops_per_image: int,
                   imgs_in_memory: int,
                   seed: int,
                   epoch: int,
                   rank: int = 0,
                   world_size: int = 1,
                   shuffle: bool = True) -> EpochSchedule:
    """The full sample sequence of one rank in one epoch.

    Args:
        num_pages (int): Pages in the dataset.
        crops_per_image (int): Crops per page and epoch.
        imgs_in_memory (int): Pages per group (the page cache size).
        seed (int): Run seed.
        epoch (int): Epoch number.
        rank (int): This rank.
        world_size (int): Number of ranks.
        shuffle (bool): Shuffle pages and the crops within each group; if
            False, pages keep dataset order and a group's pages take turns.

    Returns:
        EpochSchedule: Pages, group starts and crop keys.
    """
    check_crop_settings(crops_per_image, imgs_in_memory)
    pages = rank_pages(num_pages, seed, epoch, rank, world_size, shuffle)
    counts = crops_per_page(
        len(pages), samples_per_rank(num_pages, crops_per_image, world_size))
    rng = _rng(seed, epoch, rank, world_size, 1)
    out_pages, out_starts = [], []
    position = 0
    for first in range(0, len(pages), imgs_in_memory):
        group = pages[first:first + imgs_in_memory]
        group_counts = counts[first:first + imgs_in_memory]
        if shuffle:
            seq = rng.permutation(np.repeat(group, group_counts))
        else:
            # Round-robin over the group's pages, longest ones last.
            turns = np.concatenate(
                [np.arange(c) for c in group_counts]).argsort(kind='stable')
            seq = np.repeat(group, group_counts)[turns]
        out_pages.append(seq)
        out_starts.append(np.full(len(seq), position, dtype=np.int64))
        position += len(seq)
    keys = rng.integers(0, _KEY_BOUND, size=position, dtype=np.int64)
    return EpochSchedule(
        np.concatenate(out_pages).astype(np.int64),
        np.concatenate(out_starts), keys)


def remaining_uses(pages: np.ndarray, start: int) -> dict:
    """How many samples of each page lie at or after position ``start``.

    Args:
        pages (np.ndarray): Page of each sample of the epoch.
        start (int): First position that will be produced.

    Returns:
        dict: ``{page: count}`` for the pages still used.
    """
    used, counts = np.unique(pages[start:], return_counts=True)
    return {int(p): int(c) for p, c in zip(used, counts)}


def crop_position(key: int, page_hw: Sequence[int],
                  crop_hw: Sequence[int]) -> Tuple[int, int]:
    """Top-left corner of a crop, uniform over the valid positions.

    A page dimension smaller than the crop gives 0 (the crop is padded).

    Args:
        key (int): The sample's random key.
        page_hw (Sequence[int]): Page height and width.
        crop_hw (Sequence[int]): Crop height and width.

    Returns:
        tuple: ``(y, x)``.
    """
    rng = np.random.default_rng(int(key))
    y_room = max(int(page_hw[0]) - int(crop_hw[0]), 0)
    x_room = max(int(page_hw[1]) - int(crop_hw[1]), 0)
    y = int(rng.integers(0, y_room + 1))
    x = int(rng.integers(0, x_room + 1))
    return y, x


def crop_window(key: int, page_hw: Sequence[int],
                crop_hw: Sequence[int]) -> Tuple[int, int, int, int]:
    """Page region of a crop, clipped to the page.

    Args:
        key (int): The sample's random key.
        page_hw (Sequence[int]): Page height and width.
        crop_hw (Sequence[int]): Crop height and width.

    Returns:
        tuple: ``(y1, y2, x1, x2)``; smaller than the crop where the page is.
    """
    y, x = crop_position(key, page_hw, crop_hw)
    return (y, min(y + int(crop_hw[0]), int(page_hw[0])), x,
            min(x + int(crop_hw[1]), int(page_hw[1])))


def pad_to(array: np.ndarray, hw: Sequence[int], value) -> np.ndarray:
    """Pad ``array`` at the bottom/right to at least ``hw``.

    Args:
        array (np.ndarray): ``HxW`` or ``HxWxC``.
        hw (Sequence[int]): Target height and width.
        value: Fill value.

    Returns:
        np.ndarray: ``array`` itself if it is already large enough.
    """
    h, w = array.shape[:2]
    if h >= hw[0] and w >= hw[1]:
        return array
    out = np.empty((max(h, int(hw[0])), max(w, int(hw[1]))) +
                   array.shape[2:], dtype=array.dtype)
    out[...] = value
    out[:h, :w] = array
    return out


def check_crop_fits(page_sizes: Sequence[Tuple[int, int]],
                    crop_hw: Sequence[int],
                    pad: bool,
                    names: Optional[Sequence[str]] = None) -> None:
    """Raise :class:`CropTooLargeError` if no page can hold the crop and
    padding is off.

    Args:
        page_sizes (Sequence[tuple]): ``(h, w)`` of every page.
        crop_hw (Sequence[int]): Crop height and width.
        pad (bool): Whether small pages are padded.
        names (Sequence[str], optional): Page names for the message.
    """
    if pad or not page_sizes:
        return
    fits = [h >= crop_hw[0] and w >= crop_hw[1] for h, w in page_sizes]
    if not any(fits):
        largest = max(page_sizes, key=lambda s: s[0] * s[1])
        raise CropTooLargeError(
            f'crop size {tuple(crop_hw)} is larger than every page (largest '
            f'{largest[0]}x{largest[1]}) and padding is off; use a smaller '
            'crop_size or pad=True in LoadPageCrop')

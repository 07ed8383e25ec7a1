"""The crop protocol: what sampler, dataset, transform and page cache promise
each other (pure: numpy and the standard library; PIL for page headers).

Crops-per-image training (DeepDIVA's ``--crops-per-image`` and
``--imgs-in-memory``) is four parts working together:
:class:`~mmseg_pixdiva.datasets.samplers.CropsPerImageSampler` (the
sampler), :class:`~mmseg_pixdiva.datasets.PairedBlueChannelDataset` (the
dataset), :class:`~mmseg_pixdiva.datasets.transforms.LoadPageCrop` (the
transform) and :class:`~mmseg_pixdiva.datasets.page_cache.SharedPageCache`
(the page cache). This module holds what they share; none of them imports
another's module for it.

**The sampler**, when it is built in the main process (before any
DataLoader worker starts):

* finds the transform in the dataset's pipeline (:func:`find_page_crop`) and
  takes the crop size and padding from it;
* reads every page's size from its headers and compares it with its GT's
  (:func:`page_sizes`), so a bad page fails now, not hours into training;
* joins the page cache of its ``cache_name`` (train and val share one cap),
  registers its stream of pages, and hands the cache to the transform with
  ``transform.bind_cache(cache)``; the workers inherit both;
* then yields :class:`CropIndex` values: ints (the page's dataset index, so
  any dataset indexes with them) that also carry the crop's random key and
  the sample's place in the sampler's order (stream, pass, position, start
  of its page group, uses of the page in this pass). Pages come in groups of
  at most ``imgs_in_memory`` (:mod:`~mmseg_pixdiva.datasets.crop_schedule`).

**The dataset** copies :meth:`CropIndex.to_dict` into the data info under
:data:`PAGE_CROP_KEY` (a stock dataset drops it; the transform then stops
with an error naming the sampler it needs).

**The transform** (any pipeline transform with ``crop_size``, ``pad`` and
``bind_cache``) takes the descriptor under :data:`PAGE_CROP_KEY` and asks
the bound cache for the crop: ``cache.crop(descriptor, decode, window)``,
where ``decode`` reads the whole page and its GT with the stock loaders
(only when the cache does not hold the page) and ``window`` is
:func:`~mmseg_pixdiva.datasets.crop_schedule.crop_window` of the key and the
page size, a pure function, so every process cuts the same crop. It pads a
page smaller than the crop (or refuses it with ``pad=False``).

**The page cache** holds at most its capacity of decoded pages for the whole
process tree; a page is decoded once, by the first process that needs it.
From the descriptor's order fields it evicts only pages no earlier sample
still needs, so the sampler's groups never make it decode a page twice in a
pass.
"""
from typing import Dict, List, Tuple

from ..utils.errors import problem_list
from ..utils.image_header import header_size
from .page_headers import PageSizeMismatchError, size_mismatch_message

#: Key under which the crop descriptor reaches the pipeline.
PAGE_CROP_KEY = 'page_crop'


def find_page_crop(dataset):
    """The page-crop transform of ``dataset``'s pipeline.

    Recognised by what the protocol asks of it (``crop_size``, ``pad``,
    ``bind_cache``), so the sampler needs no import of the transform.

    Raises:
        ValueError: If the pipeline has none.
    """
    for transform in getattr(getattr(dataset, 'pipeline', None),
                             'transforms', []):
        if all(hasattr(transform, name)
               for name in ('crop_size', 'pad', 'bind_cache')):
            return transform
    raise ValueError(
        f'CropsPerImageSampler needs a LoadPageCrop transform in the pipeline '
        f'of {type(dataset).__name__} (it replaces LoadImageFromFile, '
        'LoadBlueChannelAnnotations and RandomCrop and holds the crop size)')


def page_sizes(dataset) -> List[Tuple[int, int]]:
    """``(h, w)`` of every page, from the file headers only.

    Also compares each page's image size with its GT's, so a mismatched
    pair fails when the sampler is built, naming the files, and not when
    the page is first decoded (perhaps hours into training).

    Args:
        dataset (BaseDataset): Data infos with ``img_path`` and, where the
            page has a GT, ``seg_map_path``.

    Returns:
        list: ``(h, w)`` of every page's image (after EXIF orientation, as
        ``LoadImageFromFile`` decodes it).

    Raises:
        PageSizeMismatchError: Listing every page whose image and GT sizes
            differ.
        ValueError: Naming a file whose header cannot be read.
    """
    sizes, mismatches = [], []
    for idx in range(len(dataset)):
        info = dataset.get_data_info(idx)
        img_path = info['img_path']
        img_hw = header_size(img_path, apply_orientation=True)
        sizes.append(img_hw)
        gt_path = info.get('seg_map_path')
        if gt_path:
            gt_hw = header_size(gt_path)
            if gt_hw != img_hw:
                mismatches.append(
                    size_mismatch_message(img_path, img_hw, gt_path, gt_hw))
    if mismatches:
        raise PageSizeMismatchError(problem_list(
            f'{len(mismatches)} page(s) whose image and GT differ in size '
            '(a page and its GT must have one size)', mismatches))
    return sizes


class CropIndex(int):
    """Page index plus crop descriptor.

    Args:
        page (int): Dataset index of the page.
        key (int): Random key of the crop position.
        stream (int): Page-cache stream of the sampler (train, val ...).
        pass_id (int): Number of the sampler pass (iteration over the
            sampler) the sample belongs to; increases with every pass.
        position (int): Position of the sample in its epoch.
        group_start (int): Position of the first sample of its page group.
        expected (int): Samples of this page produced in this epoch pass.
    """

    def __new__(cls, page: int, key: int, stream: int, pass_id: int,
                position: int, group_start: int, expected: int):
        self = super().__new__(cls, int(page))
        self.key = int(key)
        self.stream = int(stream)
        self.pass_id = int(pass_id)
        self.position = int(position)
        self.group_start = int(group_start)
        self.expected = int(expected)
        return self

    @property
    def page(self) -> int:
        """Dataset index of the page."""
        return int(self)

    def __reduce__(self):
        return (CropIndex, (int(self), self.key, self.stream, self.pass_id,
                            self.position, self.group_start, self.expected))

    def to_dict(self) -> Dict[str, int]:
        """The descriptor as a plain dict (what the pipeline sees)."""
        return dict(page=int(self), key=self.key, stream=self.stream,
                    pass_id=self.pass_id, position=self.position,
                    group_start=self.group_start, expected=self.expected)

    def __repr__(self) -> str:
        return (f'CropIndex(page={int(self)}, pass_id={self.pass_id}, '
                f'position={self.position})')

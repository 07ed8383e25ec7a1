"""LoadPageCrop: one crop of a page, through the shared page cache."""
from typing import Optional, Sequence, Tuple, Union

import numpy as np
from mmcv.transforms import BaseTransform, LoadImageFromFile
from mmseg.registry import TRANSFORMS

from ...core.encoding import IGNORE_INDEX
from ..crop_protocol import PAGE_CROP_KEY
from ..crop_schedule import CropTooLargeError, crop_window, pad_to
from ..page_headers import check_pair_size
from .loading import LoadBlueChannelAnnotations


@TRANSFORMS.register_module()
class LoadPageCrop(BaseTransform):
    """Load a random crop of a page and of its GT.

    Replaces ``LoadImageFromFile`` + ``LoadBlueChannelAnnotations`` +
    ``RandomCrop`` when the dataloader uses :class:`CropsPerImageSampler`:
    the page is decoded (by those same two transforms) once into the
    sampler's :class:`~mmseg_pixdiva.datasets.page_cache.SharedPageCache`
    and every crop is copied from there. The crop position comes from the
    sample's key (``results['page_crop']``), uniform over the page. The
    sampler reads ``crop_size`` and ``pad`` from this transform, so the crop
    size is set once, here.

    Required keys: ``img_path``, ``seg_map_path``, ``page_crop`` (added by
    :class:`PairedBlueChannelDataset` from the sampler's index) and those of
    :class:`LoadBlueChannelAnnotations`.

    Added keys: ``img``, ``gt_seg_map``, ``img_shape``, ``ori_shape``
    (both the crop's), ``page_shape`` and ``crop_bbox`` (``y1, y2, x1, x2``
    on the page).

    Args:
        crop_size (int | tuple): Crop height and width.
        pad (bool): Pad pages smaller than the crop (bottom/right); if False
            such a page raises an error naming it.
        pad_val (int | float): Image padding value (0 by default; give the
            dataset mean to pad with it).
        seg_pad_val (int): GT padding value (the ignore index).
        label_values, boundary_to_background, imdecode_backend,
            backend_args: As for :class:`LoadBlueChannelAnnotations` (and
            ``LoadImageFromFile`` for the last two).
    """

    def __init__(self,
                 crop_size: Union[int, Tuple[int, int]],
                 pad: bool = True,
                 pad_val: Union[int, float] = 0,
                 seg_pad_val: int = IGNORE_INDEX,
                 label_values: Optional[Sequence[int]] = None,
                 boundary_to_background: Optional[bool] = None,
                 imdecode_backend: str = 'cv2',
                 backend_args: Optional[dict] = None) -> None:
        if isinstance(crop_size, int):
            crop_size = (crop_size, crop_size)
        crop_size = tuple(int(c) for c in crop_size)
        if len(crop_size) != 2 or min(crop_size) < 1:
            raise ValueError(f'crop_size must be a positive int or (h, w), '
                             f'got {crop_size}')
        self.crop_size = crop_size
        self.pad = pad
        self.pad_val = pad_val
        self.seg_pad_val = seg_pad_val
        self.load_image = LoadImageFromFile(
            imdecode_backend=imdecode_backend, backend_args=backend_args)
        self.load_gt = LoadBlueChannelAnnotations(
            label_values=label_values,
            boundary_to_background=boundary_to_background,
            imdecode_backend=imdecode_backend,
            backend_args=backend_args)
        self.cache = None

    def bind_cache(self, cache) -> None:
        """Use ``cache`` (set by the sampler in the main process)."""
        self.cache = cache

    def decode_page(self, results: dict) -> Tuple[np.ndarray, np.ndarray]:
        """Decode the whole page and its GT (the stock transforms).

        Args:
            results (dict): The sample's data info (``img_path``,
                ``seg_map_path`` ...).

        Returns:
            tuple: ``(img HxWxC uint8, gt HxW uint8)``.

        Raises:
            PageSizeMismatchError: Naming both files if their sizes differ.
        """
        page = {k: v for k, v in results.items() if k != PAGE_CROP_KEY}
        page['seg_fields'] = []
        page = self.load_gt(self.load_image(page))
        # The sampler checks the headers at build time; this catches files
        # replaced since then, or a sampler other than ours binding the cache
        # (the cache's own size error names no file).
        check_pair_size(results.get('img_path'), page['img'].shape[:2],
                        results.get('seg_map_path'),
                        page['gt_seg_map'].shape[:2])
        return page['img'], page['gt_seg_map']

    def transform(self, results: dict) -> dict:
        """Crop the sample's window from its page."""
        request = results.get(PAGE_CROP_KEY)
        if request is None or self.cache is None:
            raise RuntimeError(
                f'{results.get("img_path")}: LoadPageCrop needs the '
                'dataloader sampler CropsPerImageSampler (it binds the page '
                'cache and names the crop of every sample)')
        img, gt, page_hw = self.cache.crop(
            request, lambda: self.decode_page(results),
            lambda hw: crop_window(request['key'], hw, self.crop_size))
        if img.shape[:2] != self.crop_size:
            if not self.pad:
                raise CropTooLargeError(
                    f'{results.get("img_path")}: page {page_hw[0]}x'
                    f'{page_hw[1]} is smaller than the crop '
                    f'{self.crop_size}; set pad=True in LoadPageCrop')
            img = pad_to(img, self.crop_size, self.pad_val)
            gt = pad_to(gt, self.crop_size, self.seg_pad_val)
        y1, y2, x1, x2 = crop_window(request['key'], page_hw, self.crop_size)
        results['img'] = img
        results['gt_seg_map'] = gt
        results.setdefault('seg_fields', [])
        if 'gt_seg_map' not in results['seg_fields']:
            results['seg_fields'].append('gt_seg_map')
        results['img_shape'] = img.shape[:2]
        results['ori_shape'] = img.shape[:2]
        results['page_shape'] = tuple(page_hw)
        results['crop_bbox'] = (y1, y2, x1, x2)
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(crop_size={self.crop_size}, '
                f'pad={self.pad}, pad_val={self.pad_val}, '
                f'seg_pad_val={self.seg_pad_val})')

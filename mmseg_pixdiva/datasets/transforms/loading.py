"""Loading a page: the scan (``LoadScanFromFile``) and the GT classes
from the blue channel (``LoadBlueChannelAnnotations``)."""
import os
from typing import Callable, Optional, Sequence

import mmcv
import mmengine.fileio as fileio
import numpy as np
from mmcv.transforms import LoadImageFromFile
from mmseg.datasets.transforms import LoadAnnotations
from mmseg.registry import TRANSFORMS

from ...core.encoding import decode_gt
from ...utils.image_reader import read_scan
from ..gt_image import gt_image_to_rgb

#: Key of ``results`` under which a caller may hand
#: :class:`LoadScanFromFile` the function that makes the page's array
#: (``allocate(shape) -> uint8 array``), e.g. one in shared memory that a
#: DataLoader worker passes on without a copy.
ALLOCATE_KEY = 'allocate_page'


@TRANSFORMS.register_module()
class LoadScanFromFile(LoadImageFromFile):
    """mmcv's ``LoadImageFromFile`` holding one page, not two, while it
    decodes.

    mmcv reads the file's bytes and decodes them into a new array that
    OpenCV then copies: the file and two pages at the peak (two 1.2 GB
    pages for a 20000x20000 map). Here a local file in colour mode decoded
    by OpenCV (the defaults) is read by
    :func:`~mmseg_pixdiva.utils.image_reader.read_scan`: straight into its
    final array when the header gives its size, the same pixels and the
    same EXIF turning as mmcv's, BGR as mmcv gives them. A truncated JPEG
    is refused with the file's name (libjpeg would fill its missing rows
    with grey). Every other setting (colour type, decoding backend, file
    backend) goes to mmcv's implementation.

    Args and keys: as ``LoadImageFromFile``; ``results[ALLOCATE_KEY]``, if
    present, makes the page's array.
    """

    def _reads_scans(self) -> bool:
        return (self.color_type == 'color' and self.imdecode_backend == 'cv2'
                and self.file_client_args is None and not self.backend_args)

    def transform(self, results: dict) -> Optional[dict]:
        allocate: Optional[Callable] = results.pop(ALLOCATE_KEY, None)
        path = results['img_path']
        if not self._reads_scans() or '://' in str(path):
            return super().transform(results)
        if self.ignore_empty and (not os.path.exists(path)
                                  or os.path.getsize(path) == 0):
            return None  # what mmcv's reader gives for these
        img = read_scan(path, role='image', channel_order='bgr',
                        allocate=allocate)
        if self.to_float32:
            img = img.astype(np.float32)
        results['img'] = img
        results['img_shape'] = img.shape[:2]
        results['ori_shape'] = img.shape[:2]
        return results


@TRANSFORMS.register_module()
class LoadBlueChannelAnnotations(LoadAnnotations):
    """Load an RGB GT and decode its blue channel to class indices.

    Required keys: ``seg_map_path`` and, unless given here, ``label_values``
    (set by :class:`PairedBlueChannelDataset`). Adds ``gt_seg_map`` (uint8
    class indices).

    Args:
        label_values (Sequence[int], optional): Blue values in class order;
            defaults to the dataset's (``results['label_values']``).
        boundary_to_background (bool, optional): Set boundary pixels (red
            bit 7) to the background class. None takes the dataset's
            default (True for :class:`HisDBDataset`).
        imdecode_backend (str): mmcv decoding backend.
        backend_args (dict, optional): mmengine file backend arguments.
    """

    def __init__(self,
                 label_values: Optional[Sequence[int]] = None,
                 boundary_to_background: Optional[bool] = None,
                 imdecode_backend: str = 'cv2',
                 backend_args: Optional[dict] = None) -> None:
        super().__init__(
            imdecode_backend=imdecode_backend, backend_args=backend_args)
        self.label_values = label_values
        self.boundary_to_background = boundary_to_background

    def _load_seg_map(self, results: dict) -> None:
        path = results['seg_map_path']
        label_values = self.label_values or results.get('label_values')
        if label_values is None:
            raise KeyError(
                f'{path}: no label_values; use a PairedBlueChannelDataset '
                'or give label_values to LoadBlueChannelAnnotations')
        boundary = self.boundary_to_background
        if boundary is None:
            boundary = results.get('boundary_to_background', False)
        decoded = mmcv.imfrombytes(
            fileio.get(path, backend_args=self.backend_args),
            flag='unchanged',
            backend=self.imdecode_backend)
        rgb = gt_image_to_rgb(decoded, path, channel_order='bgr')
        results['gt_seg_map'] = decode_gt(
            rgb,
            label_values,
            boundary_to_background=boundary,
            background_value=results.get('background_value'),
            filename=path)
        results['seg_fields'].append('gt_seg_map')

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(label_values='
                f'{self.label_values}, boundary_to_background='
                f'{self.boundary_to_background}, imdecode_backend='
                f"'{self.imdecode_backend}')")

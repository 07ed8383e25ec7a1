"""LoadBlueChannelAnnotations: GT classes from the blue channel."""
from typing import Optional, Sequence

import mmcv
import mmengine.fileio as fileio
from mmseg.datasets.transforms import LoadAnnotations
from mmseg.registry import TRANSFORMS

from ...core.encoding import decode_gt
from ..gt_image import gt_image_to_rgb


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

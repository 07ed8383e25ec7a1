"""What the page hooks share: the dataset's classes and colours, the
prediction and GT of a data sample, warnings, and the visualizer.

:class:`PageHookBase` is the base of :class:`TestPicturesHook`,
:class:`PanelHook` and :class:`ConfusionPlotsHook` (each one job), which
:class:`ColourVisualizationHook` runs together under its old arguments.
The pictures themselves are the pure functions of
:mod:`mmseg_pixdiva.visualization`.
"""
import warnings
from typing import Dict, Optional, Sequence

import numpy as np
from mmengine.hooks import Hook

from mmseg_pixdiva.core.encoding import (UnknownLabelValueError,
                                         decode_gt_as_dataset)
from mmseg_pixdiva.utils.image_reader import decode_label_rgb
from mmseg_pixdiva.visualization import (PageSizeError, check_same_size,
                                         is_bit_flag_encoding,
                                         resolve_palette)


def _to_numpy(data) -> np.ndarray:
    """A tensor (or array) as a numpy array on the CPU."""
    if hasattr(data, 'detach'):
        data = data.detach().cpu().numpy()
    return np.asarray(data)


def _label_map(field) -> Optional[np.ndarray]:
    """``HxW`` class indices of a ``PixelData`` field (``1xHxW`` data)."""
    if field is None:
        return None
    data = _to_numpy(field.data)
    return data[0] if data.ndim == 3 else data



class PageHookBase(Hook):
    """Dataset description, sample access and warnings of the page hooks.

    Args:
        classes (Sequence[str], optional): Class names, overriding the
            dataset's.
        palette (Sequence[Sequence[int]], optional): RGB per class,
            overriding the dataset's.
        label_values (Sequence[int], optional): Blue values per class,
            overriding the dataset's (needed to decode GT files and for
            the error map).
        error_map (bool, optional): Whether the evaluator's error map
            means something here; by default only for blue bit-flag
            encodings (DIVA-HisDB).
        backend_args (dict, optional): mmengine file backend arguments
            for reading scans and GTs.
    """

    priority = 'NORMAL'

    def __init__(self,
                 classes: Optional[Sequence[str]] = None,
                 palette: Optional[Sequence[Sequence[int]]] = None,
                 label_values: Optional[Sequence[int]] = None,
                 error_map: Optional[bool] = None,
                 backend_args: Optional[dict] = None) -> None:
        self.classes = list(classes) if classes is not None else None
        self.palette = palette
        self.label_values = list(label_values) \
            if label_values is not None else None
        self.error_map = error_map
        self.backend_args = backend_args.copy() if backend_args else None
        self._meta: Dict[str, dict] = {}
        #: Named first in every warning (the hook the user configured).
        self.log_name = type(self).__name__
        #: once_key values already warned about (for the whole run).
        self._warned: set = set()
        #: Messages warned about in the current epoch: hooks run together
        #: (ColourVisualizationHook) share this set, so a page's problem
        #: that two of them meet is reported once.
        self._epoch_messages: set = set()

    def share_warnings(self, other: 'PageHookBase') -> None:
        """Report under ``other``'s name and through its warning sets."""
        self.log_name = other.log_name
        self._warned = other._warned
        self._epoch_messages = other._epoch_messages

    def _new_epoch(self, mode: str) -> None:
        """Forget ``mode``'s dataset description and this epoch's
        messages (the dataset may change between runs)."""
        self._meta.pop(mode, None)
        self._epoch_messages.clear()

    # ------------------------------------------------------------------
    # Dataset description
    # ------------------------------------------------------------------
    @staticmethod
    def _dataset(runner, mode: str):
        """The dataset of the runner's ``mode`` loop, or None."""
        loop = getattr(runner, f'{mode}_loop', None)
        return getattr(getattr(loop, 'dataloader', None), 'dataset', None)

    def _dataset_meta(self, runner, mode: str) -> dict:
        """classes / palette / label_values for ``mode``, hook args first."""
        if mode in self._meta:
            return self._meta[mode]
        metainfo = {}
        dataset = self._dataset(runner, mode)
        if dataset is not None and getattr(dataset, 'metainfo', None):
            metainfo = dict(dataset.metainfo)
        elif getattr(getattr(runner, 'visualizer', None), 'dataset_meta',
                     None):
            metainfo = dict(runner.visualizer.dataset_meta)
        classes = self.classes or list(metainfo.get('classes') or [])
        label_values = self.label_values or metainfo.get('label_values')
        if not classes and label_values is not None:
            classes = [str(v) for v in label_values]
        if not classes:
            raise ValueError(
                f'{self.log_name}: the dataset has no "classes" in '
                'its metainfo; give classes= (and palette=/label_values=) '
                'to the hook')
        label_values = list(label_values) if label_values is not None \
            else None
        palette = resolve_palette(len(classes),
                                  self.palette or metainfo.get('palette'),
                                  label_values)
        error_map = self.error_map
        if error_map is None:
            error_map = is_bit_flag_encoding(label_values)
        background_value = metainfo.get('background_value')
        if label_values is None or background_value not in label_values:
            background_value = None  # the hook's own label_values: first
        meta = dict(classes=list(classes), palette=palette,
                    label_values=label_values, error_map=bool(error_map),
                    boundary_to_background=bool(
                        metainfo.get('boundary_to_background', False)),
                    background_value=background_value)
        self._meta[mode] = meta
        return meta

    # ------------------------------------------------------------------
    # Helpers
    # ------------------------------------------------------------------
    def _warn(self, message: str, once_key: Optional[str] = None) -> None:
        if once_key is not None:
            if once_key in self._warned:
                return
            self._warned.add(once_key)
        elif message in self._epoch_messages:
            return
        else:
            self._epoch_messages.add(message)
        warnings.warn(message, stacklevel=2)
        try:
            from mmengine.logging import MMLogger
            MMLogger.get_current_instance().warning(message)
        except Exception:  # no logger yet (driven outside a runner)
            pass

    def _read_bytes(self, path: str) -> bytes:
        from mmengine import fileio
        return fileio.get(path, backend_args=self.backend_args)

    def _read_gt_rgb(self, path: str) -> Optional[np.ndarray]:
        """The GT file as RGB, or None (with a warning naming the file)."""
        try:
            return decode_label_rgb(self._read_bytes(path), path, 'GT')
        except (OSError, ValueError) as error:
            self._warn(f'{self.log_name}: cannot read GT {path}: '
                       f'{error}')
            return None

    def _add_image(self, runner, name: str, image: np.ndarray) -> None:
        visualizer = getattr(runner, 'visualizer', None)
        if visualizer is not None:
            visualizer.add_image(name, image, step=getattr(runner, 'iter', 0))

    def _gt_classes(self, sample, pred: np.ndarray, meta: dict,
                    gt_rgb: Optional[np.ndarray], source: str,
                    read_file: bool = True) -> Optional[np.ndarray]:
        """GT class indices at the prediction's size, or None.

        The data sample's own ``gt_sem_seg`` (decoded the dataset's way) is
        used when it matches the prediction; else ``gt_rgb``, or the GT file
        if ``read_file``, is decoded.
        """
        gt = _label_map(sample.get('gt_sem_seg'))
        if gt is not None and gt.shape == pred.shape:
            return gt
        if gt_rgb is None and read_file and meta['label_values'] is not None:
            path = sample.metainfo.get('seg_map_path')
            if path:
                gt_rgb = self._read_gt_rgb(path)
        if gt_rgb is None or meta['label_values'] is None:
            return None
        try:
            check_same_size(pred.shape, gt_rgb.shape, 'GT',
                            source)
            return decode_gt_as_dataset(gt_rgb, meta['label_values'], meta,
                                        source)
        except (PageSizeError, UnknownLabelValueError) as error:
            self._warn(f'{self.log_name}: {error}')
            return None

    def _prediction(self, sample, source: str) -> Optional[np.ndarray]:
        """The predicted class map, or None with a warning naming the page
        when it is missing or not at the page's original size."""
        pred = _label_map(sample.get('pred_sem_seg'))
        if pred is None:
            self._warn(f'{self.log_name}: {source}: no prediction '
                       '(pred_sem_seg missing); page skipped')
            return None
        ori_shape = sample.metainfo.get('ori_shape')
        if ori_shape is not None and tuple(pred.shape) != tuple(
                ori_shape[:2]):
            self._warn(
                f'{self.log_name}: {source}: prediction is '
                f'{pred.shape[0]}x{pred.shape[1]} (HxW) but the page is '
                f'{ori_shape[0]}x{ori_shape[1]}; only the coloured '
                'prediction is written for it')
        return pred


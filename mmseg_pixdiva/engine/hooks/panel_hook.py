"""PanelHook: downscaled scan | GT | prediction panels during training and
validation, sent to the visualizer's backends."""
from pathlib import Path
from typing import Optional, Sequence

import numpy as np
from mmengine.model import is_model_wrapper

from mmseg.registry import HOOKS
from mmseg_pixdiva.visualization import (legend_image, page_panel,
                                         resize_labels)
from mmseg_pixdiva.visualization.io import decode_rgb

from .page_hook_base import PageHookBase, _label_map, _to_numpy


def _input_to_rgb(raw: np.ndarray, bgr: bool) -> np.ndarray:
    """A ``CxHxW`` batch input (uint8, before normalisation) as HxWx3 RGB.

    Args:
        raw (np.ndarray): One image of ``data_batch['inputs']``.
        bgr (bool): Whether its channels are in BGR order.

    Returns:
        np.ndarray: ``HxWx3`` uint8 RGB.
    """
    scan = np.transpose(raw, (1, 2, 0))
    if scan.shape[2] == 1:
        scan = np.repeat(scan, 3, axis=2)
    elif bgr:
        scan = scan[..., ::-1]
    return np.ascontiguousarray(scan[..., :3]).astype(np.uint8)



@HOOKS.register_module()
class PanelHook(PageHookBase):
    """Every ``interval`` validation and ``train_interval`` training
    iterations, a downscaled side-by-side panel (scan, GT, prediction) goes
    to the visualizer's backends (local files, TensorBoard, ...), and the
    legend once. The scan is the batch's input, so a crop
    (``LoadPageCrop``) shows that crop of the page.

    Args:
        interval (int): Validation iterations between panels; 0 disables.
        train_interval (int, optional): Training iterations between panels
            (one extra forward pass on one crop, in eval mode, without
            gradients); 0 disables. Defaults to ``interval``.
        panel_max_size (int): Longest side of the panels in pixels.
        **kwargs: ``classes``, ``palette``, ``label_values``, ``error_map``,
            ``backend_args`` (see :class:`PageHookBase`).
    """

    def __init__(self,
                 interval: int = 50,
                 train_interval: Optional[int] = None,
                 panel_max_size: int = 1024,
                 **kwargs) -> None:
        super().__init__(**kwargs)
        if interval < 0 or (train_interval is not None and train_interval < 0):
            raise ValueError('interval and train_interval must be >= 0')
        self.interval = interval
        self.train_interval = interval if train_interval is None \
            else train_interval
        self.panel_max_size = panel_max_size
        self._legend_sent = False

    def before_val_epoch(self, runner) -> None:
        self._new_epoch('val')

    def after_val_iter(self, runner, batch_idx: int, data_batch=None,
                       outputs: Optional[Sequence] = None) -> None:
        if not (self.interval > 0 and
                self.every_n_inner_iters(batch_idx, self.interval)):
            return
        samples = list(outputs or [])
        if not samples:
            return
        meta = self._dataset_meta(runner, 'val')
        sample = samples[0]
        source = sample.metainfo.get('img_path') or f'val_{batch_idx}_0'
        pred = self._prediction(sample, source)
        if pred is None:
            return
        # The GT file at the prediction's size where the sample's own GT
        # is of another size (as ConfusionMatrixMetric counts it).
        gt = self._gt_classes(sample, pred, meta, None, source)
        if gt is None:
            gt = _label_map(sample.get('gt_sem_seg'))
        self._send_panel(runner, 'val', sample, pred, gt, meta, data_batch, 0)

    def _send_panel(self, runner, mode: str, sample, pred: np.ndarray,
                    gt: Optional[np.ndarray], meta: dict,
                    data_batch: Optional[dict] = None,
                    index: int = 0) -> None:
        """Scan, GT and prediction side by side, downscaled, to backends.

        Args:
            runner: The runner (visualizer, model, iteration).
            mode (str): ``'val'`` or ``'test'``, the image name's prefix.
            sample: The ``SegDataSample`` of the prediction.
            pred (np.ndarray): ``HxW`` predicted classes.
            gt (np.ndarray, optional): ``HxW`` GT classes.
            meta (dict): See :meth:`_dataset_meta`.
            data_batch (dict, optional): The loader's batch, whose
                ``inputs[index]`` are the scan pixels of ``sample``.
            index (int): Position of ``sample`` in the batch.
        """
        img_path = sample.metainfo.get('img_path')
        scan = self._panel_scan(runner, sample, pred, data_batch, index)
        if gt is not None and gt.shape != pred.shape:
            gt = resize_labels(gt, pred.shape)
        panel = page_panel(scan, gt, pred, meta['palette'],
                           self.panel_max_size)
        stem = Path(img_path).stem if img_path else 'page'
        self._add_image(runner, f'{mode}_{stem}', panel)
        self._send_legend(runner, meta)

    def _panel_scan(self, runner, sample, pred: np.ndarray,
                    data_batch: Optional[dict],
                    index: int) -> Optional[np.ndarray]:
        """The scan pixels under the prediction, as ``HxWx3`` RGB, or None.

        The batch input is the region that was predicted (a crop with
        :class:`LoadPageCrop`, else the page), so it is used first. Only
        for a whole page without a usable input is ``img_path`` decoded
        (at reduced resolution); a crop never decodes its page, which for
        a real scan means tens of megapixels per panel.
        """
        img_path = sample.metainfo.get('img_path')
        scan = self._batch_scan(runner, data_batch, index)
        if scan is not None and scan.shape[:2] == pred.shape:
            return scan
        page_shape = self._page_shape(sample)
        if sample.metainfo.get('crop_bbox') is not None or (
                page_shape is not None and page_shape != pred.shape):
            if scan is not None:  # the crop at another scale (a Resize)
                import cv2
                return cv2.resize(scan, (pred.shape[1], pred.shape[0]),
                                  interpolation=cv2.INTER_AREA)
            self._warn(f'{self.log_name}: {img_path}: the panel '
                       'is of a crop but the batch has no input image for '
                       'it; panel without the scan', once_key='crop')
            return None
        if not img_path:
            return None
        try:
            return decode_rgb(self._read_bytes(img_path), img_path,
                              max_size=self.panel_max_size,
                              full_shape=page_shape or pred.shape)
        except (OSError, ValueError) as error:
            self._warn(f'{self.log_name}: cannot read scan '
                       f'{img_path}: {error}', once_key=img_path)
            return None

    @staticmethod
    def _page_shape(sample) -> Optional[tuple]:
        """``(h, w)`` of the sample's whole page, or None if unknown.

        :class:`LoadPageCrop` records it as ``page_shape``, but
        ``PackSegInputs`` keeps that key only if ``meta_keys`` names it;
        otherwise the scan's header tells (a cheap read, no decoding).
        """
        page_shape = sample.metainfo.get('page_shape')
        if page_shape is not None:
            return tuple(int(v) for v in page_shape[:2])
        img_path = sample.metainfo.get('img_path')
        if not img_path:
            return None
        from mmseg_pixdiva.utils.image_header import header_size
        try:
            return header_size(img_path, apply_orientation=True)
        except ValueError:
            return None  # not a local file; decoding reports the problem

    @staticmethod
    def _batch_scan(runner, data_batch: Optional[dict],
                    index: int) -> Optional[np.ndarray]:
        """``inputs[index]`` of the batch as ``HxWx3`` RGB, or None."""
        inputs = data_batch.get('inputs') \
            if isinstance(data_batch, dict) else None
        if inputs is None or index >= len(inputs):
            return None
        raw = _to_numpy(inputs[index])
        if raw.ndim != 3 or raw.dtype != np.uint8:
            return None  # not raw pixels: an unexpected pipeline
        model = getattr(runner, 'model', None)
        if model is not None and is_model_wrapper(model):
            model = model.module
        preprocessor = getattr(model, 'data_preprocessor', None)
        # As for training: the preprocessor's channel conversion says the
        # input was loaded BGR; without one, assume the loaders' default
        # (cv2, BGR).
        bgr = True if preprocessor is None else bool(
            getattr(preprocessor, 'channel_conversion', False))
        return _input_to_rgb(raw, bgr)

    def _send_legend(self, runner, meta: dict) -> None:
        if self._legend_sent:
            return
        self._legend_sent = True
        legend = legend_image(meta['classes'], meta['palette'],
                              meta['label_values'], title='Classes')
        self._add_image(runner, 'legend', legend)

    # ------------------------------------------------------------------
    # Training: panel of one crop at an interval
    # ------------------------------------------------------------------
    def after_train_iter(self, runner, batch_idx: int, data_batch=None,
                         outputs=None) -> None:
        if not self.train_interval or data_batch is None or \
                not self.every_n_train_iters(runner, self.train_interval):
            return
        meta = self._dataset_meta(runner, 'train')
        try:
            scan, gt, pred = self._predict_first_crop(runner, data_batch)
        except Exception as error:  # never stop training for a picture
            self._warn(f'{self.log_name}: no training panel '
                       f'({type(error).__name__}: {error})', once_key='train')
            return
        panel = page_panel(scan, gt, pred, meta['palette'],
                           self.panel_max_size)
        self._add_image(runner, 'train_crop', panel)
        self._send_legend(runner, meta)

    @staticmethod
    def _predict_first_crop(runner, data_batch: dict):
        """Predict the first training crop in eval mode, without gradients.

        Returns:
            tuple: ``(scan RGB, GT classes, predicted classes)`` of the crop.
        """
        import torch
        model = runner.model.module if is_model_wrapper(runner.model) \
            else runner.model
        first = {key: value[:1] for key, value in data_batch.items()}
        was_training = model.training
        model.eval()  # BatchNorm must not learn from this extra pass
        try:
            with torch.no_grad():
                # training=True pads image and GT alike, as in training.
                data = model.data_preprocessor(first, True)
                samples = data['data_samples']
                logits = model.encode_decode(
                    data['inputs'], [s.metainfo for s in samples])
        finally:
            model.train(was_training)
        raw = _to_numpy(first['inputs'][0])  # CxHxW uint8 before norm
        height, width = raw.shape[-2:]
        scan = _input_to_rgb(raw, getattr(  # loaded as BGR if converted
            model.data_preprocessor, 'channel_conversion', False))
        # Per-bit segmentors decode their logits their own way.
        to_classes = getattr(model, 'logits_to_classes', None)
        classes = to_classes(logits) if to_classes is not None \
            else logits.argmax(dim=1)
        pred = _to_numpy(classes)[0][:height, :width]
        gt = _label_map(samples[0].get('gt_sem_seg'))
        if gt is not None:
            gt = gt[:height, :width]
        return scan, gt, pred.astype(np.uint8)


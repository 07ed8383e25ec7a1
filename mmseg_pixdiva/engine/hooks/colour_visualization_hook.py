"""ColourVisualizationHook: DeepDIVA-style colour-coded pictures and plots.

A thin adapter: the colouring, error map, panels and plots are the pure
functions of :mod:`mmseg_pixdiva.visualization`; this hook only collects
data samples from the runner, reads the files they name and writes or sends
the results.
"""
import os.path as osp
import warnings
from pathlib import Path
from typing import Dict, List, Optional, Sequence

import numpy as np
from mmengine.dist import all_reduce, get_rank
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper

from mmseg.registry import HOOKS
from mmseg_pixdiva.datasets.encoding import (IGNORE_INDEX,
                                             UnknownLabelValueError,
                                             decode_gt)
from mmseg_pixdiva.utils.atomic import atomic_write_image, atomic_write_text
from mmseg_pixdiva.utils.image_reader import decode_label_rgb
from mmseg_pixdiva.visualization import (PICTURE_SOFTWARE, PageSizeError,
                                         check_same_size,
                                         confusion_matrix,
                                         confusion_matrix_image, decode_rgb,
                                         iou_bar_chart, iou_from_confusion,
                                         is_bit_flag_encoding, legend_image,
                                         page_panel, page_pictures,
                                         resize_labels, resolve_palette,
                                         write_page_pictures)


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


def _counts_csv(counts: np.ndarray, class_names: Sequence[str]) -> str:
    """Confusion counts as CSV: rows GT classes, columns predictions."""
    quoted = [f'"{name}"' for name in class_names]
    lines = ['gt\\pred,' + ','.join(quoted)]
    for name, row in zip(quoted, counts):
        lines.append(name + ',' + ','.join(str(int(v)) for v in row))
    return '\n'.join(lines) + '\n'


@HOOKS.register_module()
class ColourVisualizationHook(Hook):
    """Colour-coded pictures of predictions, GT and errors, plus plots.

    Usable as ``default_hooks.visualization`` (so ``tools/test.py
    --show-dir DIR`` turns the test pictures on, as with mmseg's
    ``SegVisualizationHook``) or in ``custom_hooks``.

    * Test, when ``draw`` is True, every page at full resolution in the
      show folder: ``<stem>_pred.png``, ``<stem>_gt.png``,
      ``<stem>_errors.png`` (DIVA layout evaluator's error colour code),
      ``<stem>_overlay.png`` if ``overlay``; and ``legend.png`` once.
    * Training and validation, every ``interval`` iterations: a downscaled
      side-by-side panel (scan, GT, prediction) sent to the visualizer's
      backends (local files, TensorBoard, ...). The scan is the batch's
      input, so a crop (``LoadPageCrop``) shows that crop of the page.
    * After each validation and test (``plots``): a row-normalised
      pixel-level confusion-matrix heatmap and a per-class IU bar chart,
      saved as PNG (and the counts as CSV) in ``<work_dir>/plots`` and sent
      to the backends.

    Colours come from the dataset's ``palette``; DIVA-HisDB classes (blue
    bit flags) fall back to the fixed HisDB colours.

    Args:
        draw (bool): Write the full-resolution test pictures. mmseg's
            ``tools/test.py`` sets it with ``--show``/``--show-dir``.
            Defaults to False (as ``SegVisualizationHook``).
        interval (int): Validation iterations between panels; 0 disables.
        train_interval (int, optional): Training iterations between panels
            (one extra forward pass on one crop, in eval mode, without
            gradients); 0 disables. Defaults to ``interval``.
        show_dir (str, optional): Folder of the test pictures; relative
            paths are taken inside the run's log folder
            (``work_dir/<timestamp>``). Defaults to the visualizer's
            ``save_dir`` if the config sets it (``--show-dir`` does), else
            ``<log_dir>/colour_vis``.
        overlay (bool): Also write ``<stem>_overlay.png`` (the error map on
            the scan; the coloured prediction on the scan without GT).
        error_map (bool, optional): Write ``<stem>_errors.png``. By default
            only for blue bit-flag encodings (DIVA-HisDB), where the
            evaluator's code means something.
        plots (bool): Make the confusion matrix and IU plots.
        panel_max_size (int): Longest side of the panels in pixels.
        classes (Sequence[str], optional): Class names, overriding the
            dataset's.
        palette (Sequence[Sequence[int]], optional): RGB per class,
            overriding the dataset's.
        label_values (Sequence[int], optional): Blue values per class,
            overriding the dataset's (needed to decode GT files and for
            the error map).
        compression (int): PNG compression level of the pictures (0-9).
        show (bool): Accepted for ``tools/test.py --show``; there is no
            window to show into, pictures are written instead.
        wait_time (float): Accepted for ``tools/test.py``; unused.
        backend_args (dict, optional): mmengine file backend arguments
            for reading scans and GTs.
    """

    priority = 'NORMAL'

    def __init__(self,
                 draw: bool = False,
                 interval: int = 50,
                 train_interval: Optional[int] = None,
                 show_dir: Optional[str] = None,
                 overlay: bool = False,
                 error_map: Optional[bool] = None,
                 plots: bool = True,
                 panel_max_size: int = 1024,
                 classes: Optional[Sequence[str]] = None,
                 palette: Optional[Sequence[Sequence[int]]] = None,
                 label_values: Optional[Sequence[int]] = None,
                 compression: int = 3,
                 show: bool = False,
                 wait_time: float = 0.,
                 backend_args: Optional[dict] = None) -> None:
        if interval < 0 or (train_interval is not None and train_interval < 0):
            raise ValueError('interval and train_interval must be >= 0')
        self.draw = draw
        self.interval = interval
        self.train_interval = interval if train_interval is None \
            else train_interval
        self.show_dir = show_dir
        self.overlay = overlay
        self.error_map = error_map
        self.plots = plots
        self.panel_max_size = panel_max_size
        self.classes = list(classes) if classes is not None else None
        self.palette = palette
        self.label_values = list(label_values) \
            if label_values is not None else None
        self.compression = compression
        self.backend_args = backend_args.copy() if backend_args else None
        if show:
            warnings.warn('ColourVisualizationHook cannot show windows; '
                          'with show=True it writes the pictures instead.')
            self.draw = True
        self.wait_time = wait_time
        self._meta: Dict[str, dict] = {}
        self._counts: Dict[str, Optional[np.ndarray]] = {}
        self._out_dir: Optional[Path] = None
        self._legend_sent = False
        self._warned: set = set()

    # ------------------------------------------------------------------
    # Dataset description
    # ------------------------------------------------------------------
    def _dataset_meta(self, runner, mode: str) -> dict:
        """classes / palette / label_values for ``mode``, hook args first."""
        if mode in self._meta:
            return self._meta[mode]
        metainfo = {}
        loop = getattr(runner, f'{mode}_loop', None)
        dataset = getattr(getattr(loop, 'dataloader', None), 'dataset', None)
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
                'ColourVisualizationHook: the dataset has no "classes" in '
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
        meta = dict(classes=list(classes), palette=palette,
                    label_values=label_values, error_map=bool(error_map))
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
            self._warn(f'ColourVisualizationHook: cannot read GT {path}: '
                       f'{error}')
            return None

    def _resolve_out_dir(self, runner) -> Path:
        log_dir = Path(getattr(runner, 'log_dir', None)
                       or getattr(runner, 'work_dir', '.'))
        if self.show_dir is not None:
            return Path(self.show_dir) if osp.isabs(self.show_dir) \
                else log_dir / self.show_dir
        cfg = getattr(runner, 'cfg', None) or {}
        save_dir = (cfg.get('visualizer') or {}).get('save_dir')
        if save_dir:  # tools/test.py --show-dir sets this
            return Path(save_dir)
        return log_dir / 'colour_vis'

    def _plots_dir(self, runner) -> Path:
        return Path(getattr(runner, 'work_dir', '.')) / 'plots'

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
            return decode_gt(gt_rgb, meta['label_values'], filename=source)
        except (PageSizeError, UnknownLabelValueError) as error:
            self._warn(f'ColourVisualizationHook: {error}')
            return None

    def _accumulate(self, mode: str, gt: Optional[np.ndarray],
                    pred: np.ndarray, num_classes: int) -> None:
        if not self.plots or gt is None:
            return
        counts = confusion_matrix(gt, pred, num_classes, IGNORE_INDEX)
        if self._counts.get(mode) is None:
            self._counts[mode] = counts
        else:
            self._counts[mode] += counts

    def _prediction(self, sample, source: str) -> Optional[np.ndarray]:
        """The predicted class map, or None with a warning naming the page
        when it is missing or not at the page's original size."""
        pred = _label_map(sample.get('pred_sem_seg'))
        if pred is None:
            self._warn(f'ColourVisualizationHook: {source}: no prediction '
                       '(pred_sem_seg missing); page skipped')
            return None
        ori_shape = sample.metainfo.get('ori_shape')
        if ori_shape is not None and tuple(pred.shape) != tuple(
                ori_shape[:2]):
            self._warn(
                f'ColourVisualizationHook: {source}: prediction is '
                f'{pred.shape[0]}x{pred.shape[1]} (HxW) but the page is '
                f'{ori_shape[0]}x{ori_shape[1]}; only the coloured '
                'prediction is written for it')
        return pred

    # ------------------------------------------------------------------
    # Test: full-resolution pictures per page
    # ------------------------------------------------------------------
    def before_test_epoch(self, runner) -> None:
        self._meta.pop('test', None)
        self._counts['test'] = None
        # Resolved on every rank, so every rank joins the count reduction.
        meta = self._dataset_meta(runner, 'test')
        if not self.draw:
            return
        self._out_dir = self._resolve_out_dir(runner)
        if get_rank() == 0:
            legend = legend_image(meta['classes'], meta['palette'],
                                  meta['label_values'], title='Classes')
            atomic_write_image(self._out_dir / 'legend.png', legend,
                               software=PICTURE_SOFTWARE)

    def after_test_iter(self, runner, batch_idx: int, data_batch=None,
                        outputs: Optional[Sequence] = None) -> None:
        meta = self._dataset_meta(runner, 'test')
        for index, sample in enumerate(outputs or []):
            self.process_test_sample(runner, sample, meta,
                                     f'page_{batch_idx}_{index}')

    def process_test_sample(self, runner, sample, meta: dict,
                            default_stem: str = 'page') -> List[Path]:
        """Write the pictures of one test page and count its pixels.

        Args:
            runner: The runner (``work_dir``/``log_dir`` and ``cfg`` are
                used to find the output folder).
            sample: A ``SegDataSample`` with ``pred_sem_seg`` and metainfo
                ``img_path``/``seg_map_path``/``ori_shape``.
            meta (dict): See :meth:`_dataset_meta`.
            default_stem (str): File stem when there is no ``img_path``.

        Returns:
            list: The written files.
        """
        img_path = sample.metainfo.get('img_path')
        source = img_path or default_stem
        pred = self._prediction(sample, source)
        if pred is None:
            return []
        ori_shape = sample.metainfo.get('ori_shape')
        wrong_size = ori_shape is not None and \
            tuple(pred.shape) != tuple(ori_shape[:2])
        gt_rgb = None
        seg_map_path = sample.metainfo.get('seg_map_path')
        if not wrong_size and seg_map_path and \
                meta['label_values'] is not None:
            own_gt = _label_map(sample.get('gt_sem_seg'))
            # The file is needed for the pictures (the error map wants its
            # boundary bits) or when the sample has no usable GT of its own.
            if self.draw or own_gt is None or own_gt.shape != pred.shape:
                gt_rgb = self._read_gt_rgb(seg_map_path)
            if gt_rgb is not None and gt_rgb.shape[:2] != pred.shape:
                self._warn(f'ColourVisualizationHook: {seg_map_path}: GT is '
                           f'{gt_rgb.shape[0]}x{gt_rgb.shape[1]} (HxW) but '
                           f'the prediction of {source} is {pred.shape[0]}x'
                           f'{pred.shape[1]}; no GT or error pictures for it')
                gt_rgb = None
        gt = None if wrong_size else self._gt_classes(
            sample, pred, meta, gt_rgb, seg_map_path or source,
            read_file=False)
        self._accumulate('test', gt, pred, len(meta['classes']))
        if not self.draw:
            return []
        scan = None
        if self.overlay and img_path and not wrong_size:
            try:
                scan = decode_rgb(self._read_bytes(img_path), img_path)
            except (OSError, ValueError) as error:
                self._warn(f'ColourVisualizationHook: cannot read scan '
                           f'{img_path}: {error}')
            if scan is not None and scan.shape[:2] != pred.shape:
                self._warn(f'ColourVisualizationHook: {img_path}: scan size '
                           f'{scan.shape[:2]} differs from the prediction '
                           f'{pred.shape}; no overlay')
                scan = None
        pictures = page_pictures(
            pred, meta['palette'], meta['label_values'], gt_rgb=gt_rgb,
            gt_classes=gt, scan=scan, error_map=meta['error_map'],
            overlay=self.overlay, colour_gt=gt is not None, filename=source)
        stem = Path(img_path).stem if img_path else default_stem
        out_dir = self._out_dir or self._resolve_out_dir(runner)
        written = write_page_pictures(out_dir, stem, pictures,
                                      self.compression)
        return list(written.values())

    def after_test_epoch(self, runner, metrics=None) -> None:
        self._write_plots(runner, 'test')

    # ------------------------------------------------------------------
    # Validation: panels at an interval, plots after the epoch
    # ------------------------------------------------------------------
    def before_val_epoch(self, runner) -> None:
        self._meta.pop('val', None)
        self._counts['val'] = None
        self._dataset_meta(runner, 'val')

    def after_val_iter(self, runner, batch_idx: int, data_batch=None,
                       outputs: Optional[Sequence] = None) -> None:
        meta = self._dataset_meta(runner, 'val')
        panel_due = self.interval > 0 and \
            self.every_n_inner_iters(batch_idx, self.interval)
        for index, sample in enumerate(outputs or []):
            source = sample.metainfo.get('img_path') or \
                f'val_{batch_idx}_{index}'
            pred = self._prediction(sample, source)
            if pred is None:
                continue
            gt = self._gt_classes(sample, pred, meta, None, source) \
                if self.plots else _label_map(sample.get('gt_sem_seg'))
            self._accumulate('val', gt, pred, len(meta['classes']))
            if panel_due and index == 0:
                if gt is None:
                    gt = _label_map(sample.get('gt_sem_seg'))
                self._send_panel(runner, 'val', sample, pred, gt, meta,
                                 data_batch, index)

    def after_val_epoch(self, runner, metrics=None) -> None:
        self._write_plots(runner, 'val')

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
            self._warn(f'ColourVisualizationHook: {img_path}: the panel '
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
            self._warn(f'ColourVisualizationHook: cannot read scan '
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
        from mmseg_pixdiva.datasets.samplers.page_headers import header_size
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
            self._warn('ColourVisualizationHook: no training panel '
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

    # ------------------------------------------------------------------
    # Plots
    # ------------------------------------------------------------------
    def _write_plots(self, runner, mode: str) -> None:
        if not self.plots or mode not in self._meta:
            return
        meta = self._meta[mode]
        num_classes = len(meta['classes'])
        counts = self._counts.get(mode)
        if counts is None:
            counts = np.zeros((num_classes, num_classes), dtype=np.int64)
        counts = self._sum_over_ranks(counts)
        self._counts[mode] = None
        if get_rank() != 0:
            return
        if not counts.any():
            self._warn(f'ColourVisualizationHook: no {mode} pixels with GT '
                       'were counted; no plots')
            return
        step = getattr(runner, 'iter', 0)
        suffix = f'_iter_{step}' if mode == 'val' else ''
        out_dir = self._plots_dir(runner)
        names = meta['classes']
        heatmap, _ = confusion_matrix_image(
            counts, names, title=f'{mode} confusion matrix (row-normalised)')
        chart = iou_bar_chart(iou_from_confusion(counts), names,
                              meta['palette'], title=f'{mode} IU per class')
        atomic_write_image(out_dir / f'{mode}_confusion_matrix{suffix}.png',
                           heatmap)
        atomic_write_text(out_dir / f'{mode}_confusion_matrix{suffix}.csv',
                          _counts_csv(counts, names))
        atomic_write_image(out_dir / f'{mode}_iou{suffix}.png', chart)
        self._add_image(runner, f'{mode}_confusion_matrix', heatmap)
        self._add_image(runner, f'{mode}_iou', chart)

    @staticmethod
    def _sum_over_ranks(counts: np.ndarray) -> np.ndarray:
        """Add the counts of every process (no-op without distribution)."""
        from mmengine.dist import get_world_size
        if get_world_size() == 1:
            return counts
        import torch
        tensor = torch.from_numpy(counts.astype(np.int64))
        all_reduce(tensor, op='sum')
        return tensor.numpy()

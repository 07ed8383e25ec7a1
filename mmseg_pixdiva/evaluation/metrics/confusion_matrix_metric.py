"""ConfusionMatrixMetric: the pixel confusion matrix where the scores are.

Counts every validation or test sample's pixels by (GT class, predicted
class) with :func:`mmseg_pixdiva.evaluation.confusion.confusion_matrix`,
from the same data samples as mmseg's ``IoUMetric``, and returns the summed
matrix. ``ConfusionPlotsHook`` draws its plots from that matrix.
"""
import logging
from collections import OrderedDict
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
from mmengine import fileio
from mmengine.evaluator import BaseMetric
from mmengine.logging import print_log

from mmseg.registry import METRICS
from ...core.encoding import IGNORE_INDEX, decode_gt_as_dataset
from ...utils.image_reader import decode_label_rgb
from ..confusion import (CONFUSION_MATRIX_KEY, PER_CLASS_IOU_KEY,
                         confusion_matrix, iou_from_confusion)

#: One sample's counts: the flat ``gt * C + pred`` indices of the non-zero
#: cells and their counts.
SparseCounts = Tuple[np.ndarray, np.ndarray]


def _label_map(field) -> Optional[np.ndarray]:
    """``HxW`` class indices of a packed ``PixelData`` (``1xHxW``), or None.

    Args:
        field (dict, optional): The data sample's ``pred_sem_seg`` or
            ``gt_sem_seg`` as a dict (mmengine's evaluator hands metrics
            ``to_dict()`` copies of the samples).

    Returns:
        np.ndarray, optional: The map on the CPU.
    """
    if field is None:
        return None
    data = field['data']
    if hasattr(data, 'detach'):
        data = data.detach().cpu().numpy()
    data = np.asarray(data)
    return data[0] if data.ndim == 3 else data


@METRICS.register_module()
class ConfusionMatrixMetric(BaseMetric):
    """Pixel-level confusion matrix of a validation or test pass.

    Each sample's pixels are counted by (GT class, predicted class); the
    ignore index (in GT or prediction) is left out. The GT is the sample's
    ``gt_sem_seg`` when it has the prediction's size (the pixels
    ``IoUMetric`` scores). Where it is missing or of another size (a test
    pipeline that resized it), the GT file (``seg_map_path``) is decoded
    through ``dataset_meta['label_values']`` (blue-channel GTs such as
    DIVA-HisDB's) if it has the prediction's size; else the sample is left
    out with one log line.

    Every sample keeps only its non-zero counts, gathered across ranks by
    mmengine (so padded duplicates of a distributed sampler are dropped as
    for mmseg's metrics). Returned:

    * ``confusion_matrix`` (:data:`CONFUSION_MATRIX_KEY`): the summed
      ``(C, C)`` int64 counts, rows GT classes, columns predictions;
    * ``per_class_iou`` (:data:`PER_CLASS_IOU_KEY`): ``(C,)`` float, the IU
      (0..1; ``IoUMetric`` logs it in percent) of every class read from
      that matrix, NaN where a class is in neither GT nor prediction.

    Both are arrays: mmengine keeps them as run information, not scalars,
    and passes them to the hooks' ``after_val_epoch`` / ``after_test_epoch``.
    Put the metric after the scalar metrics in an evaluator list, so that
    ``CheckpointHook(save_best='auto')`` still picks a scalar.

    Args:
        ignore_index (int): GT value of pixels not counted.
        backend_args (dict, optional): mmengine file backend arguments for
            reading GT files.
        collect_device (str): ``'cpu'`` or ``'gpu'`` for gathering results
            across ranks.
        prefix (str, optional): Metric name prefix (``<prefix>/...``).
    """

    default_prefix: Optional[str] = None

    def __init__(self,
                 ignore_index: int = IGNORE_INDEX,
                 backend_args: Optional[dict] = None,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        self.ignore_index = ignore_index
        self.backend_args = backend_args.copy() if backend_args else None
        #: Messages already logged (a page's problem once per run, not once
        #: per validation).
        self._reported: set = set()

    def _num_classes(self) -> int:
        classes = (self.dataset_meta or {}).get('classes')
        if not classes:
            raise KeyError("ConfusionMatrixMetric needs "
                           "dataset_meta['classes'] (the dataset's class "
                           'names)')
        return len(classes)

    def _report(self, message: str) -> None:
        if message not in self._reported:
            self._reported.add(message)
            print_log(f'ConfusionMatrixMetric: {message}', logger='current',
                      level=logging.WARNING)

    def _gt_file(self, path: str, shape: Tuple[int, ...],
                 label_values: Sequence[int]) -> Optional[np.ndarray]:
        """The GT file's classes if it has ``shape``, else None (logged)."""
        try:
            rgb = decode_label_rgb(
                fileio.get(path, backend_args=self.backend_args), path, 'GT')
            if rgb.shape[:2] != tuple(shape):
                self._report(f'{path}: GT is {rgb.shape[0]}x{rgb.shape[1]} '
                             f'but the prediction {shape[0]}x{shape[1]}; '
                             'page not counted')
                return None
            return decode_gt_as_dataset(rgb, label_values,
                                        self.dataset_meta or {}, path)
        except (OSError, ValueError) as error:
            self._report(f'{error}; page not counted')
            return None

    def _sample_counts(self, sample: dict,
                       num_classes: int) -> Optional[np.ndarray]:
        """One sample's ``(C, C)`` counts, or None if it cannot be counted.
        """
        source = sample.get('img_path') or sample.get('seg_map_path') or \
            'a sample'
        pred = _label_map(sample.get('pred_sem_seg'))
        if pred is None:
            self._report(f'{source}: no prediction (pred_sem_seg); '
                         'not counted')
            return None
        gt = _label_map(sample.get('gt_sem_seg'))
        if gt is not None and gt.shape == pred.shape:
            return confusion_matrix(gt, pred, num_classes, self.ignore_index)
        path = sample.get('seg_map_path')
        label_values = (self.dataset_meta or {}).get('label_values')
        if path and label_values is not None:
            gt = self._gt_file(path, pred.shape, label_values)
            return None if gt is None else confusion_matrix(
                gt, pred, num_classes, self.ignore_index)
        found = 'no gt_sem_seg' if gt is None else \
            f'gt_sem_seg is {gt.shape[0]}x{gt.shape[1]}'
        self._report(f'{source}: {found} but the prediction is '
                     f'{pred.shape[0]}x{pred.shape[1]}, and no GT file to '
                     "decode (seg_map_path and dataset_meta['label_values'] "
                     'needed); not counted')
        return None

    def process(self, data_batch: dict, data_samples: Sequence[dict]) -> None:
        """Count the pixels of a batch's samples.

        Args:
            data_batch (dict): Unused.
            data_samples (Sequence[dict]): Model outputs with
                ``pred_sem_seg`` and ``gt_sem_seg`` (or ``seg_map_path``).
        """
        num_classes = self._num_classes()
        for sample in data_samples:
            counts = self._sample_counts(sample, num_classes)
            flat = np.zeros(0, np.int64) if counts is None else counts.ravel()
            cells = np.flatnonzero(flat)
            # One result per sample, even an empty one: mmengine trims the
            # gathered results to the dataset's size, which assumes that.
            self.results.append((cells, flat[cells]))

    def compute_metrics(self, results: List[SparseCounts]
                        ) -> Dict[str, np.ndarray]:
        """Sum the samples' counts.

        Args:
            results (list): ``(cells, counts)`` of every sample, all ranks.

        Returns:
            dict: The matrix under :data:`CONFUSION_MATRIX_KEY`, the
            per-class IU under :data:`PER_CLASS_IOU_KEY`.
        """
        num_classes = self._num_classes()
        total = np.zeros(num_classes * num_classes, np.int64)
        for cells, counts in results:
            # A sample's cells are distinct, so a plain += adds every one.
            total[cells] += counts
        matrix = total.reshape(num_classes, num_classes)
        metrics: Dict[str, np.ndarray] = OrderedDict()
        metrics[CONFUSION_MATRIX_KEY] = matrix
        metrics[PER_CLASS_IOU_KEY] = iou_from_confusion(matrix)
        return metrics

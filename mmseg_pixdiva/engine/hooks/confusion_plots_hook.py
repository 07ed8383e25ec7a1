"""ConfusionPlotsHook: the pixel-level confusion matrix and the per-class IU
chart after every validation and test."""
from pathlib import Path
from typing import Dict, Optional, Sequence

import numpy as np
from mmengine.dist import all_reduce, get_rank

from mmseg.registry import HOOKS
from mmseg_pixdiva.core.encoding import IGNORE_INDEX
from mmseg_pixdiva.utils.atomic import atomic_write_image, atomic_write_text
from mmseg_pixdiva.visualization import (confusion_matrix,
                                         confusion_matrix_image,
                                         iou_bar_chart, iou_from_confusion)

from .page_hook_base import PageHookBase


def _counts_csv(counts: np.ndarray, class_names: Sequence[str]) -> str:
    """Confusion counts as CSV: rows GT classes, columns predictions."""
    quoted = [f'"{name}"' for name in class_names]
    lines = ['gt\\pred,' + ','.join(quoted)]
    for name, row in zip(quoted, counts):
        lines.append(name + ',' + ','.join(str(int(v)) for v in row))
    return '\n'.join(lines) + '\n'




@HOOKS.register_module()
class ConfusionPlotsHook(PageHookBase):
    """Counts every validation and test page's pixels by (GT class,
    predicted class), summed over ranks, and after each epoch writes a
    row-normalised confusion-matrix heatmap and a per-class IU bar chart as
    PNG (and the counts as CSV) in ``<work_dir>/plots``, and sends both to
    the visualizer's backends.

    The pixels are counted from the data samples the metric receives: the
    sample's own GT (as the dataset decodes it), or its GT file where that
    is of another size than the prediction; the ignore index is left out.
    The counts are summed over ranks before the plots are drawn.

    Args:
        **kwargs: ``classes``, ``palette``, ``label_values``, ``error_map``,
            ``backend_args`` (see :class:`PageHookBase`).
    """

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self._counts: Dict[str, Optional[np.ndarray]] = {}

    def _start(self, runner, mode: str) -> None:
        self._new_epoch(mode)
        self._counts[mode] = None
        # Resolved on every rank, so every rank joins the count reduction.
        self._dataset_meta(runner, mode)

    def _count_samples(self, runner, mode: str, batch_idx: int,
                       outputs: Optional[Sequence]) -> None:
        meta = self._dataset_meta(runner, mode)
        for index, sample in enumerate(outputs or []):
            source = sample.metainfo.get('img_path') or \
                f'{"page" if mode == "test" else mode}_{batch_idx}_{index}'
            pred = self._prediction(sample, source)
            if pred is None:
                continue
            ori_shape = sample.metainfo.get('ori_shape')
            if mode == 'test' and ori_shape is not None and \
                    tuple(pred.shape) != tuple(ori_shape[:2]):
                continue  # reported by _prediction; not a page to count
            seg_map_path = sample.metainfo.get('seg_map_path')
            gt = self._gt_classes(sample, pred, meta, None,
                                  seg_map_path or source
                                  if mode == 'test' else source)
            self._accumulate(mode, gt, pred, len(meta['classes']))

    # The same work for validation and test, event by event.
    def before_val_epoch(self, runner) -> None:
        self._start(runner, 'val')

    def before_test_epoch(self, runner) -> None:
        self._start(runner, 'test')

    def after_val_iter(self, runner, batch_idx: int, data_batch=None,
                       outputs: Optional[Sequence] = None) -> None:
        self._count_samples(runner, 'val', batch_idx, outputs)

    def after_test_iter(self, runner, batch_idx: int, data_batch=None,
                        outputs: Optional[Sequence] = None) -> None:
        self._count_samples(runner, 'test', batch_idx, outputs)

    def after_val_epoch(self, runner, metrics=None) -> None:
        self._write_plots(runner, 'val')

    def after_test_epoch(self, runner, metrics=None) -> None:
        self._write_plots(runner, 'test')

    def _accumulate(self, mode: str, gt: Optional[np.ndarray],
                    pred: np.ndarray, num_classes: int) -> None:
        if gt is None:
            return
        counts = confusion_matrix(gt, pred, num_classes, IGNORE_INDEX)
        if self._counts.get(mode) is None:
            self._counts[mode] = counts
        else:
            self._counts[mode] += counts


    def _plots_dir(self, runner) -> Path:
        return Path(getattr(runner, 'work_dir', '.')) / 'plots'


    # ------------------------------------------------------------------
    # Plots
    # ------------------------------------------------------------------
    def _write_plots(self, runner, mode: str) -> None:
        if mode not in self._meta:
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
            self._warn(f'{self.log_name}: no {mode} pixels with GT '
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

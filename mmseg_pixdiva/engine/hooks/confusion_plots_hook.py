"""ConfusionPlotsHook: the confusion-matrix heatmap and the per-class IU
chart after every validation and test, drawn from the matrix that
``ConfusionMatrixMetric`` computes with the other scores."""
import logging
from pathlib import Path
from typing import Mapping, Optional, Sequence

import numpy as np
from mmengine.dist import get_rank
from mmengine.logging import print_log

from mmseg.registry import HOOKS
from mmseg_pixdiva.utils.atomic import atomic_write_image, atomic_write_text
from mmseg_pixdiva.visualization import (CONFUSION_MATRIX_KEY,
                                         confusion_matrix_image,
                                         iou_bar_chart, iou_from_confusion,
                                         resolve_palette)

from .page_hook_base import PageHookBase


def _counts_csv(counts: np.ndarray, class_names: Sequence[str]) -> str:
    """Confusion counts as CSV: rows GT classes, columns predictions."""
    quoted = [f'"{name}"' for name in class_names]
    lines = ['gt\\pred,' + ','.join(quoted)]
    for name, row in zip(quoted, counts):
        lines.append(name + ',' + ','.join(str(int(v)) for v in row))
    return '\n'.join(lines) + '\n'


def find_confusion_matrix(metrics: Optional[Mapping]
                          ) -> Optional[np.ndarray]:
    """The confusion matrix among an evaluation's metrics, or None.

    Args:
        metrics (Mapping, optional): What the evaluator returned (the
            ``metrics`` of ``after_val_epoch`` / ``after_test_epoch``).

    Returns:
        np.ndarray, optional: The value of the first key that is
        :data:`CONFUSION_MATRIX_KEY`, or ends with ``/`` and it (a metric
        ``prefix``).
    """
    for key, value in (metrics or {}).items():
        if key == CONFUSION_MATRIX_KEY or \
                key.endswith('/' + CONFUSION_MATRIX_KEY):
            return np.asarray(value)
    return None


@HOOKS.register_module()
class ConfusionPlotsHook(PageHookBase):
    """Draws the pixel confusion matrix of every validation and test.

    After each epoch it takes the matrix that
    :class:`~mmseg_pixdiva.evaluation.metrics.ConfusionMatrixMetric`
    returned (summed over all samples and ranks by the evaluator) and, on
    rank 0, writes a row-normalised confusion-matrix heatmap and a
    per-class IU bar chart as PNG (and the counts as CSV) in
    ``<work_dir>/plots``, and sends both to the visualizer's backends.

    Without that metric in ``val_evaluator`` / ``test_evaluator`` nothing is
    drawn, and one log line says to add ``dict(type='ConfusionMatrixMetric')``.

    Args:
        **kwargs: ``classes``, ``palette``, ``label_values``, ``error_map``,
            ``backend_args`` (see :class:`PageHookBase`); the class names
            and colours label the plots.
    """

    # The same work for validation and test, event by event.
    def before_val_epoch(self, runner) -> None:
        self._new_epoch('val')

    def before_test_epoch(self, runner) -> None:
        self._new_epoch('test')

    def after_val_epoch(self, runner,
                        metrics: Optional[Mapping] = None) -> None:
        self._write_plots(runner, 'val', metrics)

    def after_test_epoch(self, runner,
                         metrics: Optional[Mapping] = None) -> None:
        self._write_plots(runner, 'test', metrics)

    def _plots_dir(self, runner) -> Path:
        return Path(getattr(runner, 'work_dir', '.')) / 'plots'

    def _log_once(self, message: str) -> None:
        """A configuration hint, once per run (a log line, no warning: no
        page is left out)."""
        if message not in self._warned:
            self._warned.add(message)
            print_log(message, logger='current', level=logging.WARNING)

    def _labels(self, runner, mode: str, num_classes: int):
        """Class names and colours of the plots, ``num_classes`` of each."""
        meta = self._dataset_meta(runner, mode)
        if len(meta['classes']) == num_classes:
            return meta['classes'], meta['palette']
        self._log_once(
            f'{self.log_name}: the confusion matrix has {num_classes} '
            f'classes but the hook knows {len(meta["classes"])} class names; '
            'the plots name the classes by index')
        return [str(i) for i in range(num_classes)], \
            resolve_palette(num_classes)

    def _write_plots(self, runner, mode: str,
                     metrics: Optional[Mapping]) -> None:
        # The evaluator hands every rank the same metrics; one draws.
        if get_rank() != 0:
            return
        counts = find_confusion_matrix(metrics)
        if counts is None:
            self._log_once(
                f'{self.log_name}: no confusion matrix among the {mode} '
                f"metrics; add dict(type='ConfusionMatrixMetric') to "
                f'{mode}_evaluator for the confusion-matrix and IU plots')
            return
        if counts.ndim != 2 or counts.shape[0] != counts.shape[1]:
            self._log_once(
                f'{self.log_name}: the {mode} confusion matrix is not square '
                f'(shape {counts.shape}); no plots')
            return
        if not counts.any():
            self._warn(f'{self.log_name}: no {mode} pixels with GT '
                       'were counted; no plots')
            return
        names, palette = self._labels(runner, mode, counts.shape[0])
        step = getattr(runner, 'iter', 0)
        suffix = f'_iter_{step}' if mode == 'val' else ''
        out_dir = self._plots_dir(runner)
        heatmap, _ = confusion_matrix_image(
            counts, names, title=f'{mode} confusion matrix (row-normalised)')
        chart = iou_bar_chart(iou_from_confusion(counts), names, palette,
                              title=f'{mode} IU per class')
        atomic_write_image(out_dir / f'{mode}_confusion_matrix{suffix}.png',
                           heatmap)
        atomic_write_text(out_dir / f'{mode}_confusion_matrix{suffix}.csv',
                          _counts_csv(counts, names))
        atomic_write_image(out_dir / f'{mode}_iou{suffix}.png', chart)
        self._add_image(runner, f'{mode}_confusion_matrix', heatmap)
        self._add_image(runner, f'{mode}_iou', chart)

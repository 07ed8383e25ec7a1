"""Pixel-level confusion matrix and the scores read from it (numpy only).

:class:`~mmseg_pixdiva.evaluation.metrics.ConfusionMatrixMetric` counts with
these functions during validation and testing, and the plots of
:mod:`mmseg_pixdiva.visualization` are drawn from its counts.
"""
import numpy as np

from ..core.encoding import IGNORE_INDEX

#: Name of the summed ``(C, C)`` pixel counts in the results of
#: ``ConfusionMatrixMetric`` (``<prefix>/confusion_matrix`` with a prefix);
#: ``ConfusionPlotsHook`` finds the matrix in the runner's metrics by it.
CONFUSION_MATRIX_KEY = 'confusion_matrix'
#: Name of the per-class IU (``iou_from_confusion`` of that matrix).
PER_CLASS_IOU_KEY = 'per_class_iou'


def confusion_matrix(gt: np.ndarray, pred: np.ndarray, num_classes: int,
                     ignore_index: int = IGNORE_INDEX) -> np.ndarray:
    """Count pixels per (ground-truth class, predicted class).

    Args:
        gt (np.ndarray): Ground-truth class indices, any shape.
        pred (np.ndarray): Predicted class indices, same shape.
        num_classes (int): Number of classes.
        ignore_index (int): GT (or predicted) value of pixels not counted.

    Returns:
        np.ndarray: ``(num_classes, num_classes)`` int64; rows are GT
        classes, columns predicted classes.

    Raises:
        ValueError: On a shape mismatch or an index outside the classes.
    """
    gt = np.asarray(gt)
    pred = np.asarray(pred)
    if gt.shape != pred.shape:
        raise ValueError(f'GT shape {gt.shape} and prediction shape '
                         f'{pred.shape} differ')
    gt = gt.ravel()
    pred = pred.ravel()
    keep = (gt != ignore_index) & (pred != ignore_index)
    if not keep.all():
        gt = gt[keep]
        pred = pred[keep]
    if gt.size:
        low = min(int(gt.min()), int(pred.min()))
        high = max(int(gt.max()), int(pred.max()))
        if low < 0 or high >= num_classes:
            raise ValueError(f'class indices must be in 0..{num_classes - 1}'
                             f' (or {ignore_index}), got {low}..{high}')
    # One bincount over a combined index: a single pass over the pixels.
    index = gt.astype(np.int64) * num_classes + pred
    counts = np.bincount(index, minlength=num_classes * num_classes)
    return counts.reshape(num_classes, num_classes).astype(np.int64)


def row_normalise(counts: np.ndarray) -> np.ndarray:
    """Divide each row by its total (recall on the diagonal).

    Rows without pixels (a class absent from the GT) become NaN, so they
    are not mistaken for a recall of 0.

    Args:
        counts (np.ndarray): ``(C, C)`` counts, rows GT classes.

    Returns:
        np.ndarray: ``(C, C)`` float64.
    """
    counts = np.asarray(counts, dtype=np.float64)
    totals = counts.sum(axis=1, keepdims=True)
    with np.errstate(invalid='ignore', divide='ignore'):
        return np.where(totals > 0, counts / np.where(totals > 0, totals, 1),
                        np.nan)


def iou_from_confusion(counts: np.ndarray) -> np.ndarray:
    """Per-class intersection over union, TP / (TP + FP + FN).

    Classes never seen in GT nor prediction get NaN.

    Args:
        counts (np.ndarray): ``(C, C)`` counts, rows GT classes.

    Returns:
        np.ndarray: ``(C,)`` float64.
    """
    counts = np.asarray(counts, dtype=np.float64)
    tp = np.diag(counts)
    union = counts.sum(axis=0) + counts.sum(axis=1) - tp
    with np.errstate(invalid='ignore', divide='ignore'):
        return np.where(union > 0, tp / np.where(union > 0, union, 1), np.nan)

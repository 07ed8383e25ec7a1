"""The confusion counting now lives in :mod:`mmseg_pixdiva.evaluation.confusion`
(beside the metric that uses it); re-exported here for code that imported
it from this module."""
from ..evaluation.confusion import (confusion_matrix, iou_from_confusion,
                                    row_normalise)

__all__ = ['confusion_matrix', 'iou_from_confusion', 'row_normalise']

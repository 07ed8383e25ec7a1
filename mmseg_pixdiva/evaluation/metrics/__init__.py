"""Metrics registered in mmseg's METRICS registry."""
from .confusion_matrix_metric import ConfusionMatrixMetric
from .diva_layout_metric import DIVALayoutMetric

__all__ = ['ConfusionMatrixMetric', 'DIVALayoutMetric']

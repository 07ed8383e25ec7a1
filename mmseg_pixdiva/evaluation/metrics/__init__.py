"""Metrics registered in mmseg's METRICS registry."""
from .diva_layout_metric import DIVALayoutMetric

__all__ = ['DIVALayoutMetric']

"""Hooks registered in mmseg's HOOKS."""
from .gt_format_prediction_hook import GTFormatPredictionHook

__all__ = ['GTFormatPredictionHook']

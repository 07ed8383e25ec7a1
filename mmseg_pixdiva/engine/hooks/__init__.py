"""Hooks registered in mmseg's HOOKS."""
from .colour_visualization_hook import ColourVisualizationHook
from .gt_format_prediction_hook import GTFormatPredictionHook

__all__ = ['ColourVisualizationHook', 'GTFormatPredictionHook']

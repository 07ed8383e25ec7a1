"""Hooks registered in mmseg's HOOKS."""
from .channels_last_hook import ChannelsLastHook
from .colour_visualization_hook import ColourVisualizationHook
from .gt_format_prediction_hook import GTFormatPredictionHook

__all__ = [
    'ChannelsLastHook', 'ColourVisualizationHook', 'GTFormatPredictionHook'
]

"""Hooks registered in mmseg's HOOKS."""
from .channels_last_hook import ChannelsLastHook
from .colour_visualization_hook import ColourVisualizationHook
from .confusion_plots_hook import ConfusionPlotsHook
from .gt_format_prediction_hook import GTFormatPredictionHook
from .panel_hook import PanelHook
from .test_pictures_hook import TestPicturesHook

__all__ = [
    'ChannelsLastHook', 'ColourVisualizationHook', 'ConfusionPlotsHook',
    'GTFormatPredictionHook', 'PanelHook', 'TestPicturesHook'
]

"""hooks."""
from .colour_visualization_hook import ColourVisualizationHook

__all__ = ['ColourVisualizationHook']

"""Loops registered in mmseg's LOOPS."""
from .crops_val_loop import CropsValLoop, evaluated_size

__all__ = ['CropsValLoop', 'evaluated_size']

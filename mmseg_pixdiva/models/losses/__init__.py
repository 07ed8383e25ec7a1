"""Losses registered in mmseg's MODELS registry."""
from .per_bit_loss import PerBitLoss

__all__ = ['PerBitLoss']

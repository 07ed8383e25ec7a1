"""Segmentors registered in mmseg's MODELS."""
from .max_slide_encoder_decoder import MaxSlideEncoderDecoder

__all__ = ['MaxSlideEncoderDecoder']

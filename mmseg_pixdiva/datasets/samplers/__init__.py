"""samplers."""
# CropIndex is the crop protocol's (datasets/crop_protocol.py); it stays
# importable from here, beside the sampler that yields it.
from ..crop_protocol import CropIndex
from .crops_per_image_sampler import CropsPerImageSampler

__all__ = ['CropIndex', 'CropsPerImageSampler']

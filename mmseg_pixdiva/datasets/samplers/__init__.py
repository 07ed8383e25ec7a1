"""samplers."""
from .crop_index import CropIndex
from .crops_per_image_sampler import CropsPerImageSampler

__all__ = ['CropIndex', 'CropsPerImageSampler']

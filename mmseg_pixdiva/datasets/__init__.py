"""Datasets, transforms and samplers (registered in mmseg's registries)."""
from .hisdb import HisDBDataset
from .paired_blue_channel import PairedBlueChannelDataset
from .samplers import *  # noqa: F401,F403
from .transforms import *  # noqa: F401,F403

__all__ = ['PairedBlueChannelDataset', 'HisDBDataset']

"""Importing this module registers every component in mmseg's registries.

mmseg's registries import it lazily on their first lookup (see the package
``__init__``); :func:`mmseg_pixdiva.register_all_modules` imports it eagerly.
"""
from .datasets import hisdb, paired_blue_channel  # noqa: F401
from .datasets import samplers, transforms  # noqa: F401
from . import engine  # noqa: F401
from . import models  # noqa: F401
from .evaluation import metrics  # noqa: F401

"""Datasets, transforms and samplers.

The pure modules (``encoding``, ``pairing``, ``gt_image``, ``synthetic``,
``analytics``, ``label_discovery``) import without torch or mmseg, so the
command-line tools built on them start fast. The registered classes load on
first use (``from mmseg_pixdiva.datasets import HisDBDataset`` works) and
through :mod:`mmseg_pixdiva.registration`.
"""
import importlib

_LAZY = {
    'PairedBlueChannelDataset': '.paired_blue_channel',
    'HisDBDataset': '.hisdb',
}

__all__ = list(_LAZY)


def __getattr__(name: str):
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name], __name__), name)
    raise AttributeError(f'module {__name__!r} has no attribute {name!r}')

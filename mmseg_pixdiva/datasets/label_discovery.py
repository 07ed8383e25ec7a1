"""Find the class list of a dataset from its training GTs, once, cached.

Like DeepDIVA's analytics, the classes are the distinct blue values of the
training GTs. Scanning full-resolution pages takes a while, so the result is
cached as JSON in the data root together with a signature of the files it
came from (names, sizes, modification times): a changed training set is
rescanned, an unchanged one never is.
"""
import json
import os
import os.path as osp
import warnings
from typing import Dict, List, Optional, Sequence

from ..utils import cache_location, files_signature, write_cache_text
from .gt_values import GT_VALUES_CACHE_NAME, gt_blue_values

CACHE_VERSION = 1

#: Name of the class-list cache written in the data root (here, not beside
#: the registered dataset that uses it, so that the tools learn it without
#: importing mmseg).
LABEL_CACHE_NAME = 'pixdiva_label_values.json'


def discover_label_values(gt_paths: Sequence[str],
                          cache_file: Optional[str] = None) -> List[int]:
    """Sorted distinct blue values of ``gt_paths``, cached in ``cache_file``.

    Args:
        gt_paths (Sequence[str]): The training GTs.
        cache_file (str, optional): JSON cache path. If it cannot be written
            (read-only data root) the values are still returned, with a
            warning, and the scan is repeated next time.

    Returns:
        list[int]: Blue values in ascending order (the class order).
    """
    if not gt_paths:
        raise ValueError('no GT files to discover the classes from')
    signature = files_signature(gt_paths)
    # Through the per-file cache beside it: the check of the splits before
    # training (which needs each GT's values) then decodes no GT again.
    per_file_cache = osp.join(osp.dirname(cache_file),
                              GT_VALUES_CACHE_NAME) if cache_file else None
    cache_file = str(cache_location(cache_file)) if cache_file else None
    if cache_file and os.path.isfile(cache_file):
        try:
            with open(cache_file, encoding='utf-8') as f:
                cached = json.load(f)
            if not isinstance(cached, dict):
                # Valid JSON of another shape (a list, a number) is as
                # unusable as a truncated file: rescan rather than fail.
                raise TypeError('not a JSON object')
            if (cached.get('version') == CACHE_VERSION
                    and cached.get('files') == signature):
                return [int(v) for v in cached['label_values']]
        except (OSError, ValueError, KeyError, TypeError):
            warnings.warn(f'{cache_file}: unreadable class cache, rescanning')
    counts: Dict[int, int] = {}
    per_file = gt_blue_values(gt_paths, per_file_cache)
    for file_counts in per_file:
        for value, pixels in file_counts.items():
            counts[value] = counts.get(value, 0) + pixels
    counts = dict(sorted(counts.items()))
    values = sorted(counts)
    if cache_file:
        record = dict(
            version=CACHE_VERSION,
            label_values=values,
            pixel_counts={str(k): v for k, v in counts.items()},
            files=signature)
        write_cache_text(cache_file, json.dumps(record, indent=1),
                         'the class list')
    return values

"""The blue values of every GT file, each file scanned once, cached.

Checking that the GTs of every split hold only the dataset's classes means
reading every pixel of them (a PNG stored without row filters, as the
DIVA-HisDB GTs, only inflated: :mod:`~mmseg_pixdiva.utils.png_rows`). A
cache in the data root keeps, per GT file, its size, modification time and
the pixel count of every blue value it holds, so a run only reads the GTs
that are new or changed since the last one, and a dataset that was checked
before is checked again in well under a second. A read-only data root (a
shared copy) gets its cache in the user's cache folder instead
(:func:`~mmseg_pixdiva.utils.atomic.cache_location`).
"""
import json
import os
import os.path as osp
import warnings
from concurrent.futures import ThreadPoolExecutor
from typing import Dict, List, Optional, Sequence

from ..utils import cache_location, write_cache_text
from .analytics import scan_blue_values
from ..core.encoding import UnknownLabelValueError

#: Name of the per-file cache written in the data root.
GT_VALUES_CACHE_NAME = 'pixdiva_gt_values.json'

CACHE_VERSION = 1

#: GTs scanned at once when their values are not cached.
SCAN_THREADS = 2


def _read_cache(cache_file: str) -> Dict[str, list]:
    try:
        with open(cache_file, encoding='utf-8') as f:
            cached = json.load(f)
        if not isinstance(cached, dict) or \
                cached.get('version') != CACHE_VERSION or \
                not isinstance(cached.get('files'), dict):
            raise ValueError('not a cache of this version')
        return cached['files']
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as error:
        # An unusable cache only costs a rescan.
        warnings.warn(f'{cache_file}: unreadable GT value cache ({error}), '
                      'rescanning')
        return {}


def gt_blue_values(gt_paths: Sequence[str],
                   cache_file: Optional[str] = None) -> List[Dict[int, int]]:
    """``{blue value: pixel count}`` of each GT file.

    Args:
        gt_paths (Sequence[str]): GT files.
        cache_file (str, optional): JSON cache; entries are keyed by the
            path relative to its folder and hold the file's size and
            modification time, so a changed file is rescanned. Entries of
            files that no longer exist are dropped. If it cannot be written,
            the values are still returned, with a warning.

    Returns:
        list[dict]: One dict per file, in the order of ``gt_paths``.

    Raises:
        InvalidGTError: Naming a GT that cannot be decoded.
    """
    # Keys are relative to the data root; the file itself may live in the
    # user's cache folder when the data root is read-only.
    base = osp.dirname(osp.abspath(cache_file)) if cache_file else None
    cache_file = str(cache_location(cache_file)) if cache_file else None
    entries = _read_cache(cache_file) if cache_file else {}
    results: List[Optional[Dict[int, int]]] = []
    todo = []  # (index, path, cache key, stat) of the files to decode
    for path in gt_paths:
        stat = os.stat(path)
        key = osp.relpath(osp.abspath(path), base).replace(os.sep, '/') \
            if base else None
        entry = entries.get(key) if key else None
        if entry and entry[:2] == [stat.st_size, stat.st_mtime_ns]:
            results.append({int(v): int(n) for v, n in entry[2].items()})
        else:
            results.append(None)
            todo.append((len(results) - 1, path, key, stat))
    # The inflate and the counting release the GIL: two threads scan about
    # twice as fast on two cores (docs/benchmarks.md).
    with ThreadPoolExecutor(max(1, min(SCAN_THREADS, len(todo)))) as pool:
        scanned = list(pool.map(lambda item: scan_blue_values([item[1]]),
                                todo))
    changed = False
    for (index, _, key, stat), counts in zip(todo, scanned):
        results[index] = counts
        if key:
            entries[key] = [stat.st_size, stat.st_mtime_ns,
                            {str(v): n for v, n in counts.items()}]
            changed = True
    if cache_file and changed:
        entries = {k: v for k, v in entries.items()
                   if osp.isfile(osp.join(base, k))}
        write_cache_text(cache_file, json.dumps(
            dict(version=CACHE_VERSION, files=entries)), 'the GT values')
    return results


def refuse_hisdb_blue_zero(gt_paths: Sequence[str],
                           cache_file: Optional[str] = None) -> None:
    """Raise if a DIVA-HisDB GT holds blue 0 (no class bit set).

    Blue 0 sets no DIVA-HisDB bit, not even background's (1), and the
    DIVA-HisDB GTs never hold it: discovering it as a class would silently
    add a class ``'none'`` that no page means.

    Args:
        gt_paths (Sequence[str]): The GTs the classes were found in.
        cache_file (str, optional): See :func:`gt_blue_values`.

    Raises:
        UnknownLabelValueError: Naming the first GT that holds blue 0, its
            pixel count, how many other GTs hold it, and the way out (list
            0 in ``label_values`` to train it as a class).
    """
    holders = [(path, counts[0]) for path, counts in zip(
        gt_paths, gt_blue_values(gt_paths, cache_file)) if counts.get(0)]
    if not holders:
        return
    path, pixels = holders[0]
    more = f' (and {len(holders) - 1} more GTs)' if len(holders) > 1 else ''
    raise UnknownLabelValueError(
        f'{path}: {pixels} pixels have blue 0, which sets no DIVA-HisDB class '
        f'bit (not even background, 1){more}; fix the GT, or list 0 in '
        'label_values to train it as a class')

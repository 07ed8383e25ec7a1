"""What a dataset root holds: the files of its splits and the files the
project keeps beside them (caches, the synthetic manifest).

A tool that writes a file of its own choosing (``--out``) lists these as
inputs, so that it refuses to write over any of them
(:mod:`~mmseg_pixdiva.utils.output_guard`).
"""
from pathlib import Path
from typing import Iterable, List, Tuple, Union

from ..utils import cache_location
from .analytics import DEFAULT_CACHE_NAME
from .gt_values import GT_VALUES_CACHE_NAME
from .label_discovery import LABEL_CACHE_NAME
from .synthetic import MANIFEST_NAME

#: ``(file name, role)`` of the caches the project keeps in a data root
#: (in the user's cache folder for a read-only one).
DATA_ROOT_CACHES = (
    (DEFAULT_CACHE_NAME, 'statistics cache'),
    (GT_VALUES_CACHE_NAME, 'GT values cache'),
    (LABEL_CACHE_NAME, 'class list cache'),
)

#: Sub-folders of a split: scans and GTs.
SPLIT_SUBFOLDERS = ('data', 'gt')

PathLike = Union[str, Path]


def split_folders(data_root: PathLike,
                  splits: Iterable[str] = ()) -> List[Tuple[str, Path]]:
    """``(name, folder)`` of every existing ``<split>/data`` and
    ``<split>/gt`` folder.

    Args:
        data_root: The dataset root.
        splits: Splits to include even where they are not a direct
            sub-folder of the root (e.g. ``folds/one``); every sub-folder
            of the root that has a ``data`` or ``gt`` folder is a split too,
            whatever its name.

    Returns:
        list: ``('<split>/<sub>', folder)`` pairs, in name order.
    """
    root = Path(data_root)
    names = set(splits)
    if root.is_dir():
        names.update(child.name for child in root.iterdir()
                     if any((child / sub).is_dir()
                            for sub in SPLIT_SUBFOLDERS))
    return [(f'{split}/{sub}', root / split / sub)
            for split in sorted(names) for sub in SPLIT_SUBFOLDERS
            if (root / split / sub).is_dir()]


def data_root_files(data_root: PathLike,
                    splits: Iterable[str] = ()) -> List[Tuple[str, Path]]:
    """``(role, path)`` of every file a data root holds or may hold.

    The files of every split folder (:func:`split_folders`), the synthetic
    manifest and the caches, the last ones whether they exist yet or not: a
    file a tool wrote under one of their names would be read as a manifest
    or a cache later.

    Args:
        data_root: The dataset root.
        splits: See :func:`split_folders`.

    Returns:
        list: ``(role, path)`` pairs, for
        :func:`~mmseg_pixdiva.utils.output_guard.refuse_inputs`.
    """
    root = Path(data_root)
    files = [(f'{name} file', path)
             for name, folder in split_folders(root, splits)
             for path in sorted(folder.iterdir())]
    files.append(('synthetic dataset manifest', root / MANIFEST_NAME))
    for name, role in DATA_ROOT_CACHES:
        files.append((role, root / name))
        files.append((role, cache_location(root / name)))
    return files

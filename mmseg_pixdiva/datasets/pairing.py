"""Pair page images with their GT files by file stem (pure, local files).

DeepDIVA's dataset pairs ``data/page23.jpg`` with ``gt/page23.png``: the stem
decides, the extensions may differ. Pairing by sorted position would silently
shift every label after a single missing file, so every inconsistency is an
error that names the files involved.
"""
import os
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

from ..utils.errors import InputError, problem_list

#: Image suffixes accepted for scans (lower case).
IMAGE_SUFFIXES = ('.jpg', '.jpeg', '.png', '.tif', '.tiff', '.bmp', '.webp')

#: Lossless suffixes accepted for GTs; a lossy GT would corrupt the labels.
GT_SUFFIXES = ('.png', '.bmp', '.tif', '.tiff', '.gif')

#: Lossy formats: refused as GT.
LOSSY_SUFFIXES = ('.jpg', '.jpeg', '.jpe', '.webp')


class PairingError(InputError, ValueError):
    """The image and GT folders do not pair up one-to-one by stem."""


def _list_by_stem(folder: Path, suffixes: Sequence[str], kind: str,
                  problems: List[str],
                  lossy: Sequence[str] = ()) -> Dict[str, Path]:
    """Map stem -> file for the files of ``folder`` with ``suffixes``."""
    by_stem: Dict[str, Path] = {}
    for entry in sorted(os.scandir(folder), key=lambda e: e.name):
        if entry.name.startswith('.'):
            continue  # hidden files (.DS_Store, partial downloads)
        path = Path(entry.path)
        suffix = path.suffix.lower()
        try:
            is_file = entry.is_file()
        except OSError:  # a link that loops
            is_file = False
        if not is_file:
            if entry.is_symlink() and not os.path.exists(entry.path) \
                    and suffix in (*suffixes, *lossy):
                # A page the user meant to list: skipping it would change
                # the split without a word.
                problems.append(f'{path}: {kind} file is a broken or '
                                'looping symbolic link')
            continue  # folders
        if suffix in lossy:
            problems.append(
                f'{path}: {kind} is {suffix[1:].upper()}, a lossy format; '
                'compression changes the class values. Save GTs as PNG.')
            continue
        if suffix not in suffixes:
            continue
        stem = path.stem
        if stem in by_stem:
            problems.append(f'two {kind} files with the same stem "{stem}": '
                            f'{by_stem[stem]} and {path}')
            continue
        by_stem[stem] = path
    return by_stem


def pair_by_stem(img_dir: str,
                 gt_dir: Optional[str],
                 img_suffixes: Sequence[str] = IMAGE_SUFFIXES,
                 gt_suffixes: Sequence[str] = GT_SUFFIXES
                 ) -> List[Tuple[str, str, Optional[str]]]:
    """Pair the images of ``img_dir`` with the GTs of ``gt_dir`` by stem.

    Args:
        img_dir (str): Folder of page images.
        gt_dir (str, optional): Folder of GTs; ``None`` lists images only.
        img_suffixes (Sequence[str]): Image suffixes to consider.
        gt_suffixes (Sequence[str]): GT suffixes to consider.

    Returns:
        list[tuple]: ``(stem, image path, GT path or None)`` sorted by stem.

    Raises:
        PairingError: Listing every problem found: a missing or empty folder,
            an image without GT, a GT without image, two files with one stem,
            a lossy (JPEG) GT.
    """
    problems: List[str] = []
    folders = [('image', img_dir)] + ([('GT', gt_dir)] if gt_dir else [])
    for kind, folder in folders:
        if not os.path.isdir(folder):
            raise PairingError(f'{kind} folder {folder} does not exist')
    images = _list_by_stem(Path(img_dir), img_suffixes, 'image', problems)
    if not images:
        problems.append(f'image folder {img_dir} has no images '
                        f'(looked for {", ".join(img_suffixes)})')
    gts: Dict[str, Path] = {}
    if gt_dir:
        gts = _list_by_stem(Path(gt_dir), gt_suffixes, 'GT', problems,
                            lossy=LOSSY_SUFFIXES)
        if not gts and not any('lossy' in p for p in problems):
            problems.append(f'GT folder {gt_dir} has no GT files '
                            f'(looked for {", ".join(gt_suffixes)})')
        for stem in sorted(set(images) - set(gts)):
            problems.append(f'image {images[stem]} has no GT in {gt_dir} '
                            f'(expected {stem}.png)')
        for stem in sorted(set(gts) - set(images)):
            problems.append(f'GT {gts[stem]} has no image in {img_dir}')
    if problems:
        what = 'pair images and GTs' if gt_dir else 'list the images'
        raise PairingError(problem_list(f'cannot {what}', problems))
    return [(stem, str(images[stem]),
             str(gts[stem]) if gt_dir else None) for stem in sorted(images)]


def select_pages(
        pair_lists: Sequence[List[Tuple[str, str, Optional[str]]]],
        pages: Optional[Sequence[str]] = None
) -> List[Tuple[str, str, Optional[str]]]:
    """Join the pairs of several folders and keep the listed pages.

    Args:
        pair_lists (Sequence[list]): Results of :func:`pair_by_stem`, one per
            folder pair, joined in this order.
        pages (Sequence[str], optional): Stems to keep (all if None).

    Returns:
        list[tuple]: ``(stem, image path, GT path or None)``, folder by
        folder, each folder sorted by stem.

    Raises:
        PairingError: A stem in two folders (naming both images), or a
            listed page that no folder holds (naming the folders).
    """
    seen: Dict[str, str] = {}
    problems: List[str] = []
    for pairs in pair_lists:
        for stem, img_path, _ in pairs:
            if stem in seen:
                problems.append(f'page "{stem}" is in two folders: '
                                f'{seen[stem]} and {img_path}')
            seen.setdefault(stem, img_path)
    if pages is not None:
        folders = sorted({os.path.dirname(img) for pairs in pair_lists
                          for _, img, _ in pairs})
        for stem in pages:
            if stem not in seen:
                problems.append(f'page "{stem}" is listed in pages but is in '
                                f'none of {", ".join(folders)}')
    if problems:
        raise PairingError(problem_list('cannot select the pages', problems))
    keep = None if pages is None else set(pages)
    return [pair for pairs in pair_lists for pair in pairs
            if keep is None or pair[0] in keep]

"""Check every page of a built dataset before training reads it.

What would otherwise surface when a page is first decoded (for a
validation or test page: after training has run and saved a checkpoint) is
found here, in seconds: truncated or corrupt image and GT files (from their
markers), image/GT size mismatches (from the headers), pages smaller than a
crop that may not be padded, and GT blue values outside the class list
(each GT read once, then cached by :mod:`.gt_values`; a DIVA-HisDB GT is
counted from its inflated PNG rows, without a decoder).
"""
import os.path as osp
from typing import Optional, Sequence, Tuple

from ..utils.errors import InputError
from ..core.encoding import unknown_label_values_error
from .file_checks import check_file_complete
from .gt_values import GT_VALUES_CACHE_NAME, gt_blue_values
from .crop_protocol import page_sizes
from .crop_schedule import CropTooLargeError


def check_dataset_files(dataset,
                        crop_size: Optional[Tuple[int, int]] = None,
                        pad: bool = True,
                        name: str = 'dataset',
                        cache_file: Optional[str] = None) -> int:
    """Check the files of every page of ``dataset``.

    Args:
        dataset (BaseDataset): A fully initialised dataset whose data infos
            hold ``img_path`` and, where the page has a GT,
            ``seg_map_path``. The GT values are checked against its
            ``label_values`` attribute when it has one
            (:class:`PairedBlueChannelDataset`).
        crop_size (tuple, optional): ``(h, w)`` of the crops taken from the
            pages (:class:`LoadPageCrop`).
        pad (bool): Whether pages smaller than ``crop_size`` are padded.
        name (str): The config key of the dataset, named in the messages
            that concern a setting rather than a file.
        cache_file (str, optional): GT value cache; by default
            ``pixdiva_gt_values.json`` in the dataset's ``data_root`` (none
            without a data root).

    Returns:
        int: The number of pages checked.

    Raises:
        InputError: Naming the file (or the setting) and what is wrong.
    """
    infos = [dataset.get_data_info(i) for i in range(len(dataset))]
    if not infos:
        raise InputError(f'{name}: the dataset has no pages')
    for info in infos:
        check_file_complete(info['img_path'], 'image')
        if info.get('seg_map_path'):
            check_file_complete(info['seg_map_path'], 'GT')
    sizes = page_sizes(dataset)  # header reads; names mismatched pairs
    if crop_size is not None and not pad:
        _check_crops_fit(infos, sizes, tuple(crop_size), name)
    label_values = getattr(dataset, 'label_values', None)
    gt_paths = [info['seg_map_path'] for info in infos
                if info.get('seg_map_path')]
    if label_values is not None and gt_paths:
        if cache_file is None and getattr(dataset, 'data_root', None):
            cache_file = osp.join(dataset.data_root, GT_VALUES_CACHE_NAME)
        _check_gt_values(gt_paths, label_values, cache_file)
    return len(infos)


def _check_crops_fit(infos: Sequence[dict], sizes: Sequence[Tuple[int, int]],
                     crop_size: Tuple[int, int], name: str) -> None:
    """Every page must hold a whole crop when padding is off."""
    small = [(info['img_path'], hw) for info, hw in zip(infos, sizes)
             if hw[0] < crop_size[0] or hw[1] < crop_size[1]]
    if small:
        path, (h, w) = small[0]
        more = f' (and {len(small) - 1} more pages)' if len(small) > 1 \
            else ''
        raise CropTooLargeError(
            f'{name}: LoadPageCrop crop_size {crop_size} (h, w) is larger '
            f'than the page {path} ({h}x{w}, HxW){more} and pad=False; use '
            'a smaller crop_size or pad=True')


def _check_gt_values(gt_paths: Sequence[str], label_values: Sequence[int],
                     cache_file: Optional[str]) -> None:
    """Every GT blue value must be one of ``label_values``."""
    known = set(int(v) for v in label_values)
    for path, counts in zip(gt_paths, gt_blue_values(gt_paths, cache_file)):
        unknown = {v: n for v, n in counts.items() if v not in known}
        if unknown:
            raise unknown_label_values_error(path, label_values, unknown)

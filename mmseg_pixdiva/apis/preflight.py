"""Check a config's settings and the data of every split before a run.

mmengine builds the dataloaders lazily: the validation set is first read
after training has run (and saved a checkpoint), and even the training set
only once the model is built. A bad setting or a damaged file then stops
the run late, often under a long traceback. :func:`check_config_inputs`
builds each dataset the config names and checks it (see
:func:`~mmseg_pixdiva.datasets.dataset_check.check_dataset_files`) before
the runner exists, naming the config key or the file at fault.
"""
import copy
import os.path as osp
from typing import Any, Iterator, List, Optional, Sequence, Tuple

from mmengine.config import Config
from mmengine.logging import print_log

from ..utils.errors import InputError, UsageError

#: The splits tools/train.py checks.
TRAIN_SPLITS = ('train', 'val', 'test')


def _with_key(error: InputError, key: str, sep: str = ': ') -> InputError:
    """``error`` of the same type with ``key`` and ``sep`` in front of its
    message."""
    try:
        return type(error)(f'{key}{sep}{error}')
    except Exception:  # a constructor that takes more than a message
        return UsageError(f'{key}{sep}{error}')


def _find_keys(node: Any, key: str, path: str) -> Iterator[Tuple[str, Any]]:
    """``(dotted path, value)`` of every ``key`` below ``node``."""
    if isinstance(node, dict):
        for k, v in node.items():
            here = f'{path}.{k}'
            if k == key:
                yield here, v
            else:
                yield from _find_keys(v, key, here)
    elif isinstance(node, (list, tuple)):
        for i, item in enumerate(node):
            yield from _find_keys(item, key, f'{path}[{i}]')


def check_num_classes(cfg: Config) -> None:
    """Every ``num_classes`` of the model must be a positive integer.

    ``'auto'`` is left to :func:`~mmseg_pixdiva.apis.resolve_auto_config`.

    Raises:
        UsageError: Naming the config key and its value.
    """
    for key, value in _find_keys(cfg.get('model', None), 'num_classes',
                                 'model'):
        if isinstance(value, str) and value == 'auto':
            continue
        if isinstance(value, bool) or not isinstance(value, int) or \
                value < 1:
            raise UsageError(f'{key} must be a positive integer (or '
                             f"'auto'), got {value!r}")


def _leaf_datasets(dataset) -> List[Any]:
    """The datasets inside wrappers (ConcatDataset, RepeatDataset)."""
    inner = getattr(dataset, 'datasets', None)
    if inner is not None:
        return [leaf for d in inner for leaf in _leaf_datasets(d)]
    inner = getattr(dataset, 'dataset', None)
    if inner is not None:
        return _leaf_datasets(inner)
    return [dataset]


def _page_crop(dataset) -> Tuple[Optional[Tuple[int, int]], bool]:
    """``(crop_size, pad)`` of the dataset's LoadPageCrop, else
    ``(None, True)`` (whole pages)."""
    from ..datasets.crop_protocol import find_page_crop
    try:
        transform = find_page_crop(dataset)
    except ValueError:  # no LoadPageCrop: the pages are not cropped
        return None, True
    return transform.crop_size, transform.pad


def _split_used(cfg: Config, split: str) -> bool:
    loader = cfg.get(f'{split}_dataloader', None)
    if not loader or not loader.get('dataset', None):
        return False
    # mmengine only reads a val/test loader together with its loop config.
    return split == 'train' or cfg.get(f'{split}_cfg', None) is not None


def build_split_dataset(cfg: Config, split: str):
    """Build the dataset of ``cfg``'s ``<split>_dataloader``.

    Raises:
        InputError: From the dataset, its message led by the config key.
    """
    from mmengine.registry import init_default_scope
    from mmseg.registry import DATASETS
    key = f'{split}_dataloader'
    init_default_scope(cfg.get('default_scope', 'mmseg'))
    try:
        return DATASETS.build(copy.deepcopy(cfg[key]['dataset']))
    except InputError as error:
        raise _with_key(error, f'{key}.dataset') from None


def check_split(cfg: Config, split: str) -> int:
    """Build the ``<split>_dataloader`` dataset of ``cfg`` and check it.

    Args:
        cfg (Config): A full config.
        split (str): ``'train'``, ``'val'`` or ``'test'``.

    Returns:
        int: Pages checked.

    Raises:
        InputError: Naming the config key or the file at fault.
    """
    from ..datasets.dataset_check import check_dataset_files
    from ..datasets.crop_schedule import check_crop_settings
    key = f'{split}_dataloader'
    loader = cfg[key]
    sampler = loader.get('sampler', None) or {}
    if sampler.get('type') == 'CropsPerImageSampler':
        try:
            check_crop_settings(sampler.get('crops_per_image', 50),
                                sampler.get('imgs_in_memory', 4))
        except InputError as error:
            # Its message starts with the setting's name: the full key.
            raise _with_key(error, f'{key}.sampler', '.') from None
    dataset = build_split_dataset(cfg, split)
    pages = 0
    for leaf in _leaf_datasets(dataset):
        crop_size, pad = _page_crop(leaf)
        pages += check_dataset_files(leaf, crop_size, pad,
                                     name=f'{key}.dataset')
    return pages


def dataset_folders(dataset_cfg: dict) -> List[Tuple[str, str]]:
    """``(role, folder)`` of every image (``'image'``) and GT (``'GT'``)
    folder a dataset config names (wrappers such as ConcatDataset
    included)."""
    if dataset_cfg.get('datasets', None) is not None:
        return [pair for child in dataset_cfg['datasets']
                for pair in dataset_folders(child)]
    if dataset_cfg.get('dataset', None) is not None:
        return dataset_folders(dataset_cfg['dataset'])
    root = dataset_cfg.get('data_root', None) or ''
    prefixes = dataset_cfg.get('data_prefixes', None) or \
        [dataset_cfg.get('data_prefix', None) or {}]
    return [(role, osp.join(root, p[key])) for p in prefixes
            for key, role in (('img_path', 'image'), ('seg_map_path', 'GT'))
            if p.get(key)]


def _absent_image_folders(dataset_cfg: dict) -> List[str]:
    """The image folders a (non-wrapper) dataset config names that do not
    exist."""
    return [folder for role, folder in dataset_folders(dataset_cfg)
            if role == 'image' and not osp.isdir(folder)]


def check_config_inputs(cfg: Config,
                        splits: Sequence[str] = TRAIN_SPLITS,
                        optional: Sequence[str] = ()) -> None:
    """Check the model's class count and every split ``cfg`` uses.

    Args:
        cfg (Config): A full config (data root and overrides applied).
        splits (Sequence[str]): Splits to check, where the config has their
            dataloader (and, for val and test, its loop).
        optional (Sequence[str]): Splits the run does not read (the test
            split of a training run): skipped, with a log line, when their
            image folder does not exist yet; checked like the others when
            it does.

    Raises:
        InputError: The first problem, naming the config key or file.
    """
    check_num_classes(cfg)
    checked = []
    for split in splits:
        if not _split_used(cfg, split):
            continue
        absent = _absent_image_folders(cfg[f'{split}_dataloader']['dataset'])
        if split in optional and absent:
            print_log(f'{split} split not checked: {", ".join(absent)} does '
                      'not exist', logger='current')
            continue
        checked.append(f'{check_split(cfg, split)} {split}')
    if checked:
        print_log(f'checked the pages and GTs: {", ".join(checked)}',
                  logger='current')

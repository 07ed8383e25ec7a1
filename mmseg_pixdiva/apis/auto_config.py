"""Fill the config values that depend on the dataset ('auto').

The number of classes of a DIVA-HisDB manuscript is the number of bit
combinations its GTs use, which differs between manuscripts (CSG863 has 8,
CB55 fewer). Writing ``num_classes='auto'`` in a head lets the tools set it
from the training set's class list (found once, cached in the data root)
before the model is built. Likewise ``class_weight='auto'`` in a loss takes
DeepDIVA's class-balanced weights and ``mean='auto'``/``std='auto'`` in the
data preprocessor the training set's statistics (computed once, cached in
the data root, see :mod:`mmseg_pixdiva.datasets.analytics`). mmseg's own
tools do not know 'auto': use our ``tools/*.py`` or write the numbers (e.g.
from ``tools/analyze_dataset.py``).
"""
import copy
import os.path as osp
from typing import Any, List, Optional

from mmengine.config import Config

AUTO = 'auto'


def _dataset_cfg(cfg: Config) -> Optional[dict]:
    for key in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        loader = cfg.get(key, None)
        if loader and loader.get('dataset', None):
            dataset = loader['dataset']
            # Wrappers (ConcatDataset, RepeatDataset) hold the real one.
            while 'dataset' in dataset or 'datasets' in dataset:
                dataset = dataset.get('dataset') or dataset['datasets'][0]
            return dataset
    return None


def _build_lazy_dataset(cfg: Config):
    """The config's training dataset, built without loading its data."""
    from mmengine.registry import init_default_scope
    from mmseg.registry import DATASETS
    init_default_scope(cfg.get('default_scope', 'mmseg'))
    dataset_cfg = _dataset_cfg(cfg)
    if dataset_cfg is None:
        raise ValueError('num_classes is "auto" but the config has no '
                         'dataset to take the classes from')
    dataset_cfg = copy.deepcopy(dataset_cfg)
    dataset_cfg.update(lazy_init=True, pipeline=[])
    return DATASETS.build(dataset_cfg)


def dataset_label_values(cfg: Config) -> List[int]:
    """Blue values of the config's training dataset, without loading data.

    Args:
        cfg (Config): A full config.

    Returns:
        list[int]: The label values (class order).
    """
    dataset = _build_lazy_dataset(cfg)
    label_values = dataset.metainfo.get('label_values')
    if label_values is None:
        return list(range(len(dataset.metainfo['classes'])))
    return list(label_values)


def set_data_root(cfg: Config, data_root: str) -> Config:
    """Point the train, val and test datasets of ``cfg`` at ``data_root``.

    Args:
        cfg (Config): The config to update in place.
        data_root (str): DeepDIVA-layout folder (``train/``, ``val/``,
            ``test/`` each with ``data/`` and ``gt/``).

    Returns:
        Config: ``cfg`` itself.
    """
    cfg.data_root = data_root
    for key in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        loader = cfg.get(key, None)
        if loader and loader.get('dataset', None) is not None:
            dataset = loader['dataset']
            while 'dataset' in dataset:  # wrappers
                dataset = dataset['dataset']
            dataset['data_root'] = data_root
    return cfg


def _replace_auto(node: Any, key: str, value: Any) -> int:
    """Replace ``key='auto'`` everywhere below ``node``; count replacements."""
    count = 0
    if isinstance(node, dict):
        for k, v in node.items():
            if k == key and v == AUTO:
                node[k] = value
                count += 1
            else:
                count += _replace_auto(v, key, value)
    elif isinstance(node, (list, tuple)):
        for item in node:
            count += _replace_auto(item, key, value)
    return count


def _contains_auto(node: Any, key: str) -> bool:
    if isinstance(node, dict):
        return any((k == key and _is_auto(v)) or _contains_auto(v, key)
                   for k, v in node.items())
    if isinstance(node, (list, tuple)):
        return any(_contains_auto(item, key) for item in node)
    return False


#: The config keys that may be ``'auto'``.
AUTO_KEYS = ('num_classes', 'class_weight', 'mean', 'std')


def _is_auto(value: Any) -> bool:
    # ``value == AUTO`` would compare element-wise for arrays.
    return isinstance(value, str) and value == AUTO


def _fill_from(node: Any, resolved: Any) -> None:
    """Copy into ``node`` the values that ``resolved`` holds for its
    ``'auto'`` keys, at the same place of the same structure."""
    if isinstance(node, dict) and isinstance(resolved, dict):
        for key, value in node.items():
            if key in AUTO_KEYS and _is_auto(value):
                if key in resolved and not _is_auto(resolved[key]):
                    node[key] = copy.deepcopy(resolved[key])
            else:
                _fill_from(value, resolved.get(key))
    elif isinstance(node, (list, tuple)) and \
            isinstance(resolved, (list, tuple)) and \
            len(node) == len(resolved):
        for item, resolved_item in zip(node, resolved):
            _fill_from(item, resolved_item)


def auto_keys(cfg: Config) -> List[str]:
    """The keys of ``cfg.model`` / ``cfg.data_preprocessor`` still
    ``'auto'`` (sorted, each once)."""
    found = set()
    for section in (cfg.get('model', None), cfg.get('data_preprocessor',
                                                    None)):
        if section is not None:
            found.update(k for k in AUTO_KEYS if _contains_auto(section, k))
    return sorted(found)


def fill_auto_from(cfg: Config, resolved: Config) -> Config:
    """Take the ``'auto'`` values of ``cfg`` from an already resolved config.

    The config a checkpoint was trained with (``meta['cfg']``, saved by the
    runner after our tools resolved it) holds the numbers that ``'auto'``
    stood for: inference on new pages needs neither the training data nor
    its statistics cache then. Values are taken only where both configs
    have the same structure; anything else stays ``'auto'``.

    Args:
        cfg (Config): The config to update in place.
        resolved (Config): A config without ``'auto'`` values.

    Returns:
        Config: ``cfg`` itself.
    """
    for key in ('model', 'data_preprocessor'):
        if cfg.get(key, None) is not None:
            _fill_from(cfg[key], resolved.get(key, None))
    return cfg


def training_statistics(cfg: Config) -> dict:
    """Statistics of the config's training split (cached in its data root).

    Args:
        cfg (Config): A full config whose training dataset is a
            :class:`PairedBlueChannelDataset` (or subclass).

    Returns:
        dict: See :func:`~mmseg_pixdiva.datasets.analytics.
        compute_dataset_statistics`.
    """
    from mmseg_pixdiva.datasets.analytics import (compute_dataset_statistics,
                                                  load_or_compute_statistics)
    dataset = _build_lazy_dataset(cfg)
    if getattr(dataset, 'data_prefixes', None) is not None or \
            getattr(dataset, 'pages', None) is not None:
        # Pages picked from several folders: the cache keys on one image
        # and one GT folder, so these statistics are computed each time
        # (seconds per hundred megapixels).
        dataset.full_init()
        pairs = [(info['img_path'], info['seg_map_path'])
                 for info in (dataset.get_data_info(i)
                              for i in range(len(dataset)))]
        return compute_dataset_statistics(
            pairs, dataset.label_values, dataset.boundary_to_background,
            dataset.background_value, progress=True)
    prefix = dataset.data_prefix
    if not hasattr(dataset, 'label_values') or not prefix.get(
            'seg_map_path'):
        raise ValueError(
            "'auto' statistics need a PairedBlueChannelDataset with GTs as "
            'the training dataset')
    data_root = dataset.data_root or ''

    def relative(path: str) -> str:
        # The built dataset has already joined its prefixes with data_root;
        # the statistics want them relative to it (joining a relative root
        # twice would give root/root/train/data).
        return osp.relpath(path, data_root) if data_root else path

    return load_or_compute_statistics(
        data_root,
        img_dir=relative(prefix['img_path']),
        gt_dir=relative(prefix['seg_map_path']),
        label_values=dataset.label_values,
        boundary_to_background=dataset.boundary_to_background,
        background_value=dataset.background_value)


def resolve_auto_config(cfg: Config) -> Config:
    """Resolve the ``'auto'`` values of ``cfg.model`` in place.

    ``num_classes='auto'`` (any head), ``class_weight='auto'`` (any loss),
    ``mean='auto'`` / ``std='auto'`` (data preprocessor, in the channel
    order it normalises: RGB if ``bgr_to_rgb`` else BGR).

    Args:
        cfg (Config): The config to update.

    Returns:
        Config: ``cfg`` itself.
    """
    model = cfg.get('model', None)
    if model is None:
        return cfg
    if _contains_auto(model, 'num_classes'):
        _replace_auto(model, 'num_classes', len(dataset_label_values(cfg)))
    preprocessors = [p for p in (model.get('data_preprocessor'),
                                 cfg.get('data_preprocessor')) if p]
    needs_stats = _contains_auto(model, 'class_weight') or any(
        p.get(k) == AUTO for p in preprocessors for k in ('mean', 'std'))
    if needs_stats:
        stats = training_statistics(cfg)
        _replace_auto(model, 'class_weight', stats['class_weights_mean_one'])
        for pre in preprocessors:
            order = 'rgb' if pre.get('bgr_to_rgb', False) else 'bgr'
            for key in ('mean', 'std'):
                if pre.get(key) == AUTO:
                    pre[key] = stats[f'{key}_{order}']
    return cfg

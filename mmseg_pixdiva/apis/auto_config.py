"""Fill the config values that depend on the dataset ('auto').

The number of classes of a DIVA-HisDB manuscript is the number of bit
combinations its GTs use, which differs between manuscripts (CSG863 has 8,
CB55 fewer). Writing ``num_classes='auto'`` in a head lets the tools set it
from the training set's class list (found once, cached in the data root)
before the model is built. mmseg's own tools do not know 'auto': use our
``tools/*.py`` or write the number.
"""
import copy
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


def dataset_label_values(cfg: Config) -> List[int]:
    """Blue values of the config's training dataset, without loading data.

    Args:
        cfg (Config): A full config.

    Returns:
        list[int]: The label values (class order).
    """
    from mmengine.registry import init_default_scope
    from mmseg.registry import DATASETS
    init_default_scope(cfg.get('default_scope', 'mmseg'))
    dataset_cfg = _dataset_cfg(cfg)
    if dataset_cfg is None:
        raise ValueError('num_classes is "auto" but the config has no '
                         'dataset to take the classes from')
    dataset_cfg = copy.deepcopy(dataset_cfg)
    dataset_cfg.update(lazy_init=True, pipeline=[])
    dataset = DATASETS.build(dataset_cfg)
    label_values = dataset.metainfo.get('label_values')
    if label_values is None:
        return list(range(len(dataset.metainfo['classes'])))
    return list(label_values)


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
        return any((k == key and v == AUTO) or _contains_auto(v, key)
                   for k, v in node.items())
    if isinstance(node, (list, tuple)):
        return any(_contains_auto(item, key) for item in node)
    return False


def resolve_auto_config(cfg: Config) -> Config:
    """Resolve ``num_classes='auto'`` in ``cfg.model`` in place.

    Args:
        cfg (Config): The config to update.

    Returns:
        Config: ``cfg`` itself.
    """
    model = cfg.get('model', None)
    if model is not None and _contains_auto(model, 'num_classes'):
        _replace_auto(model, 'num_classes', len(dataset_label_values(cfg)))
    return cfg

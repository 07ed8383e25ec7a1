"""'auto' config values resolved from the training set."""
import pytest
from mmengine.config import Config

from mmseg_pixdiva.apis import resolve_auto_config
from mmseg_pixdiva.datasets.analytics import load_or_compute_statistics
from mmseg_pixdiva.datasets.synthetic import (SYNTHETIC_LABEL_VALUES,
                                              write_synthetic_dataset)


@pytest.fixture(scope='module')
def root(tmp_path_factory):
    root = tmp_path_factory.mktemp('auto')
    write_synthetic_dataset(root, n_train=2, n_val=0, n_test=0, height=256,
                            width=192, seed=3, progress=False)
    return root


def make_cfg(root, **model):
    return Config(dict(
        model=dict(
            data_preprocessor=dict(mean='auto', std='auto', bgr_to_rgb=True),
            decode_head=dict(num_classes='auto', loss_decode=dict(
                type='CrossEntropyLoss', class_weight='auto')),
            auxiliary_head=[dict(num_classes='auto')], **model),
        train_dataloader=dict(dataset=dict(
            type='HisDBDataset', data_root=str(root),
            data_prefix=dict(img_path='train/data',
                             seg_map_path='train/gt')))))


def test_auto_values_come_from_the_training_set(root):
    cfg = resolve_auto_config(make_cfg(root))
    stats = load_or_compute_statistics(str(root), label_values=list(
        SYNTHETIC_LABEL_VALUES), boundary_to_background=True,
        background_value=1, progress=False)
    n = len(SYNTHETIC_LABEL_VALUES)
    assert cfg.model.decode_head.num_classes == n
    assert cfg.model.auxiliary_head[0].num_classes == n
    weights = cfg.model.decode_head.loss_decode.class_weight
    assert weights == stats['class_weights_mean_one'] and len(weights) == n
    assert cfg.model.data_preprocessor.mean == stats['mean_rgb']
    assert cfg.model.data_preprocessor.std == stats['std_rgb']


def test_explicit_values_are_left_alone(root):
    cfg = make_cfg(root)
    cfg.model.decode_head.num_classes = 3
    cfg.model.data_preprocessor.mean = [1, 2, 3]
    resolve_auto_config(cfg)
    assert cfg.model.decode_head.num_classes == 3
    assert cfg.model.data_preprocessor.mean == [1, 2, 3]


def test_auto_without_dataset_is_a_clear_error():
    cfg = Config(dict(model=dict(decode_head=dict(num_classes='auto'))))
    with pytest.raises(ValueError, match='no dataset'):
        resolve_auto_config(cfg)

"""Every shipped config loads, builds its model and its optim wrapper, and
runs a forward pass: a config that no longer matches the code fails here,
not after the data is downloaded or half an hour into a run."""
from pathlib import Path

import pytest
import torch

CONFIGS = sorted((Path(__file__).resolve().parents[2] / 'configs')
                 .glob('*.py'))


def fill_auto(node, values):
    """Replace the dataset-dependent 'auto' values (which tools/train.py
    computes from the data) by fixed numbers."""
    if isinstance(node, dict):
        for key, value in node.items():
            if value == 'auto' and key in values:
                node[key] = values[key]
            else:
                fill_auto(value, values)
    elif isinstance(node, (list, tuple)):
        for item in node:
            fill_auto(item, values)


def test_all_configs_are_collected():
    names = {path.name for path in CONFIGS}
    assert {'hisdb_unet.py', 'hisdb_real_pages_cpu.py',
            'demo_synthetic_unet.py'} <= names


@pytest.mark.parametrize('config', CONFIGS, ids=lambda path: path.name)
def test_config_builds_model_and_optim_wrapper(config):
    import mmseg_pixdiva  # noqa: F401
    from mmengine.config import Config
    from mmengine.optim import build_optim_wrapper
    from mmengine.registry import init_default_scope
    from mmseg.registry import MODELS
    init_default_scope('mmseg')
    cfg = Config.fromfile(str(config))
    model_cfg = cfg.model.to_dict()
    fill_auto(model_cfg, dict(num_classes=4, mean=[128.] * 3,
                              std=[64.] * 3, class_weight=None))
    model = MODELS.build(model_cfg).eval()
    wrapper = build_optim_wrapper(model, cfg.optim_wrapper)
    assert wrapper.optimizer.param_groups
    # The largest downsampling of the shipped models is 32.
    with torch.no_grad():
        logits = model(torch.rand(1, 3, 64, 64) * 255, mode='tensor')
    assert logits.shape[:2] == (1, 4)
    assert torch.isfinite(logits).all()

"""Every shipped config loads, builds its model and its optim wrapper, and
runs a forward pass: a config that no longer matches the code fails here,
not after the data is downloaded or half an hour into a run."""
from pathlib import Path

import pytest
import torch

CONFIGS = sorted((Path(__file__).resolve().parents[2] / 'configs')
                 .glob('*.py'))


def test_all_configs_are_collected():
    names = {path.name for path in CONFIGS}
    assert {'hisdb_unet.py', 'hisdb_real_pages_cpu.py',
            'demo_synthetic_unet.py', 'hisdb_pages_cpu.py',
            'hisdb_pages_cpu_per_bit.py'} <= names


@pytest.mark.parametrize('config', CONFIGS, ids=lambda path: path.name)
def test_config_builds_model_and_optim_wrapper(config):
    import mmseg_pixdiva  # noqa: F401
    from mmengine.config import Config
    from mmengine.optim import build_optim_wrapper
    from mmengine.registry import init_default_scope
    from mmseg.registry import MODELS

    from mmseg_pixdiva.apis.auto_config import _replace_auto
    init_default_scope('mmseg')
    cfg = Config.fromfile(str(config))
    model_cfg = cfg.model.to_dict()
    fixed_classes = model_cfg['decode_head'].get('num_classes')
    # The dataset-dependent 'auto' values (tools/train.py computes them
    # from the data) as fixed numbers.
    for key, value in dict(num_classes=4, mean=[128.] * 3, std=[64.] * 3,
                           class_weight=None).items():
        _replace_auto(model_cfg, key, value)
    model = MODELS.build(model_cfg).eval()
    wrapper = build_optim_wrapper(model, cfg.optim_wrapper)
    assert wrapper.optimizer.param_groups
    # The largest downsampling of the shipped models is 32.
    with torch.no_grad():
        logits = model(torch.rand(1, 3, 64, 64) * 255, mode='tensor')
    # 'auto' became 4; per-bit heads have one output per bit.
    expected = 4 if fixed_classes == 'auto' else fixed_classes
    assert logits.shape[:2] == (1, expected)
    assert torch.isfinite(logits).all()


def _metric_types(evaluator) -> list:
    if not evaluator:
        return []
    metrics = evaluator if isinstance(evaluator, (list, tuple)) \
        else [evaluator]
    return [metric['type'] for metric in metrics]


@pytest.mark.parametrize('config', CONFIGS, ids=lambda path: path.name)
def test_config_with_plots_has_the_confusion_metric(config):
    """ConfusionPlotsHook draws from ConfusionMatrixMetric: a config whose
    visualization hook makes plots evaluates with it, last (so that
    CheckpointHook's save_best='auto' picks a score, not the matrix)."""
    from mmengine.config import Config
    cfg = Config.fromfile(str(config))
    hooks = [cfg.get('default_hooks', {}).get('visualization') or {}]
    hooks += list(cfg.get('custom_hooks') or [])
    plots = any(hook.get('type') == 'ConfusionPlotsHook' or
                (hook.get('type') == 'ColourVisualizationHook' and
                 hook.get('plots', True)) for hook in hooks)
    if not plots:
        pytest.skip('no confusion plots in this config')
    for name in ('val_evaluator', 'test_evaluator'):
        types = _metric_types(cfg.get(name))
        assert types and types[-1] == 'ConfusionMatrixMetric', (name, types)

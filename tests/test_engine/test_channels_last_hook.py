"""ChannelsLastHook: weights change layout, not values; training agrees."""
import copy
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
import torch

import mmseg_pixdiva  # noqa: F401

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / 'test_models'))
from tiny_segmentor import tiny_model_cfg  # noqa: E402


def build_model():
    from mmengine.registry import init_default_scope
    from mmseg.registry import MODELS
    init_default_scope('mmseg')
    torch.manual_seed(0)
    return MODELS.build(tiny_model_cfg(num_classes=4))


def conv_weights(model):
    return [p for p in model.parameters() if p.dim() == 4]


def test_converts_weights_in_place_keeping_values_and_identity():
    from mmseg_pixdiva.engine.hooks import ChannelsLastHook
    model = build_model()
    before = {name: p.detach().clone() for name, p in model.named_parameters()}
    params = list(model.parameters())
    assert not any(w.is_contiguous(memory_format=torch.channels_last)
                   for w in conv_weights(model) if w.shape[-1] > 1)
    ChannelsLastHook().before_run(SimpleNamespace(model=model))
    # Same Parameter objects (an optimizer built before keeps working) ...
    assert all(a is b for a, b in zip(params, model.parameters()))
    # ... laid out channels-last, with the same values.
    assert all(w.is_contiguous(memory_format=torch.channels_last)
               for w in conv_weights(model))
    for name, p in model.named_parameters():
        assert torch.equal(p, before[name]), name


def test_leaves_models_on_other_devices_alone():
    from mmseg_pixdiva.engine.hooks import ChannelsLastHook
    model = build_model()
    ChannelsLastHook(devices='cuda').before_run(SimpleNamespace(model=model))
    assert all(w.is_contiguous() for w in conv_weights(model))


def test_training_steps_match_the_default_layout():
    from mmengine.optim import OptimWrapper
    from mmseg.structures import SegDataSample
    from mmengine.structures import PixelData

    from mmseg_pixdiva.engine.hooks import ChannelsLastHook
    reference = build_model()
    reference.data_preprocessor.size = (32, 32)  # training pads to a size
    converted = copy.deepcopy(reference)
    ChannelsLastHook().before_run(SimpleNamespace(model=converted))

    generator = torch.Generator().manual_seed(3)
    inputs = [torch.randint(0, 256, (3, 32, 32), generator=generator,
                            dtype=torch.uint8) for _ in range(2)]
    samples = []
    for _ in inputs:
        sample = SegDataSample(metainfo=dict(img_shape=(32, 32),
                                             ori_shape=(32, 32)))
        sample.gt_sem_seg = PixelData(data=torch.randint(
            0, 4, (1, 32, 32), generator=generator))
        samples.append(sample)
    data = dict(inputs=inputs, data_samples=samples)

    losses = []
    for model in (reference, converted):
        model.train()
        torch.manual_seed(5)  # the same dropout masks (FCN head) for both
        wrapper = OptimWrapper(torch.optim.SGD(model.parameters(), lr=0.05))
        step_losses = [float(model.train_step(copy.deepcopy(data), wrapper)
                             ['decode.loss_ce']) for _ in range(3)]
        losses.append(step_losses)
    # Three SGD steps later the two layouts still agree (float rounding
    # of differently ordered convolution sums only).
    assert losses[0] == pytest.approx(losses[1], rel=1e-4)
    for (name, a), b in zip(reference.named_parameters(),
                            converted.parameters()):
        assert torch.allclose(a, b, atol=1e-4), name
    assert all(w.is_contiguous(memory_format=torch.channels_last)
               for w in conv_weights(converted))

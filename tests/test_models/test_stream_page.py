"""MaxSlideEncoderDecoder.stream_page: band by band, the classes of
predict() exactly."""
import numpy as np
import pytest
import torch
from mmseg.structures import SegDataSample

from tiny_segmentor import HISDB_LABEL_VALUES, build_tiny_model


def predicted(model, image):
    """Classes of the packed page through test_step (the canvas path)."""
    height, width = image.shape[:2]
    sample = SegDataSample(metainfo=dict(
        ori_shape=(height, width), img_shape=(height, width),
        img_path='page.png'))
    chw = torch.from_numpy(image).permute(2, 0, 1).contiguous()
    with torch.no_grad():
        [result] = model.test_step(dict(inputs=[chw], data_samples=[sample]))
    return result.pred_sem_seg.data[0]


def streamed(model, image):
    with torch.no_grad():
        bands = list(model.stream_page(image))
    tops = [top for top, _ in bands]
    assert tops[0] == 0 and tops == sorted(set(tops))
    return torch.cat([classes for _, classes in bands])


def page(height, width, seed=0):
    return np.random.default_rng(seed).integers(
        0, 256, (height, width, 3), dtype=np.uint8)


@pytest.mark.parametrize('merge', ['max', 'mean'])
@pytest.mark.parametrize('height,width,crop,stride,batch', [
    (77, 131, (32, 32), None, 3),      # odd sizes, default stride
    (45, 60, (64, 64), None, 2),       # smaller than a window both ways
    (21, 150, (32, 48), None, 5),      # smaller than a window in height
    (70, 90, (32, 40), (24, 12), 7),   # stride that does not divide
    (64, 96, (32, 32), (32, 32), 1),   # no overlap
])
def test_stream_equals_predict(height, width, crop, stride, batch, merge):
    model = build_tiny_model(num_classes=5, test_cfg=dict(
        mode='slide', crop_size=crop, stride=stride, merge=merge,
        batch_windows=batch))
    image = page(height, width)
    expected = predicted(model, image)
    classes = streamed(model, image)
    assert classes.shape == (height, width)
    assert torch.equal(classes, expected)
    # Not a constant map: the comparison can tell pages apart.
    assert len(torch.unique(expected)) > 1


def test_per_bit_stream_equals_predict():
    model = build_tiny_model(
        num_classes=3, per_bit=dict(thresholds=[0.5, 0.4, 0.6]),
        test_cfg=dict(mode='slide', crop_size=(32, 32), batch_windows=4))
    image = page(70, 50, seed=1)
    assert torch.equal(streamed(model, image), predicted(model, image))


def test_single_output_stream_equals_predict():
    model = build_tiny_model(
        num_classes=1, label_values=[0, 1],
        loss=dict(type='CrossEntropyLoss', use_sigmoid=True),
        test_cfg=dict(mode='slide', crop_size=(32, 32)))
    image = page(40, 70, seed=2)
    classes = streamed(model, image)
    assert torch.equal(classes, predicted(model, image).long())


def test_postprocess_joins_the_bands_first():
    model = build_tiny_model(
        num_classes=8, label_values=HISDB_LABEL_VALUES,
        test_cfg=dict(mode='slide', crop_size=(16, 16), stride=(8, 8),
                      postprocess=dict(min_area=(40, 40, 40))))
    assert model.needs_whole_page
    image = page(48, 64, seed=3)
    expected = predicted(model, image)
    joined = streamed(model, image)
    cleaned = model.postprocess_page(joined)
    assert torch.equal(cleaned, expected)
    assert not torch.equal(joined, expected)  # the clean-up did something


def test_bfloat16_runs_windows_under_autocast():
    model = build_tiny_model(num_classes=5, test_cfg=dict(
        mode='slide', crop_size=(32, 32), precision='bfloat16'))
    seen = []
    original = model.encode_decode

    def spy(inputs, metas):
        out = original(inputs, metas)
        seen.append(out.dtype)
        return out

    model.encode_decode = spy
    image = page(40, 40, seed=4)
    classes = streamed(model, image)
    assert set(seen) == {torch.bfloat16}
    model.test_cfg.precision = 'float32'
    exact = streamed(model, image)
    # Close to float32, but not computed in float32.
    assert (classes == exact).float().mean() > 0.5


def test_unknown_precision_is_refused_at_build_time():
    with pytest.raises(ValueError, match='precision'):
        build_tiny_model(test_cfg=dict(mode='slide', crop_size=(32, 32),
                                       precision='int8'))


def test_whole_mode_cannot_stream():
    model = build_tiny_model(num_classes=5)
    assert 'slide' in model.stream_unsupported()
    with pytest.raises(ValueError, match='slide'):
        list(model.stream_page(page(8, 8)))

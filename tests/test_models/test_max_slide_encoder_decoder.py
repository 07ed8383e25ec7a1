"""MaxSlideEncoderDecoder against direct references and mmseg itself."""
import pytest
import torch
import torch.nn.functional as F

from mmseg_pixdiva.models.utils.sliding_window import default_stride


def metas_for(inputs):
    height, width = inputs.shape[2:]
    return [
        dict(ori_shape=(height, width), img_shape=(height, width),
             pad_shape=(height, width), padding_size=[0, 0, 0, 0])
        for _ in range(inputs.shape[0])
    ]


def reference_max(model, inputs, crop, stride):
    """DeepDIVA's merge written out plainly: pad the page to at least one
    crop, run the model on every window (mmseg's grid formula) one at a time,
    keep the element-wise maximum, cut the padding off."""
    batch, _, height, width = inputs.shape
    (crop_h, crop_w), (stride_h, stride_w) = crop, stride
    padded_h, padded_w = max(height, crop_h), max(width, crop_w)
    page = F.pad(inputs, (0, padded_w - width, 0, padded_h - height))
    out = torch.full((batch, model.out_channels, padded_h, padded_w),
                     float('-inf'))
    rows = max(padded_h - crop_h + stride_h - 1, 0) // stride_h + 1
    cols = max(padded_w - crop_w + stride_w - 1, 0) // stride_w + 1
    for row in range(rows):
        for col in range(cols):
            y2 = min(row * stride_h + crop_h, padded_h)
            x2 = min(col * stride_w + crop_w, padded_w)
            y1, x1 = max(y2 - crop_h, 0), max(x2 - crop_w, 0)
            meta = dict(img_shape=torch.Size((crop_h, crop_w)))
            logits = model.encode_decode(page[:, :, y1:y2, x1:x2],
                                         [meta] * batch)
            region = out[:, :, y1:y2, x1:x2]
            region.copy_(torch.maximum(region, logits))
    return out[:, :, :height, :width]


def run_slide(model, inputs, **test_cfg):
    model.test_cfg.update(dict(mode='slide', **test_cfg))
    with torch.no_grad():
        return model.inference(inputs, metas_for(inputs))


@pytest.mark.parametrize('shape,crop,stride', [
    ((1, 77, 131), (32, 32), None),       # odd sizes, default stride
    ((2, 45, 60), (64, 64), None),        # smaller than the crop both ways
    ((1, 21, 150), (32, 48), None),       # smaller than the crop in height
    ((1, 70, 90), (32, 40), (24, 12)),    # non-default stride
    ((1, 64, 96), (32, 32), (32, 32)),    # no overlap
])
def test_max_equals_direct_reference(tiny_model_factory, shape, crop, stride):
    torch.manual_seed(3)
    model = tiny_model_factory(num_classes=5)
    inputs = torch.randn(*shape[:1], 3, *shape[1:])
    out = run_slide(model, inputs, crop_size=crop, stride=stride,
                    merge='max', batch_windows=4)
    with torch.no_grad():
        expected = reference_max(model, inputs, crop,
                                 stride or default_stride(crop))
    assert out.shape == (shape[0], 5, *shape[1:])
    assert out.dtype == torch.float32
    assert torch.isfinite(out).all()
    torch.testing.assert_close(out, expected, rtol=1e-5, atol=1e-5)


def test_batch_windows_does_not_change_the_result(tiny_model_factory):
    torch.manual_seed(4)
    model = tiny_model_factory(num_classes=4)
    inputs = torch.randn(1, 3, 75, 83)
    results = [
        run_slide(model, inputs, crop_size=(32, 32), stride=(16, 24),
                  batch_windows=n) for n in (1, 3, 1000)
    ]
    for other in results[1:]:
        torch.testing.assert_close(other, results[0], rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize('shape,crop,stride', [
    ((1, 77, 131), (32, 32), (16, 16)),
    ((2, 64, 70), (32, 48), (20, 13)),
    ((1, 32, 32), (32, 32), (16, 16)),
])
def test_mean_equals_mmseg_slide_inference(tiny_model_factory, shape, crop,
                                           stride):
    from mmseg.models.segmentors import EncoderDecoder
    torch.manual_seed(5)
    model = tiny_model_factory(num_classes=6)
    inputs = torch.randn(*shape[:1], 3, *shape[1:])
    ours = run_slide(model, inputs, crop_size=crop, stride=stride,
                     merge='mean', batch_windows=5)
    with torch.no_grad():
        stock = EncoderDecoder.slide_inference(model, inputs,
                                               metas_for(inputs))
    torch.testing.assert_close(ours, stock, rtol=1e-5, atol=1e-6)


def test_whole_mode_goes_through_the_parent(tiny_model_factory):
    torch.manual_seed(6)
    model = tiny_model_factory(num_classes=3,
                               test_cfg=dict(mode='whole'))
    inputs = torch.randn(1, 3, 48, 64)
    with torch.no_grad():
        out = model.inference(inputs, metas_for(inputs))
        expected = model.decode_head.forward(model.extract_feat(inputs))
    expected = F.interpolate(expected, size=(48, 64), mode='bilinear',
                             align_corners=False)
    torch.testing.assert_close(out, expected)


def test_predict_flow_gives_argmax_of_max_logits(tiny_model_factory):
    """Through test_step: data preprocessor, slide, stock postprocessing."""
    from mmseg.structures import SegDataSample
    torch.manual_seed(7)
    model = tiny_model_factory(
        num_classes=4,
        test_cfg=dict(mode='slide', crop_size=(32, 32), batch_windows=3))
    image = torch.randint(0, 256, (3, 53, 71), dtype=torch.uint8)
    sample = SegDataSample(metainfo=dict(
        ori_shape=(53, 71), img_shape=(53, 71), img_path='page.png'))
    with torch.no_grad():
        [result] = model.test_step(dict(inputs=[image],
                                        data_samples=[sample]))
        normalised = model.data_preprocessor(
            dict(inputs=[image], data_samples=[sample]))['inputs']
        expected = reference_max(model, normalised, (32, 32), (16, 16))
    assert result.pred_sem_seg.data.shape == (1, 53, 71)
    assert torch.equal(result.pred_sem_seg.data[0], expected[0].argmax(0))
    torch.testing.assert_close(result.seg_logits.data, expected[0])


def test_accumulate_on_cpu_gives_the_same_logits(tiny_model_factory):
    torch.manual_seed(8)
    model = tiny_model_factory(num_classes=3)
    inputs = torch.randn(1, 3, 40, 50)
    on_device = run_slide(model, inputs, crop_size=(32, 32))
    on_cpu = run_slide(model, inputs, crop_size=(32, 32),
                       accumulate_on_cpu=True)
    assert on_cpu.device.type == 'cpu'
    torch.testing.assert_close(on_cpu, on_device)


@pytest.mark.skipif(not torch.cuda.is_available(), reason='needs a GPU')
def test_canvas_lives_on_the_model_device_unless_asked(tiny_model_factory):
    torch.manual_seed(9)
    model = tiny_model_factory(num_classes=3).cuda()
    inputs = torch.randn(1, 3, 70, 90)
    on_gpu = run_slide(model, inputs.cuda(), crop_size=(32, 32))
    on_cpu = run_slide(model, inputs.cuda(), crop_size=(32, 32),
                       accumulate_on_cpu=True)
    assert on_gpu.device.type == 'cuda' and on_cpu.device.type == 'cpu'
    torch.testing.assert_close(on_gpu.cpu(), on_cpu)
    with torch.no_grad():
        expected = reference_max(model.cpu(), inputs, (32, 32), (16, 16))
    torch.testing.assert_close(on_cpu, expected, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize('test_cfg,match', [
    (dict(mode='slide'), 'needs test_cfg.crop_size'),
    (dict(mode='slide', crop_size=(32, 32), stride=(40, 8)),
     'larger than test_cfg.crop_size'),
    (dict(mode='slide', crop_size=(32, 32), merge='median'),
     'test_cfg.merge must be one of'),
    (dict(mode='slide', crop_size=(32, 32), batch_windows=0),
     'batch_windows must be a positive int'),
    (dict(mode='slide', crop_size=(0, 32)), 'test_cfg.crop_size'),
])
def test_bad_test_cfg_fails_at_build_time(tiny_model_factory, test_cfg,
                                          match):
    with pytest.raises(ValueError, match=match):
        tiny_model_factory(test_cfg=test_cfg)


def test_registered_and_builds_from_a_config_dict():
    import mmseg_pixdiva  # noqa: F401
    from mmseg.registry import MODELS
    from mmseg_pixdiva.models.segmentors import MaxSlideEncoderDecoder
    assert MODELS.get('MaxSlideEncoderDecoder') is MaxSlideEncoderDecoder


def test_channels_last_is_default_on_cpu_and_changes_nothing(
        tiny_model_factory, monkeypatch):
    torch.manual_seed(5)
    model = tiny_model_factory(num_classes=4)
    inputs = torch.randn(1, 3, 70, 90)
    formats = []
    encode_decode = model.encode_decode

    def spy(crops, metas):
        formats.append(crops.is_contiguous(memory_format=torch.channels_last)
                       and not crops.is_contiguous())
        return encode_decode(crops, metas)

    monkeypatch.setattr(model, 'encode_decode', spy)
    default = run_slide(model, inputs, crop_size=(32, 32), merge='max')
    assert formats and all(formats)
    formats.clear()
    plain = run_slide(model, inputs, crop_size=(32, 32), merge='max',
                      channels_last=False)
    assert formats and not any(formats)
    torch.testing.assert_close(default, plain, rtol=1e-5, atol=1e-5)

"""Per-bit (multi-label) prediction: the bit tables, the loss, the
segmentor's decoding and per-bit max merge, and the round trip of real
DIVA-HisDB GT values (6, 10, 12, 14 included) through it."""
import numpy as np
import pytest
import torch
import torch.nn.functional as F

from mmseg_pixdiva.core.encoding import (HISDB_FOREGROUND_BITS,
                                         InvalidLabelValuesError,
                                         bits_to_class_table,
                                         blue_to_class,
                                         class_bits_table, class_to_blue,
                                         decode_gt)
from mmseg_pixdiva.models.losses.per_bit_loss import (PerBitLoss,
                                                      per_bit_targets)
from tiny_segmentor import build_tiny_model

HISDB_VALUES = [1, 2, 4, 6, 8, 10, 12, 14]


def test_class_bits_table_of_hisdb_values():
    table = class_bits_table(HISDB_VALUES, HISDB_FOREGROUND_BITS)
    # rows: classes; columns: comment (2), decoration (4), main text (8)
    assert table.tolist() == [[0, 0, 0], [1, 0, 0], [0, 1, 0], [1, 1, 0],
                              [0, 0, 1], [1, 0, 1], [0, 1, 1], [1, 1, 1]]


def test_bits_to_class_table_inverts_it():
    table = bits_to_class_table(HISDB_VALUES)
    bits = class_bits_table(HISDB_VALUES)
    for cls, row in enumerate(bits):
        combo = sum(int(b) << i for i, b in enumerate(row))
        assert table[combo] == cls


def test_bits_to_class_table_names_missing_combinations():
    with pytest.raises(InvalidLabelValuesError, match=r'\[6, 10, 12, 14\]'):
        bits_to_class_table([1, 2, 4, 8])


@pytest.mark.parametrize('bits', [(3, ), (2, 2), (256, ), (0, )])
def test_bad_bits_are_refused(bits):
    with pytest.raises(InvalidLabelValuesError):
        class_bits_table(HISDB_VALUES, bits)


def _round_trip(blue: np.ndarray, model) -> np.ndarray:
    """GT blue -> class indices -> per-bit targets -> confident logits ->
    the segmentor's decoding -> GT blue."""
    classes = torch.from_numpy(
        blue_to_class(blue, HISDB_VALUES).astype(np.int64))[None]
    targets, _ = per_bit_targets(
        classes, torch.from_numpy(class_bits_table(HISDB_VALUES)))
    logits = targets * 8 - 4  # sigmoid: 0.018 or 0.982
    decoded = model.logits_to_classes(logits)[0].numpy()
    return class_to_blue(decoded, HISDB_VALUES)


@pytest.fixture
def per_bit_model():
    return build_tiny_model(num_classes=3, per_bit=dict())


def test_round_trip_of_every_hisdb_value(per_bit_model):
    blue = np.array([HISDB_VALUES * 4], dtype=np.uint8)
    assert np.array_equal(_round_trip(blue, per_bit_model), blue)


def test_round_trip_of_a_real_gt(hisdb_pages, per_bit_model):
    import cv2
    # A CSG18 training page that holds every overlap: comment+decoration
    # (6), comment+main text (10), decoration+main text (12), all three (14).
    path = hisdb_pages / 'CSG18' / 'train' / 'gt' / \
        'e-codices_csg-0018_105_max.png'
    gt_rgb = cv2.imread(str(path), cv2.IMREAD_COLOR)[..., ::-1]
    blue = np.ascontiguousarray(gt_rgb[..., 2])
    values = set(np.unique(blue).tolist())
    assert {6, 10, 12, 14} <= values, values
    # Boundary pixels become background for the loss (DeepDIVA): the round
    # trip gives the GT with them as background.
    classes = decode_gt(gt_rgb, HISDB_VALUES, boundary_to_background=True,
                        background_value=1)
    expected = class_to_blue(classes, HISDB_VALUES)
    assert np.array_equal(_round_trip(expected, per_bit_model), expected)


def test_thresholds_are_per_bit():
    model = build_tiny_model(num_classes=3,
                             per_bit=dict(thresholds=(0.5, 0.9, 0.1)))
    # probability 0.6 on every bit: comment yes, decoration no (0.9),
    # main text yes -> 2 | 8 = 10
    logits = torch.full((1, 3, 2, 2), float(np.log(0.6 / 0.4)))
    classes = model.logits_to_classes(logits)
    assert set(class_to_blue(classes[0].numpy(),
                             HISDB_VALUES).ravel()) == {10}


def test_per_bit_needs_matching_head_and_label_values():
    with pytest.raises(ValueError, match='num_classes=3'):
        build_tiny_model(num_classes=8, per_bit=dict())
    with pytest.raises(ValueError, match='label_values'):
        build_tiny_model(num_classes=3, per_bit=dict(), label_values=None)
    with pytest.raises(ValueError, match='thresholds'):
        build_tiny_model(num_classes=3, per_bit=dict(thresholds=(0.5, 1.0,
                                                                 0.5)))
    with pytest.raises(ValueError, match='unknown keys'):
        build_tiny_model(num_classes=3, per_bit=dict(threshold=0.5))


def test_loss_is_binary_cross_entropy_per_bit():
    loss = PerBitLoss(HISDB_VALUES)
    label = torch.tensor([[[0, 6], [3, 255]]])  # bg, 12, 6, ignored
    logits = torch.randn(1, 3, 2, 2)
    targets = torch.tensor([[0, 0, 0], [0, 1, 1], [1, 1, 0]],
                           dtype=torch.float32)
    valid_logits = logits[0].permute(1, 2, 0).reshape(4, 3)[:3]
    expected = F.binary_cross_entropy_with_logits(valid_logits, targets)
    assert torch.allclose(loss(logits, label), expected)


def test_loss_pos_weight_and_dice():
    label = torch.tensor([[[0, 6], [3, 0]]])
    perfect = (per_bit_targets(label, torch.from_numpy(
        class_bits_table(HISDB_VALUES)))[0] * 40 - 20)
    loss = PerBitLoss(HISDB_VALUES, dice_weight=1.0)
    assert float(loss(perfect, label)) < 1e-6
    wrong = -perfect
    plain = PerBitLoss(HISDB_VALUES)(wrong, label)
    weighted = PerBitLoss(HISDB_VALUES, pos_weight=(2.0, 2.0, 2.0))(wrong,
                                                                     label)
    assert float(weighted) > float(plain)
    # All four pixels wrong on every bit: no overlap, predicted + target
    # pixels = 4 per bit, so Dice = (0 + 1) / (4 + 1) and the term adds 0.8.
    assert float(loss(wrong, label) - plain) == pytest.approx(0.8, abs=1e-5)


def test_loss_refuses_a_head_of_another_width():
    loss = PerBitLoss(HISDB_VALUES)
    with pytest.raises(ValueError, match='num_classes=3'):
        loss(torch.zeros(1, 8, 2, 2), torch.zeros(1, 2, 2, dtype=torch.long))


def test_loss_trains_a_head_end_to_end(per_bit_model):
    """mmseg's decode head computes the loss with PerBitLoss (via the
    segmentor's loss flow) and its gradient reaches the head."""
    from mmengine.structures import PixelData
    from mmseg.structures import SegDataSample
    model = build_tiny_model(num_classes=3, per_bit=dict(),
                             loss=dict(type='PerBitLoss',
                                       label_values=HISDB_VALUES,
                                       dice_weight=1.0)).train()
    sample = SegDataSample(metainfo=dict(img_shape=(32, 32),
                                         pad_shape=(32, 32)))
    sample.gt_sem_seg = PixelData(data=torch.randint(0, 8, (1, 32, 32)))
    losses = model.loss(torch.randn(1, 3, 32, 32), [sample])
    assert 'decode.loss_bits' in losses
    losses['decode.loss_bits'].backward()
    assert model.decode_head.conv_seg.weight.grad.abs().sum() > 0


def test_windows_merge_per_bit_with_max(per_bit_model):
    """Each bit's merged logit is the max over the windows covering the
    pixel, and the decoded classes are the per-bit thresholds of that."""
    per_bit_model.test_cfg = dict(mode='slide', crop_size=(16, 16),
                                  stride=(8, 8), batch_windows=3)
    from mmengine.config import ConfigDict
    per_bit_model.test_cfg = ConfigDict(per_bit_model.test_cfg)
    image = torch.randn(1, 3, 40, 32)
    meta = [dict(img_shape=(40, 32), ori_shape=(40, 32),
                 pad_shape=(40, 32))]
    with torch.no_grad():
        merged = per_bit_model.slide_inference(image, meta)
        expected = torch.full_like(merged, -float('inf'))
        for top in range(0, 40 - 16 + 1, 8):
            for left in range(0, 32 - 16 + 1, 8):
                window = per_bit_model.encode_decode(
                    image[..., top:top + 16, left:left + 16],
                    [dict(meta[0], img_shape=torch.Size((16, 16)))])
                region = expected[..., top:top + 16, left:left + 16]
                expected[..., top:top + 16, left:left + 16] = \
                    torch.maximum(region, window)
    assert merged.shape[1] == 3
    assert torch.allclose(merged, expected, atol=1e-5)
    classes = per_bit_model.logits_to_classes(merged)
    bits = (expected > 0).long()
    combo = bits[:, 0] | bits[:, 1] << 1 | bits[:, 2] << 2
    assert torch.equal(classes,
                       torch.from_numpy(bits_to_class_table(HISDB_VALUES))[
                           combo])

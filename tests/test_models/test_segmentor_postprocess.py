"""MaxSlideEncoderDecoder's test_cfg.postprocess: the page clean-up on
whole-page predictions."""
import pytest
import torch
from mmseg.structures import SegDataSample

from tiny_segmentor import build_tiny_model


def test_segmentor_applies_it_to_pages_not_to_crops():
    """test_cfg.postprocess cleans whole-page predictions (larger than a
    window) and leaves window-sized validation crops alone."""
    model = build_tiny_model(
        num_classes=8, label_values=[1, 2, 4, 6, 8, 10, 12, 14],
        test_cfg=dict(mode='slide', crop_size=(16, 16), stride=(8, 8),
                      postprocess=dict(min_page_pixels=(10**6, 10**6,
                                                        10**6))))
    for size, cleaned in (((16, 16), False), ((32, 48), True)):
        sample = SegDataSample(metainfo=dict(
            img_shape=size, ori_shape=size, pad_shape=size))
        logits = torch.zeros(1, 8, *size)
        logits[:, 4] = 1.0  # main text everywhere
        out = model.postprocess_result(logits, [sample])[0]
        classes = out.pred_sem_seg.data
        assert classes.shape == (1, ) + size
        assert bool((classes == 0).all()) == cleaned


def test_postprocess_needs_label_values():
    with pytest.raises(ValueError, match='label_values'):
        build_tiny_model(test_cfg=dict(mode='whole',
                                       postprocess=dict(min_area=(1, 1, 1))))
    with pytest.raises(ValueError, match='postprocess'):
        build_tiny_model(label_values=[1, 2, 4, 6, 8],
                         test_cfg=dict(mode='whole',
                                       postprocess=dict(area=(1, 1, 1))))


def test_label_values_must_match_a_softmax_head():
    with pytest.raises(ValueError, match='8 classes but the decode head has 5'):
        build_tiny_model(num_classes=5,
                         label_values=[1, 2, 4, 6, 8, 10, 12, 14])

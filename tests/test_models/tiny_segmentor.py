"""A tiny segmentor built from stock mmseg parts (shared by the slide,
hook and infer.py tests; import it by putting this folder on sys.path)."""
import mmseg_pixdiva  # noqa: F401  (compat layer before mmseg is imported)


def tiny_model_cfg(num_classes=5, test_cfg=None, seg_type='MaxSlideEncoderDecoder'):
    """A 3-stage UNet with 8 base channels and an FCN head.

    Inputs must be multiples of 4 (two downsamplings).
    """
    return dict(
        type=seg_type,
        data_preprocessor=dict(
            type='SegDataPreProcessor',
            mean=[128., 128., 128.],
            std=[64., 64., 64.],
            bgr_to_rgb=True,
            pad_val=0,
            seg_pad_val=255),
        backbone=dict(
            type='UNet',
            in_channels=3,
            base_channels=8,
            num_stages=3,
            strides=(1, 1, 1),
            enc_num_convs=(2, 2, 2),
            dec_num_convs=(2, 2),
            downsamples=(True, True),
            enc_dilations=(1, 1, 1),
            dec_dilations=(1, 1),
            norm_cfg=dict(type='BN')),
        decode_head=dict(
            type='FCNHead',
            in_channels=8,
            channels=8,
            num_convs=1,
            num_classes=num_classes,
            in_index=-1,
            norm_cfg=dict(type='BN'),
            align_corners=False,
            loss_decode=dict(type='CrossEntropyLoss', loss_weight=1.0)),
        train_cfg=dict(),
        test_cfg=test_cfg or dict(mode='whole'))


def build_tiny_model(num_classes=5, test_cfg=None, seed=0,
                     seg_type='MaxSlideEncoderDecoder'):
    """Build, randomise the BN statistics (so they matter) and set eval."""
    import torch
    from mmseg.registry import MODELS
    from mmengine.registry import init_default_scope
    init_default_scope('mmseg')
    torch.manual_seed(seed)
    model = MODELS.build(
        tiny_model_cfg(num_classes, test_cfg, seg_type))
    for module in model.modules():
        if isinstance(module, torch.nn.BatchNorm2d):
            module.running_mean.uniform_(-0.5, 0.5)
            module.running_var.uniform_(0.5, 2.0)
    return model.eval()


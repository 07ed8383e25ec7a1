"""A tiny segmentor built from stock mmseg parts (shared by the slide,
hook and infer.py tests; import it by putting this folder on sys.path)."""
import mmseg_pixdiva  # noqa: F401  (compat layer before mmseg is imported)


#: DIVA-HisDB's blue values, the class order of the per-bit models.
HISDB_LABEL_VALUES = [1, 2, 4, 6, 8, 10, 12, 14]


def tiny_model_cfg(num_classes=5, test_cfg=None,
                   seg_type='MaxSlideEncoderDecoder', per_bit=None,
                   label_values='hisdb', loss=None):
    """A 3-stage UNet with 8 base channels and an FCN head.

    Inputs must be multiples of 4 (two downsamplings). ``per_bit`` makes it
    a per-bit segmentor with the HisDB ``label_values`` (unless given).
    """
    extra = {}
    if per_bit is not None:
        extra = dict(per_bit=per_bit, label_values=HISDB_LABEL_VALUES
                     if label_values == 'hisdb' else label_values)
    elif label_values != 'hisdb':
        extra = dict(label_values=label_values)
    loss = loss or dict(type='CrossEntropyLoss', loss_weight=1.0)
    return dict(
        **extra,
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
            loss_decode=loss),
        train_cfg=dict(),
        test_cfg=test_cfg or dict(mode='whole'))


def build_tiny_model(num_classes=5, test_cfg=None, seed=0,
                     seg_type='MaxSlideEncoderDecoder', **kwargs):
    """Build, randomise the BN statistics (so they matter) and set eval."""
    import torch
    from mmseg.registry import MODELS
    from mmengine.registry import init_default_scope
    init_default_scope('mmseg')
    torch.manual_seed(seed)
    model = MODELS.build(
        tiny_model_cfg(num_classes, test_cfg, seg_type, **kwargs))
    for module in model.modules():
        if isinstance(module, torch.nn.BatchNorm2d):
            module.running_mean.uniform_(-0.5, 0.5)
            module.running_var.uniform_(0.5, 2.0)
    return model.eval()


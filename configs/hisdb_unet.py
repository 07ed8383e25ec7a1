# DIVA-HisDB with a UNet like DeepDIVA's (4 down/up levels, 64 base
# channels, BN), trained on 128 px crops of full-resolution pages (50 crops
# per page and epoch, 4 pages in memory), class-balanced loss, and tested on
# whole pages with max-merged sliding windows (50% overlap). Real size: for
# GPUs. Point data_root at a DeepDIVA-layout copy of one manuscript, e.g.
#   python tools/train.py configs/hisdb_unet.py --data-root DIR
# (or edit data_root below; --cfg-options data_root=... would change only
# this variable, not the dataloaders that already copied it)
_base_ = [
    'mmseg::_base_/models/fcn_unet_s5-d16.py',
    'mmseg::_base_/default_runtime.py',
    './_base_/datasets/hisdb.py',
    './_base_/schedules/adam_iters.py',
]
custom_imports = dict(imports=['mmseg_pixdiva'], allow_failed_imports=False)

data_root = 'data/DIVA-HisDB/CB55'
crop_size = (128, 128)
norm_cfg = dict(type='BN', requires_grad=True)  # SyncBN is for many GPUs
data_preprocessor = dict(
    size=crop_size,
    mean='auto',  # from the training pages (cached, tools resolve 'auto')
    std='auto',
    bgr_to_rgb=True)
model = dict(
    type='MaxSlideEncoderDecoder',
    data_preprocessor=data_preprocessor,
    backbone=dict(norm_cfg=norm_cfg),
    decode_head=dict(
        num_classes='auto',  # one class per observed bit combination
        norm_cfg=norm_cfg,
        dropout_ratio=0.0,
        loss_decode=dict(
            type='CrossEntropyLoss',
            use_sigmoid=False,
            loss_weight=1.0,
            class_weight='auto')),  # DeepDIVA's class-balanced weights
    auxiliary_head=None,
    test_cfg=dict(
        mode='slide', crop_size=crop_size, stride=(64, 64), merge='max'))

train_dataloader = dict(dataset=dict(data_root=data_root))
val_dataloader = dict(dataset=dict(data_root=data_root))
test_dataloader = dict(dataset=dict(data_root=data_root))

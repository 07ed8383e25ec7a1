# The same DIVA-HisDB data and schedule with a stock mmseg backbone and head
# (ResNet-18 + DeepLabV3+): our dataset, sampler, max-slide segmentor and
# DIVA metric mix with any OpenMMLab model. No ImageNet weights are loaded
# (this machine cannot download them); on a GPU machine set
# model.pretrained='open-mmlab://resnet18_v1c' to start from them.
_base_ = [
    'mmseg::_base_/models/deeplabv3plus_r50-d8.py',
    'mmseg::_base_/default_runtime.py',
    './_base_/datasets/hisdb.py',
    './_base_/schedules/adam_iters.py',
]
custom_imports = dict(imports=['mmseg_pixdiva'], allow_failed_imports=False)

data_root = 'data/DIVA-HisDB/CB55'
crop_size = (128, 128)
norm_cfg = dict(type='BN', requires_grad=True)
data_preprocessor = dict(size=crop_size, bgr_to_rgb=True)
model = dict(
    type='MaxSlideEncoderDecoder',
    data_preprocessor=data_preprocessor,
    pretrained=None,
    backbone=dict(depth=18, norm_cfg=norm_cfg),
    decode_head=dict(
        in_channels=512,
        c1_in_channels=64,
        c1_channels=12,
        channels=128,
        num_classes='auto',
        norm_cfg=norm_cfg),
    auxiliary_head=dict(
        in_channels=256, channels=64, num_classes='auto', norm_cfg=norm_cfg),
    test_cfg=dict(
        mode='slide', crop_size=crop_size, stride=(64, 64), merge='max'))

train_dataloader = dict(dataset=dict(data_root=data_root))
val_dataloader = dict(dataset=dict(data_root=data_root))
test_dataloader = dict(dataset=dict(data_root=data_root))

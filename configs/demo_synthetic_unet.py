# The embedded demo: a tiny UNet (16 base channels, 4 levels) trained on the
# CPU in a few minutes on synthetic DIVA-HisDB pages (tools/make_synthetic_hisdb.py,
# `make demo` writes them to work_dirs/demo/data), tested on full-resolution
# pages with max-merged sliding windows and scored with the DIVA metric.
_base_ = [
    './_base_/models/unet_tiny.py',
    'mmseg::_base_/default_runtime.py',
    './_base_/datasets/hisdb.py',
    './_base_/schedules/adam_iters.py',
]
custom_imports = dict(imports=['mmseg_pixdiva'], allow_failed_imports=False)

data_root = 'work_dirs/demo/data'
crop_size = (128, 128)
# Mean/std from the training pages ('auto', resolved by tools/train.py).
# No class weights: DeepDIVA's inverse-frequency weights ('auto') make the
# rare combinations (a few hundred pixels) so heavy that the tiny model
# paints the dark scan border as decoration; the evaluator punishes that
# more than it rewards the rare classes.
model = dict(
    data_preprocessor=dict(mean='auto', std='auto', bgr_to_rgb=True))
train_dataloader = dict(
    batch_size=8,
    num_workers=0,
    persistent_workers=False,
    sampler=dict(crops_per_image=50, imgs_in_memory=4),
    dataset=dict(data_root=data_root))
val_dataloader = dict(
    batch_size=8,
    num_workers=0,
    persistent_workers=False,
    sampler=dict(crops_per_image=20, imgs_in_memory=4),
    dataset=dict(data_root=data_root))
test_dataloader = dict(dataset=dict(data_root=data_root))

max_iters = 1000
optim_wrapper = dict(optimizer=dict(lr=3e-3))
param_scheduler = [
    dict(type='PolyLR', eta_min=1e-5, power=0.9, begin=0, end=max_iters,
         by_epoch=False)
]
train_cfg = dict(max_iters=max_iters, val_interval=500)
default_hooks = dict(
    logger=dict(interval=20),
    checkpoint=dict(interval=500, max_keep_ckpts=2))
env_cfg = dict(dist_cfg=dict(backend='gloo'))

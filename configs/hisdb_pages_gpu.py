# The GPU recipe at the size the DIVA-HisDB literature uses: DeepDIVA's UNet
# width (64 channels, here 5 levels), 256 px crops, the UNet recipe's
# softmax head, the same 16 training pages and 8 validation pages of CSG18
# and CSG863 (configs/_base_/datasets/hisdb_pages.py), 40000 iterations of
# batch 16.
# Not run on the 2-core CPU machine (a step would take tens of seconds);
# see docs/hisdb_pages.md for the expected time.
#   python benchmarks/hisdb_pages.py run --config configs/hisdb_pages_gpu.py \
#       --work-dir work_dirs/hisdb_pages_gpu
_base_ = ['./hisdb_pages_cpu.py']
crop_size = (256, 256)

model = dict(
    data_preprocessor=dict(size=crop_size),
    backbone=dict(base_channels=64),
    decode_head=dict(in_channels=64, channels=64),
    # The clean-up is chosen for each model: benchmarks/hisdb_pages.py tunes
    # it on the validation pages after training.
    test_cfg=dict(crop_size=crop_size, stride=(128, 128), batch_windows=64,
                  postprocess=None))
train_pipeline = [
    dict(type='LoadPageCrop', crop_size=crop_size),
    dict(type='RandomFlip', prob=0.5, direction='vertical'),
    dict(type='PackSegInputs'),
]
val_pipeline = [
    dict(type='LoadPageCrop', crop_size=crop_size),
    dict(type='PackSegInputs'),
]
# Workers decode and crop pages beside the GPU (each holds its own page
# cache: 4 pages of 50 MB per worker).
train_dataloader = dict(
    batch_size=16, num_workers=4, persistent_workers=True,
    sampler=dict(crops_per_image=400),
    dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=16, num_workers=2, persistent_workers=True,
    sampler=dict(crops_per_image=100),
    dataset=dict(pipeline=val_pipeline))
max_iters = 40000
optim_wrapper = dict(optimizer=dict(lr=1e-3))
# The schedule of configs/_base_/schedules/adam_poly_5k.py, with a longer
# warm-up for the larger batch.
warmup, poly = _base_.param_scheduler
param_scheduler = [dict(warmup, end=500),
                   dict(poly, begin=500, end=max_iters)]
del warmup, poly
train_cfg = dict(max_iters=max_iters, val_interval=4000)
default_hooks = dict(
    checkpoint=dict(interval=4000, max_keep_ckpts=2),
    visualization=dict(train_interval=4000))
custom_hooks = [
    dict(type='GTFormatPredictionHook',
         out_dir='work_dirs/hisdb_pages_gpu/predictions'),
]

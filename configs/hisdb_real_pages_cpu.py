# Real DIVA-HisDB pages on a CPU in about 30 minutes (2 cores): train on the
# top of CB55 0059v and CSG863 004, test on their bottom thirds at full
# resolution. The data is built from ../shared by benchmarks/real_pages.py,
# which also runs this recipe end to end and writes the results table:
#   python benchmarks/real_pages.py run           (split + train + test)
# or by hand:
#   python benchmarks/real_pages.py split
#   python tools/train.py configs/hisdb_real_pages_cpu.py
#   python tools/test.py configs/hisdb_real_pages_cpu.py \
#       work_dirs/hisdb_real_pages_cpu/iter_5000.pth \
#       --out work_dirs/hisdb_real_pages_cpu/predictions \
#       --show-dir work_dirs/hisdb_real_pages_cpu/pictures
_base_ = [
    './_base_/models/unet16_5levels.py',
    'mmseg::_base_/default_runtime.py',
    './_base_/datasets/hisdb.py',
    './_base_/schedules/adam_poly_5k.py',
]
custom_imports = dict(imports=['mmseg_pixdiva'], allow_failed_imports=False)

data_root = 'work_dirs/real_pages/data'
crop_size = (128, 128)
# Every bit combination DIVA-HisDB uses (background, comment, decoration,
# comment+decoration, main text, comment+main text, decoration+main text,
# all three). Fixed rather than discovered so that a test page with a
# combination the training bands lack (CSG18) still decodes, and the class
# order never depends on the split.
label_values = [1, 2, 4, 6, 8, 10, 12, 14]

# The real-page UNet (configs/_base_/models/unet16_5levels.py).
model = dict(
    data_preprocessor=dict(mean='auto', std='auto', bgr_to_rgb=True,
                           size=crop_size),
    decode_head=dict(
        # No class weights. The evaluator's mean IU averages the per-bit IU
        # of background, comment, decoration and main text on every page,
        # and a class that is absent from a page's GT counts as IU 0 as soon
        # as a single pixel is predicted as it (NaN, i.e. skipped, if none
        # is). The bottom thirds have no comment (CB55) and no decoration
        # (CSG863): DeepDIVA's inverse-frequency weights ('auto'; 'all
        # three' has 157 training pixels) push the model to predict rare
        # classes everywhere, which costs more than it gains here.
        loss_decode=dict(
            type='CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0,
            class_weight=None)),
    test_cfg=dict(mode='slide', crop_size=crop_size, stride=(64, 64),
                  merge='max', batch_windows=8))

# Vertical flips: the bottom edge of the parchment (and the dark scanner
# background below it) lies only in the held-out bottom thirds, and without
# flips the model took it for comment or decoration strokes; flipped crops
# of the top edge look like it.
train_pipeline = [
    dict(type='LoadPageCrop', crop_size=crop_size),
    dict(type='RandomFlip', prob=0.5, direction='vertical'),
    dict(type='PackSegInputs'),
]
# Two training pages (both stay decoded: imgs_in_memory 4 covers train and
# val together), random crops; the DataLoader runs in the main process
# (cropping from the cached page costs far less than a training step, and
# a worker would compete with torch for the two cores).
train_dataloader = dict(
    batch_size=8,
    num_workers=0,
    persistent_workers=False,
    sampler=dict(crops_per_image=200, imgs_in_memory=4),
    dataset=dict(data_root=data_root, label_values=label_values,
                 pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=8,
    num_workers=0,
    persistent_workers=False,
    sampler=dict(crops_per_image=40, imgs_in_memory=4),
    dataset=dict(data_root=data_root, label_values=label_values))
test_dataloader = dict(
    num_workers=0,
    dataset=dict(data_root=data_root, label_values=label_values))
test_evaluator = [
    dict(type='DIVALayoutMetric',
         output_dir='work_dirs/hisdb_real_pages_cpu/scores'),
    dict(type='IoUMetric', iou_metrics=['mIoU']),
    dict(type='ConfusionMatrixMetric'),
]

# 5000 iterations (configs/_base_/schedules/adam_poly_5k.py): 40000 crops of
# 128x128, ~22 times the pixels of the training bands.
train_cfg = dict(val_interval=500)
default_hooks = dict(
    logger=dict(interval=50),
    checkpoint=dict(interval=500, max_keep_ckpts=2),
    # Dashboard panels every 500 training / 10 validation iterations;
    # full-resolution test pictures with tools/test.py --show-dir.
    visualization=dict(type='ColourVisualizationHook', interval=10,
                       train_interval=500))
# Test predictions in the GT format (tools/test.py --out replaces the
# folder); channels-last weights, with which oneDNN's CPU convolutions make
# a training step 1.35x faster (docs/benchmarks.md, measured by
# benchmarks/bench_channels_last_training.py; nothing changes on a GPU).
custom_hooks = [
    dict(type='GTFormatPredictionHook',
         out_dir='work_dirs/hisdb_real_pages_cpu/predictions'),
    dict(type='ChannelsLastHook'),
]
env_cfg = dict(dist_cfg=dict(backend='gloo'))
randomness = dict(seed=0)

# DIVA-HisDB in DeepDIVA's layout: <data_root>/{train,val,test}/{data,gt},
# pages paired by stem, class = blue bit flags of the GT (every observed
# combination is a class, found by scanning train/gt once, cached in the
# data root). Boundary pixels are background for the loss.
dataset_type = 'HisDBDataset'
data_root = 'data/DIVA-HisDB/CB55'
crop_size = (128, 128)

# Training and validation see random crops of full-resolution pages: the
# sampler keeps at most `imgs_in_memory` decoded pages (DeepDIVA defaults:
# 4 pages, 128 px crops, 50 crops per page and epoch).
train_pipeline = [
    dict(type='LoadPageCrop', crop_size=crop_size),
    dict(type='PackSegInputs'),
]
val_pipeline = [
    dict(type='LoadPageCrop', crop_size=crop_size),
    dict(type='PackSegInputs'),
]
# Testing runs on whole pages: the segmentor slides windows over them.
# LoadScanFromFile is mmcv's LoadImageFromFile decoding a page straight into
# its array (one page in memory, not two, while it decodes).
test_pipeline = [
    dict(type='LoadScanFromFile'),
    dict(type='LoadBlueChannelAnnotations'),
    dict(type='PackSegInputs'),
]
train_dataloader = dict(
    batch_size=16,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(
        type='CropsPerImageSampler', crops_per_image=50, imgs_in_memory=4),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        data_prefix=dict(img_path='train/data', seg_map_path='train/gt'),
        pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=16,
    num_workers=2,
    persistent_workers=True,
    # Same crops at every validation (fixed_seed) so epochs compare; same
    # imgs_in_memory as training: both share one page cache and one cap.
    sampler=dict(
        type='CropsPerImageSampler',
        crops_per_image=50,
        imgs_in_memory=4,
        shuffle=False,
        fixed_seed=0),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        data_prefix=dict(img_path='val/data', seg_map_path='val/gt'),
        pipeline=val_pipeline))
test_dataloader = dict(
    batch_size=1,
    num_workers=1,
    persistent_workers=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        data_prefix=dict(img_path='test/data', seg_map_path='test/gt'),
        pipeline=test_pipeline))
# ConfusionMatrixMetric counts the pixel confusion matrix that the
# visualization hook plots (ConfusionPlotsHook); it stays last, so that the
# first metric (save_best='auto') is a score.
val_evaluator = [
    dict(type='IoUMetric', iou_metrics=['mIoU']),
    dict(type='ConfusionMatrixMetric'),
]
# The official DIVA layout evaluator's numbers on the full-resolution GT
# (boundary rule included), plus mmseg's IoU on the decoded classes.
test_evaluator = [
    dict(type='DIVALayoutMetric'),
    dict(type='IoUMetric', iou_metrics=['mIoU']),
    dict(type='ConfusionMatrixMetric'),
]

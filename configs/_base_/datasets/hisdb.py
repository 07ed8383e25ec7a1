# DIVA-HisDB in DeepDIVA's layout: <data_root>/{train,val,test}/{data,gt},
# pages paired by stem, class = blue bit flags of the GT. Classes are found
# by scanning train/gt once (cached in the data root).
dataset_type = 'HisDBDataset'
data_root = 'data/DIVA-HisDB/CB55'
crop_size = (128, 128)

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadBlueChannelAnnotations'),  # boundary -> background
    dict(type='RandomCrop', crop_size=crop_size),
    dict(type='PackSegInputs'),
]
# Full-resolution pages: the segmentor slides windows over them.
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadBlueChannelAnnotations'),
    dict(type='PackSegInputs'),
]
train_dataloader = dict(
    batch_size=16,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        data_prefix=dict(img_path='train/data', seg_map_path='train/gt'),
        pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=16,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        data_prefix=dict(img_path='val/data', seg_map_path='val/gt'),
        pipeline=train_pipeline))
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
val_evaluator = dict(type='IoUMetric', iou_metrics=['mIoU'])
test_evaluator = [
    dict(type='DIVALayoutMetric'),
    dict(type='IoUMetric', iou_metrics=['mIoU']),
]

"""CropsPerImageSampler in mmengine runners (tiny UNet, crop 64)."""
import copy

import pytest
from mmengine.hooks import Hook
from mmengine.registry import init_default_scope

import mmseg_pixdiva  # noqa: F401

from test_crops_per_image_sampler import LABELS, write_pages


@pytest.fixture(autouse=True, scope='module')
def _scope():
    init_default_scope('mmseg')


class RecordCrops(Hook):
    """Records (page, crop_bbox) of every training sample."""

    def __init__(self):
        self.seen = []

    def before_train_iter(self, runner, batch_idx, data_batch=None):
        for sample in data_batch['data_samples']:
            self.seen.append((sample.img_path, tuple(sample.crop_bbox)))


def config(root, work_dir, loop, **loop_args):
    norm = dict(type='BN', requires_grad=True)
    pipeline = [
        dict(type='LoadPageCrop', crop_size=64),
        dict(type='PackSegInputs',
             meta_keys=('img_path', 'seg_map_path', 'ori_shape', 'img_shape',
                        'crop_bbox')),
    ]
    dataset = dict(type='HisDBDataset', data_root=str(root),
                   label_values=LABELS,
                   data_prefix=dict(img_path='train/data',
                                    seg_map_path='train/gt'),
                   pipeline=pipeline)
    return dict(
        default_scope='mmseg',
        work_dir=str(work_dir),
        randomness=dict(seed=0),
        model=dict(
            type='EncoderDecoder',
            data_preprocessor=dict(type='SegDataPreProcessor',
                                   mean=[128.] * 3, std=[64.] * 3,
                                   bgr_to_rgb=True, pad_val=0,
                                   seg_pad_val=255, size=(64, 64)),
            backbone=dict(type='UNet', in_channels=3, base_channels=8,
                          num_stages=3, strides=(1, 1, 1),
                          enc_num_convs=(1, 1, 1), dec_num_convs=(1, 1),
                          downsamples=(True, True),
                          enc_dilations=(1, 1, 1), dec_dilations=(1, 1),
                          norm_cfg=norm, upsample_cfg=dict(type='InterpConv')),
            decode_head=dict(type='FCNHead', in_channels=8, in_index=-1,
                             channels=8, num_convs=1, concat_input=False,
                             num_classes=len(LABELS), norm_cfg=norm,
                             loss_decode=dict(type='CrossEntropyLoss',
                                              loss_weight=1.0)),
            train_cfg=dict(), test_cfg=dict(mode='whole')),
        train_dataloader=dict(
            batch_size=2, num_workers=0,
            sampler=dict(type='CropsPerImageSampler', crops_per_image=2,
                         imgs_in_memory=2, cache_name=f'runner-{loop}'),
            dataset=dataset),
        val_dataloader=dict(
            batch_size=2, num_workers=0,
            sampler=dict(type='CropsPerImageSampler', crops_per_image=1,
                         imgs_in_memory=2, fixed_seed=0, shuffle=False,
                         cache_name=f'runner-{loop}'),
            dataset=copy.deepcopy(dataset)),
        val_evaluator=dict(type='IoUMetric', iou_metrics=['mIoU']),
        val_cfg=dict(type='ValLoop'),
        train_cfg=dict(type=loop, val_interval=100, **loop_args),
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.01)),
        default_hooks=dict(
            checkpoint=dict(type='CheckpointHook', interval=2,
                            by_epoch=loop == 'EpochBasedTrainLoop'),
            logger=dict(type='LoggerHook', interval=1)),
        log_level='WARNING')


def run(cfg, resume=False):
    from mmengine.runner import Runner
    cfg = copy.deepcopy(cfg)
    cfg['resume'] = resume
    runner = Runner.from_cfg(__import__('mmengine').Config(cfg))
    hook = RecordCrops()
    runner.register_hook(hook)
    runner.train()
    return runner, hook.seen


def test_iter_loop_trains_validates_and_resumes(tmp_path):
    root = write_pages(tmp_path / 'root', sizes=[(96, 80), (80, 100),
                                                 (70, 90)])
    full_cfg = config(root, tmp_path / 'full', 'IterBasedTrainLoop',
                      max_iters=5)
    runner, full = run(full_cfg)
    assert len(full) == 10
    # One epoch is 3 pages x 2 crops = 6 samples: iterations cross epochs.
    assert len({p for p, _ in full[:6]}) == 3
    # Resume from iteration 2 continues the same sequence.
    part_cfg = config(root, tmp_path / 'part', 'IterBasedTrainLoop',
                      max_iters=2)
    _, first = run(part_cfg)
    assert first == full[:4]
    resume_cfg = config(root, tmp_path / 'part', 'IterBasedTrainLoop',
                        max_iters=5)
    runner, rest = run(resume_cfg, resume=True)
    assert runner.iter == 5
    assert rest == full[4:]


def test_epoch_loop_trains_validates_and_resumes(tmp_path):
    root = write_pages(tmp_path / 'root', sizes=[(96, 80), (80, 100),
                                                 (70, 90)])
    full_cfg = config(root, tmp_path / 'full', 'EpochBasedTrainLoop',
                      max_epochs=3)
    runner, full = run(full_cfg)
    assert len(full) == 18  # 3 epochs x 3 pages x 2 crops
    assert full[:6] != full[6:12]  # reshuffled every epoch
    part_cfg = config(root, tmp_path / 'part', 'EpochBasedTrainLoop',
                      max_epochs=2)
    _, first = run(part_cfg)
    assert first == full[:12]
    resume_cfg = config(root, tmp_path / 'part', 'EpochBasedTrainLoop',
                        max_epochs=3)
    runner, rest = run(resume_cfg, resume=True)
    assert runner.epoch == 3
    assert rest == full[12:]

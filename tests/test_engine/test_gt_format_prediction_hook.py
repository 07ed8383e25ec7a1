"""GTFormatPredictionHook: unit (fake runner) and inside a real test run."""
import sys
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import torch

import mmseg_pixdiva  # noqa: F401
from mmseg_pixdiva.core.encoding import decode_gt

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / 'test_models'))
from tiny_segmentor import tiny_model_cfg  # noqa: E402

LABEL_VALUES = [1, 2, 4, 8]


def read_rgb(path):
    import cv2
    return cv2.imread(str(path), cv2.IMREAD_UNCHANGED)[..., ::-1]


class FakeDataset(list):
    """What the hook reads of a test dataset: its metainfo, data_prefix
    and the data info of its samples (``(img_path, seg_map_path)``)."""

    def __init__(self, metainfo, data_prefix=None, samples=()):
        super().__init__(dict(img_path=img, seg_map_path=gt)
                         for img, gt in samples)
        self.metainfo = metainfo
        self.data_prefix = data_prefix or {}

    def get_data_info(self, index):
        return dict(self[index])


def fake_runner(metainfo, data_prefix=None, samples=()):
    dataset = FakeDataset(metainfo, data_prefix, samples)
    return SimpleNamespace(test_dataloader=SimpleNamespace(dataset=dataset))


def sample(classes, img_path, seg_map_path=None):
    from mmengine.structures import PixelData
    from mmseg.structures import SegDataSample
    result = SegDataSample(metainfo=dict(img_path=img_path,
                                         seg_map_path=seg_map_path))
    result.pred_sem_seg = PixelData(data=torch.as_tensor(classes)[None])
    return result


def test_writes_each_sample_in_gt_format(tmp_path):
    from mmseg_pixdiva.engine.hooks import GTFormatPredictionHook
    rng = np.random.default_rng(1)
    first = rng.integers(0, 4, size=(30, 41))
    second = rng.integers(0, 4, size=(25, 19))
    hook = GTFormatPredictionHook(out_dir=str(tmp_path / 'preds'))
    runner = fake_runner(dict(classes=list('abcd'), label_values=LABEL_VALUES))
    hook.before_test(runner)
    hook.after_test_iter(runner, 0, outputs=[
        sample(first, '/data/test/data/p1.jpg'),
        sample(second, 'x/p2.tif')
    ])
    assert sorted(p.name for p in (tmp_path / 'preds').iterdir()) == \
        ['p1.png', 'p2.png']
    for name, classes in (('p1', first), ('p2', second)):
        rgb = read_rgb(tmp_path / 'preds' / f'{name}.png')
        assert rgb.shape == classes.shape + (3, )
        assert (rgb[..., :2] == 0).all()
        assert np.array_equal(decode_gt(rgb, LABEL_VALUES), classes)


def test_label_values_argument_overrides_metainfo(tmp_path):
    from mmseg_pixdiva.engine.hooks import GTFormatPredictionHook
    hook = GTFormatPredictionHook(out_dir=str(tmp_path), label_values=[9, 7])
    runner = fake_runner(dict(classes=['a', 'b']))
    hook.before_test(runner)
    hook.after_test_iter(runner, 0, outputs=[sample(np.eye(3, dtype=int),
                                                    'a.png')])
    assert np.array_equal(read_rgb(tmp_path / 'a.png')[..., 2],
                          np.where(np.eye(3), 7, 9))


def test_missing_label_values_is_a_clear_error(tmp_path):
    from mmseg_pixdiva.engine.hooks import GTFormatPredictionHook
    hook = GTFormatPredictionHook(out_dir=str(tmp_path))
    with pytest.raises(KeyError, match='label_values'):
        hook.before_test(fake_runner(dict(classes=['a'])))


def test_never_replaces_the_dataset_files(tmp_path):
    """An out_dir that is, or lies inside, the GT (or image) folder is
    refused before the test starts; a prediction path that is a sample's
    own GT or page file is refused before it is written. The files stay
    as they were."""
    from mmseg_pixdiva.engine.hooks import GTFormatPredictionHook
    from mmseg_pixdiva.utils.errors import InputError
    meta = dict(classes=list('abcd'), label_values=LABEL_VALUES)
    gt_dir, img_dir = tmp_path / 'test' / 'gt', tmp_path / 'test' / 'data'
    gt_dir.mkdir(parents=True)
    img_dir.mkdir()
    gt = gt_dir / 'p1.png'
    gt.write_bytes(b'the ground truth')
    page = img_dir / 'p2.png'
    page.write_bytes(b'the page')
    prefix = dict(img_path=str(img_dir), seg_map_path=str(gt_dir))
    for folder, what in ((gt_dir, 'is the test GT folder'),
                         (img_dir / '.', 'is the test image folder'),
                         (gt_dir / 'preds', 'lies inside the test GT')):
        hook = GTFormatPredictionHook(out_dir=str(folder))
        with pytest.raises(InputError, match=what):
            hook.before_test(fake_runner(meta, prefix))
    # Found from the samples' files where data_prefix says nothing.
    hook = GTFormatPredictionHook(out_dir=str(gt_dir))
    with pytest.raises(InputError, match='is the test GT folder'):
        hook.before_test(fake_runner(meta, samples=[
            (str(img_dir / 'p1.jpg'), str(gt))]))
    # A dataset that lists nothing (another dataset class): the
    # per-sample check still catches it.
    classes = np.zeros((2, 2), int)
    hook = GTFormatPredictionHook(out_dir=str(gt_dir))
    hook.before_test(fake_runner(meta))
    with pytest.raises(ValueError, match='would replace the input file'):
        hook.after_test_iter(fake_runner(meta), 0, outputs=[
            sample(classes, str(img_dir / 'p1.jpg'), str(gt))])
    hook = GTFormatPredictionHook(out_dir=str(img_dir))
    hook.before_test(fake_runner(meta))
    with pytest.raises(ValueError, match=str(page)):
        hook.after_test_iter(fake_runner(meta), 0,
                             outputs=[sample(classes, str(page))])
    assert gt.read_bytes() == b'the ground truth'
    assert page.read_bytes() == b'the page'
    assert sorted(p.name for p in tmp_path.rglob('*')) == \
        ['data', 'gt', 'p1.png', 'p2.png', 'test']


def test_replaces_only_its_own_predictions(tmp_path):
    """A user's file at a prediction's name stops the hook before its
    first write (not only at that page); its own earlier predictions (they
    carry its PNG marker) are replaced."""
    from mmseg_pixdiva.engine.hooks import GTFormatPredictionHook
    from mmseg_pixdiva.utils.errors import InputError
    meta = dict(classes=list('abcd'), label_values=LABEL_VALUES)
    pages = [(f'/data/test/data/p{i}.jpg', None) for i in (1, 2)]
    out = tmp_path / 'preds'
    first, second = np.zeros((3, 4), int), np.ones((3, 4), int)

    def run(classes):
        runner = fake_runner(meta, samples=pages)
        hook = GTFormatPredictionHook(out_dir=str(out))
        hook.before_test(runner)
        hook.after_test_iter(runner, 0, outputs=[
            sample(classes, img) for img, _ in pages])

    run(first)
    run(second)  # its own files: replaced
    for name in ('p1.png', 'p2.png'):
        assert np.array_equal(decode_gt(read_rgb(out / name), LABEL_VALUES),
                              second)
    (out / 'p2.png').write_bytes(b'my own notes')
    with pytest.raises(InputError) as error:
        run(first)
    assert str(error.value).startswith(f'{out / "p2.png"}: refusing to '
                                       'replace it')
    # Nothing written: p1, before p2 in the batch, kept the second run's.
    assert np.array_equal(decode_gt(read_rgb(out / 'p1.png'), LABEL_VALUES),
                          second)
    assert (out / 'p2.png').read_bytes() == b'my own notes'


def test_in_a_real_test_run(tmp_path):
    """Runner.test with the tiny MaxSlide model: one PNG per page, the
    page's size, decoding to the model's predicted classes."""
    import cv2
    from mmengine.hooks import Hook
    from mmengine.runner import Runner
    from mmseg.registry import HOOKS

    rng = np.random.default_rng(2)
    sizes = {'page_a': (45, 70), 'page_b': (64, 33)}
    (tmp_path / 'img').mkdir()
    (tmp_path / 'ann').mkdir()
    for name, (h, w) in sizes.items():
        cv2.imwrite(str(tmp_path / 'img' / f'{name}.jpg'),
                    rng.integers(0, 256, (h, w, 3), dtype=np.uint8))
        cv2.imwrite(str(tmp_path / 'ann' / f'{name}.png'),
                    rng.integers(0, 4, (h, w), dtype=np.uint8))

    recorded = {}

    @HOOKS.register_module(force=True)
    class _RecordPredictions(Hook):

        def after_test_iter(self, runner, batch_idx, data_batch=None,
                            outputs=None):
            for s in outputs:
                recorded[Path(s.img_path).stem] = \
                    s.pred_sem_seg.data[0].numpy().copy()

    test_cfg = dict(mode='slide', crop_size=(32, 32), merge='max')
    pipeline = [
        dict(type='LoadImageFromFile'),
        dict(type='LoadAnnotations'),
        dict(type='PackSegInputs')
    ]
    runner = Runner(
        model=tiny_model_cfg(num_classes=4, test_cfg=test_cfg),
        work_dir=str(tmp_path / 'work'),
        test_dataloader=dict(
            batch_size=1,
            num_workers=0,
            sampler=dict(type='DefaultSampler', shuffle=False),
            dataset=dict(
                type='BaseSegDataset',
                data_root=str(tmp_path),
                data_prefix=dict(img_path='img', seg_map_path='ann'),
                img_suffix='.jpg',
                seg_map_suffix='.png',
                metainfo=dict(classes=list('abcd'),
                              palette=[[0, 0, 0]] * 4,
                              label_values=LABEL_VALUES),
                pipeline=pipeline)),
        test_cfg=dict(type='TestLoop'),
        test_evaluator=dict(type='IoUMetric'),
        custom_hooks=[
            dict(type='GTFormatPredictionHook',
                 out_dir=str(tmp_path / 'preds')),
            dict(type='_RecordPredictions')
        ],
        default_scope='mmseg')
    runner.test()
    assert sorted(p.name for p in (tmp_path / 'preds').iterdir()) == \
        ['page_a.png', 'page_b.png']
    for name, (h, w) in sizes.items():
        rgb = read_rgb(tmp_path / 'preds' / f'{name}.png')
        assert rgb.shape == (h, w, 3)
        assert np.array_equal(decode_gt(rgb, LABEL_VALUES), recorded[name])

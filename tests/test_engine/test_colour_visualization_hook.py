"""ColourVisualizationHook driven with fake data samples and a fake runner."""
import importlib.util
import itertools
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

import mmseg_pixdiva  # noqa: F401  (registers on first registry lookup)
from mmseg_pixdiva.core.encoding import (classes_to_gt_rgb,
                                         hisdb_class_name, hisdb_palette)
from mmseg_pixdiva.evaluation.layout_analysis import (error_overlay,
                                                      error_visualization)
from mmseg_pixdiva.utils.atomic import atomic_write_image
from mmseg_pixdiva.visualization import confusion_matrix, read_rgb

torch = pytest.importorskip('torch')
from mmengine.config import Config  # noqa: E402
from mmengine.structures import PixelData  # noqa: E402
from mmengine.visualization import Visualizer  # noqa: E402

from mmseg.registry import HOOKS, METRICS  # noqa: E402
from mmseg.structures import SegDataSample  # noqa: E402

VALUES = [1, 2, 8, 10]  # background, comment, main text, comment+main text
NAMES = [hisdb_class_name(v) for v in VALUES]
PALETTE = hisdb_palette(VALUES)
_names = itertools.count()


class FakeDataset:
    metainfo = dict(classes=NAMES, palette=PALETTE, label_values=VALUES)


def make_runner(tmp_path: Path, cfg: dict = None, iteration: int = 7,
                model=None):
    """What the hook uses of a Runner, with a real mmengine Visualizer."""
    loop = SimpleNamespace(dataloader=SimpleNamespace(dataset=FakeDataset()))
    visualizer = Visualizer(
        name=f'vis_test_{next(_names)}',
        vis_backends=[dict(type='LocalVisBackend')],
        save_dir=str(tmp_path / 'backend'))
    return SimpleNamespace(
        work_dir=str(tmp_path / 'work'),
        log_dir=str(tmp_path / 'work' / '20260101_000000'),
        cfg=Config(cfg or {}), visualizer=visualizer, iter=iteration,
        test_loop=loop, val_loop=loop, train_loop=loop, model=model)


def backend_images(tmp_path: Path):
    folder = tmp_path / 'backend' / 'vis_data' / 'vis_image'
    return {p.name: p for p in folder.glob('*.png')} if folder.is_dir() \
        else {}


def make_page(folder: Path, stem: str, shape=(24, 18), seed=0):
    """Scan + HisDB GT (boundary bits on) on disk, and a prediction."""
    rng = np.random.default_rng(seed)
    gt = rng.integers(0, len(VALUES), shape).astype(np.uint8)
    gt_rgb = classes_to_gt_rgb(gt, VALUES)
    gt_rgb[::5, :, 0] = 0x80  # boundary pixels
    pred = gt.copy()
    pred[: shape[0] // 3] = 2  # a band of main text
    scan = rng.integers(100, 256, shape + (3, ), dtype=np.uint8)
    atomic_write_image(folder / f'{stem}.png', gt_rgb)
    atomic_write_image(folder / f'{stem}.jpg', scan)
    return gt, gt_rgb, pred


def make_sample(folder: Path, stem: str, pred: np.ndarray, shape,
                gt: np.ndarray = None) -> SegDataSample:
    sample = SegDataSample(metainfo=dict(
        img_path=str(folder / f'{stem}.jpg'),
        seg_map_path=str(folder / f'{stem}.png'), ori_shape=tuple(shape)))
    if pred is not None:
        sample.pred_sem_seg = PixelData(data=torch.from_numpy(pred)[None])
    if gt is not None:
        sample.gt_sem_seg = PixelData(data=torch.from_numpy(gt)[None])
    return sample


def metrics_of(samples) -> dict:
    """What the evaluator hands the hooks after an epoch: the metrics of a
    ConfusionMatrixMetric that processed ``samples`` (as mmengine's
    Evaluator passes them, ``to_dict()`` copies)."""
    metric = METRICS.build(dict(type='ConfusionMatrixMetric'))
    metric.dataset_meta = dict(FakeDataset.metainfo)
    metric.process({}, [sample.to_dict() for sample in samples])
    return metric.evaluate(len(samples))


def test_test_pictures_legend_and_plots(tmp_path):
    data = tmp_path / 'data'
    gt, gt_rgb, pred = make_page(data, 'page1')
    show_dir = tmp_path / 'show'
    runner = make_runner(tmp_path, dict(visualizer=dict(
        type='Visualizer', save_dir=str(show_dir))))
    hook = HOOKS.build(dict(type='ColourVisualizationHook', draw=True,
                            overlay=True))
    hook.before_test_epoch(runner)
    sample = make_sample(data, 'page1', pred, gt.shape)
    hook.after_test_iter(runner, 0, None, [sample])
    # No gt_sem_seg in the sample: the metric counts the GT file.
    hook.after_test_epoch(runner, metrics_of([sample]))

    palette = np.array(PALETTE, np.uint8)
    np.testing.assert_array_equal(read_rgb(show_dir / 'page1_pred.png'),
                                  palette[pred])
    np.testing.assert_array_equal(read_rgb(show_dir / 'page1_gt.png'),
                                  palette[gt])
    legend = read_rgb(show_dir / 'legend.png')
    assert legend.shape[0] > 20 * len(NAMES)
    assert sorted(p.name for p in show_dir.iterdir()) == [
        'legend.png', 'page1_errors.png', 'page1_gt.png',
        'page1_overlay.png', 'page1_pred.png']
    # The evaluator's code on the GT file (boundary bits included) and the
    # prediction in GT format; the overlay is its error_overlay on the scan.
    errors = error_visualization(gt_rgb, classes_to_gt_rgb(pred, VALUES))
    np.testing.assert_array_equal(read_rgb(show_dir / 'page1_errors.png'),
                                  errors)
    scan = read_rgb(data / 'page1.jpg')
    np.testing.assert_array_equal(read_rgb(show_dir / 'page1_overlay.png'),
                                  error_overlay(errors, scan))

    plots = Path(runner.work_dir) / 'plots'
    assert sorted(p.name for p in plots.iterdir()) == [
        'test_confusion_matrix.csv', 'test_confusion_matrix.png',
        'test_iou.png']
    counts = confusion_matrix(gt, pred, len(VALUES))
    rows = (plots / 'test_confusion_matrix.csv').read_text().splitlines()
    assert rows[0] == 'gt\\pred,' + ','.join(f'"{n}"' for n in NAMES)
    table = np.array([[int(v) for v in row.split(',')[1:]]
                      for row in rows[1:]])
    np.testing.assert_array_equal(table, counts)
    assert {'test_confusion_matrix_7.png', 'test_iou_7.png'} <= \
        set(backend_images(tmp_path))


def test_show_dir_defaults(tmp_path):
    hook = HOOKS.build(dict(type='ColourVisualizationHook'))
    runner = make_runner(tmp_path)
    assert hook._resolve_out_dir(runner) == \
        Path(runner.log_dir) / 'colour_vis'
    hook = HOOKS.build(dict(type='ColourVisualizationHook', show_dir='pics'))
    assert hook._resolve_out_dir(runner) == Path(runner.log_dir) / 'pics'


class ListedDataset(FakeDataset):
    """A test dataset that lists its pages, as mmengine's datasets do."""

    def __init__(self, folder: Path, stems):
        self.data_prefix = dict(img_path=str(folder),
                                seg_map_path=str(folder))
        self.infos = [dict(img_path=str(folder / f'{stem}.jpg'),
                           seg_map_path=str(folder / f'{stem}.png'))
                      for stem in stems]

    def __len__(self):
        return len(self.infos)

    def get_data_info(self, index):
        return dict(self.infos[index])


def test_test_pictures_replace_only_their_own(tmp_path):
    """A rerun replaces the hook's own pictures; a user's file at a
    picture's name, or a show folder that is (or lies inside) the
    dataset's folder, stops it before the first picture."""
    from mmseg_pixdiva.utils.errors import InputError
    data = tmp_path / 'data'
    gt, _, pred = make_page(data, 'page1')
    runner = make_runner(tmp_path)
    runner.test_loop.dataloader.dataset = ListedDataset(data, ['page1'])
    show_dir = tmp_path / 'show'

    def run(folder):
        hook = HOOKS.build(dict(type='ColourVisualizationHook', draw=True,
                                show_dir=str(folder)))
        hook.before_test_epoch(runner)
        hook.after_test_iter(runner, 0, None,
                             [make_sample(data, 'page1', pred, gt.shape)])

    run(show_dir)
    run(show_dir)
    mine = show_dir / 'page1_gt.png'
    mine.write_bytes(b'my picture')
    (show_dir / 'legend.png').unlink()
    before = {p.name: p.read_bytes() for p in show_dir.iterdir()}
    with pytest.raises(InputError, match=f'^{mine}: refusing to replace'):
        run(show_dir)
    assert {p.name: p.read_bytes() for p in show_dir.iterdir()} == before
    for folder, what in ((data, 'it is the test image folder'),
                         (data / 'pics', 'it lies inside the test image')):
        with pytest.raises(InputError, match=what):
            run(folder)
    assert sorted(p.name for p in data.iterdir()) == ['page1.jpg',
                                                      'page1.png']


def test_mmseg_test_tool_switches_it_on(tmp_path):
    """tools/test.py --show-dir: draw=True and visualizer.save_dir set."""
    import mmseg
    script = Path(mmseg.__file__).parent / '.mim' / 'tools' / 'test.py'
    if not script.is_file():
        pytest.skip(f'mmseg tools not installed ({script})')
    spec = importlib.util.spec_from_file_location('mmseg_test_tool', script)
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    cfg = Config(dict(
        default_hooks=dict(visualization=dict(
            type='ColourVisualizationHook')),
        visualizer=dict(type='SegLocalVisualizer')))
    args = SimpleNamespace(show=False, show_dir=str(tmp_path / 'shown'),
                           wait_time=2)
    cfg = tool.trigger_visualization_hook(cfg, args)
    hook = HOOKS.build(cfg.default_hooks.visualization)
    assert hook.draw
    runner = make_runner(tmp_path, cfg.to_dict())
    assert hook._resolve_out_dir(runner) == tmp_path / 'shown'


def test_wrong_size_and_missing_prediction_are_reported(tmp_path):
    data = tmp_path / 'data'
    gt, _, pred = make_page(data, 'small')
    runner = make_runner(tmp_path)
    hook = HOOKS.build(dict(type='ColourVisualizationHook', draw=True,
                            show_dir=str(tmp_path / 'show')))
    hook.before_test_epoch(runner)
    wrong = make_sample(data, 'small', pred[:-2], gt.shape)
    missing = make_sample(data, 'nopred', None, gt.shape)
    with pytest.warns(UserWarning) as record:
        hook.after_test_iter(runner, 0, None, [wrong, missing])
    messages = [str(w.message) for w in record]
    assert any('small.jpg' in m and '22x18' in m and '24x18' in m
               for m in messages), messages
    assert any('nopred.jpg' in m and 'no prediction' in m
               for m in messages), messages
    assert sorted(p.name for p in (tmp_path / 'show').iterdir()) == \
        ['legend.png', 'small_pred.png']


def test_gt_file_of_other_size_is_reported(tmp_path):
    data = tmp_path / 'data'
    make_page(data, 'page', shape=(10, 8))
    pred = np.zeros((12, 8), np.uint8)
    runner = make_runner(tmp_path)
    hook = HOOKS.build(dict(type='ColourVisualizationHook', draw=True,
                            show_dir=str(tmp_path / 'show')))
    hook.before_test_epoch(runner)
    sample = make_sample(data, 'page', pred, pred.shape)
    with pytest.warns(UserWarning, match=r'page\.png: GT is 10x8'):
        hook.after_test_iter(runner, 0, None, [sample])
    assert sorted(p.name for p in (tmp_path / 'show').iterdir()) == \
        ['legend.png', 'page_pred.png']


def test_gt_with_unknown_blue_values_is_reported(tmp_path):
    data = tmp_path / 'data'
    gt, gt_rgb, pred = make_page(data, 'odd', shape=(10, 8))
    gt_rgb[0, 0, 2] = 0x40  # a blue value that is no class
    atomic_write_image(data / 'odd.png', gt_rgb)
    runner = make_runner(tmp_path)
    hook = HOOKS.build(dict(type='ColourVisualizationHook', draw=True,
                            show_dir=str(tmp_path / 'show')))
    hook.before_test_epoch(runner)
    with pytest.warns(UserWarning, match=r'odd\.png.*blue=64 \(1 pixels\)'):
        hook.after_test_iter(runner, 0, None,
                             [make_sample(data, 'odd', pred, gt.shape)])
    # The error map needs only the raw GT; the coloured GT is left out.
    assert sorted(p.name for p in (tmp_path / 'show').iterdir()) == \
        ['legend.png', 'odd_errors.png', 'odd_pred.png']


def test_val_panels_are_downscaled_and_reach_the_backend(tmp_path):
    data = tmp_path / 'data'
    shape = (400, 300)
    gt, _, pred = make_page(data, 'bigpage', shape=shape)
    runner = make_runner(tmp_path, iteration=12)
    hook = HOOKS.build(dict(type='ColourVisualizationHook', interval=2,
                            panel_max_size=120))
    hook.before_val_epoch(runner)
    samples = []
    for batch_idx in range(3):  # panels at batch 1 (every 2nd iteration)
        sample = make_sample(data, 'bigpage', pred, shape, gt=gt)
        samples.append(sample)
        hook.after_val_iter(runner, batch_idx, None, [sample])
    hook.after_val_epoch(runner, metrics_of(samples))
    images = backend_images(tmp_path)
    assert {'val_bigpage_12.png', 'legend_12.png',
            'val_confusion_matrix_12.png', 'val_iou_12.png'} <= set(images)
    panel = read_rgb(images['val_bigpage_12.png'])
    assert max(panel.shape[:2]) <= 120 and panel.shape[1] > panel.shape[0]
    colours = {tuple(c) for c in PALETTE}
    right_tile = panel[30:, -20:].reshape(-1, 3)  # inside the prediction
    assert {tuple(c) for c in right_tile.tolist()} <= colours | {
        (255, 255, 255)}
    rows = (Path(runner.work_dir) / 'plots' /
            'val_confusion_matrix_iter_12.csv').read_text().splitlines()
    table = np.array([[int(v) for v in r.split(',')[1:]] for r in rows[1:]])
    np.testing.assert_array_equal(table,
                                  3 * confusion_matrix(gt, pred, len(VALUES)))


def crop_val_batch(tmp_path: Path, page_hw=(200, 150), crop=(48, 40)):
    """A validation batch of one LoadPageCrop crop, as the shipped configs
    make it (CropsPerImageSampler, default PackSegInputs meta keys).

    The page's red channel is y and its green x, so every pixel says where
    on the page it is.
    """
    from mmengine.dataset import pseudo_collate
    from mmengine.registry import init_default_scope

    from mmseg.registry import DATA_SAMPLERS, DATASETS
    init_default_scope('mmseg')
    root = tmp_path / 'pages'
    for folder in ('val/data', 'val/gt'):
        (root / folder).mkdir(parents=True)
    yy, xx = np.mgrid[:page_hw[0], :page_hw[1]]
    page = np.stack([yy, xx, (yy + xx) % 256], -1).astype(np.uint8)
    classes = ((yy // 10 + xx // 10) % len(VALUES)).astype(np.uint8)
    atomic_write_image(root / 'val/data/page.png', page)
    atomic_write_image(root / 'val/gt/page.png',
                       classes_to_gt_rgb(classes, VALUES))
    dataset = DATASETS.build(dict(
        type='HisDBDataset', data_root=str(root), label_values=VALUES,
        data_prefix=dict(img_path='val/data', seg_map_path='val/gt'),
        pipeline=[dict(type='LoadPageCrop', crop_size=crop),
                  dict(type='PackSegInputs')]))
    sampler = DATA_SAMPLERS.build(
        dict(type='CropsPerImageSampler', crops_per_image=1,
             imgs_in_memory=1, shuffle=False, fixed_seed=3,
             cache_name=f'colour_vis_{next(_names)}'),
        default_args=dict(dataset=dataset))
    batch = pseudo_collate([dataset[index] for index in sampler])
    sample = batch['data_samples'][0]
    gt = sample.gt_sem_seg.data[0].numpy()
    sample.pred_sem_seg = PixelData(data=torch.from_numpy(gt.copy())[None])
    return page, batch


def test_val_panel_of_a_crop_shows_that_crop_of_the_scan(tmp_path,
                                                         monkeypatch):
    # The panels are PanelHook's job (ColourVisualizationHook runs it).
    from mmseg_pixdiva.engine.hooks import panel_hook as mod
    page, batch = crop_val_batch(tmp_path)
    sample = batch['data_samples'][0]
    assert sample.ori_shape == (48, 40) and 'crop_bbox' not in sample
    tiles = []
    real_panel = mod.page_panel

    def spy_panel(scan, gt, pred, *args, **kwargs):
        tiles.append((scan, gt, pred))
        return real_panel(scan, gt, pred, *args, **kwargs)

    def no_decoding(*args, **kwargs):
        raise AssertionError('a crop panel must not decode the page')

    monkeypatch.setattr(mod, 'page_panel', spy_panel)
    monkeypatch.setattr(mod, 'decode_rgb', no_decoding)
    runner = make_runner(tmp_path, iteration=5, model=TinySegmentor())
    hook = HOOKS.build(dict(type='ColourVisualizationHook', interval=1,
                            plots=False))
    hook.before_val_epoch(runner)
    hook.after_val_iter(runner, 0, batch, batch['data_samples'])
    (scan, gt, pred), = tiles
    y1, x1 = int(scan[0, 0, 0]), int(scan[0, 0, 1])  # where the crop lies
    np.testing.assert_array_equal(scan, page[y1:y1 + 48, x1:x1 + 40])
    assert (y1, x1) != (0, 0)  # not merely the page's corner
    np.testing.assert_array_equal(gt, pred)
    assert 'val_page_5.png' in backend_images(tmp_path)

    # Without the batch input a crop panel goes without the scan rather
    # than decoding the page.
    with pytest.warns(UserWarning, match='panel without the scan'):
        hook.after_val_iter(runner, 1, None, batch['data_samples'])
    assert tiles[1][0] is None and tiles[1][2].shape == (48, 40)


class TinySegmentor(torch.nn.Module):
    """Enough of an EncoderDecoder: data_preprocessor + encode_decode."""

    def __init__(self):
        super().__init__()
        from mmseg.models import SegDataPreProcessor
        self.data_preprocessor = SegDataPreProcessor(
            mean=[0., 0., 0.], std=[1., 1., 1.], bgr_to_rgb=True,
            size=(16, 16), seg_pad_val=255)
        self.conv = torch.nn.Conv2d(3, len(VALUES), 1)
        self.bn = torch.nn.BatchNorm2d(len(VALUES))
        self.modes = []

    def encode_decode(self, inputs, metas):
        self.modes.append(self.training)
        assert not torch.is_grad_enabled()
        assert inputs.shape[-2:] == (16, 16)  # padded like in training
        return self.bn(self.conv(inputs))


def test_train_panel_predicts_in_eval_mode_and_restores(tmp_path):
    model = TinySegmentor()
    model.train()
    running_mean = model.bn.running_mean.clone()
    runner = make_runner(tmp_path, iteration=3, model=model)
    hook = HOOKS.build(dict(type='ColourVisualizationHook', interval=0,
                            train_interval=4, panel_max_size=64))
    image = torch.randint(0, 256, (3, 12, 14), dtype=torch.uint8)
    gt = torch.randint(0, len(VALUES), (1, 12, 14), dtype=torch.uint8)
    sample = SegDataSample(metainfo=dict(img_shape=(12, 14),
                                         ori_shape=(12, 14)))
    sample.gt_sem_seg = PixelData(data=gt)
    batch = dict(inputs=[image, image], data_samples=[sample, sample])
    hook.after_train_iter(runner, 3, batch, {})  # iteration 4: due
    runner.iter = 4
    hook.after_train_iter(runner, 4, batch, {})  # iteration 5: not due
    assert model.modes == [False] and model.training
    assert torch.equal(model.bn.running_mean, running_mean)
    images = backend_images(tmp_path)
    assert 'train_crop_3.png' in images
    panel = read_rgb(images['train_crop_3.png'])
    assert max(panel.shape[:2]) <= 64


def tiny_runner_cfg(tmp_path: Path) -> Config:
    """A 2-iteration run of a 4-channel UNet on two 64x48 pages."""
    import cv2
    root = tmp_path / 'data'
    (root / 'img').mkdir(parents=True)
    (root / 'ann').mkdir()
    rng = np.random.default_rng(0)
    for i in range(2):
        cv2.imwrite(str(root / 'img' / f'p{i}.png'),
                    rng.integers(0, 255, (64, 48, 3), dtype=np.uint8))
        cv2.imwrite(str(root / 'ann' / f'p{i}.png'),
                    rng.integers(0, 3, (64, 48), dtype=np.uint8))
    norm = dict(type='BN', requires_grad=True)
    dataset = dict(
        type='BaseSegDataset', data_root=str(root),
        data_prefix=dict(img_path='img', seg_map_path='ann'),
        img_suffix='.png', seg_map_suffix='.png',
        metainfo=dict(classes=('a', 'b', 'c'),
                      palette=[[0, 0, 0], [255, 0, 0], [0, 255, 0]]))
    load = [dict(type='LoadImageFromFile'), dict(type='LoadAnnotations')]
    loader = dict(batch_size=1, num_workers=0,
                  sampler=dict(type='DefaultSampler', shuffle=False),
                  dataset=dict(dataset, pipeline=load + [
                      dict(type='PackSegInputs')]))
    return Config(dict(
        default_scope='mmseg',
        experiment_name=f'colour_vis_{next(_names)}',
        model=dict(
            type='EncoderDecoder',
            data_preprocessor=dict(
                type='SegDataPreProcessor', mean=[0, 0, 0],
                std=[255, 255, 255], bgr_to_rgb=True, size=(32, 32),
                seg_pad_val=255),
            backbone=dict(
                type='UNet', in_channels=3, base_channels=4, num_stages=2,
                strides=(1, 1), enc_num_convs=(1, 1), dec_num_convs=(1, ),
                downsamples=(True, ), enc_dilations=(1, 1),
                dec_dilations=(1, ), norm_cfg=norm,
                upsample_cfg=dict(type='InterpConv')),
            decode_head=dict(
                type='FCNHead', in_channels=4, in_index=1, channels=4,
                num_convs=1, concat_input=False, num_classes=3,
                norm_cfg=norm,
                loss_decode=dict(type='CrossEntropyLoss')),
            test_cfg=dict(mode='whole')),
        train_dataloader=dict(
            batch_size=2, num_workers=0,
            sampler=dict(type='InfiniteSampler', shuffle=True),
            dataset=dict(dataset, pipeline=load + [
                dict(type='RandomCrop', crop_size=(32, 32)),
                dict(type='PackSegInputs')])),
        val_dataloader=loader, test_dataloader=loader,
        val_evaluator=[dict(type='IoUMetric'),
                       dict(type='ConfusionMatrixMetric')],
        test_evaluator=[dict(type='IoUMetric'),
                        dict(type='ConfusionMatrixMetric')],
        optim_wrapper=dict(type='OptimWrapper',
                           optimizer=dict(type='SGD', lr=0.01)),
        train_cfg=dict(type='IterBasedTrainLoop', max_iters=2,
                       val_interval=2),
        val_cfg=dict(type='ValLoop'), test_cfg=dict(type='TestLoop'),
        default_hooks=dict(visualization=dict(
            type='ColourVisualizationHook', interval=1, train_interval=1,
            panel_max_size=100, draw=True)),
        visualizer=dict(type='SegLocalVisualizer',
                        vis_backends=[dict(type='LocalVisBackend')]),
        work_dir=str(tmp_path / 'work'), log_level='WARNING'))


def test_real_runner_writes_pictures_panels_and_plots(tmp_path):
    """Train (with a validation), then test, through mmengine's own hooks:
    the logger takes the metric's arrays in both, and the plots are drawn
    from them."""
    import json

    from mmengine.runner import Runner
    runner = Runner.from_cfg(tiny_runner_cfg(tmp_path))
    runner.train()
    metrics = runner.test()
    log_dir = Path(runner.log_dir)
    assert sorted(p.name for p in (log_dir / 'colour_vis').iterdir()) == [
        'legend.png', 'p0_gt.png', 'p0_pred.png', 'p1_gt.png', 'p1_pred.png']
    gt = cv2_read_grey(tmp_path / 'data' / 'ann' / 'p0.png')
    palette = np.array([[0, 0, 0], [255, 0, 0], [0, 255, 0]], np.uint8)
    np.testing.assert_array_equal(
        read_rgb(log_dir / 'colour_vis' / 'p0_gt.png'), palette[gt])
    images = {p.name for p in (log_dir / 'vis_data' / 'vis_image').iterdir()}
    assert {'train_crop_0.png', 'train_crop_1.png', 'val_p0_2.png',
            'val_p1_2.png', 'val_confusion_matrix_2.png', 'val_iou_2.png',
            'test_confusion_matrix_2.png', 'test_iou_2.png'} <= images
    rows = (Path(runner.work_dir) / 'plots' / 'test_confusion_matrix.csv'
            ).read_text().splitlines()
    table = np.array([[int(v) for v in r.split(',')[1:]] for r in rows[1:]])
    assert table.sum() == 2 * 64 * 48  # every pixel of both pages once
    np.testing.assert_array_equal(table, metrics['confusion_matrix'])
    # The metric's own IU agrees with mmseg's IoUMetric (in percent).
    iou = np.diag(table) / (table.sum(0) + table.sum(1) - np.diag(table))
    assert metrics['mIoU'] == pytest.approx(
        round(100 * np.nanmean(iou), 2), abs=0.01)
    np.testing.assert_allclose(metrics['per_class_iou'], iou)
    # mmengine's LoggerHook wrote the matrix into the test log's JSON.
    logged = json.loads((log_dir / f'{log_dir.name}.json').read_text())
    assert logged['confusion_matrix'] == table.tolist()
    assert (Path(runner.work_dir) / 'plots' /
            'val_confusion_matrix_iter_2.csv').is_file()


def cv2_read_grey(path: Path) -> np.ndarray:
    import cv2
    return cv2.imread(str(path), cv2.IMREAD_UNCHANGED)


def test_train_panel_decodes_a_per_bit_model_through_its_bits():
    """A per-bit segmentor's panel shows the classes its bits decode to
    (here: every bit on -> comment+decoration+main text, class 7), not the
    argmax of its three outputs."""
    import sys
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] /
                           'test_models'))
    from tiny_segmentor import build_tiny_model
    from mmseg_pixdiva.engine.hooks.panel_hook import PanelHook
    model = build_tiny_model(num_classes=3, per_bit=dict())
    model.data_preprocessor.size = (16, 16)  # pads crops, as in training
    with torch.no_grad():
        model.decode_head.conv_seg.bias.fill_(50.0)
    image = torch.randint(0, 256, (3, 16, 16), dtype=torch.uint8)
    sample = SegDataSample(metainfo=dict(img_shape=(16, 16),
                                         ori_shape=(16, 16)))
    sample.gt_sem_seg = PixelData(data=torch.zeros(1, 16, 16,
                                                   dtype=torch.uint8))
    runner = SimpleNamespace(model=model)
    _, _, pred = PanelHook._predict_first_crop(
        runner, dict(inputs=[image], data_samples=[sample]))
    assert pred.shape == (16, 16) and (pred == 7).all()

"""ConfusionMatrixMetric counts pixels exactly; ConfusionPlotsHook draws
from its matrix and only from it."""
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

torch = pytest.importorskip('torch')
from mmengine.logging import MMLogger  # noqa: E402
from mmengine.visualization import Visualizer  # noqa: E402

from mmseg.registry import HOOKS, METRICS  # noqa: E402
from mmseg_pixdiva.core.encoding import classes_to_gt_rgb  # noqa: E402
from mmseg_pixdiva.evaluation.confusion import (  # noqa: E402
    CONFUSION_MATRIX_KEY, PER_CLASS_IOU_KEY)
from mmseg_pixdiva.utils.atomic import atomic_write_image  # noqa: E402

LABEL_VALUES = [1, 2, 8, 10]
CLASSES = ['background', 'comment', 'main text', 'comment+main text']
META = dict(classes=CLASSES, label_values=LABEL_VALUES,
            palette=[[0, 0, 0], [255, 0, 0], [0, 255, 0], [0, 0, 255]])


def pixel_by_pixel(pairs, num_classes=4, ignore=255) -> np.ndarray:
    """The expected matrix, one pixel at a time."""
    expected = np.zeros((num_classes, num_classes), np.int64)
    for gt, pred in pairs:
        for g, p in zip(gt.ravel().tolist(), pred.ravel().tolist()):
            if g != ignore and p != ignore:
                expected[g, p] += 1
    return expected


def page(seed: int, shape=(13, 11)):
    """A GT (a few ignored pixels) and a prediction of class indices."""
    rng = np.random.default_rng(seed)
    gt = rng.integers(0, 4, shape).astype(np.uint8)
    pred = rng.integers(0, 4, shape).astype(np.int64)
    gt[0, :3] = 255
    return gt, pred


def sample(pred=None, gt=None, **metainfo) -> dict:
    """A data sample as mmengine's Evaluator hands it to ``process``."""
    result = dict(metainfo)
    if pred is not None:
        result['pred_sem_seg'] = dict(data=torch.from_numpy(pred)[None])
    if gt is not None:
        result['gt_sem_seg'] = dict(data=torch.from_numpy(gt)[None])
    return result


def build(**kwargs):
    metric = METRICS.build(dict(type='ConfusionMatrixMetric', **kwargs))
    metric.dataset_meta = dict(META)
    return metric


@pytest.fixture
def log_file(tmp_path) -> Path:
    """A current MMLogger writing into a file the test reads back."""
    path = tmp_path / 'run.log'
    MMLogger.get_instance(f'confusion_{tmp_path.name}', log_file=str(path),
                          log_level='INFO')
    return path


def test_two_batches_sum_to_the_pixel_by_pixel_count():
    pages = [page(seed) for seed in range(3)]
    metric = build()
    metric.process({}, [sample(pred, gt) for gt, pred in pages[:2]])
    metric.process({}, [sample(pages[2][1], pages[2][0])])
    metrics = metric.evaluate(3)
    assert list(metrics) == [CONFUSION_MATRIX_KEY, PER_CLASS_IOU_KEY]
    matrix = metrics[CONFUSION_MATRIX_KEY]
    expected = pixel_by_pixel(pages)
    assert matrix.dtype == np.int64 and matrix.shape == (4, 4)
    np.testing.assert_array_equal(matrix, expected)
    assert matrix.sum() == 3 * (13 * 11 - 3)  # ignored pixels left out
    tp = np.diag(expected)
    np.testing.assert_allclose(metrics[PER_CLASS_IOU_KEY],
                               tp / (expected.sum(0) + expected.sum(1) - tp))
    # The results are reset: a second pass counts afresh.
    metric.process({}, [sample(pages[0][1], pages[0][0])])
    np.testing.assert_array_equal(
        metric.evaluate(1)[CONFUSION_MATRIX_KEY], pixel_by_pixel(pages[:1]))


def test_ignore_index_and_prefix():
    gt, pred = page(5)
    gt[(gt == 3) | (gt == 255)] = 7  # class 3 ignored, by the argument
    metric = build(ignore_index=7, prefix='pixels')
    metric.process({}, [sample(pred, gt)])
    metrics = metric.evaluate(1)
    matrix = metrics[f'pixels/{CONFUSION_MATRIX_KEY}']
    np.testing.assert_array_equal(matrix,
                                  pixel_by_pixel([(gt, pred)], ignore=7))
    assert matrix[3].sum() == 0 and matrix[:, 3].sum() > 0
    # 255 is a class index out of range once it is not the ignore index.
    with pytest.raises(ValueError, match='class indices must be in 0..3'):
        metric.process({}, [sample(pred, page(5)[0])])


def test_one_result_per_sample_so_padding_is_trimmed(log_file):
    """mmengine trims the gathered results to the dataset's size (a
    distributed sampler pads with repeated samples): every sample, counted
    or not, is one result."""
    (gt, pred), (gt2, pred2) = page(1), page(2)
    metric = build()
    metric.process({}, [sample(pred, gt), sample(pred2),  # no GT: 0 pixels
                        sample(pred2, gt2)])
    assert len(metric.results) == 3
    np.testing.assert_array_equal(metric.evaluate(2)[CONFUSION_MATRIX_KEY],
                                  pixel_by_pixel([(gt, pred)]))


def test_gt_of_another_size_is_read_from_the_gt_file(tmp_path, log_file):
    """A resized gt_sem_seg (or none) is replaced by the GT file at the
    prediction's size; a file of another size leaves the page out."""
    gt, pred = page(3)
    gt[0, :3] = 0  # a GT file has no ignore index
    path = tmp_path / 'page.png'
    atomic_write_image(path, classes_to_gt_rgb(gt, LABEL_VALUES))
    small = gt[::2, ::2].copy()
    metric = build()
    metric.process({}, [
        sample(pred, small, seg_map_path=str(path), img_path='page.jpg'),
        sample(pred[:-1], small, seg_map_path=str(path),
               img_path='cut.jpg')])
    np.testing.assert_array_equal(metric.evaluate(2)[CONFUSION_MATRIX_KEY],
                                  pixel_by_pixel([(gt, pred)]))
    log = log_file.read_text()
    assert f'{path}: GT is 13x11 but the prediction 12x11; page not ' \
        'counted' in log
    # Without label_values the file cannot be decoded: left out, logged.
    metric.dataset_meta = dict(classes=CLASSES)
    metric.process({}, [sample(pred, small, seg_map_path=str(path),
                               img_path='plain.jpg')])
    assert not metric.evaluate(1)[CONFUSION_MATRIX_KEY].any()
    assert 'plain.jpg: gt_sem_seg is 7x6 but the prediction is 13x11' in \
        log_file.read_text()


def test_classes_are_required():
    metric = METRICS.build(dict(type='ConfusionMatrixMetric'))
    metric.dataset_meta = dict(label_values=LABEL_VALUES)
    gt, pred = page(0)
    with pytest.raises(KeyError, match="dataset_meta\\['classes'\\]"):
        metric.process({}, [sample(pred, gt)])


def fake_runner(tmp_path: Path, name: str):
    loop = SimpleNamespace(dataloader=SimpleNamespace(
        dataset=SimpleNamespace(metainfo=dict(META))))
    visualizer = Visualizer(name=name,
                            vis_backends=[dict(type='LocalVisBackend')],
                            save_dir=str(tmp_path / 'backend'))
    return SimpleNamespace(work_dir=str(tmp_path / 'work'), iter=9,
                           visualizer=visualizer, val_loop=loop,
                           test_loop=loop)


def test_hook_draws_from_a_prefixed_metric(tmp_path):
    gt, pred = page(4)
    metric = build(prefix='cm')
    metric.process({}, [sample(pred, gt)])
    runner = fake_runner(tmp_path, f'cm_vis_{tmp_path.name}')
    hook = HOOKS.build(dict(type='ConfusionPlotsHook'))
    hook.before_test_epoch(runner)
    hook.after_test_epoch(runner, dict(mIoU=12.5, **metric.evaluate(1)))
    plots = Path(runner.work_dir) / 'plots'
    assert sorted(p.name for p in plots.iterdir()) == [
        'test_confusion_matrix.csv', 'test_confusion_matrix.png',
        'test_iou.png']
    rows = (plots / 'test_confusion_matrix.csv').read_text().splitlines()
    assert rows[0] == 'gt\\pred,' + ','.join(f'"{n}"' for n in CLASSES)
    table = np.array([[int(v) for v in r.split(',')[1:]] for r in rows[1:]])
    np.testing.assert_array_equal(table, pixel_by_pixel([(gt, pred)]))


def test_hook_without_the_metric_logs_the_hint_and_draws_nothing(
        tmp_path, log_file):
    runner = fake_runner(tmp_path, f'no_cm_vis_{tmp_path.name}')
    hook = HOOKS.build(dict(type='ColourVisualizationHook', interval=0))
    for _ in range(2):  # the hint once per run, not per validation
        hook.before_val_epoch(runner)
        hook.after_val_epoch(runner, dict(mIoU=40.0))
    hook.before_test_epoch(runner)
    hook.after_test_epoch(runner, None)
    log = log_file.read_text()
    hint = ("no confusion matrix among the val metrics; add "
            "dict(type='ConfusionMatrixMetric') to val_evaluator")
    assert log.count(hint) == 1
    assert "add dict(type='ConfusionMatrixMetric') to test_evaluator" in log
    assert not (Path(runner.work_dir) / 'plots').exists()
    assert not (tmp_path / 'backend' / 'vis_data' / 'vis_image').exists()


@pytest.mark.parametrize('boundary_to_background', [True, False])
def test_the_gt_file_is_decoded_by_the_datasets_boundary_rule(
        tmp_path, boundary_to_background):
    """A GT decoded from its file gives the classes gt_sem_seg has: with a
    DIVA-HisDB dataset, boundary pixels (red bit 7) are background."""
    import cv2

    from mmseg_pixdiva.core.encoding import decode_gt
    rgb = np.zeros((4, 4, 3), np.uint8)
    rgb[..., 2] = 1
    rgb[:, 2:, 2] = 8
    rgb[:, 2, 0] = 128  # a boundary column on main text
    cv2.imwrite(str(tmp_path / 'gt.png'), rgb[..., ::-1])
    gt = decode_gt(rgb, LABEL_VALUES,
                   boundary_to_background=boundary_to_background)
    pred = gt.astype(np.int64)
    metric = build()
    metric.dataset_meta.update(boundary_to_background=boundary_to_background,
                               background_value=1)
    metric.process({}, [
        sample(pred, gt),  # gt_sem_seg at the prediction's size
        sample(pred, gt[:2, :2], seg_map_path=str(tmp_path / 'gt.png')),
    ])
    first, second = [
        metric.compute_metrics([result])[CONFUSION_MATRIX_KEY]
        for result in metric.results]
    np.testing.assert_array_equal(first, second)
    assert second[0, 0] == (12 if boundary_to_background else 8)


def test_the_dataset_tells_the_boundary_rule(tmp_path):
    from mmseg_pixdiva.datasets import HisDBDataset, PairedBlueChannelDataset
    for split in ('train',):
        (tmp_path / split / 'data').mkdir(parents=True)
        (tmp_path / split / 'gt').mkdir(parents=True)
    import cv2
    rgb = np.zeros((8, 8, 3), np.uint8)
    rgb[..., 2] = 1
    rgb[4:, :, 2] = 8
    cv2.imwrite(str(tmp_path / 'train' / 'data' / 'p.png'), rgb)
    cv2.imwrite(str(tmp_path / 'train' / 'gt' / 'p.png'), rgb[..., ::-1])
    prefix = dict(img_path='train/data', seg_map_path='train/gt')
    hisdb = HisDBDataset(data_root=str(tmp_path), data_prefix=prefix,
                         label_values=[1, 8], pipeline=[])
    plain = PairedBlueChannelDataset(data_root=str(tmp_path),
                                     data_prefix=prefix, label_values=[1, 8],
                                     background_value=8, pipeline=[])
    assert hisdb.metainfo['boundary_to_background'] is True
    assert hisdb.metainfo['background_value'] == 1
    assert plain.metainfo['boundary_to_background'] is False
    assert plain.metainfo['background_value'] == 8

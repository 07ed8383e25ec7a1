"""The hooks built on PageHookBase, each alone: one job, nothing else."""
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip('torch')
from mmseg.registry import HOOKS  # noqa: E402
from mmseg_pixdiva.visualization import confusion_matrix  # noqa: E402

from test_colour_visualization_hook import (VALUES,  # noqa: E402
                                            backend_images, make_page,
                                            make_runner, make_sample,
                                            metrics_of)


def run_epoch(tmp_path, mode: str, hook_cfg: dict, pages: int = 1,
              iteration: int = 3):
    """Drive one hook through a ``mode`` epoch of one page seen ``pages``
    times, ending with the metrics of a ConfusionMatrixMetric that saw the
    same samples; return the runner, the GT and the prediction."""
    data = tmp_path / 'data'
    gt, _, pred = make_page(data, 'page')
    runner = make_runner(tmp_path, iteration=iteration)
    hook = HOOKS.build(hook_cfg)
    getattr(hook, f'before_{mode}_epoch')(runner)
    samples = []
    for batch_idx in range(pages):
        sample = make_sample(data, 'page', pred, gt.shape, gt=gt)
        samples.append(sample)
        getattr(hook, f'after_{mode}_iter')(runner, batch_idx, None, [sample])
    getattr(hook, f'after_{mode}_epoch')(runner, metrics_of(samples))
    return runner, gt, pred


def test_confusion_plots_hook_plots_the_metric_counts_only(tmp_path):
    runner, gt, pred = run_epoch(tmp_path, 'val',
                                 dict(type='ConfusionPlotsHook'), pages=2,
                                 iteration=4)
    plots = Path(runner.work_dir) / 'plots'
    assert sorted(p.name for p in plots.iterdir()) == [
        'val_confusion_matrix_iter_4.csv', 'val_confusion_matrix_iter_4.png',
        'val_iou_iter_4.png']
    rows = (plots / 'val_confusion_matrix_iter_4.csv').read_text()
    table = np.array([[int(v) for v in r.split(',')[1:]]
                      for r in rows.splitlines()[1:]])
    np.testing.assert_array_equal(
        table, 2 * confusion_matrix(gt, pred, len(VALUES)))
    assert set(backend_images(tmp_path)) == {'val_confusion_matrix_4.png',
                                            'val_iou_4.png'}


def test_panel_hook_sends_panels_only(tmp_path):
    runner, _, _ = run_epoch(tmp_path, 'val',
                             dict(type='PanelHook', interval=1))
    assert set(backend_images(tmp_path)) == {'val_page_3.png',
                                            'legend_3.png'}
    assert not (Path(runner.work_dir) / 'plots').exists()


def test_test_pictures_hook_writes_pictures_only(tmp_path):
    show = tmp_path / 'show'
    runner, _, _ = run_epoch(tmp_path, 'test', dict(
        type='TestPicturesHook', draw=True, show_dir=str(show)))
    assert sorted(p.name for p in show.iterdir()) == [
        'legend.png', 'page_errors.png', 'page_gt.png', 'page_pred.png']
    assert not (Path(runner.work_dir) / 'plots').exists()
    assert not backend_images(tmp_path)

"""DIVALayoutMetric scores exactly as pixdiva-evaluate on the saved files."""
import csv
import json

import numpy as np
import pytest
import torch
from layout_eval_helpers import small_page, write_rgb_png

from mmseg_pixdiva.core.encoding import classes_to_gt_rgb
from mmseg_pixdiva.evaluation import layout_analysis as la
from mmseg_pixdiva.evaluation import layout_io as lio
from mmseg_pixdiva.evaluation.layout_cli import main
from mmseg_pixdiva.evaluation.metrics import DIVALayoutMetric

LABEL_VALUES = [1, 2, 4, 6, 8, 10, 12, 14]


def class_map(blue: np.ndarray, label_values) -> np.ndarray:
    lut = np.zeros(256, np.int64)
    lut[list(label_values)] = np.arange(len(label_values))
    return lut[blue]


def data_sample(classes: np.ndarray, gt_path) -> dict:
    """What mmengine's Evaluator hands to ``process`` (to_dict form)."""
    return dict(pred_sem_seg=dict(data=torch.from_numpy(classes)[None]),
                seg_map_path=str(gt_path))


def make_metric(**kwargs) -> DIVALayoutMetric:
    metric = DIVALayoutMetric(**kwargs)
    metric.dataset_meta = dict(
        classes=[str(v) for v in LABEL_VALUES], palette=[[0, 0, 0]] * 8,
        label_values=LABEL_VALUES)
    return metric


def cli_json(capsys, gt_path, pred_path, json_path) -> dict:
    assert main(['--gt', str(gt_path), '--prediction', str(pred_path),
                 '--json', str(json_path), '--no-visualization']) == 0
    capsys.readouterr()
    return json.loads(json_path.read_text())


@pytest.fixture
def pages(tmp_path):
    """Three small GTs (with boundaries) and predicted class maps."""
    result = []
    for i in range(3):
        gt, pred = small_page(40 + i, height=24 + 4 * i)
        gt_path = write_rgb_png(tmp_path / 'gt' / f'page{i}.png', gt)
        # A segmentation model predicts one class per pixel: one of the
        # GT's label values (bit combinations).
        blue = np.where(np.isin(pred[..., 2], LABEL_VALUES), pred[..., 2], 1)
        result.append((gt_path, class_map(blue, LABEL_VALUES)))
    return result


def test_a_crop_prediction_is_refused_with_the_reason(pages, tmp_path):
    # Validation on crops hands the metric 16x16 windows of a whole page.
    gt_path, classes = pages[0]
    metric = make_metric(prediction_dir=str(tmp_path / 'saved'))
    with pytest.raises(lio.LayoutInputError) as error:
        metric.process({}, [data_sample(classes[:16, :16], gt_path)])
    message = str(error.value)
    assert str(gt_path) in message and 'size 16x16 differs' in message
    assert 'whole pages' in message and 'IoUMetric' in message
    assert not (tmp_path / 'saved').exists()


def test_prediction_dir_never_replaces_a_gt(pages, tmp_path):
    gt_path, classes = pages[0]
    before = gt_path.read_bytes()
    metric = make_metric(prediction_dir=str(gt_path.parent))
    with pytest.raises(ValueError, match='would replace the input file'):
        metric.process({}, [data_sample(classes, gt_path)])
    assert gt_path.read_bytes() == before


def test_outputs_replace_only_the_metrics_own_files(pages, tmp_path):
    """A user's file under a prediction's or a report's name stops the run
    and is kept; the metric's own files of an earlier run are replaced."""
    from mmseg_pixdiva.utils.output_guard import OutputIsInputError
    gt_path, classes = pages[0]
    saved, out = tmp_path / 'saved', tmp_path / 'out'
    saved.mkdir()
    out.mkdir()
    mine = saved / gt_path.name
    mine.write_bytes(b'my notes')
    metric = make_metric(prediction_dir=str(saved), output_dir=str(out))
    with pytest.raises(OutputIsInputError,
                       match=f'{mine}: refusing to replace it'):
        metric.process({}, [data_sample(classes, gt_path)])
    assert mine.read_bytes() == b'my notes'
    mine.unlink()
    (out / 'summary.json').write_text('{"mine": 1}')
    metric.process({}, [data_sample(classes, gt_path)])
    with pytest.raises(OutputIsInputError, match='summary.json: refusing'):
        metric.evaluate(1)
    assert (out / 'summary.json').read_text() == '{"mine": 1}'
    (out / 'summary.json').unlink()
    for _ in range(2):  # a second run replaces the first run's files
        metric.process({}, [data_sample(classes, gt_path)])
        metric.evaluate(1)
    assert (out / 'summary.json').is_file() and (saved / gt_path.name).is_file()


def test_metric_equals_cli_on_the_saved_predictions(pages, tmp_path, capsys):
    metric = make_metric(output_dir=str(tmp_path / 'out'),
                         prediction_dir=str(tmp_path / 'saved'))
    metric.process({}, [data_sample(c, p) for p, c in pages])
    metrics = metric.evaluate(len(pages))

    # The CLI on the same GT files and the predictions the metric saved.
    records = [cli_json(capsys, gt_path, tmp_path / 'saved' / gt_path.name,
                        tmp_path / f'{gt_path.stem}.json')
               for gt_path, _ in pages]
    assert main(['--gt-dir', str(tmp_path / 'gt'), '--prediction-dir',
                 str(tmp_path / 'saved'), '--out-dir', str(tmp_path / 'cli'),
                 '-dv', '-q']) == 0
    capsys.readouterr()
    cli_summary = json.loads((tmp_path / 'cli' / 'summary.json').read_text())

    metric_summary = json.loads(
        (tmp_path / 'out' / 'summary.json').read_text())
    for key in la.SCORE_KEYS:
        assert metrics[f'diva/{key}'] == cli_summary['mean_of_pages'][key]
        assert metrics[f'diva/pooled_{key}'] == cli_summary['pooled'][key]
    for page, record in zip(metric_summary['pages'], records):
        for key in la.SCORE_KEYS + ('per_class', ):
            assert page[key] == record[key], key
    assert metric_summary['pooled'] == cli_summary['pooled']
    assert metric_summary['mean_of_pages'] == cli_summary['mean_of_pages']
    rows = list(csv.DictReader(open(tmp_path / 'out' / 'pages.csv')))
    assert [r['stem'] for r in rows] == ['page0', 'page1', 'page2']


def test_metric_on_a_real_page_matches_the_golden_value(shared):
    """cb55tenth_shift_5_7 of cases.json, produced as class indices."""
    from mmseg_pixdiva.evaluation.layout_io import read_label_image
    case = next(c for c in json.loads(
        (shared / 'golden/layout-evaluator/cases.json').read_text())
        if c['case'] == 'cb55tenth_shift_5_7')
    gt_path = shared / case['gt']
    saved = read_label_image(shared / case['prediction'])
    values = sorted(np.unique(saved[..., 2]).tolist())
    metric = DIVALayoutMetric()
    metric.dataset_meta = dict(classes=[str(v) for v in values],
                               label_values=values)
    metric.process({}, [data_sample(class_map(saved[..., 2], values),
                                    gt_path)])
    metrics = metric.evaluate(1)
    for key in la.SCORE_KEYS:
        assert abs(metrics[f'diva/{key}'] - case[key]) <= 1e-12
        assert metrics[f'diva/pooled_{key}'] == metrics[f'diva/{key}']


def test_results_from_several_ranks_give_the_same_metrics(pages):
    """compute_metrics sees the gathered results of all ranks, in any
    order; the histograms are all it needs."""
    single = make_metric()
    single.process({}, [data_sample(c, p) for p, c in pages])
    expected = single.compute_metrics(list(single.results))
    rank0, rank1 = make_metric(), make_metric()
    rank0.process({}, [data_sample(pages[2][1], pages[2][0])])
    rank1.process({}, [data_sample(c, p) for p, c in pages[:2]])
    gathered = rank1.results + rank0.results
    assert all(set(r) == {'stem', 'gt', 'prediction', 'histogram'}
               for r in gathered)  # no images kept
    got = make_metric().compute_metrics(gathered)
    assert la.nan_to_none(dict(got)) == la.nan_to_none(dict(expected))


def test_prediction_size_must_match_the_gt(pages):
    metric = make_metric()
    gt_path, classes = pages[0]
    with pytest.raises(ValueError, match='differs from the GT'):
        metric.process({}, [data_sample(classes[:-1], gt_path)])


def test_label_values_are_required(pages):
    metric = DIVALayoutMetric()
    metric.dataset_meta = dict(classes=['a', 'b'])
    with pytest.raises(KeyError, match='label_values'):
        metric.process({}, [data_sample(*pages[0][::-1])])


def test_registered_in_mmseg_metrics():
    import mmseg_pixdiva  # noqa: F401
    from mmseg.registry import METRICS
    metric = METRICS.build(dict(type='DIVALayoutMetric'))
    assert isinstance(metric, DIVALayoutMetric)


def test_classes_to_gt_rgb_is_what_the_metric_scores(pages):
    gt_path, classes = pages[0]
    from mmseg_pixdiva.evaluation.layout_io import read_label_image
    metric = make_metric()
    metric.process({}, [data_sample(classes, gt_path)])
    hist = la.LayoutHistogram.from_sparse(metric.results[0]['histogram'])
    expected = la.layout_histogram(read_label_image(gt_path),
                                   classes_to_gt_rgb(classes, LABEL_VALUES))
    assert hist == expected

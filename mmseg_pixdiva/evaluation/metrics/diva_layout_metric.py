"""DIVALayoutMetric: the DIVA layout-analysis evaluator as an mmseg metric.

A thin adapter over :mod:`mmseg_pixdiva.evaluation.layout_analysis`: each
predicted class map is written in the GT's own encoding (class -> blue
value, ``dataset_meta['label_values']``) and counted against the
full-resolution GT file, exactly as ``pixdiva-evaluate`` scores the saved
prediction PNG. Only a small histogram per page is kept (and gathered
across ranks), never images.
"""
import os.path as osp
from collections import OrderedDict
from typing import Dict, List, Optional, Sequence

import numpy as np
from mmengine.evaluator import BaseMetric
from mmengine.logging import MMLogger, print_log

from mmseg.registry import METRICS
from ...core.encoding import HISDB_BITS, classes_to_gt_rgb
from ...utils.atomic import atomic_write_image
from ...utils.gt_format import (PREDICTION_SOFTWARE, check_not_an_input,
                                is_prediction_file)
from ...utils.output_guard import refuse_foreign_files
from .. import layout_analysis as la
from .. import layout_io as lio
from .. import layout_report as report


@METRICS.register_module()
class DIVALayoutMetric(BaseMetric):
    """Scores of the DIVA Layout Analysis Evaluator (exact re-implementation).

    Returned metrics (floats, NaN where the evaluator has NaN):

    * ``exact_match``, ``hamming_score``, ``mean_iu``, ``fw_iu``,
      ``mean_f1``, ``mean_precision``, ``mean_recall``, ``fw_f1``,
      ``fw_precision``, ``fw_recall``: the **mean over pages** of the
      evaluator's per-page results (what running the Java tool on every
      page and averaging gives, as DIVA-HisDB results are reported);
    * the same names prefixed ``pooled_``: all pages counted as one image
      (number of classes: the largest over the pages).

    A per-class table (IU, precision, recall, F1, frequency; both
    aggregations) is logged.

    Args:
        output_dir (str, optional): Write ``pages.csv`` and ``summary.json``
            (same files as ``pixdiva-evaluate`` folder mode) here.
        prediction_dir (str, optional): Also save every prediction in GT
            format (``<stem>.png``) here, e.g. for the Java tool. An
            existing file there is replaced only if it is a prediction this
            project wrote (its PNG ``Software`` text), and likewise the
            reports in ``output_dir``; any other file stops the run with
            :class:`~mmseg_pixdiva.utils.output_guard.OutputIsInputError`.
        collect_device (str): ``'cpu'`` or ``'gpu'`` for gathering results
            across ranks.
        prefix (str, optional): Metric name prefix.
    """

    default_prefix: Optional[str] = 'diva'

    def __init__(self,
                 output_dir: Optional[str] = None,
                 prediction_dir: Optional[str] = None,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None,
                 **kwargs) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        self.output_dir = output_dir
        self.prediction_dir = prediction_dir

    def _label_values(self) -> List[int]:
        meta = self.dataset_meta or {}
        if 'label_values' not in meta:
            raise KeyError(
                "DIVALayoutMetric needs dataset_meta['label_values'] (the GT "
                'blue value of every class, e.g. from HisDBDataset)')
        return [int(v) for v in meta['label_values']]

    def prediction_path(self, page: str) -> str:
        """Where ``prediction_dir`` gets the prediction of ``page`` (its
        GT or scan: they share the stem): ``<stem>.png``."""
        return osp.join(self.prediction_dir, lio.stem_of(page) + '.png')

    def process(self, data_batch: dict, data_samples: Sequence[dict]) -> None:
        """Count each page's (boundary, prediction, GT) histogram.

        Args:
            data_batch (dict): Unused.
            data_samples (Sequence[dict]): Model outputs with
                ``pred_sem_seg.data`` (``1xHxW`` class indices at the
                original size) and ``seg_map_path``.
        """
        label_values = self._label_values()
        for data_sample in data_samples:
            pred = data_sample['pred_sem_seg']['data']
            if hasattr(pred, 'cpu'):
                pred = pred.cpu().numpy()
            pred = np.asarray(pred)
            pred = pred.reshape(pred.shape[-2:])
            gt_path = data_sample['seg_map_path']
            stem = lio.stem_of(gt_path)
            pred_rgb = classes_to_gt_rgb(pred, label_values)
            gt = lio.read_label_image(gt_path, 'GT')
            # The usual cause of another size: validation on crops
            # (LoadPageCrop), whose predictions are windows of the page.
            lio.check_same_shape(
                f'prediction for {gt_path}', pred_rgb.shape,
                f'the GT {gt_path}', gt.shape,
                remedy='DIVALayoutMetric scores whole pages, as the DIVA '
                'evaluator does: give it a dataloader of whole pages (the '
                "test pipeline), and score validation crops with mmseg's "
                'IoUMetric instead')
            hist = la.layout_histogram(gt, pred_rgb)
            if hist.num_classes == 0:
                raise lio.LayoutInputError(
                    f'{gt_path}: the GT holds no class (every blue value '
                    f'is 0)')
            prediction = ''
            if self.prediction_dir:
                prediction = self.prediction_path(gt_path)
                check_not_an_input(
                    prediction, (gt_path, data_sample.get('img_path')))
                # Only an earlier run's prediction (its PNG mark) may be
                # replaced, never a file of the user's of that name.
                refuse_foreign_files([prediction], is_prediction_file,
                                     'DIVALayoutMetric(prediction_dir)')
                atomic_write_image(prediction, pred_rgb,
                                   software=PREDICTION_SOFTWARE)
            self.results.append(
                dict(stem=stem, gt=str(gt_path), prediction=prediction,
                     histogram=hist.to_sparse()))

    def compute_metrics(self, results: list) -> Dict[str, float]:
        """Per-page scores, their mean and the pooled scores.

        Args:
            results (list): The per-page results of all ranks.

        Returns:
            dict: See the class docstring.
        """
        logger: MMLogger = MMLogger.get_current_instance()
        results = sorted(results, key=lambda r: r['stem'])
        histograms = [la.LayoutHistogram.from_sparse(r['histogram'])
                      for r in results]
        page_scores = [la.layout_scores(h) for h in histograms]
        pooled = la.layout_scores(la.LayoutHistogram.sum(histograms))
        mean = la.mean_of_page_scores(page_scores)

        metrics: Dict[str, float] = OrderedDict()
        for key in la.SCORE_KEYS:
            metrics[key] = float(mean[key])
        for key in la.SCORE_KEYS:
            metrics[f'pooled_{key}'] = float(pooled[key])

        print_log(f'DIVA layout evaluation of {len(results)} page(s):',
                  logger)
        print_log('\n' + self.class_table(mean, pooled), logger=logger)
        for title, scores in (('mean over pages', mean),
                              ('pooled', pooled)):
            line1, line2 = la.format_console_lines(scores)
            print_log(f'{title}: {line1}\n{line2}', logger=logger)

        if self.output_dir:
            pages = [
                report.page_record(s, r['gt'], r['prediction'], r['stem'])
                for s, r in zip(page_scores, results)
            ]
            summary = report.summary_record(page_scores, pooled, pages)
            refuse_foreign_files(report.report_paths(self.output_dir),
                                 report.is_report_file,
                                 'DIVALayoutMetric(output_dir)')
            report.write_report(self.output_dir, pages, summary)
            print_log(f'per-page results written to {self.output_dir}',
                      logger)
        return metrics

    @staticmethod
    def class_table(mean: Dict[str, object], pooled: Dict[str, object]) -> str:
        """Per-class table (percent) of the mean-over-pages and pooled
        scores; classes are the GT's blue bits."""
        from prettytable import PrettyTable
        table = PrettyTable()
        table.field_names = ['class (bit)'] + [
            f'{name} {kind}' for kind in ('mean', 'pooled')
            for name in ('IU', 'P', 'R', 'F1', 'Freq')
        ]
        num_classes = max(len(mean['per_class']['iu']),
                          len(pooled['per_class']['iu']))

        def percent(scores, key, c) -> str:
            values = scores['per_class'][key]
            if c >= len(values) or np.isnan(values[c]):
                return 'nan'
            return f'{100 * values[c]:.2f}'

        for c in range(num_classes):
            name = HISDB_BITS.get(1 << c, f'bit{c}')
            table.add_row([f'{name} ({c})'] + [
                percent(scores, key, c) for scores in (mean, pooled)
                for key in ('iu', 'precision', 'recall', 'f1', 'freq')
            ])
        return table.get_string()

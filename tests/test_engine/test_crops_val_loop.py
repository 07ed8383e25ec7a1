"""CropsValLoop: validation metrics count every crop of the sampler."""
import copy
import sys
from pathlib import Path

import pytest
from mmengine.config import Config
from mmengine.evaluator import BaseMetric
from mmengine.registry import init_default_scope
from mmengine.runner import Runner
from mmseg.registry import METRICS

import mmseg_pixdiva  # noqa: F401

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / 'test_datasets'))
from test_crop_sampler_runner import config  # noqa: E402
from test_crops_per_image_sampler import write_pages  # noqa: E402


@METRICS.register_module(force=True)
class _CountResults(BaseMetric):
    """Number of results the evaluator keeps."""

    def process(self, data_batch, data_samples):
        for sample in data_samples:
            self.results.append(tuple(sample['crop_bbox']))

    def compute_metrics(self, results):
        return dict(kept=len(results))


@pytest.fixture(autouse=True, scope='module')
def _scope():
    init_default_scope('mmseg')


@pytest.mark.parametrize('loop, kept', [('ValLoop', 3), ('CropsValLoop', 9)])
def test_every_crop_is_scored(tmp_path, loop, kept):
    root = write_pages(tmp_path / 'root', sizes=[(96, 80), (80, 100),
                                                 (70, 90)])
    cfg = copy.deepcopy(config(root, tmp_path / 'work', 'IterBasedTrainLoop',
                               max_iters=1))
    cfg['val_dataloader']['sampler']['crops_per_image'] = 3
    cfg['val_evaluator'] = dict(type='_CountResults')
    cfg['val_cfg'] = dict(type=loop)
    runner = Runner.from_cfg(Config(cfg))
    metrics = runner.val()
    # 3 pages x 3 crops: mmengine's ValLoop keeps len(dataset) = 3 of them.
    assert metrics['kept'] == kept
    # The loop restores the evaluator afterwards.
    assert 'evaluate' not in vars(runner.val_loop.evaluator)

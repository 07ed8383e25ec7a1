"""benchmarks/hisdb_pages.py: the validation pages of the config, the
scores per page / manuscript / class, and the table."""
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / 'benchmarks'))

import hisdb_pages  # noqa: E402

from mmseg_pixdiva.evaluation.layout_analysis import \
    evaluate_layout  # noqa: E402


def _write(path: Path, blue: np.ndarray) -> None:
    bgr = np.zeros(blue.shape + (3, ), np.uint8)
    bgr[..., 0] = blue
    path.parent.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(path), bgr)


@pytest.fixture
def shared_pages(request):
    """The hisdb_pages fixture of conftest (this module's name shadows
    it)."""
    return request.getfixturevalue('hisdb_pages')


def test_validation_pages_of_the_tracked_recipe(shared_pages):
    found = hisdb_pages.validation_pages(
        str(REPO / 'configs' / 'hisdb_pages_cpu.py'),
        [f'test_dataloader.dataset.data_root={shared_pages}'])
    assert len(found) == 8
    assert sorted({p['manuscript'] for p in found.values()}) == \
        ['CSG18', 'CSG863']
    assert all(Path(p['gt']).is_file() for p in found.values())


def test_scores_per_page_manuscript_and_class(tmp_path):
    pages = {}
    for manuscript, stem, shift in (('M1', 'a', 0), ('M1', 'b', 3),
                                    ('M2', 'c', 6)):
        gt = np.ones((30, 40), np.uint8)
        gt[5:20, 5:35] = 8
        pred = gt.copy()
        pred[20:20 + shift, 5:10] = 2  # false comment on two pages
        gt_path = tmp_path / manuscript / 'val' / 'gt' / f'{stem}.png'
        _write(gt_path, gt)
        _write(tmp_path / 'pred' / f'{stem}.png', pred)
        pages[stem] = dict(gt=str(gt_path), manuscript=manuscript)
    result = hisdb_pages.score_folder(pages, tmp_path / 'pred')
    for stem, page in pages.items():
        gt = cv2.imread(page['gt'])[..., ::-1]
        pred = cv2.imread(str(tmp_path / 'pred' / f'{stem}.png'))[..., ::-1]
        assert result['pages'][stem]['mean_iu'] == \
            evaluate_layout(gt, pred)['mean_iu']
    assert result['pages']['a']['mean_iu'] == 1.0
    m1 = (result['pages']['a']['mean_iu'] +
          result['pages']['b']['mean_iu']) / 2
    assert result['per_manuscript']['M1']['mean_iu'] == pytest.approx(m1)
    assert result['per_manuscript']['M2']['mean_iu'] == \
        result['pages']['c']['mean_iu']
    # comment: NaN on page a (absent and not predicted), 0 on b and c
    assert result['all']['iu'][1] == 0.0
    table_input = dict(
        config='configs/x.py', iterations=5, train_minutes=1.0,
        seconds_per_page=2.0, command='python benchmarks/hisdb_pages.py run',
        mean_iu=result['all']['mean_iu'],
        postprocess=dict(mean_iu=1.0, mean_iu_leave_one_out=0.9,
                         settings=dict(min_area=[1, 2, 3])),
        scores=dict(raw=result, postprocessed=result))
    table = hisdb_pages.results_markdown(table_input)
    assert '| M2 |' in table and '| c |' in table
    assert 'leave-one-page-out' in table

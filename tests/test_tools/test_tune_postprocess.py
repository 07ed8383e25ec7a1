"""tools/tune_postprocess.py: results, filtered predictions, bad input."""
import json
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[2]
TOOL = REPO / 'tools' / 'tune_postprocess.py'


def _write(path: Path, blue: np.ndarray) -> None:
    bgr = np.zeros(blue.shape + (3, ), np.uint8)
    bgr[..., 0] = blue
    path.parent.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(path), bgr)


@pytest.fixture
def folders(tmp_path):
    for index in range(2):
        gt = np.ones((60, 50), np.uint8)
        gt[5:30, 5:45] = 8
        pred = gt.copy()
        pred[50, 10] = 4  # one false decoration pixel
        _write(tmp_path / 'gt' / f'p{index}.png', gt)
        _write(tmp_path / 'pred' / f'p{index}.png', pred)
    return tmp_path


def _run(*args):
    return subprocess.run([sys.executable, str(TOOL), *map(str, args)],
                          capture_output=True, text=True, cwd=REPO)


def test_tunes_writes_json_and_filtered_predictions(folders):
    out = folders / 'result.json'
    result = _run('--gt-dir', folders / 'gt', '--prediction-dir',
                  folders / 'pred', '--out', out, '--write-dir',
                  folders / 'filtered', '--min-areas', 0, 5,
                  '--min-page-pixels', 0, '--group-distances', 1)
    assert result.returncode == 0, result.stderr
    record = json.loads(out.read_text())
    assert record['settings']['min_area'] == [0, 5, 0]
    assert record['mean_iu_filtered'] == pytest.approx(1.0)
    filtered = cv2.imread(str(folders / 'filtered' / 'p0.png'))
    assert filtered[50, 10, 0] == 1 and not filtered[..., 1:].any()
    assert 'postprocess=dict(' in result.stdout


@pytest.mark.parametrize('target', ['pred', 'gt'])
def test_refuses_to_write_into_an_input_folder(folders, target):
    before = {p: p.read_bytes() for p in folders.rglob('*.png')}
    result = _run('--gt-dir', folders / 'gt', '--prediction-dir',
                  folders / 'pred', '--write-dir', folders / target)
    assert result.returncode == 2
    assert result.stderr.startswith('error: ') and 'Traceback' not in \
        result.stderr
    assert str(folders / target) in result.stderr
    assert {p: p.read_bytes() for p in folders.rglob('*.png')} == before


def test_a_prediction_without_gt_is_named(folders):
    _write(folders / 'pred' / 'extra.png', np.ones((60, 50), np.uint8))
    result = _run('--gt-dir', folders / 'gt', '--prediction-dir',
                  folders / 'pred', '--out', folders / 'r.json')
    assert result.returncode == 2
    assert 'extra' in result.stderr and 'Traceback' not in result.stderr
    assert not (folders / 'r.json').exists()


def test_a_negative_candidate_is_a_usage_error(folders):
    result = _run('--gt-dir', folders / 'gt', '--prediction-dir',
                  folders / 'pred', '--min-areas', 0, -5)
    assert result.returncode == 2
    assert '-5 is negative' in result.stderr
    assert 'Traceback' not in result.stderr

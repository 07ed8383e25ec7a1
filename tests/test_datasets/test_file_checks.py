"""Truncated scans and GTs are named before anything decodes them."""
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

from mmseg_pixdiva.datasets.analytics import (DatasetStatisticsError,
                                              compute_dataset_statistics)
from mmseg_pixdiva.datasets.file_checks import (IncompleteFileError,
                                                check_file_complete)

REPO_ROOT = Path(__file__).resolve().parents[2]


def _page(shape=(40, 32)):
    rng = np.random.default_rng(0)
    return rng.integers(0, 255, shape + (3, ), dtype=np.uint8)


def _truncate(path: Path, keep: float = 0.6) -> None:
    data = path.read_bytes()
    path.write_bytes(data[:int(len(data) * keep)])


@pytest.fixture
def root(tmp_path):
    for split in ('train', ):
        (tmp_path / split / 'data').mkdir(parents=True)
        (tmp_path / split / 'gt').mkdir(parents=True)
        for stem in 'ab':
            cv2.imwrite(str(tmp_path / split / 'data' / f'{stem}.jpg'),
                        _page())
            gt = np.zeros((40, 32, 3), np.uint8)
            gt[..., 0] = 1  # blue (BGR order on disk)
            gt[:10, :, 0] = 8
            cv2.imwrite(str(tmp_path / split / 'gt' / f'{stem}.png'), gt)
    return tmp_path


def test_complete_files_pass(root):
    check_file_complete(str(root / 'train' / 'data' / 'a.jpg'))
    check_file_complete(str(root / 'train' / 'gt' / 'a.png'), 'GT')


def test_truncated_jpeg_and_png_are_named(root):
    scan = root / 'train' / 'data' / 'a.jpg'
    _truncate(scan)
    # OpenCV decodes it "successfully" (grey rows): the decoder cannot tell.
    assert cv2.imread(str(scan)) is not None
    with pytest.raises(IncompleteFileError,
                       match=rf'{scan}: truncated or corrupt JPEG image'):
        check_file_complete(str(scan))
    gt = root / 'train' / 'gt' / 'b.png'
    _truncate(gt, 0.9)
    with pytest.raises(IncompleteFileError,
                       match=rf'{gt}: truncated or corrupt PNG GT'):
        check_file_complete(str(gt), 'GT')


def test_statistics_refuse_a_truncated_scan(root):
    scan = root / 'train' / 'data' / 'b.jpg'
    _truncate(scan)
    pairs = [(str(root / 'train' / 'data' / f'{s}.jpg'),
              str(root / 'train' / 'gt' / f'{s}.png')) for s in 'ab']
    with pytest.raises(DatasetStatisticsError,
                       match=rf'^{scan}: truncated or corrupt JPEG'):
        compute_dataset_statistics(pairs, progress=False)


def test_analyze_dataset_names_a_truncated_scan(root, tmp_path, capsys,
                                                monkeypatch):
    monkeypatch.syspath_prepend(str(REPO_ROOT / 'tools'))
    sys.modules.pop('analyze_dataset', None)
    import analyze_dataset
    scan = root / 'train' / 'data' / 'a.jpg'
    _truncate(scan)
    out = tmp_path / 'stats.json'
    assert analyze_dataset.main([str(root), '--out', str(out)]) == 2
    err = capsys.readouterr().err
    assert err == (f'error: {scan}: truncated or corrupt JPEG image (no '
                   'end-of-image marker); decoding would fill the missing '
                   'rows with grey\n')
    # Nothing written: neither the statistics nor their cache.
    assert not out.exists()
    assert not (root / 'pixdiva_statistics.json').exists()

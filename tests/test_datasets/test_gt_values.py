"""Per-file GT blue values (cached) and DIVA-HisDB's blue 0."""
import json
import os
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest
from mmseg.registry import DATASETS

from mmseg_pixdiva.datasets import gt_values
from mmseg_pixdiva.core.encoding import UnknownLabelValueError
from mmseg_pixdiva.datasets.gt_values import gt_blue_values

REPO_ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def root(tmp_path):
    """Two HisDB training pages (40x32): blue 8 in the top 10 rows, 1
    below."""
    for stem in 'ab':
        for folder in ('data', 'gt'):
            (tmp_path / 'train' / folder).mkdir(parents=True, exist_ok=True)
        cv2.imwrite(str(tmp_path / 'train' / 'data' / f'{stem}.png'),
                    np.full((40, 32, 3), 200, np.uint8))
        gt = np.zeros((40, 32, 3), np.uint8)
        gt[..., 0] = 1  # blue (BGR order on disk)
        gt[:10, :, 0] = 8
        cv2.imwrite(str(tmp_path / 'train' / 'gt' / f'{stem}.png'), gt)
    return tmp_path


def _blue_zero(root, stem='b', pixels=5):
    path = root / 'train' / 'gt' / f'{stem}.png'
    gt = cv2.imread(str(path))
    gt[0, :pixels, 0] = 0
    cv2.imwrite(str(path), gt)
    return path


def _count_scans(monkeypatch):
    scanned = []
    real = gt_values.scan_blue_values

    def counting(paths):
        scanned.extend(paths)
        return real(paths)
    monkeypatch.setattr(gt_values, 'scan_blue_values', counting)
    return scanned


def test_each_gt_is_scanned_once(root, monkeypatch):
    scanned = _count_scans(monkeypatch)
    paths = [str(root / 'train' / 'gt' / f'{s}.png') for s in 'ab']
    cache = str(root / 'pixdiva_gt_values.json')
    expected = [{1: 960, 8: 320}] * 2
    assert gt_blue_values(paths, cache) == expected
    assert gt_blue_values(paths, cache) == expected
    assert scanned == paths
    # A changed file is scanned again, the other one is not.
    _blue_zero(root, 'b')
    os.utime(paths[1], ns=(1, 1))
    assert gt_blue_values(paths, cache)[1] == {0: 5, 1: 960, 8: 315}
    assert scanned == paths + paths[1:]
    # An unusable cache costs a rescan, with a warning.
    Path(cache).write_text('[1, 2]')
    with pytest.warns(UserWarning, match='unreadable GT value cache'):
        assert gt_blue_values(paths, cache)[0] == expected[0]


def test_a_read_only_root_is_scanned_once_per_user(root, monkeypatch):
    """A shared, read-only copy of a dataset (no write bit, as ../shared):
    nothing is written there, and the values are cached in the user's
    cache folder, so the next start decodes nothing."""
    scanned = _count_scans(monkeypatch)
    paths = [str(root / 'train' / 'gt' / f'{s}.png') for s in 'ab']
    cache = str(root / 'pixdiva_gt_values.json')
    root.chmod(0o555)
    try:
        assert gt_blue_values(paths, cache) == [{1: 960, 8: 320}] * 2
        assert gt_blue_values(paths, cache) == [{1: 960, 8: 320}] * 2
        assert not Path(cache).exists()
    finally:
        root.chmod(0o755)
    assert scanned == paths
    [user_cache] = Path(os.environ['XDG_CACHE_HOME']).rglob(
        'pixdiva_gt_values.json')
    assert sorted(json.loads(user_cache.read_text())['files']) == \
        ['train/gt/a.png', 'train/gt/b.png']


def _hisdb(root, **kwargs):
    return DATASETS.build(dict(
        type='HisDBDataset', data_root=str(root),
        data_prefix=dict(img_path='train/data', seg_map_path='train/gt'),
        pipeline=[], **kwargs))


def test_hisdb_discovery_refuses_blue_zero_naming_the_file(root):
    path = _blue_zero(root)
    with pytest.raises(UnknownLabelValueError) as info:
        _hisdb(root)
    message = str(info.value)
    assert message.startswith(f'{path}: 5 pixels have blue 0, which sets no '
                              'DIVA-HisDB class bit')
    assert 'list 0 in label_values' in message and '\n' not in message
    _blue_zero(root, 'a', pixels=2)
    with pytest.raises(UnknownLabelValueError,
                       match=r'a\.png: 2 pixels have blue 0.*\(and 1 more '
                       'GTs\)'):
        _hisdb(root)


def test_hisdb_blue_zero_listed_explicitly_is_a_class(root):
    _blue_zero(root)
    dataset = _hisdb(root, label_values=[0, 1, 8])
    assert dataset.metainfo['classes'] == ('none', 'background', 'main text')


def test_generic_dataset_keeps_blue_zero_as_a_class(root):
    _blue_zero(root)
    dataset = DATASETS.build(dict(
        type='PairedBlueChannelDataset', data_root=str(root),
        data_prefix=dict(img_path='train/data', seg_map_path='train/gt'),
        pipeline=[]))
    assert dataset.metainfo['label_values'] == (0, 1, 8)


def test_analyze_dataset_hisdb_refuses_blue_zero(root, capsys, monkeypatch):
    monkeypatch.syspath_prepend(str(REPO_ROOT / 'tools'))
    sys.modules.pop('analyze_dataset', None)
    import analyze_dataset
    gt_path = _blue_zero(root)
    for run in range(2):  # computed, then from the statistics cache
        assert analyze_dataset.main([str(root), '--hisdb']) == 2
        err = capsys.readouterr().err
        assert err.startswith(f'error: {gt_path}: 5 pixels have blue 0')
        assert err.count('\n') == 1 and "'none'" not in err
    cached = json.loads((root / 'pixdiva_gt_values.json').read_text())
    assert cached['files']['train/gt/b.png'][2] == {
        '0': 5, '1': 32 * 30, '8': 32 * 10 - 5}
    # Without --hisdb every blue value is a class, 0 included.
    assert analyze_dataset.main([str(root), '--no-cache']) == 0

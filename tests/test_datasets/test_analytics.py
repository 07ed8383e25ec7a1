"""Dataset statistics: exact values, DeepDIVA weights, cache, real pages."""
import json
import os
import sys
import warnings
from pathlib import Path

import cv2
import numpy as np
import pytest

from mmseg_pixdiva.datasets import analytics
from mmseg_pixdiva.datasets.analytics import (DatasetStatisticsError,
                                              class_pixel_counts,
                                              compute_dataset_statistics,
                                              deepdiva_class_weights,
                                              gt_blue_histograms,
                                              load_or_compute_statistics,
                                              mean_std_from_histograms,
                                              scan_blue_values)

REPO_ROOT = Path(__file__).resolve().parents[2]
HISDB_VALUES = [1, 2, 4, 6, 8, 10, 12, 14]
CSG863_COUNTS = {1: 10793906, 2: 2595511, 4: 1306450, 6: 1759, 8: 1697021,
                 10: 6729, 12: 211843, 14: 157}


def _samples_dir() -> Path:
    shared = Path(os.environ.get('PIXDIVA_SHARED',
                                 REPO_ROOT.parent / 'shared'))
    folder = shared / 'data' / 'hisdb-samples'
    if not folder.is_dir():
        pytest.skip(f'real DIVA-HisDB samples not found at {folder} '
                    '(set PIXDIVA_SHARED to the shared folder)')
    return folder


def _write_rgb(path: Path, rgb: np.ndarray) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    assert cv2.imwrite(str(path), np.ascontiguousarray(rgb[..., ::-1]))


def _gt(blue, red):
    blue = np.asarray(blue, np.uint8)
    gt = np.zeros(blue.shape + (3, ), np.uint8)
    gt[..., 2] = blue
    gt[..., 0] = np.asarray(red, np.uint8)
    return gt


# The hand-made training set: 6 pixels over two pages.
# R: all 100 -> mean 100, std 0.
# G: 0, 255 alternating -> mean 127.5, std 127.5.
# B: 10..60 -> mean 35, std sqrt((25^2 + 15^2 + 5^2) * 2 / 6).
PAGE_A = np.array([[[100, 0, 10], [100, 255, 20]],
                   [[100, 0, 30], [100, 255, 40]]], np.uint8)
PAGE_B = np.array([[[100, 0, 50], [100, 255, 60]]], np.uint8)
GT_A = _gt([[1, 2], [8, 8]], [[0, 128], [128, 0]])
GT_B = _gt([[1, 10]], [[0, 0]])


@pytest.fixture
def tiny_root(tmp_path):
    root = tmp_path / 'tiny'
    _write_rgb(root / 'train' / 'data' / 'a.png', PAGE_A)
    _write_rgb(root / 'train' / 'gt' / 'a.png', GT_A)
    _write_rgb(root / 'train' / 'data' / 'b.png', PAGE_B)
    _write_rgb(root / 'train' / 'gt' / 'b.png', GT_B)
    return root


def _pairs(root):
    return [(str(root / 'train' / 'data' / f'{s}.png'),
             str(root / 'train' / 'gt' / f'{s}.png')) for s in 'ab']


def test_mean_std_exact(tiny_root):
    stats = compute_dataset_statistics(_pairs(tiny_root), [1, 2, 8, 10],
                                       progress=False)
    assert stats['num_images'] == 2 and stats['num_pixels'] == 6
    assert stats['mean_rgb'] == [100.0, 127.5, 35.0]
    assert stats['std_rgb'][:2] == [0.0, 127.5]
    assert stats['std_rgb'][2] == pytest.approx(
        ((625 + 225 + 25) / 3)**0.5, rel=1e-12)
    assert stats['mean_bgr'] == [35.0, 127.5, 100.0]
    assert stats['std_bgr'] == stats['std_rgb'][::-1]


def test_class_frequencies_and_weights_exact(tiny_root):
    stats = compute_dataset_statistics(_pairs(tiny_root), [1, 2, 8, 10],
                                       progress=False)
    assert stats['class_pixel_counts'] == [2, 1, 2, 1]
    assert stats['class_frequencies'] == [2 / 6, 1 / 6, 2 / 6, 1 / 6]
    # 1/n = 1/2, 1, 1/2, 1; sum 3.
    assert stats['class_weights'] == pytest.approx([1 / 6, 1 / 3, 1 / 6,
                                                    1 / 3], rel=1e-12)
    assert stats['class_weights_mean_one'] == pytest.approx(
        [2 / 3, 4 / 3, 2 / 3, 4 / 3], rel=1e-12)
    assert stats['boundary_pixels'] == 2
    assert stats['blue_value_counts'] == {'1': 2, '2': 1, '8': 2, '10': 1}


def test_boundary_to_background_and_absent_class(tiny_root):
    with pytest.warns(UserWarning, match=r'\[2\] have no training pixel'):
        stats = compute_dataset_statistics(_pairs(tiny_root), [1, 2, 8, 10],
                                           boundary_to_background=True,
                                           progress=False)
    # The boundary comment pixel and one boundary main-text pixel become
    # background: 1 -> 4, 2 -> 0, 8 -> 1, 10 -> 1.
    assert stats['class_pixel_counts'] == [4, 0, 1, 1]
    assert stats['class_frequencies'] == [4 / 6, 0.0, 1 / 6, 1 / 6]
    # Present classes: 1/4, 1, 1 (sum 9/4); the absent class weighs 0.
    assert stats['class_weights'] == pytest.approx([1 / 9, 0.0, 4 / 9, 4 / 9],
                                                   rel=1e-12)
    assert stats['class_weights_mean_one'] == pytest.approx(
        [1 / 3, 0.0, 4 / 3, 4 / 3], rel=1e-12)


def test_label_values_default_to_the_observed_ones(tiny_root):
    stats = compute_dataset_statistics(_pairs(tiny_root), progress=False)
    assert stats['label_values'] == [1, 2, 8, 10]
    assert stats['background_value'] == 1
    assert scan_blue_values([p[1] for p in _pairs(tiny_root)]) == {
        1: 2, 2: 1, 8: 2, 10: 1}


def test_pure_helpers():
    hist = gt_blue_histograms(GT_A)
    assert hist.shape == (2, 256)
    assert hist[0, [1, 8]].tolist() == [1, 1]
    assert hist[1, [2, 8]].tolist() == [1, 1]
    assert class_pixel_counts(hist, [8, 1, 2], True, background_value=1) \
        == [1, 3, 0]
    assert deepdiva_class_weights([1, 3, 0]) == pytest.approx([0.75, 0.25,
                                                               0.0])
    with pytest.raises(ValueError, match='no class'):
        deepdiva_class_weights([0, 0])
    # Large counts: the integer histogram stays exact.
    big = np.zeros((1, 256), np.int64)
    big[0, 0] = big[0, 255] = 10**12
    mean, std = mean_std_from_histograms(big)
    assert mean == [127.5] and std == [127.5]


def test_histograms_exact_beyond_float32_range(monkeypatch):
    # OpenCV counts in float32; force tiny blocks to check the summing.
    monkeypatch.setattr(analytics, '_HIST_BLOCK_PIXELS', 7)
    image = np.arange(60, dtype=np.uint8).reshape(5, 4, 3)
    hist = analytics.image_channel_histograms(image)
    for c in range(3):
        np.testing.assert_array_equal(
            hist[c], np.bincount(image[..., c].ravel(), minlength=256))


def test_errors_name_the_file(tiny_root):
    pairs = _pairs(tiny_root)
    with pytest.raises(DatasetStatisticsError,
                       match=r'b\.png: blue values not in the class list '
                       r'\[1, 2, 8\]: blue=10 \(1 pixels\)'):
        compute_dataset_statistics(pairs, [1, 2, 8], progress=False)
    broken = tiny_root / 'train' / 'gt' / 'a.png'
    broken.write_bytes(b'not a png')
    with pytest.raises(ValueError, match=r'a\.png: cannot read '
                       'the GT'):
        compute_dataset_statistics(pairs, progress=False)
    (tiny_root / 'train' / 'data' / 'b.png').write_bytes(b'')
    with pytest.raises(ValueError, match=r'b\.png: empty file \(0 bytes\)'):
        compute_dataset_statistics(pairs[1:], progress=False)
    (tiny_root / 'train' / 'data' / 'b.png').write_bytes(b'\x00\x01 junk')
    with pytest.raises(DatasetStatisticsError, match=r'b\.png: cannot decode '
                       'the image'):
        compute_dataset_statistics(pairs[1:], progress=False)
    _write_rgb(tiny_root / 'train' / 'data' / 'b.png', PAGE_A)
    with pytest.raises(DatasetStatisticsError, match=r'b\.png is 2x2 but its '
                       r'GT .*b\.png is 2x1'):
        compute_dataset_statistics(pairs[1:], progress=False)


def test_pairing_errors(tiny_root):
    (tiny_root / 'train' / 'gt' / 'b.png').unlink()
    with pytest.raises(ValueError, match=r'b\.png has no GT'):
        load_or_compute_statistics(str(tiny_root), progress=False)
    with pytest.raises(ValueError, match='does not exist'):
        load_or_compute_statistics(str(tiny_root), img_dir='val/data',
                                   gt_dir='val/gt', progress=False)


def test_cache_roundtrip_and_invalidation(tiny_root):
    root = str(tiny_root)
    cache = tiny_root / 'pixdiva_statistics.json'
    first = load_or_compute_statistics(root, label_values=[1, 2, 8, 10],
                                       progress=False)
    assert first['cached'] is False and cache.is_file()
    again = load_or_compute_statistics(root, label_values=[1, 2, 8, 10],
                                       progress=False)
    assert again['cached'] is True
    assert {k: v for k, v in again.items() if k != 'cached'} == \
        {k: v for k, v in first.items() if k != 'cached'}
    # Other options: computed and cached beside the first result.
    with pytest.warns(UserWarning):
        b2b = load_or_compute_statistics(root, label_values=[1, 2, 8, 10],
                                         boundary_to_background=True,
                                         progress=False)
    assert b2b['cached'] is False and b2b['class_pixel_counts'] == [4, 0, 1,
                                                                    1]
    assert len(json.loads(cache.read_text())['entries']) == 2
    assert load_or_compute_statistics(
        root, label_values=[1, 2, 8, 10], progress=False)['cached'] is True
    # A changed GT (same name): recomputed with the new numbers.
    _write_rgb(tiny_root / 'train' / 'gt' / 'b.png', _gt([[8, 10]],
                                                         [[0, 0]]))
    changed = load_or_compute_statistics(root, label_values=[1, 2, 8, 10],
                                         progress=False)
    assert changed['cached'] is False
    assert changed['class_pixel_counts'] == [1, 1, 3, 1]
    # A new page: recomputed.
    _write_rgb(tiny_root / 'train' / 'data' / 'c.png', PAGE_B)
    _write_rgb(tiny_root / 'train' / 'gt' / 'c.png', GT_B)
    grown = load_or_compute_statistics(root, label_values=[1, 2, 8, 10],
                                       progress=False)
    assert grown['cached'] is False and grown['num_images'] == 3
    # A corrupt cache: a warning, then recomputed and rewritten.
    cache.write_text('{ not json')
    with pytest.warns(UserWarning, match='unreadable statistics cache'):
        fresh = load_or_compute_statistics(root, label_values=[1, 2, 8, 10],
                                           progress=False)
    assert fresh['cached'] is False
    assert json.loads(cache.read_text())['version'] == 1


def test_read_only_data_root_falls_back(tiny_root, monkeypatch):
    import mmseg_pixdiva.utils.atomic as atomic

    def refuse(path, text):
        raise PermissionError(13, 'Permission denied', str(path))

    with monkeypatch.context() as patched:
        patched.setattr(atomic, 'atomic_write_text', refuse)
        with pytest.warns(UserWarning,
                          match='could not cache the statistics'):
            stats = load_or_compute_statistics(str(tiny_root),
                                               progress=False)
    assert stats['cached'] is False and stats['num_pixels'] == 6
    assert not (tiny_root / 'pixdiva_statistics.json').exists()
    # A folder without write permission is read-only by intent (a shared
    # dataset): nothing written there, no warning, even for root; the
    # cache goes to the user's cache folder, so the next call reads it.
    tiny_root.chmod(0o555)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter('error')
            stats = load_or_compute_statistics(str(tiny_root),
                                               progress=False)
            again = load_or_compute_statistics(str(tiny_root),
                                               progress=False)
        assert stats['cached'] is False and again['cached'] is True
        assert again['num_pixels'] == 6
        assert not (tiny_root / 'pixdiva_statistics.json').exists()
        user_caches = list(Path(os.environ['XDG_CACHE_HOME']).rglob(
            'pixdiva_statistics.json'))
        assert len(user_caches) == 1
    finally:
        tiny_root.chmod(0o755)
    with warnings.catch_warnings():
        warnings.simplefilter('error')
        load_or_compute_statistics(str(tiny_root), use_cache=False,
                                   progress=False)


@pytest.fixture
def analyze_dataset(monkeypatch):
    """``tools/analyze_dataset.py`` as a module."""
    monkeypatch.syspath_prepend(str(REPO_ROOT / 'tools'))
    sys.modules.pop('analyze_dataset', None)
    import analyze_dataset
    return analyze_dataset


def test_analyze_dataset_tool(analyze_dataset, tiny_root, tmp_path, capsys):
    out = tmp_path / 'stats.json'
    assert analyze_dataset.main([str(tiny_root), '--label-values', '1', '2',
                                 '8', '10', '--out', str(out)]) == 0
    printed = capsys.readouterr().out
    assert '| G | 127.500 | 127.500 |' in printed
    assert '| blue=10 | 10 | 1 | 0.166667 | 0.333333 | 1.33333 |' in printed
    assert json.loads(out.read_text())['class_pixel_counts'] == [2, 1, 2, 1]
    with pytest.warns(UserWarning):
        assert analyze_dataset.main([str(tiny_root), '--hisdb',
                                     '--no-cache']) == 0
    printed = capsys.readouterr().out
    assert '| comment+main text | 10 | 1 |' in printed
    assert '| background | 1 | 4 |' in printed
    assert analyze_dataset.main([str(tiny_root), '--split', 'val']) == 2
    assert 'does not exist' in capsys.readouterr().err
    # Label values a blue channel cannot hold, or repeated ones (which
    # would count pixels twice), are named instead of giving wrong counts.
    for values, message in ((['1', '1', '2', '8'], 'repeats'),
                            (['-255', '1', '2', '8'], 'outside 0..255'),
                            (['1', '2', '8', '300'], 'outside 0..255')):
        assert analyze_dataset.main([str(tiny_root), '--no-cache',
                                     '--label-values', *values]) == 2
        assert message in capsys.readouterr().err
    # An output path that cannot be written: a named error, status 2.
    assert analyze_dataset.main([str(tiny_root), '--no-cache', '--out',
                                 str(out / 'not_a_folder' / 'x.json')]) == 2
    assert 'cannot write the statistics' in capsys.readouterr().err


def _file_bytes(folder: Path) -> dict:
    return {p: p.read_bytes() for p in sorted(folder.rglob('*'))
            if p.is_file()}


@pytest.mark.parametrize('target, named', [
    ('tiny/val/gt/a.png', 'the val/gt file'),  # another split's GT
    ('tiny/val/data/a.png', 'the val/data file'),
    ('tiny/synthetic_manifest.json', 'the synthetic dataset manifest'),
    ('tiny/pixdiva_gt_values.json', 'the GT values cache'),  # not there
    ('tiny/pixdiva_statistics.json', 'the statistics cache'),
    ('tiny/train/gt/stats.json', 'lies in the train/gt folder'),
    ('notes.json', 'was not written by tools/analyze_dataset.py'),
])
def test_analyze_dataset_out_refuses_files_it_did_not_write(
        analyze_dataset, tiny_root, tmp_path, capsys, target, named):
    _write_rgb(tiny_root / 'val' / 'data' / 'a.png', PAGE_B)
    _write_rgb(tiny_root / 'val' / 'gt' / 'a.png', GT_B)
    (tiny_root / 'synthetic_manifest.json').write_text('{"params": {}}')
    (tmp_path / 'notes.json').write_text('{"my": "notes"}')
    before = _file_bytes(tmp_path)
    out = tmp_path / target
    assert analyze_dataset.main([str(tiny_root), '--hisdb', '--no-cache',
                                 '--out', str(out)]) == 2
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1 and err[0].startswith(f'error: {out}: '), err
    assert named in err[0]
    assert _file_bytes(tmp_path) == before


def test_analyze_dataset_replaces_only_its_own_files(
        analyze_dataset, tiny_root, tmp_path, capsys):
    warnings.simplefilter('ignore')  # a class without pixels
    out = tmp_path / 'stats.json'
    for _ in range(2):  # the second run replaces the first one's output
        assert analyze_dataset.main([str(tiny_root), '--hisdb', '--out',
                                     str(out)]) == 0
    assert json.loads(out.read_text())['written_by'] == \
        'tools/analyze_dataset.py'
    # A file of the user's under the cache's name is no cache: kept.
    cache = tiny_root / 'pixdiva_statistics.json'
    cache.write_text('my own statistics')
    capsys.readouterr()
    assert analyze_dataset.main([str(tiny_root), '--hisdb']) == 2
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1 and err[0].startswith(f'error: {cache}: '), err
    assert cache.read_text() == 'my own statistics'
    assert analyze_dataset.main([str(tiny_root), '--hisdb',
                                 '--no-cache']) == 0
    assert cache.read_text() == 'my own statistics'


def test_real_csg863_class_frequencies():
    folder = _samples_dir() / 'csg863'
    image_path = folder / 'e-codices_csg-0863_004_max.jpg'
    gt_path = folder / 'e-codices_csg-0863_004_max.png'
    stats = compute_dataset_statistics([(str(image_path), str(gt_path))],
                                       HISDB_VALUES, progress=False)
    assert stats['class_pixel_counts'] == [CSG863_COUNTS[v]
                                           for v in HISDB_VALUES]
    total = 4992 * 3328
    assert stats['num_pixels'] == total
    assert stats['class_frequencies'] == [CSG863_COUNTS[v] / total
                                          for v in HISDB_VALUES]
    # Boundary to background, computed independently from the raw GT.
    gt = cv2.imread(str(gt_path), cv2.IMREAD_UNCHANGED)  # BGR
    blue, red = gt[..., 0], gt[..., 2]
    boundary = red >= 128
    expected = [int(np.count_nonzero((blue == v) & ~boundary))
                for v in HISDB_VALUES]
    expected[0] += int(np.count_nonzero(boundary))
    b2b = compute_dataset_statistics([(str(image_path), str(gt_path))],
                                     HISDB_VALUES,
                                     boundary_to_background=True,
                                     progress=False)
    assert b2b['class_pixel_counts'] == expected
    assert sum(expected) == total
    assert b2b['boundary_pixels'] == int(np.count_nonzero(boundary))
    inverse = [1 / n for n in expected]
    assert b2b['class_weights'] == pytest.approx(
        [w / sum(inverse) for w in inverse], rel=1e-12)
    # The mean, independently (integer sums of the decoded scan).
    image = cv2.imread(str(image_path), cv2.IMREAD_COLOR)
    sums = image.reshape(-1, 3).sum(axis=0, dtype=np.int64)[::-1]
    assert b2b['mean_rgb'] == pytest.approx((sums / total).tolist(),
                                            rel=1e-12)

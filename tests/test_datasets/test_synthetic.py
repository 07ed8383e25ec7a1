"""Synthetic DIVA-HisDB pages: determinism, exact encoding, layout on disk."""
import hashlib
import json
import os
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

from mmseg_pixdiva.datasets.synthetic import (BACKGROUND, BOUNDARY_RED,
                                              COMMENT, DECORATION,
                                              MANIFEST_NAME, MAIN_TEXT,
                                              SYNTHETIC_LABEL_VALUES,
                                              ground_truth_from_ink,
                                              make_synthetic_page, page_seed,
                                              write_synthetic_dataset)
from mmseg_pixdiva.utils.atomic import atomic_write_bytes

REPO_ROOT = Path(__file__).resolve().parents[2]
FOUR_NEIGHBOURS = np.array([[0, 1, 0], [1, 1, 1], [0, 1, 0]], np.uint8)


def _read_rgb(path):
    image = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    assert image is not None, path
    return image[..., ::-1]


@pytest.fixture
def make_synthetic_hisdb(monkeypatch):
    """``tools/make_synthetic_hisdb.py`` as a module."""
    monkeypatch.syspath_prepend(str(REPO_ROOT / 'tools'))
    sys.modules.pop('make_synthetic_hisdb', None)
    import make_synthetic_hisdb
    return make_synthetic_hisdb


@pytest.fixture(scope='module')
def pages():
    return [make_synthetic_page(seed, 256, 192) for seed in range(6)]


def test_same_seed_same_page_other_seed_other_page():
    image_a, gt_a = make_synthetic_page(7, 160, 120)
    image_b, gt_b = make_synthetic_page(7, 160, 120)
    image_c, gt_c = make_synthetic_page(8, 160, 120)
    assert image_a.shape == gt_a.shape == (160, 120, 3)
    assert image_a.dtype == gt_a.dtype == np.uint8
    np.testing.assert_array_equal(image_a, image_b)
    np.testing.assert_array_equal(gt_a, gt_b)
    assert (image_a != image_c).mean() > 0.5
    assert (gt_a != gt_c).any()


def test_gt_uses_exact_hisdb_encoding(pages):
    for _, gt in pages:
        blue, green, red = gt[..., 2], gt[..., 1], gt[..., 0]
        assert set(np.unique(blue).tolist()) <= set(SYNTHETIC_LABEL_VALUES)
        assert set(np.unique(red).tolist()) <= {0, BOUNDARY_RED}
        assert not green.any()
        # As in the real GT: boundary only on labelled (foreground) pixels.
        assert not (red[blue == BACKGROUND]).any()
        assert (red == BOUNDARY_RED).any()


def test_boundary_is_the_outline_around_the_ink(pages):
    for image, gt in pages:
        foreground = gt[..., 2] != BACKGROUND
        boundary = gt[..., 0] == BOUNDARY_RED
        ink = foreground & ~boundary
        # The ink never touches the background: every foreground pixel
        # next to background lies on the boundary (the outer side).
        near_background = cv2.dilate((~foreground).astype(np.uint8),
                                     FOUR_NEIGHBOURS).astype(bool)
        assert not (ink & near_background).any()
        # Boundary pixels hug the strokes: a few pixels from the ink.
        distance = cv2.distanceTransform((~ink).astype(np.uint8),
                                         cv2.DIST_L2, 5)
        assert distance[boundary].max() <= 12
        assert np.median(distance[boundary]) <= 3
        # The ink label marks the dark strokes of the image (the median
        # background pixel is parchment, not the dark scanner surround).
        grey = image.astype(np.float64).mean(axis=2)
        assert grey[ink].mean() < np.median(grey[~foreground]) - 40


def test_every_page_has_every_class_and_overlap(pages):
    # Every page holds all eight values, so train/val/test of a dataset
    # share one class list (single bits and the overlaps 0x06, 0x0A, 0x0C,
    # 0x0E, as in the real data).
    assert SYNTHETIC_LABEL_VALUES == (1, 2, 4, 6, 8, 10, 12, 14)
    for _, gt in pages:
        assert np.unique(gt[..., 2]).tolist() == list(SYNTHETIC_LABEL_VALUES)
    counts = np.bincount(pages[0][1][..., 2].ravel(), minlength=16)
    assert counts[BACKGROUND] > 0.5 * counts.sum()
    assert counts[COMMENT | MAIN_TEXT] > 0 and counts[
        COMMENT | DECORATION | MAIN_TEXT] > 0


def test_ground_truth_from_ink_by_hand():
    main = np.zeros((9, 9), bool)
    main[3:6, 2:5] = True  # a 3x3 stroke
    comment = np.zeros((9, 9), bool)
    comment[3:6, 6] = True  # a vertical comment stroke two pixels right
    # scale 5: gap filling radius round(2.5)=2 (a 5x3 ellipse; the strokes
    # belong to different classes, so nothing is bridged), halo 1 (a 3x3
    # cross).
    gt = ground_truth_from_ink({MAIN_TEXT: main, COMMENT: comment},
                               {MAIN_TEXT: 5.0, COMMENT: 5.0})
    cross = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (3, 3))
    main_region = cv2.dilate(main.astype(np.uint8), cross).astype(bool)
    comment_region = cv2.dilate(comment.astype(np.uint8), cross).astype(bool)
    expected_blue = np.full((9, 9), BACKGROUND, np.uint8)
    expected_blue[main_region] = MAIN_TEXT
    expected_blue[comment_region] = COMMENT
    expected_blue[main_region & comment_region] = MAIN_TEXT | COMMENT
    np.testing.assert_array_equal(gt[..., 2], expected_blue)
    expected_red = np.where((main_region | comment_region) & ~main
                            & ~comment, BOUNDARY_RED, 0)
    np.testing.assert_array_equal(gt[..., 0], expected_red)
    assert not gt[..., 1].any()
    # Column 5 lies in both halos: comment+main text, boundary.
    assert gt[4, 5, 2] == 0x0A and gt[4, 5, 0] == BOUNDARY_RED


def test_gap_inside_a_word_is_filled_but_ink_stays_ink():
    ink = np.zeros((11, 20), bool)
    ink[4:7, 3:6] = True
    ink[4:7, 8:11] = True  # two letters two pixels apart
    gt = ground_truth_from_ink({MAIN_TEXT: ink}, {MAIN_TEXT: 6.0})
    # The gap between the letters is labelled (boundary), as in the real
    # GT's word polygons.
    assert (gt[5, 6:8, 2] == MAIN_TEXT).all()
    assert (gt[5, 6:8, 0] == BOUNDARY_RED).all()
    assert (gt[ink][:, 0] == 0).all() and (gt[ink][:, 2] == MAIN_TEXT).all()


def test_rejects_tiny_pages():
    with pytest.raises(ValueError, match='at least 32x32'):
        make_synthetic_page(0, 16, 64)


def test_dataset_layout_and_content(tmp_path):
    root = tmp_path / 'synthetic'
    stems = write_synthetic_dataset(root, n_train=2, n_val=1, n_test=1,
                                    height=64, width=48, seed=3,
                                    test_height=96, test_width=72,
                                    progress=False)
    assert stems == dict(train=['train_000', 'train_001'], val=['val_000'],
                         test=['test_000'])
    for split, names in stems.items():
        data = sorted(os.listdir(root / split / 'data'))
        gts = sorted(os.listdir(root / split / 'gt'))
        assert data == [f'{n}.jpg' for n in names]
        assert gts == [f'{n}.png' for n in names]
    size = dict(train=(64, 48), val=(64, 48), test=(96, 72))
    for split, names in stems.items():
        for i, name in enumerate(names):
            image, gt = make_synthetic_page(page_seed(3, split, i),
                                            *size[split])
            np.testing.assert_array_equal(
                _read_rgb(root / split / 'gt' / f'{name}.png'), gt)
            jpeg = _read_rgb(root / split / 'data' / f'{name}.jpg')
            assert jpeg.shape == image.shape
            assert np.abs(jpeg.astype(int) - image).mean() < 4
    manifest = json.loads((root / MANIFEST_NAME).read_text())
    assert manifest['complete'] is True
    assert manifest['params']['seed'] == 3
    assert not [p for p in root.rglob('*') if '.tmp' in p.name]


def test_png_images_are_exact(tmp_path):
    write_synthetic_dataset(tmp_path, 1, 0, 0, 48, 40, seed=1,
                            image_suffix='.png', progress=False)
    image, _ = make_synthetic_page(page_seed(1, 'train', 0), 48, 40)
    np.testing.assert_array_equal(
        _read_rgb(tmp_path / 'train' / 'data' / 'train_000.png'), image)


def test_existing_dataset_is_protected(tmp_path):
    root = tmp_path / 'data'
    root.mkdir()
    foreign = root / 'my_notes.txt'
    foreign.write_text('keep me')
    with pytest.raises(FileExistsError, match='overwrite'):
        write_synthetic_dataset(root, 1, 1, 1, 48, 40, progress=False)
    assert foreign.read_text() == 'keep me'
    assert sorted(os.listdir(root)) == ['my_notes.txt']

    other = tmp_path / 'synthetic'
    write_synthetic_dataset(other, 2, 1, 1, 48, 40, seed=0, progress=False)
    gt_file = other / 'train' / 'gt' / 'train_000.png'
    before = gt_file.stat().st_mtime_ns
    # Same parameters: nothing to do, nothing rewritten.
    write_synthetic_dataset(other, 2, 1, 1, 48, 40, seed=0, progress=False)
    assert gt_file.stat().st_mtime_ns == before
    # A deleted page of the same dataset is written again.
    gt_file.unlink()
    write_synthetic_dataset(other, 2, 1, 1, 48, 40, seed=0, progress=False)
    assert gt_file.is_file()
    # Other parameters: refused, files untouched.
    with pytest.raises(FileExistsError, match='other parameters'):
        write_synthetic_dataset(other, 1, 1, 1, 48, 40, seed=1,
                                progress=False)
    assert (other / 'train' / 'gt' / 'train_001.png').is_file()
    # Asked to overwrite: the new dataset only, no stale page left.
    write_synthetic_dataset(other, 1, 1, 1, 48, 40, seed=1, overwrite=True,
                            progress=False)
    assert sorted(os.listdir(other / 'train' / 'gt')) == ['train_000.png']
    assert sorted(os.listdir(other / 'train' / 'data')) == ['train_000.jpg']
    _, gt = make_synthetic_page(page_seed(1, 'train', 0), 48, 40)
    np.testing.assert_array_equal(_read_rgb(gt_file), gt)


@pytest.mark.parametrize('kwargs, message', [
    (dict(height=0, width=10), r'height \(--height\) must be at least 32'),
    (dict(width=31), r'width \(--width\) must be at least 32'),
    (dict(test_height=0), r'test_height \(--test-height\) .* got 0'),
    (dict(test_width=20), r'test_width \(--test-width\) .* got 20'),
    (dict(n_val=-1), 'number of val pages must be >= 0, got -1'),
    (dict(seed=-1), r'seed \(--seed\) must be >= 0, got -1'),
    (dict(n_train=1.5), r'n_train \(--train\) must be an integer'),
    (dict(image_suffix='.gif'), 'image_suffix'),
])
def test_bad_parameters_write_nothing(tmp_path, kwargs, message):
    root = tmp_path / 'synthetic'
    params = dict(n_train=1, n_val=0, n_test=0, height=48, width=40,
                  progress=False)
    params.update(kwargs)
    with pytest.raises(ValueError, match=message):
        write_synthetic_dataset(root, **params)
    assert not root.exists()


def test_bad_parameters_keep_an_existing_dataset(tmp_path):
    root = tmp_path / 'synthetic'
    write_synthetic_dataset(root, 1, 0, 0, 48, 40, progress=False)
    manifest = (root / MANIFEST_NAME).read_text()
    with pytest.raises(ValueError, match='at least 32'):
        write_synthetic_dataset(root, 1, 0, 0, 0, 40, overwrite=True,
                                progress=False)
    assert (root / MANIFEST_NAME).read_text() == manifest
    assert (root / 'train' / 'gt' / 'train_000.png').is_file()


def test_root_that_is_a_file_is_refused(tmp_path):
    root = tmp_path / 'notes.txt'
    root.write_text('keep me')
    with pytest.raises(FileExistsError, match='notes.txt is a file'):
        write_synthetic_dataset(root, 1, 0, 0, 48, 40, progress=False)
    assert root.read_text() == 'keep me'


def test_tool_rejects_bad_size_then_accepts_the_corrected_command(
        tmp_path, capsys, make_synthetic_hisdb):
    root = tmp_path / 'syn'
    common = [str(root), '--train', '1', '--val', '0', '--test', '0',
              '--no-progress']
    assert make_synthetic_hisdb.main(
        common + ['--height', '0', '--width', '10']) == 2
    assert 'height (--height) must be at least 32' in capsys.readouterr().err
    assert not root.exists()
    assert make_synthetic_hisdb.main(
        common + ['--height', '48', '--width', '40']) == 0
    assert (root / 'train' / 'gt' / 'train_000.png').is_file()


def test_make_synthetic_hisdb_tool(tmp_path, capsys, make_synthetic_hisdb):
    root = tmp_path / 'synthetic'
    args = [str(root), '--train', '1', '--val', '1', '--test', '1',
            '--height', '48', '--width', '40', '--test-height', '64',
            '--test-width', '48', '--seed', '5', '--no-progress']
    assert make_synthetic_hisdb.main(args) == 0
    assert '1 train, 1 val, 1 test' in capsys.readouterr().out
    assert _read_rgb(root / 'test' / 'gt' / 'test_000.png').shape == (64, 48,
                                                                       3)
    # Other parameters without --overwrite: a clear error, exit code 2.
    assert make_synthetic_hisdb.main(args[:-2] + ['6', '--no-progress']) == 2
    assert 'overwrite' in capsys.readouterr().err
    assert make_synthetic_hisdb.main(
        args[:-2] + ['6', '--no-progress', '--overwrite']) == 0


def test_overwrite_deletes_only_the_generators_own_files(tmp_path):
    root = tmp_path / 'synthetic'
    write_synthetic_dataset(root, 2, 1, 0, 48, 40, seed=0, progress=False)
    mine = root / 'train' / 'data' / 'my_scan.jpg'
    mine.write_bytes(b'the user\'s own scan')
    notes = root / 'notes.txt'
    notes.write_text('keep me')
    with pytest.raises(FileExistsError) as error:
        write_synthetic_dataset(root, 1, 1, 0, 48, 40, seed=1,
                                overwrite=True, progress=False)
    assert f'1 other file(s) ({mine})' in str(error.value)
    assert mine.read_bytes() == b'the user\'s own scan'
    assert (root / 'train' / 'gt' / 'train_001.png').is_file()  # untouched
    mine.unlink()
    write_synthetic_dataset(root, 1, 1, 0, 48, 40, seed=1, overwrite=True,
                            progress=False)
    assert notes.read_text() == 'keep me'  # outside the split folders
    assert sorted(os.listdir(root / 'train' / 'gt')) == ['train_000.png']
    # Without a manifest nothing is known to be the generator's: refused.
    (root / MANIFEST_NAME).unlink()
    with pytest.raises(FileExistsError, match='4 other file'):
        write_synthetic_dataset(root, 1, 0, 0, 48, 40, seed=2,
                                overwrite=True, progress=False)
    assert len(list(root.rglob('*.png'))) == 2


def _file_bytes(folder: Path) -> dict:
    return {p: p.read_bytes() for p in sorted(folder.rglob('*'))
            if p.is_file()}


def test_manifest_lists_every_file_with_its_content(tmp_path):
    root = tmp_path / 'synthetic'
    write_synthetic_dataset(root, 2, 1, 1, 48, 40, progress=False)
    files = json.loads((root / MANIFEST_NAME).read_text())['files']
    written = sorted(p.relative_to(root).as_posix()
                     for p in root.glob('*/*/*'))
    assert sorted(files) == written and len(written) == 8
    for name, signature in files.items():
        data = (root / name).read_bytes()
        assert signature == dict(size=len(data),
                                 sha256=hashlib.sha256(data).hexdigest())


def test_overwrite_keeps_a_file_of_yours_under_a_page_name(
        tmp_path, capsys, make_synthetic_hisdb):
    root = tmp_path / 'synthetic'
    common = [str(root), '--val', '1', '--test', '0', '--height', '48',
              '--width', '40', '--no-progress']
    assert make_synthetic_hisdb.main(common + ['--train', '2']) == 0
    mine = root / 'train' / 'gt' / 'train_001.png'
    mine.write_bytes(b'my own GT, not a page of the generator')
    before = _file_bytes(tmp_path)
    capsys.readouterr()
    assert make_synthetic_hisdb.main(
        common + ['--train', '1', '--overwrite']) == 2
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1 and f'1 other file(s) ({mine})' in err[0], err
    assert _file_bytes(tmp_path) == before  # nothing deleted or written
    # Moved away, the same command replaces the dataset.
    mine.rename(tmp_path / 'mine.png')
    assert make_synthetic_hisdb.main(
        common + ['--train', '1', '--overwrite']) == 0
    assert sorted(os.listdir(root / 'train' / 'gt')) == ['train_000.png']
    assert (tmp_path / 'mine.png').read_bytes() == before[mine]


def test_completing_keeps_a_file_of_yours_under_a_page_name(tmp_path):
    root = tmp_path / 'synthetic'
    write_synthetic_dataset(root, 2, 0, 0, 48, 40, progress=False)
    (root / 'train' / 'data' / 'train_001.jpg').unlink()  # to be redone
    mine = root / 'train' / 'gt' / 'train_001.png'
    mine.write_bytes(b'mine')
    with pytest.raises(FileExistsError, match=f'replaces only .*{mine}'):
        write_synthetic_dataset(root, 2, 0, 0, 48, 40, progress=False)
    assert mine.read_bytes() == b'mine'
    assert not (root / 'train' / 'data' / 'train_001.jpg').exists()


def test_a_stopped_run_leaves_only_listed_files(tmp_path, monkeypatch):
    from mmseg_pixdiva.datasets import synthetic
    root = tmp_path / 'synthetic'
    writes = []

    def stop_at_the_third(path, data):
        writes.append(path)
        if len(writes) == 3:
            raise KeyboardInterrupt
        atomic_write_bytes(path, data)

    with monkeypatch.context() as patched:
        patched.setattr(synthetic, 'atomic_write_bytes', stop_at_the_third)
        with pytest.raises(KeyboardInterrupt):
            write_synthetic_dataset(root, 3, 0, 0, 48, 40, progress=False)
    # The second page is listed but not written: the same call completes
    # the dataset, and --overwrite knows every file as its own.
    write_synthetic_dataset(root, 3, 0, 0, 48, 40, progress=False)
    assert len(list(root.rglob('*.png'))) == 3
    write_synthetic_dataset(root, 1, 0, 0, 48, 40, seed=1, overwrite=True,
                            progress=False)
    assert len(list(root.rglob('*.png'))) == 1


def test_a_manifest_without_the_file_list_is_refused(tmp_path):
    root = tmp_path / 'synthetic'
    write_synthetic_dataset(root, 2, 0, 0, 48, 40, progress=False)
    manifest = json.loads((root / MANIFEST_NAME).read_text())
    del manifest['files']  # as the generator's first version wrote it
    (root / MANIFEST_NAME).write_text(json.dumps(manifest))
    before = _file_bytes(tmp_path)
    with pytest.raises(FileExistsError, match='older version .* delete'):
        write_synthetic_dataset(root, 1, 0, 0, 48, 40, overwrite=True,
                                progress=False)
    # The same parameters: nothing to write, nothing refused.
    write_synthetic_dataset(root, 2, 0, 0, 48, 40, progress=False)
    assert _file_bytes(tmp_path) == before
    # A page to write again: its partner file cannot be told from yours.
    (root / 'train' / 'data' / 'train_001.jpg').unlink()
    with pytest.raises(FileExistsError, match='older version'):
        write_synthetic_dataset(root, 2, 0, 0, 48, 40, progress=False)


def test_root_below_a_file_and_pages_too_large_are_named(tmp_path):
    (tmp_path / 'afile').write_text('x')
    with pytest.raises(FileExistsError, match='afile is a file, so the '
                       'dataset root'):
        write_synthetic_dataset(tmp_path / 'afile' / 'root', 1, 0, 0, 48,
                                40, progress=False)
    with pytest.raises(ValueError, match=r'a train page of 1000000x1000000 '
                       r'\(WxH\) needs about .* GiB of memory to draw'):
        write_synthetic_dataset(tmp_path / 'big', 1, 0, 0, 10**6, 10**6,
                                progress=False)
    assert not (tmp_path / 'big').exists()

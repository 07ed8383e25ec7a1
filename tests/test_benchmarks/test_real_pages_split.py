"""The real-page benchmark's split: bands that tile the page, a builder whose
parts reassemble into the source page, and the old-GT clean-up."""
import os
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

BENCHMARKS = Path(__file__).resolve().parents[2] / 'benchmarks'
sys.path.insert(0, str(BENCHMARKS))

from real_pages_split import (SPLITS, clear_background_boundary,  # noqa
                              cut_rows, split_rows)

from mmseg_pixdiva.evaluation.layout_analysis import evaluate_layout  # noqa


def assert_tiles(rows, height):
    """Bands in order, non-empty, touching, covering 0..height."""
    assert list(rows) == list(SPLITS)
    bands = [rows[s] for s in SPLITS]
    assert bands[0][0] == 0 and bands[-1][1] == height
    for (start, stop), (next_start, _) in zip(bands, bands[1:]):
        assert start < stop == next_start
    covered = np.zeros(height, dtype=int)
    for start, stop in bands:
        covered[start:stop] += 1
    assert (covered == 1).all()  # no overlap, no gap


@pytest.mark.parametrize('height', [3, 12, 100, 649, 4992, 6496, 10007])
@pytest.mark.parametrize('fractions', [(1 / 3, 1 / 12), (0.25, 0.25),
                                       (0.5, 0.01)])
def test_bands_tile_the_page(height, fractions):
    test_fraction, val_fraction = fractions
    try:
        rows = split_rows(height, test_fraction, val_fraction)
    except ValueError:
        # Only when a band would be empty.
        assert round(height * val_fraction) < 1 or \
            height - round(height * test_fraction) - \
            round(height * val_fraction) < 1
        return
    assert_tiles(rows, height)
    assert rows['test'][1] - rows['test'][0] == round(height * test_fraction)


def test_real_page_bands():
    # The bottom thirds the issue names: 4872x2165 and 3328x1664.
    assert split_rows(6496) == dict(train=(0, 3790), val=(3790, 4331),
                                    test=(4331, 6496))
    assert split_rows(4992) == dict(train=(0, 2912), val=(2912, 3328),
                                    test=(3328, 4992))


@pytest.mark.parametrize('height', [0, 1, 2])
def test_too_small_page_is_refused(height):
    with pytest.raises(ValueError, match='band would be empty'):
        split_rows(height)


def test_cut_rows_reassembles_and_checks_bounds():
    image = np.arange(50 * 4 * 3, dtype=np.uint8).reshape(50, 4, 3)
    rows = split_rows(50)
    parts = [cut_rows(image, rows[s]) for s in SPLITS]
    np.testing.assert_array_equal(np.concatenate(parts), image)
    with pytest.raises(ValueError, match='not inside'):
        cut_rows(image, (40, 51))


def old_style_gt(seed=0, size=(60, 80)):
    """A GT with boundary flags on background (old) and foreground (new)."""
    rng = np.random.default_rng(seed)
    gt = np.zeros(size + (3, ), dtype=np.uint8)
    gt[..., 2] = rng.choice([1, 2, 4, 6, 8, 10, 12, 14], size=size,
                            p=[.5, .1, .1, .05, .1, .05, .05, .05])
    gt[..., 0] = np.where(rng.random(size) < 0.3, 128, 0)
    return gt, rng


def test_clear_background_boundary_values():
    gt, _ = old_style_gt()
    cleaned = clear_background_boundary(gt)
    background = gt[..., 2] == 1
    assert (cleaned[..., 0][background] == 0).all()
    np.testing.assert_array_equal(cleaned[~background], gt[~background])
    np.testing.assert_array_equal(cleaned[..., 1:], gt[..., 1:])
    assert (gt[..., 0][background] == 128).any()  # input untouched
    with pytest.raises(ValueError, match='RGB'):
        clear_background_boundary(gt[..., 0])


def test_clearing_background_boundary_changes_no_score():
    gt, rng = old_style_gt(seed=1)
    for _ in range(3):
        pred = rng.choice([1, 2, 4, 8, 10, 12], size=gt.shape[:2]).astype(
            np.uint8)
        raw = evaluate_layout(gt, pred)
        cleaned = evaluate_layout(clear_background_boundary(gt), pred)
        for key in ('exact_match', 'mean_iu', 'fw_iu', 'mean_f1'):
            assert raw[key] == pytest.approx(cleaned[key], abs=0), key
        np.testing.assert_allclose(raw['per_class']['iu'],
                                   cleaned['per_class']['iu'])


# ------------------------------------------------------------------ builder
@pytest.fixture()
def tenth(hisdb_samples):
    folder = hisdb_samples / 'cb55-tenth'
    if not folder.is_dir():
        pytest.skip(f'{folder} (the 1/10 CB55 page) is missing')
    import real_pages
    stem = 'e-codices_fmb-cb-0055_0098v_max'
    return real_pages, hisdb_samples, (
        real_pages.SourcePage(f'cb55-tenth/data/{stem}.jpg',
                              f'cb55-tenth/gt/{stem}.png'),
        real_pages.SourcePage(f'cb55-tenth/data/{stem}.jpg',
                              f'cb55-tenth/gt/{stem}.png', role='cross'))


def read_rgb(path):
    return np.asarray(Image.open(path).convert('RGB'))


def test_built_parts_reassemble_the_page(tenth, tmp_path):
    real_pages, samples, pages = tenth
    root = tmp_path / 'data'
    manifest = real_pages.build_dataset(root, samples, pages=pages,
                                        progress=False)
    page = manifest['pages'][0]
    assert (page['width'], page['height']) == (487, 649)
    assert_tiles({k: tuple(v) for k, v in page['rows'].items()}, 649)
    stem = pages[0].stem
    gt = read_rgb(samples / pages[0].gt)
    import cv2
    scan = cv2.imread(str(samples / pages[0].image))[..., ::-1]
    for kind, source in (('gt', gt), ('data', scan)):
        parts = [read_rgb(root / split / kind / f'{stem}.png')
                 for split in SPLITS]
        # Each part is its band, and together they are the page, exactly.
        for split, part in zip(SPLITS, parts):
            start, stop = page['rows'][split]
            assert part.shape == (stop - start, 487, 3)
        np.testing.assert_array_equal(np.concatenate(parts), source)
    # The cross page: original scan bytes, GT without background flags.
    assert (root / 'test_cross' / 'data' / f'{stem}.jpg').read_bytes() == \
        (samples / pages[1].image).read_bytes()
    np.testing.assert_array_equal(
        read_rgb(root / 'test_cross' / 'gt' / f'{stem}.png'),
        clear_background_boundary(gt))


def test_rebuild_skips_done_work_and_guards_other_builds(tenth, tmp_path):
    real_pages, samples, pages = tenth
    root = tmp_path / 'data'
    real_pages.build_dataset(root, samples, pages=pages, progress=False)
    files = sorted(p for p in root.rglob('*.png'))
    stamps = {p: p.stat().st_mtime_ns for p in files}
    # An interrupted build: a missing part is written, nothing else.
    missing = root / 'val' / 'gt' / f'{pages[0].stem}.png'
    missing.unlink()
    real_pages.build_dataset(root, samples, pages=pages, progress=False)
    assert missing.is_file()
    for path in files:
        if path != missing:
            assert path.stat().st_mtime_ns == stamps[path], path
    # Other fractions: refused, then rebuilt with overwrite.
    with pytest.raises(ValueError, match='--overwrite'):
        real_pages.build_dataset(root, samples, pages=pages,
                                 val_fraction=0.2, progress=False)
    manifest = real_pages.build_dataset(root, samples, pages=pages,
                                        val_fraction=0.2, overwrite=True,
                                        progress=False)
    rows = manifest['pages'][0]['rows']
    assert rows['val'][1] - rows['val'][0] == round(649 * 0.2)
    assert read_rgb(root / 'val' / 'gt' / f'{pages[0].stem}.png').shape[0] \
        == round(649 * 0.2)
    assert not list(root.rglob('.*.tmp*'))  # no temporary leftovers


def test_sources_are_identified_by_content_not_place_or_time(tenth,
                                                             tmp_path):
    # The shared folder is materialised afresh on every machine and session
    # (new mtimes, maybe another folder): a split built from the same pages
    # is still accepted as is; a source whose content changed is not.
    import shutil
    real_pages, samples, pages = tenth
    copy = tmp_path / 'shared-again'
    shutil.copytree(samples / 'cb55-tenth', copy / 'cb55-tenth')
    root = tmp_path / 'data'
    real_pages.build_dataset(root, samples, pages=pages, progress=False)
    files = sorted(p for p in root.rglob('*.png'))
    stamps = {p: p.stat().st_mtime_ns for p in files}
    for source in (copy / 'cb55-tenth').rglob('*.*'):
        os.utime(source, ns=(1, 1))
    real_pages.build_dataset(root, copy, pages=pages, progress=False)
    assert {p: p.stat().st_mtime_ns for p in files} == stamps
    gt = copy / pages[0].gt
    changed = read_rgb(gt).copy()
    changed[0, 0] = (0, 0, 8)
    Image.fromarray(changed).save(gt)
    with pytest.raises(ValueError, match='other sources'):
        real_pages.build_dataset(root, copy, pages=pages, progress=False)


def test_builder_input_errors(tenth, tmp_path):
    real_pages, samples, pages = tenth
    missing = real_pages.SourcePage('cb55-tenth/data/nothing.jpg',
                                    pages[0].gt)
    with pytest.raises(FileNotFoundError, match='nothing.jpg'):
        real_pages.build_dataset(tmp_path / 'a', samples, pages=[missing],
                                 progress=False)
    # A scan whose size differs from its GT: named, nothing half-written.
    other = tmp_path / 'src'
    (other / 'p').mkdir(parents=True)
    Image.new('RGB', (40, 30)).save(other / 'p' / 'x.jpg')
    Image.new('RGB', (40, 31), (0, 0, 1)).save(other / 'p' / 'x.png')
    with pytest.raises(ValueError, match='x.jpg is 40x30 but its GT'):
        real_pages.build_dataset(
            tmp_path / 'b', other,
            pages=[real_pages.SourcePage('p/x.jpg', 'p/x.png')],
            progress=False)
    assert not list((tmp_path / 'b').rglob('*.png'))
    # Never into the repository's tracked tree.
    with pytest.raises(ValueError, match='inside the repository'):
        real_pages.build_dataset(real_pages.ROOT / 'configs' / 'x', samples,
                                 pages=pages, progress=False)
    assert not (real_pages.ROOT / 'configs' / 'x').exists()
    # A folder with split folders it did not build.
    (tmp_path / 'c' / 'train').mkdir(parents=True)
    with pytest.raises(ValueError, match='not a folder this script built'):
        real_pages.build_dataset(tmp_path / 'c', samples, pages=pages,
                                 progress=False)
    assert os.listdir(tmp_path / 'c') == ['train']


def test_results_table():
    import real_pages
    mean = dict(mean_iu=0.8123, exact_match=0.95,
                per_class=dict(iu=[0.99, None, 0.5, 0.9]))
    results = dict(
        recipe='hisdb_real_pages_cpu.py', iterations=4000,
        train_seconds=1560.0, command='python benchmarks/real_pages.py run',
        tests=[dict(split='test', test_seconds=90.0, mean_of_pages=mean,
                    pooled=dict(mean_iu=0.7),
                    pages=[dict(stem='p1', mean_iu=0.8123, exact_match=0.95,
                                iu=[0.99, None, 0.5, 0.9])])])
    table = real_pages.results_markdown(results).splitlines()
    assert table[2] == (
        '| hisdb_real_pages_cpu.py | bottom thirds (CB55 0059v, CSG863 004) '
        '| 26.0 min | 4000 | 0.8123 | 0.9900 | NaN | 0.5000 | 0.9000 | '
        '0.9500 | 0.7000 | 1.5 min | `python benchmarks/real_pages.py run` |')
    assert table[-1] == '| p1 | 0.8123 | 0.9900 | NaN | 0.5000 | 0.9000 | ' \
        '0.9500 |'

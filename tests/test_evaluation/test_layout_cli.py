"""pixdiva-evaluate: Java-compatible single page and folder mode."""
import csv
import json
import subprocess
import sys

import cv2
import numpy as np
import pytest
from layout_eval_helpers import REPO_ROOT, small_page, write_rgb_png

from mmseg_pixdiva.evaluation import layout_analysis as la
from mmseg_pixdiva.evaluation.layout_cli import main


def run_cli(capsys, *argv):
    status = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return status, out, err


@pytest.fixture
def page(tmp_path):
    gt, pred = small_page(21)
    return (gt, pred, write_rgb_png(tmp_path / 'gt' / 'page.png', gt),
            write_rgb_png(tmp_path / 'pred' / 'page.png', pred))


def test_single_page_prints_the_two_lines_and_writes_valid_json(
        page, tmp_path, capsys):
    gt, pred, gt_path, pred_path = page
    status, out, _ = run_cli(capsys, '--gt', gt_path, '--prediction',
                             pred_path, '--json', tmp_path / 'r.json',
                             '--out-dir', tmp_path / 'vis')
    assert status == 0
    scores = la.evaluate_layout(gt, pred)
    assert out.splitlines() == list(la.format_console_lines(scores))
    text = (tmp_path / 'r.json').read_text()
    assert 'NaN' not in text
    result = json.loads(text)
    assert result == la.nan_to_none(json.loads(json.dumps(result)))
    for key in la.SCORE_KEYS:
        expected = scores[key]
        assert result[key] == (None if np.isnan(expected) else expected)
    assert result['per_class'] == la.nan_to_none(scores['per_class'])
    assert result['gt'] == str(gt_path)
    # The visualisation file shows the evaluator's colours.
    vis = cv2.imread(str(tmp_path / 'vis' / 'page.visualization.png'))
    assert np.array_equal(vis[..., ::-1], la.error_visualization(gt, pred))


def test_json_has_null_for_nan(tmp_path, capsys):
    gt = np.zeros((4, 1, 3), np.uint8)
    gt[:, 0, 2] = [1, 1, 8, 8]  # no comment, no decoration -> NaN classes
    write_rgb_png(tmp_path / 'gt.png', gt)
    status, out, _ = run_cli(capsys, '--gt', tmp_path / 'gt.png',
                             '--prediction', tmp_path / 'gt.png', '--json',
                             tmp_path / 'r.json', '--no-visualization')
    assert status == 0
    result = json.loads((tmp_path / 'r.json').read_text())
    assert result['per_class']['iu'] == [1.0, None, None, 1.0]
    assert '[1.00|NaN|NaN|1.00]' in out
    assert not (tmp_path / 'gt.visualization.png').exists()


def test_visualization_defaults_to_the_prediction_folder(page, capsys):
    _, _, gt_path, pred_path = page
    assert run_cli(capsys, '--gt', gt_path, '--prediction', pred_path)[0] == 0
    assert (pred_path.parent / 'page.visualization.png').is_file()


def test_overlay_with_original(page, tmp_path, capsys):
    gt, pred, gt_path, pred_path = page
    photo = np.full(gt.shape, 200, np.uint8)
    cv2.imwrite(str(tmp_path / 'page.png'), photo)
    status, _, _ = run_cli(capsys, '--gt', gt_path, '--prediction',
                           pred_path, '--original', tmp_path / 'page.png',
                           '--out-dir', tmp_path / 'out')
    assert status == 0
    overlay = cv2.imread(str(tmp_path / 'out' / 'page.overlay.png'))[..., ::-1]
    expected = la.error_overlay(la.error_visualization(gt, pred), photo)
    assert np.array_equal(overlay, expected)


def test_bad_prediction_fails_naming_the_file_and_writes_nothing(
        page, tmp_path, capsys):
    _, pred, gt_path, _ = page
    small = write_rgb_png(tmp_path / 'small.png', pred[:, :-2])
    status, out, err = run_cli(capsys, '--gt', gt_path, '--prediction',
                               small, '--json', tmp_path / 'r.json',
                               '--out-dir', tmp_path / 'vis')
    assert status == 2 and out == ''
    assert 'small.png: size 28x40 differs from the GT' in err
    assert not (tmp_path / 'r.json').exists()
    assert not (tmp_path / 'vis').exists()


def test_jpeg_prediction_is_an_error(page, tmp_path, capsys):
    _, pred, gt_path, _ = page
    cv2.imwrite(str(tmp_path / 'pred.jpg'), pred)
    status, _, err = run_cli(capsys, '--gt', gt_path, '--prediction',
                             tmp_path / 'pred.jpg')
    assert status == 2 and 'pred.jpg: the prediction is a JPEG' in err


def test_gt_without_classes_is_an_error(tmp_path, capsys):
    write_rgb_png(tmp_path / 'empty.png', np.zeros((3, 3, 3), np.uint8))
    status, _, err = run_cli(capsys, '--gt', tmp_path / 'empty.png',
                             '--prediction', tmp_path / 'empty.png')
    assert status == 2 and 'empty.png: the GT holds no class' in err


def test_java_short_flags_are_accepted(page, tmp_path, capsys):
    _, _, gt_path, pred_path = page
    status, out, _ = run_cli(capsys, '-gt', gt_path, '-p', pred_path, '-j',
                             tmp_path / 'r.json', '-dv')
    assert status == 0 and out.startswith('Mean IU (Jaccard index) = ')
    assert (tmp_path / 'r.json').is_file()


# --------------------------------------------------------------------------
# Folder mode
# --------------------------------------------------------------------------
@pytest.fixture
def folders(tmp_path):
    pages = {}
    for i, stem in enumerate(['p1', 'p2', 'p3']):
        gt, pred = small_page(30 + i, height=20 + 5 * i)
        write_rgb_png(tmp_path / 'gts' / f'{stem}.png', gt)
        write_rgb_png(tmp_path / 'preds' / f'{stem}.png', pred)
        pages[stem] = (gt, pred)
    return tmp_path / 'gts', tmp_path / 'preds', pages


def test_folder_mode_csv_summary_and_pooling(folders, tmp_path, capsys):
    gt_dir, pred_dir, pages = folders
    status, out, err = run_cli(capsys, '--gt-dir', gt_dir,
                               '--prediction-dir', pred_dir, '--out-dir',
                               tmp_path / 'out')
    assert status == 0
    assert '3/3' in err  # progress
    rows = list(csv.DictReader(open(tmp_path / 'out' / 'pages.csv')))
    assert [r['stem'] for r in rows] == ['p1', 'p2', 'p3']
    summary = json.loads((tmp_path / 'out' / 'summary.json').read_text())
    page_scores = [la.evaluate_layout(*pages[s]) for s in ('p1', 'p2', 'p3')]
    for row, scores in zip(rows, page_scores):
        assert float(row['mean_iu']) == scores['mean_iu']
        assert float(row['iu_3']) == scores['per_class']['iu'][3]
    pooled = la.evaluate_layout(
        np.concatenate([pages[s][0] for s in ('p1', 'p2', 'p3')]),
        np.concatenate([pages[s][1] for s in ('p1', 'p2', 'p3')]))
    assert summary['pooled']['mean_iu'] == pooled['mean_iu']
    assert summary['mean_of_pages']['mean_iu'] == pytest.approx(
        np.mean([s['mean_iu'] for s in page_scores]), abs=1e-15)
    assert summary['num_pages'] == 3 and len(summary['pages']) == 3
    for stem in ('p1', 'p2', 'p3'):
        assert (tmp_path / 'out' / f'{stem}.visualization.png').is_file()
    assert 'pooled' in out and 'mean over pages' in out


def test_folder_mode_refuses_unpaired_files(folders, tmp_path, capsys):
    gt_dir, pred_dir, pages = folders
    (pred_dir / 'p3.png').rename(pred_dir / 'p3-renamed.png')
    status, out, err = run_cli(capsys, '--gt-dir', gt_dir,
                               '--prediction-dir', pred_dir, '--out-dir',
                               tmp_path / 'out', '--no-visualization')
    assert status == 2
    assert f'GT without prediction: {gt_dir / "p3.png"}' in err
    assert f'prediction without GT: {pred_dir / "p3-renamed.png"}' in err
    assert not (tmp_path / 'out').exists()
    status, _, err = run_cli(capsys, '--gt-dir', gt_dir, '--prediction-dir',
                             pred_dir, '--out-dir', tmp_path / 'out',
                             '--no-visualization', '--skip-unpaired')
    assert status == 0 and 'warning: 2 unpaired' in err
    summary = json.loads((tmp_path / 'out' / 'summary.json').read_text())
    assert [p['stem'] for p in summary['pages']] == ['p1', 'p2']


def test_folder_mode_reports_every_bad_page_before_decoding(
        folders, tmp_path, capsys):
    gt_dir, pred_dir, pages = folders
    write_rgb_png(pred_dir / 'p1.png', pages['p1'][1][:-1])
    (pred_dir / 'p2.png').write_bytes(b'garbage')
    status, _, err = run_cli(capsys, '--gt-dir', gt_dir, '--prediction-dir',
                             pred_dir, '--out-dir', tmp_path / 'out')
    assert status == 2 and '2 page(s) cannot be evaluated' in err
    assert 'p1.png: size' in err and 'p2.png: the prediction is not a PNG' \
        in err
    assert not (tmp_path / 'out').exists()


def test_folder_mode_pairs_by_stem_across_suffixes(folders, tmp_path, capsys):
    gt_dir, pred_dir, pages = folders
    (pred_dir / 'p1.png').rename(pred_dir / 'p1.bmp')  # still a PNG inside
    status, _, _ = run_cli(capsys, '--gt-dir', gt_dir, '--prediction-dir',
                           pred_dir, '--out-dir', tmp_path / 'out', '-dv')
    assert status == 0
    rows = list(csv.DictReader(open(tmp_path / 'out' / 'pages.csv')))
    assert rows[0]['prediction'].endswith('p1.bmp')


def test_cli_starts_without_torch_or_mmseg(page, tmp_path, fresh_python):
    _, _, gt_path, pred_path = page
    code = ('import sys\n'
            'from mmseg_pixdiva.evaluation.layout_cli import main\n'
            f'status = main(["--gt", {str(gt_path)!r}, "--prediction", '
            f'{str(pred_path)!r}, "--no-visualization"])\n'
            "print(status, 'torch' in sys.modules, 'mmseg' in sys.modules, "
            "'mmengine' in sys.modules)")
    assert fresh_python(code, timeout=120).splitlines()[-1] == \
        '0 False False False'


def test_tools_script_runs(page):
    _, _, gt_path, pred_path = page
    result = subprocess.run(
        [sys.executable, str(REPO_ROOT / 'tools' / 'evaluate_layout.py'),
         '--gt', str(gt_path), '--prediction', str(pred_path), '-dv'],
        capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith('Mean IU (Jaccard index) = ')


# --------------------------------------------------------------------------
# Bad originals, failing pages, reruns into the prediction folder
# --------------------------------------------------------------------------
@pytest.mark.parametrize('name', ['junk.jpg', 'cut.jpg', 'small.jpg'])
def test_bad_original_fails_naming_the_file_and_writes_nothing(
        page, tmp_path, capsys, name):
    gt, _, gt_path, pred_path = page
    photo = np.random.default_rng(5).integers(0, 256, gt.shape, np.uint8)
    ok, data = cv2.imencode('.jpg', photo)
    data = data.tobytes()
    originals = {'junk.jpg': b'garbage\n',
                 'cut.jpg': data[:len(data) * 2 // 3]}
    if name in originals:
        (tmp_path / name).write_bytes(originals[name])
    else:
        cv2.imwrite(str(tmp_path / name), photo[:-5])
    status, out, err = run_cli(capsys, '--gt', gt_path, '--prediction',
                               pred_path, '--original', tmp_path / name,
                               '--json', tmp_path / 'r.json', '--out-dir',
                               tmp_path / 'out')
    assert status == 2 and out == ''
    expected = {
        'junk.jpg': f'{tmp_path / name}: cannot decode the original image',
        'cut.jpg': f'{tmp_path / name}: cannot decode the original image',
        'small.jpg': f'{tmp_path / name}: original page size 30x35 differs '
        f'from the GT {gt_path} (30x40, WxH)'}[name]
    assert err.startswith(f'pixdiva-evaluate: error: {expected}')
    assert 'OpenCV' not in err
    assert not (tmp_path / 'r.json').exists()
    assert not (tmp_path / 'out').exists()


def test_folder_mode_failing_later_page_writes_and_replaces_nothing(
        folders, tmp_path, capsys):
    gt_dir, pred_dir, pages = folders
    ok, data = cv2.imencode('.png', pages['p3'][1])
    # Header and end intact, pixels corrupt: found only while decoding,
    # after the earlier pages were scored.
    data = bytearray(data.tobytes())
    data[len(data) // 2] ^= 0xFF
    (pred_dir / 'p3.png').write_bytes(bytes(data))
    out_dir = tmp_path / 'out'
    status, _, err = run_cli(capsys, '--gt-dir', gt_dir, '--prediction-dir',
                             pred_dir, '--out-dir', out_dir)
    assert status == 2 and 'p3.png: cannot decode image' in err
    assert not out_dir.exists()  # not even the folder (nor temporaries)
    out_dir.mkdir()
    (out_dir / 'p1.visualization.png').write_bytes(b'earlier run')
    (out_dir / 'summary.json').write_text('{"earlier": true}')
    status, _, _ = run_cli(capsys, '--gt-dir', gt_dir, '--prediction-dir',
                           pred_dir, '--out-dir', out_dir)
    assert status == 2
    assert sorted(p.name for p in out_dir.iterdir()) == [
        'p1.visualization.png', 'summary.json']
    assert (out_dir / 'p1.visualization.png').read_bytes() == b'earlier run'
    assert (out_dir / 'summary.json').read_text() == '{"earlier": true}'


def test_rerun_into_the_prediction_folder_skips_own_outputs(
        folders, tmp_path, capsys):
    gt_dir, pred_dir, pages = folders
    cv2.imwrite(str(tmp_path / 'p1.png'), np.full(pages['p1'][0].shape, 90,
                                                  np.uint8))
    # Single page, default output location: the prediction folder.
    assert run_cli(capsys, '--gt', gt_dir / 'p1.png', '--prediction',
                   pred_dir / 'p1.png', '--original', tmp_path / 'p1.png')[0] \
        == 0
    assert (pred_dir / 'p1.overlay.png').is_file()
    for _ in range(2):  # the second run finds the first run's outputs
        status, _, err = run_cli(capsys, '--gt-dir', gt_dir,
                                 '--prediction-dir', pred_dir, '--out-dir',
                                 pred_dir)
        assert status == 0, err
        summary = json.loads((pred_dir / 'summary.json').read_text())
        assert [p['stem'] for p in summary['pages']] == ['p1', 'p2', 'p3']
    vis = cv2.imread(str(pred_dir / 'p2.visualization.png'))[..., ::-1]
    assert np.array_equal(vis, la.error_visualization(*pages['p2']))


@pytest.mark.parametrize('target', ['gt', 'prediction'])
def test_json_onto_an_input_is_refused_and_the_input_kept(
        page, capsys, target):
    _, _, gt_path, pred_path = page
    victim = gt_path if target == 'gt' else pred_path
    before = victim.read_bytes()
    status, out, err = run_cli(capsys, '--gt', gt_path, '--prediction',
                               pred_path, '--json', victim)
    assert status == 2 and out == ''
    assert f'{victim}: refusing to write there' in err
    assert len(err.strip().splitlines()) == 1
    assert victim.read_bytes() == before
    assert not (pred_path.parent / 'page.visualization.png').exists()


def test_visualization_onto_an_input_is_refused(tmp_path, capsys):
    # A GT named like the visualisation of the prediction beside it.
    gt, pred = small_page(22)
    gt_path = write_rgb_png(tmp_path / 'page.visualization.png', gt)
    pred_path = write_rgb_png(tmp_path / 'page.png', pred)
    before = gt_path.read_bytes()
    status, _, err = run_cli(capsys, '--gt', gt_path, '--prediction',
                             pred_path)
    assert status == 2 and f'it is the GT {gt_path}' in err
    assert gt_path.read_bytes() == before


def test_folder_outputs_onto_inputs_are_refused(tmp_path, capsys):
    gt, pred = small_page(23)
    gt_dir, pred_dir = tmp_path / 'gt', tmp_path / 'pred'
    write_rgb_png(gt_dir / 'p.png', gt)
    write_rgb_png(pred_dir / 'p.png', pred)
    status, _, err = run_cli(capsys, '--gt-dir', gt_dir, '--prediction-dir',
                             pred_dir, '--out-dir', tmp_path / 'out',
                             '--json', pred_dir / 'p.png')
    assert status == 2 and f'it is the prediction {pred_dir / "p.png"}' in err
    assert not (tmp_path / 'out').exists()
    # A user's own summary.json in the output folder is not replaced; an
    # earlier run's is.
    user_file = gt_dir / 'summary.json'
    user_file.write_text('{"my": "notes"}')
    status, _, err = run_cli(capsys, '--gt-dir', gt_dir, '--prediction-dir',
                             pred_dir, '--out-dir', gt_dir)
    assert status == 2
    assert f'{user_file}: refusing to replace it: it exists and was not ' \
        'written by pixdiva-evaluate' in err
    assert user_file.read_text() == '{"my": "notes"}'
    assert sorted(p.name for p in gt_dir.iterdir()) == ['p.png',
                                                        'summary.json']
    user_file.unlink()
    for _ in range(2):
        status, _, _ = run_cli(capsys, '--gt-dir', gt_dir,
                               '--prediction-dir', pred_dir, '--out-dir',
                               gt_dir)
        assert status == 0


@pytest.mark.parametrize('target', ['missing.png', 'loop.png'])
def test_folder_mode_names_a_link_that_leads_nowhere(tmp_path, capsys,
                                                     target):
    import os
    gt, pred = small_page(24)
    gt_dir, pred_dir = tmp_path / 'gt', tmp_path / 'pred'
    for stem in ('p1', 'p2'):
        write_rgb_png(gt_dir / f'{stem}.png', gt)
    write_rgb_png(pred_dir / 'p1.png', pred)
    os.symlink(pred_dir / target, pred_dir / 'p2.png')
    if target == 'loop.png':
        os.symlink(pred_dir / 'p2.png', pred_dir / 'loop.png')
    status, _, err = run_cli(capsys, '--gt-dir', gt_dir, '--prediction-dir',
                             pred_dir, '--out-dir', tmp_path / 'out')
    # (loop.png, listed first, is a link of the loop too.)
    first = 'loop.png' if target == 'loop.png' else 'p2.png'
    assert status == 2
    assert f'{pred_dir / first}: prediction file is a broken or looping ' \
        'symbolic link' in err
    assert not (tmp_path / 'out').exists()


def write_rotated_jpeg(path, stored_hw=(40, 60)):
    """A JPEG stored landscape with EXIF orientation 6 (shown portrait),
    as cameras write it; its top stored rows are white."""
    from PIL import Image
    stored = np.zeros(stored_hw + (3, ), np.uint8)
    stored[:10] = 255
    image = Image.fromarray(stored)
    exif = image.getexif()
    exif[0x0112] = 6
    image.save(path, exif=exif.tobytes())
    return path


def test_original_is_turned_by_its_exif_orientation(tmp_path, capsys):
    # The GT was made on the page as shown (turned): 40 wide, 60 high.
    gt = np.zeros((60, 40, 3), np.uint8)
    gt[..., 2] = 1
    write_rgb_png(tmp_path / 'gt.png', gt)
    write_rgb_png(tmp_path / 'pred.png', gt)
    scan = write_rotated_jpeg(tmp_path / 'scan.jpg')
    status, _, err = run_cli(capsys, '--gt', tmp_path / 'gt.png',
                             '--prediction', tmp_path / 'pred.png',
                             '--original', scan, '--out-dir',
                             tmp_path / 'out')
    assert status == 0, err
    overlay = cv2.imread(str(tmp_path / 'out' / 'pred.overlay.png'))
    assert overlay.shape == (60, 40, 3)
    # Orientation 6 turns the stored top rows into the right-hand columns.
    assert overlay[:, -5:].mean() > overlay[:, :5].mean() + 50

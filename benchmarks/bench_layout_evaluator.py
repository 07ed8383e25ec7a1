"""Benchmark pixdiva-evaluate on real 4872x6496 CB55 pages.

Every measurement is a separate process (start-up, imports, PNG decoding
and writing included), timed from the outside, with its peak resident
memory from ``os.wait4``:

* ``decode floor``: a script that only decodes the GT and the prediction
  the same way the evaluator does (OpenCV, two threads, into pre-allocated
  arrays) and exits; no evaluator can beat it;
* ``single page``: ``pixdiva-evaluate --gt --prediction`` with and without
  the error visualisation;
* ``folder mode``: ``pixdiva-evaluate --gt-dir --prediction-dir`` over all
  pages, per page;
* the Java DIVA Layout Analysis Evaluator: run side by side when its jar
  is given (``--java-jar``), otherwise its published time on this machine
  kind (6.3 s per page, 10.3 s with the visualisation) is the baseline.

Pages: 0098v against its synthetic prediction, and the other CB55 GTs
against a copy shifted by (5, 7) pixels (written to a temporary folder).

Usage::

    python benchmarks/bench_layout_evaluator.py [--repeat 3] \\
        [--java-jar DIVA_LayoutAnalysisEvaluator.jar] [--markdown out.md]
"""
import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

#: The Java tool on this machine kind (issue #5, golden README).
JAVA_PUBLISHED = {'no_vis': 6.3, 'vis': 10.3, 'rss_mb': (750, 930)}

DECODE_FLOOR = ('import sys\n'
                'from mmseg_pixdiva.evaluation.layout_io import '
                'read_label_pair\n'
                'read_label_pair(sys.argv[1], sys.argv[2])\n')


def shared_dir() -> Path:
    return Path(os.environ.get('PIXDIVA_SHARED', REPO_ROOT.parent / 'shared'))


# Runs the command and reports its wall time and peak RSS. It is started
# from this small helper process because a child's ru_maxrss starts at the
# high-water mark of the process it was forked from (this benchmark holds
# decoded pages at times).
_MEASURE = (
    'import os, subprocess, sys, time\n'
    'start = time.perf_counter()\n'
    'proc = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL)\n'
    '_, status, usage = os.wait4(proc.pid, 0)\n'
    'seconds = time.perf_counter() - start\n'
    'print(os.waitstatus_to_exitcode(status), seconds, usage.ru_maxrss)\n')


def run_measured(cmd, cwd=REPO_ROOT):
    """Run ``cmd``; return (seconds, peak RSS in MB)."""
    env = dict(os.environ, PYTHONPATH=str(REPO_ROOT))
    result = subprocess.run([sys.executable, '-c', _MEASURE] + list(cmd),
                            cwd=cwd, env=env, capture_output=True, text=True)
    try:
        code, seconds, max_rss_kb = result.stdout.split()
    except ValueError:
        raise RuntimeError(f'{cmd}: measuring failed:\n{result.stderr}')
    if int(code) != 0:
        raise RuntimeError(f'{cmd} failed ({code}):\n{result.stderr}')
    return float(seconds), int(max_rss_kb) / 1024  # Linux: KB


def measure(cmd, repeat):
    runs = [run_measured(cmd) for _ in range(repeat)]
    times = [t for t, _ in runs]
    return dict(median=statistics.median(times), best=min(times),
                rss=max(r for _, r in runs))


def make_pages(tmp: Path):
    """GT/prediction pairs: 0098v + synthetic prediction, other GTs vs
    shifted copies. Returns [(stem, gt, prediction)]."""
    import cv2
    import numpy as np
    cb55 = shared_dir() / 'data' / 'hisdb-samples' / 'cb55'
    if not cb55.is_dir():
        sys.exit(f'CB55 pages not found at {cb55} (set PIXDIVA_SHARED)')
    (tmp / 'gt').mkdir()
    (tmp / 'pred').mkdir()
    pages = []
    for gt in sorted(cb55.glob('e-codices_fmb-cb-0055_*_max.png')):
        stem = gt.stem
        gt_link = tmp / 'gt' / gt.name
        gt_link.symlink_to(gt)
        pred = tmp / 'pred' / gt.name
        synthetic = cb55 / f'{stem}.synthetic-prediction.png'
        if synthetic.is_file():
            pred.symlink_to(synthetic)
        else:
            image = cv2.imread(str(gt), cv2.IMREAD_UNCHANGED)
            shifted = np.zeros_like(image)
            shifted[..., 0] = np.roll(image[..., 0], (5, 7), axis=(0, 1))
            cv2.imwrite(str(pred), shifted)
        pages.append((stem, str(gt_link), str(pred)))
    return pages


def phase_times(gt: str, pred: str, repeat: int) -> dict:
    """In-process seconds of each step on one page (median of runs)."""
    from mmseg_pixdiva.evaluation import layout_analysis as la
    from mmseg_pixdiva.evaluation import layout_io as lio
    steps = {'decode GT + prediction (2 threads)': [],
             'count histogram (no visualisation)': [],
             'scores from the histogram': [],
             'count + paint + palette PNG (one pass, zlib in a thread)': []}
    for _ in range(repeat):
        t0 = time.perf_counter()
        gt_rgb, pred_rgb = lio.read_label_pair(gt, pred)
        t1 = time.perf_counter()
        hist = la.layout_histogram(gt_rgb, pred_rgb)
        t2 = time.perf_counter()
        la.layout_scores(hist)
        t3 = time.perf_counter()
        writer = lio.IndexedPngWriter(gt_rgb.shape[1], gt_rgb.shape[0],
                                      la.VIS_PALETTE)
        la.layout_histogram_and_errors(gt_rgb, pred_rgb,
                                       on_rows=writer.add_rows)
        writer.finish()
        t4 = time.perf_counter()
        del gt_rgb, pred_rgb
        for key, seconds in zip(steps, (t1 - t0, t2 - t1, t3 - t2, t4 - t3)):
            steps[key].append(seconds)
    return {k: statistics.median(v) for k, v in steps.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--repeat', type=int, default=3)
    parser.add_argument('--java-jar', help='DIVA Layout Analysis Evaluator '
                        'jar, to run the baseline side by side')
    parser.add_argument('--markdown', help='also write the table here')
    args = parser.parse_args()
    python = sys.executable
    cli = [python, '-m', 'mmseg_pixdiva.evaluation.layout_cli']
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        pages = make_pages(tmp)
        print(f'{len(pages)} pages of 4872x6496, {args.repeat} runs each, '
              f'{os.cpu_count()} cores', file=sys.stderr)
        rows = {}
        per_page = {k: [] for k in ('floor', 'no_vis', 'vis', 'java_no_vis',
                                    'java_vis')}
        for stem, gt, pred in pages:
            out = tmp / 'out' / stem
            per_page['floor'].append(measure(
                [python, '-c', DECODE_FLOOR, gt, pred], args.repeat))
            per_page['no_vis'].append(measure(
                cli + ['--gt', gt, '--prediction', pred,
                       '--no-visualization'], args.repeat))
            per_page['vis'].append(measure(
                cli + ['--gt', gt, '--prediction', pred, '--out-dir',
                       str(out)], args.repeat))
            if args.java_jar:
                java = ['java', '-jar', args.java_jar, '-gt', gt, '-p', pred]
                per_page['java_no_vis'].append(
                    measure(java + ['-dv'], args.repeat))
                per_page['java_vis'].append(
                    measure(java + ['-out', str(out)], args.repeat))
            print(f'  {stem}: floor {per_page["floor"][-1]["median"]:.2f} s, '
                  f'no vis {per_page["no_vis"][-1]["median"]:.2f} s, '
                  f'vis {per_page["vis"][-1]["median"]:.2f} s',
                  file=sys.stderr)
        n = len(pages)
        for vis in (False, True):
            flags = ['--no-visualization'] if not vis else []
            result = measure(cli + [
                '--gt-dir', str(tmp / 'gt'), '--prediction-dir',
                str(tmp / 'pred'), '--out-dir', str(tmp / 'folder'), '-q'
            ] + flags, args.repeat)
            rows[f'folder_{"vis" if vis else "no_vis"}'] = dict(
                median=result['median'] / n, best=result['best'] / n,
                rss=result['rss'])
        phases = phase_times(pages[-1][1], pages[-1][2], args.repeat)
        for key, results in per_page.items():
            if results:
                rows[key] = dict(
                    median=statistics.mean(r['median'] for r in results),
                    best=statistics.mean(r['best'] for r in results),
                    rss=max(r['rss'] for r in results))

    java_no_vis = rows.get('java_no_vis', {}).get('median',
                                                  JAVA_PUBLISHED['no_vis'])
    java_vis = rows.get('java_vis', {}).get('median', JAVA_PUBLISHED['vis'])
    source = 'measured here' if args.java_jar else 'published'
    load = ', '.join(f'{x:.1f}' for x in os.getloadavg())
    lines = [
        f'{os.cpu_count()} cores; load average at the end {load} (other '
        f'processes slow every row alike; compare the ratios).',
        '',
        f'| run (per 4872x6496 page, {n} pages) | seconds (median) | best '
        f'| peak RSS MB | speed-up vs Java ({source}) | x decode floor |',
        '|---|---|---|---|---|---|',
    ]
    labels = [
        ('floor', 'decode floor (start + decode GT & prediction)', None),
        ('no_vis', 'single page, no visualisation', java_no_vis),
        ('vis', 'single page, with visualisation', java_vis),
        ('folder_no_vis', 'folder mode, no visualisation', java_no_vis),
        ('folder_vis', 'folder mode, with visualisation', java_vis),
        ('java_no_vis', 'Java evaluator, no visualisation', java_no_vis),
        ('java_vis', 'Java evaluator, with visualisation', java_vis),
    ]
    floor = rows['floor']['median']
    for key, label, baseline in labels:
        if key not in rows:
            continue
        row = rows[key]
        ratio = f'{baseline / row["median"]:.1f}x' if baseline else '-'
        lines.append(f'| {label} | {row["median"]:.2f} | {row["best"]:.2f} '
                     f'| {row["rss"]:.0f} | {ratio} | '
                     f'{row["median"] / floor:.2f} |')
    if not args.java_jar:
        lines.append(
            f'| Java evaluator (published, this machine kind) | '
            f'{JAVA_PUBLISHED["no_vis"]} / {JAVA_PUBLISHED["vis"]} (vis) | '
            f'- | {JAVA_PUBLISHED["rss_mb"][0]}-{JAVA_PUBLISHED["rss_mb"][1]}'
            f' | 1.0x | - |')
    lines += ['', f'In-process steps on {pages[-1][0]} (median, seconds):', '',
              '| step | seconds |', '|---|---|']
    lines += [f'| {k} | {v:.3f} |' for k, v in phases.items()]
    table = '\n'.join(lines)
    print(table)
    if args.markdown:
        Path(args.markdown).write_text(table + '\n')


if __name__ == '__main__':
    main()

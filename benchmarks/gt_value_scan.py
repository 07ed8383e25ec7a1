"""Blue-value scan of GTs before training: decoder against plain rows.

The pre-training check (``mmseg_pixdiva/apis/preflight.py``) counts the blue
values of every GT not cached yet. This times that scan over the official
DIVA-HisDB GTs in ``../shared/data/hisdb-pages`` (all of them by default,
those without scans included) in one process, four ways: each GT decoded
whole (OpenCV, the scan before ``utils/png_rows.py``) and counted from its
inflated rows (today's scan), one GT after the other and with
``gt_values.SCAN_THREADS`` threads. All four must give the same values::

    python benchmarks/gt_value_scan.py [--pages N]
"""
import argparse
import glob
import os
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from mmseg_pixdiva.datasets import analytics  # noqa: E402
from mmseg_pixdiva.datasets.gt_values import SCAN_THREADS  # noqa: E402


def decoded_histogram(path: str):
    """The scan before plain rows: decode the GT whole, then count."""
    return analytics._histogram(analytics.read_gt_rgb(path), 2)


def timed(scan, paths, threads):
    start = time.perf_counter()
    with ThreadPoolExecutor(threads) as pool:
        counts = list(pool.map(scan, paths))
    return time.perf_counter() - start, [c.tolist() for c in counts]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--pages', type=int, default=None,
                        help='GTs to scan (default: all)')
    args = parser.parse_args()
    shared = Path(os.environ.get('PIXDIVA_SHARED',
                                 Path(__file__).resolve().parents[2] /
                                 'shared'))
    paths = sorted(glob.glob(str(shared / 'data' / 'hisdb-pages' / '**' /
                                 'gt*' / '*.png'), recursive=True))
    paths = paths[:args.pages]
    if not paths:
        print(f'no GTs under {shared}/data/hisdb-pages', file=sys.stderr)
        return 2
    rows = []
    reference = None
    for name, scan in (('decoded whole', decoded_histogram),
                       ('plain rows', analytics._gt_blue_histogram)):
        for threads in (1, SCAN_THREADS):
            seconds, counts = timed(scan, paths, threads)
            reference = reference or counts
            assert counts == reference, f'{name}, {threads} threads differs'
            rows.append((name, threads, seconds))
    base = rows[0][2]
    print(f'{len(paths)} GTs (same values every way)')
    print('| scan | threads | s | ms per GT | x decoded whole, 1 thread |')
    print('|---|---:|---:|---:|---:|')
    for name, threads, seconds in rows:
        print(f'| {name} | {threads} | {seconds:.2f} | '
              f'{1000 * seconds / len(paths):.0f} | {base / seconds:.1f} |')
    return 0


if __name__ == '__main__':
    sys.exit(main())

"""Blue-value scan of GTs before training: one thread against two.

The pre-training check (``mmseg_pixdiva/apis/preflight.py``) decodes every
GT whose blue values are not cached yet. This times that scan over the
official DIVA-HisDB GTs in ``../shared/data/hisdb-pages``, once one file
after the other and once with ``gt_values.SCAN_THREADS`` threads, and checks
that both give the same values::

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

from mmseg_pixdiva.datasets.analytics import scan_blue_values  # noqa: E402
from mmseg_pixdiva.datasets.gt_values import SCAN_THREADS  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--pages', type=int, default=24,
                        help='GTs to scan (default 24)')
    args = parser.parse_args()
    shared = Path(os.environ.get('PIXDIVA_SHARED',
                                 Path(__file__).resolve().parents[2] /
                                 'shared'))
    paths = sorted(glob.glob(str(shared / 'data' / 'hisdb-pages' / '*' /
                                 '*' / 'gt' / '*.png')))[:args.pages]
    if not paths:
        print(f'no GTs under {shared}/data/hisdb-pages', file=sys.stderr)
        return 2
    start = time.perf_counter()
    serial = [scan_blue_values([p]) for p in paths]
    one = time.perf_counter() - start
    start = time.perf_counter()
    with ThreadPoolExecutor(SCAN_THREADS) as pool:
        threaded = list(pool.map(lambda p: scan_blue_values([p]), paths))
    many = time.perf_counter() - start
    assert threaded == serial
    print(f'{len(paths)} GTs: 1 thread {one:.2f} s, {SCAN_THREADS} threads '
          f'{many:.2f} s, ratio {one / many:.2f}x (same values)')
    return 0


if __name__ == '__main__':
    sys.exit(main())

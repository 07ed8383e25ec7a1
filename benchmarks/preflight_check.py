"""The check of every split before training, on hundreds of real pages.

``tools/train.py`` checks the pages and GTs of the train, val and test
splits before it builds the runner (``apis/preflight.check_config_inputs``):
file ends, headers, pairing, and the blue values of every GT not cached yet.
This builds a DeepDIVA-layout data root of symbolic links to the 24 official
DIVA-HisDB pages with scans in ``../shared/data/hisdb-pages`` (each page
linked ``--copies`` times into train, once into val and test), then times
the check of ``configs/hisdb_unet.py`` on it in fresh processes (after the
imports, which are timed apart and which training needs anyway), side by
side: with the GT blue values counted from the inflated PNG rows
(``utils/png_rows.py``, today) and with every GT decoded whole (the scan
before it), each at a first start (no cache) and a second start (the
per-file cache written by the first)::

    python benchmarks/preflight_check.py [--copies 10]
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

CHILD = r'''
import json, sys, time
start = time.perf_counter()
from mmengine.config import Config
import mmseg_pixdiva
from mmseg_pixdiva.apis.preflight import check_config_inputs
from mmseg_pixdiva.apis.auto_config import set_data_root
from mmseg_pixdiva.datasets import analytics
if sys.argv[2] == 'decoded whole':
    analytics._gt_blue_histogram = lambda path: analytics._histogram(
        analytics.read_gt_rgb(path), 2)
cfg = Config.fromfile('configs/hisdb_unet.py')
set_data_root(cfg, sys.argv[1])
# The dataset registry imports torch and mmseg on first use: timed apart.
from mmengine.registry import init_default_scope
from mmseg.registry import DATASETS
init_default_scope('mmseg')
DATASETS.get(cfg.train_dataloader.dataset.type)
imported = time.perf_counter()
check_config_inputs(cfg, ('train', 'val', 'test'))
print(json.dumps(dict(imports=imported - start,
                      check=time.perf_counter() - imported)))
'''


def build_root(shared: Path, root: Path, copies: int) -> int:
    """Link the pages into ``root``; returns the number of training pages."""
    scans = sorted(p for m in ('CSG18', 'CSG863') for p in shared.glob(
        f'data/hisdb-pages/{m}/*/data/*.jpg'))
    for split, times in (('train', copies), ('val', 1), ('test', 1)):
        for folder in ('data', 'gt'):
            (root / split / folder).mkdir(parents=True)
        for scan in scans:
            gt = scan.parent.parent / 'gt' / f'{scan.stem}.png'
            for k in range(times):
                name = f'{scan.stem}_{k:03d}'
                (root / split / 'data' / f'{name}.jpg').symlink_to(scan)
                (root / split / 'gt' / f'{name}.png').symlink_to(gt)
    return len(scans) * copies


def run_child(root: Path, variant: str, cache: Path) -> dict:
    env = dict(os.environ, XDG_CACHE_HOME=str(cache))
    out = subprocess.run([sys.executable, '-c', CHILD, str(root), variant],
                         cwd=REPO, env=env, capture_output=True, text=True)
    if out.returncode:
        raise SystemExit(f'the check failed ({variant}):\n{out.stderr}')
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--copies', type=int, default=10,
                        help='links of each page in the train split')
    args = parser.parse_args()
    shared = Path(os.environ.get('PIXDIVA_SHARED', REPO.parent / 'shared'))
    if not (shared / 'data' / 'hisdb-pages').is_dir():
        print(f'no pages under {shared}/data/hisdb-pages', file=sys.stderr)
        return 2
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for variant in ('plain rows', 'decoded whole'):
            root = Path(tmp) / variant.replace(' ', '_')
            train = build_root(shared, root, args.copies)
            cache = Path(tmp) / f'cache_{variant[0]}'
            for start in ('first', 'second'):
                times = run_child(root, variant, cache)
                rows.append((variant, start, times))
    pages = train + 48
    print(f'{pages} pages ({train} train, 24 val, 24 test), '
          f'{time.strftime("%Y-%m-%d")}')
    print('| GT values | start | check s | per page ms | imports s |')
    print('|---|---|---:|---:|---:|')
    for variant, start, times in rows:
        print(f'| {variant} | {start} | {times["check"]:.1f} | '
              f'{1000 * times["check"] / pages:.0f} | '
              f'{times["imports"]:.1f} |')
    first = {v: t['check'] for v, s, t in rows if s == 'first'}
    print(f'first start: plain rows {first["decoded whole"] / first["plain rows"]:.1f}x '
          'as fast as decoded whole')
    return 0


if __name__ == '__main__':
    sys.exit(main())

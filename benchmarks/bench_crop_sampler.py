"""Crops per second and peak memory: CropsPerImageSampler vs the stock pipeline.

Both run on the real full-size DIVA-HisDB pages of ``shared/data/hisdb-samples``
(cb55 0059v 4872x6496, csg863 004 and csg18 096 3328x4992), linked into a
temporary DeepDIVA layout, with crop size 128:

* stock: ``LoadImageFromFile`` + ``LoadBlueChannelAnnotations`` (mmseg's
  ``LoadAnnotations`` with the blue-channel decoding) + ``RandomCrop``, one
  full decode per crop;
* ours: ``LoadPageCrop`` + ``CropsPerImageSampler`` (crops_per_image=50);

both followed by ``PackSegInputs``, batch 8.

Every variant runs in its own subprocess; the parent samples the memory of
that process tree (the process and its DataLoader workers) every 20 ms:
the sum over the tree of the proportional set size without shared memory
(``Pss_Anon + Pss_File`` from /proc/<pid>/smaps_rollup), plus the bytes of
the page-cache files in /dev/shm (counted once, mapped or not).

Usage::

    python benchmarks/bench_crop_sampler.py [--stock-crops 12] [--epochs 2]
        [--workers 0 2] [--imgs-in-memory 2]
"""
import argparse
import json
import os
import os.path as osp
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # this checkout's mmseg_pixdiva
PAGES = [('cb55', 'e-codices_fmb-cb-0055_0059v_max'),
         ('csg863', 'e-codices_csg-0863_004_max'),
         ('csg18', 'e-codices_csg-0018_096_max')]
CROP = 128


def shared_dir() -> Path:
    return Path(os.environ.get('PIXDIVA_SHARED', REPO.parent / 'shared'))


def make_layout(root: Path) -> None:
    """DeepDIVA layout ``train/data``, ``train/gt`` of symlinks."""
    src = shared_dir() / 'data' / 'hisdb-samples'
    for sub in ('data', 'gt'):
        (root / 'train' / sub).mkdir(parents=True, exist_ok=True)
    for folder, stem in PAGES:
        for sub, ext in (('data', '.jpg'), ('gt', '.png')):
            path = src / folder / (stem + ext)
            if not path.is_file():
                sys.exit(f'missing real page {path} (set PIXDIVA_SHARED)')
            os.symlink(path, root / 'train' / sub / (stem + ext))


# ------------------------------------------------------------------ child
def as_list(batch):
    return batch


def run_child(args) -> None:
    import mmseg_pixdiva  # noqa: F401
    from mmengine.registry import init_default_scope
    from mmseg.registry import DATA_SAMPLERS, DATASETS
    from torch.utils.data import DataLoader
    init_default_scope('mmseg')
    ours = args.variant == 'ours'
    pipeline = [dict(type='LoadPageCrop', crop_size=CROP)] if ours else [
        dict(type='LoadImageFromFile'),
        dict(type='LoadBlueChannelAnnotations'),
        dict(type='RandomCrop', crop_size=(CROP, CROP)),
    ]
    pipeline.append(dict(type='PackSegInputs'))
    dataset = DATASETS.build(dict(
        type='HisDBDataset', data_root=args.root,
        data_prefix=dict(img_path='train/data', seg_map_path='train/gt'),
        pipeline=pipeline))
    if ours:
        sampler = DATA_SAMPLERS.build(
            dict(type='CropsPerImageSampler', crops_per_image=50,
                 imgs_in_memory=args.imgs_in_memory, seed=0,
                 cache_event_log=args.events),
            default_args=dict(dataset=dataset))
        epochs = args.epochs
    else:
        sampler = [i % len(dataset) for i in range(args.stock_crops)]
        epochs = 1
    with open(args.ready, 'w') as f:  # tell the parent where the cache is
        f.write(sampler.cache.folder if ours else '')
    loader = DataLoader(dataset, batch_size=8, sampler=sampler,
                        num_workers=args.workers, collate_fn=as_list,
                        persistent_workers=args.workers > 0)
    crops = 0
    start = time.perf_counter()
    for epoch in range(epochs):
        if ours:
            sampler.set_epoch(epoch)
        for batch in loader:
            crops += len(batch)
            assert batch[0]['inputs'].shape[1:] == (CROP, CROP)
    seconds = time.perf_counter() - start
    print(json.dumps(dict(crops=crops, seconds=seconds)))


# ----------------------------------------------------------------- parent
def tree(pid: int) -> list:
    """``pid`` and all its descendants."""
    children = {}
    for entry in os.listdir('/proc'):
        if not entry.isdigit():
            continue
        try:
            with open(f'/proc/{entry}/stat') as f:
                ppid = int(f.read().rsplit(')', 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(ppid, []).append(int(entry))
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(children.get(p, []))
    return out


def private_pss(pid: int) -> int:
    """Pss_Anon + Pss_File in bytes (shared memory is counted separately)."""
    total = 0
    try:
        with open(f'/proc/{pid}/smaps_rollup') as f:
            for line in f:
                if line.startswith(('Pss_Anon:', 'Pss_File:')):
                    total += int(line.split()[1]) * 1024
    except OSError:
        pass
    return total


def folder_bytes(folder: str) -> int:
    total = 0
    if folder and osp.isdir(folder):
        for name in os.listdir(folder):
            try:
                total += osp.getsize(osp.join(folder, name))
            except OSError:
                pass
    return total


def run_variant(root, variant, workers, args):
    with tempfile.TemporaryDirectory() as tmp:
        ready, events = osp.join(tmp, 'ready'), osp.join(tmp, 'events')
        cmd = [sys.executable, __file__, '--child', '--root', root,
               '--variant', variant, '--workers', str(workers),
               '--ready', ready, '--events', events,
               '--stock-crops', str(args.stock_crops),
               '--epochs', str(args.epochs),
               '--imgs-in-memory', str(args.imgs_in_memory)]
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, cwd=str(REPO))
        peak = 0
        while proc.poll() is None:
            folder = open(ready).read() if osp.exists(ready) else ''
            used = sum(private_pss(p) for p in tree(proc.pid))
            peak = max(peak, used + folder_bytes(folder))
            time.sleep(0.02)
        out = proc.stdout.read().decode()
        if proc.returncode:
            sys.exit(f'{variant} failed ({proc.returncode})')
        result = json.loads(out.strip().splitlines()[-1])
        decodes = None
        if osp.exists(events):
            decodes = sum(line.startswith('reserve')
                          for line in open(events))
        result.update(variant=variant, workers=workers, peak=peak,
                      decodes=decodes)
        return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--stock-crops', type=int, default=12)
    parser.add_argument('--epochs', type=int, default=2,
                        help='epochs of ours (150 crops each)')
    parser.add_argument('--workers', type=int, nargs='+', default=[0, 2])
    parser.add_argument('--imgs-in-memory', type=int, default=2)
    parser.add_argument('--child', action='store_true')
    parser.add_argument('--variant')
    parser.add_argument('--root')
    parser.add_argument('--ready')
    parser.add_argument('--events')
    args = parser.parse_args()
    if args.child:
        args.workers = args.workers[0]
        run_child(args)
        return
    page_mib = (4872 * 6496 * 4) / 2**20  # largest page: BGR + class map
    with tempfile.TemporaryDirectory() as tmp:
        make_layout(Path(tmp))
        rows = []
        for workers in args.workers:
            stock = run_variant(tmp, 'stock', workers, args)
            ours = run_variant(tmp, 'ours', workers, args)
            rows.append((stock, ours))
            print(f'workers={workers} done', file=sys.stderr)
    k = args.imgs_in_memory
    print(f'\nCrop {CROP}, batch 8, crops_per_image=50, imgs_in_memory={k}; '
          f'a decoded page (largest, image + class map) is {page_mib:.0f} '
          'MiB.\n')
    print('| workers | pipeline | crops | seconds | crops/s | speed-up | '
          'peak tree MiB | page decodes | peak - stock peak (pages) |')
    print('|---|---|---|---|---|---|---|---|---|')
    for stock, ours in rows:
        base = stock['crops'] / stock['seconds']
        for r in (stock, ours):
            rate = r['crops'] / r['seconds']
            extra = (r['peak'] - stock['peak']) / 2**20 / page_mib
            decodes = r['decodes'] if r['decodes'] is not None \
                else r['crops']
            name = 'stock (LoadImageFromFile+LoadBlueChannelAnnotations+' \
                'RandomCrop)' if r['variant'] == 'stock' \
                else f'CropsPerImageSampler + LoadPageCrop (K={k})'
            print(f"| {r['workers']} | {name} | {r['crops']} | "
                  f"{r['seconds']:.1f} | {rate:.1f} | {rate / base:.1f}x | "
                  f"{r['peak'] / 2**20:.0f} | {decodes} | "
                  f"{extra:+.2f} |")


if __name__ == '__main__':
    main()

"""Peak memory of ``tools/infer.py``: band streaming against the canvas.

Side by side in one run, each variant in its own process:

* ``baseline``: ``tools/infer.py`` of the commit before streaming inference
  (``infer_runs.BASELINE_REV``): whole-page canvas, pages in turn.
* ``canvas``: this checkout with ``--canvas --io-workers 0``.
* ``stream``: this checkout with ``--io-workers 0`` (band streaming).
* ``stream+io``: this checkout's defaults (band streaming, one worker
  decoding ahead, a writer thread).

Two numbers per run: the main process's peak resident set size (its
``VmHWM``), and the peak of the proportional set size summed over the whole
process tree (the decoding worker included; shared pages counted once),
sampled every 50 ms.

Pages: a 256x256 page (the interpreter and model alone), a synthetic
6000x1200 (H x W) JPEG, the real CB55 page 0059v (4872x6496) from
``../shared`` and a synthetic 20000x20000 JPEG. The 20000x20000 page runs
with ``stride = crop`` (a quarter of the windows: the demo model needs about
25 min per run at its default 50% overlap on the 2-core CPU machine; memory
barely depends on it) and only streams: the canvas variants need about
50 bytes per pixel (a float copy of the page and a canvas of 8 classes),
20 GB, near all of the machine's 24 GiB.

Model: the demo (``make demo``): ``configs/demo_synthetic_unet.py`` and
``work_dirs/demo/iter_1000.pth``.

    python benchmarks/infer_memory.py [--skip-huge] [--json out.json]
"""
import argparse
import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from infer_runs import (REPO, baseline_tree, run_infer,  # noqa: E402
                        shared_dir)

CB55 = 'data/hisdb-samples/cb55/e-codices_fmb-cb-0055_0059v_max.jpg'
VARIANTS = {
    'baseline': ('baseline', []),
    'canvas': ('this', ['--canvas', '--io-workers', '0']),
    'stream': ('this', ['--io-workers', '0']),
    'stream+io': ('this', []),
}


def synthetic_page(path: Path, height: int, width: int, seed: int = 0):
    """A page-like JPEG: parchment colour, dark strokes, scan noise."""
    import cv2
    if path.is_file():
        return path
    rng = np.random.default_rng(seed)
    page = np.empty((height, width, 3), np.uint8)
    page[...] = (150, 190, 215)  # BGR parchment
    for _ in range(height * width // 20000):
        y, x = int(rng.integers(0, height)), int(rng.integers(0, width))
        cv2.line(page, (x, y), (x + int(rng.integers(5, 60)), y),
                 (40, 40, 60), int(rng.integers(1, 4)))
    noise = rng.integers(-12, 13, (min(height, 2048), width, 1),
                         dtype=np.int16)
    for top in range(0, height, 2048):
        band = page[top:top + 2048].astype(np.int16)
        band += noise[:len(band)]
        page[top:top + 2048] = band.clip(0, 255)
    path.parent.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(path), page, [cv2.IMWRITE_JPEG_QUALITY, 90]
                if path.suffix == '.jpg' else [])
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--config',
                        default=str(REPO / 'configs/demo_synthetic_unet.py'))
    parser.add_argument('--checkpoint',
                        default=str(REPO / 'work_dirs/demo/iter_1000.pth'))
    parser.add_argument('--work-dir',
                        default=str(REPO / 'work_dirs/bench_infer_memory'))
    parser.add_argument('--skip-huge', action='store_true',
                        help='leave out the 20000x20000 page')
    parser.add_argument('--only', nargs='+', metavar='PAGE',
                        help='run these pages only (256x256, 6000x1200, '
                        'CB55, 20000x20000)')
    parser.add_argument('--variants', nargs='+', choices=list(VARIANTS),
                        help='run these variants only')
    parser.add_argument('--json', help='also write the results here')
    args = parser.parse_args()
    work = Path(args.work_dir)
    trees = dict(this=REPO, baseline=baseline_tree(work))
    cb55 = shared_dir() / CB55
    if not cb55.is_file():
        sys.exit(f'{cb55} not found (set PIXDIVA_SHARED)')
    pages = [
        ('256x256', synthetic_page(work / 'pages/small.jpg', 256, 256), [],
         list(VARIANTS)),
        ('6000x1200', synthetic_page(work / 'pages/tall.jpg', 6000, 1200),
         [], list(VARIANTS)),
        ('CB55 4872x6496', cb55, [], list(VARIANTS)),
    ]
    if not args.skip_huge:
        # JPEG and PNG: mmcv's LoadImageFromFile would hold the file's
        # bytes and two decoded pages; LoadScanFromFile (the test pipeline's
        # loader) decodes either straight into one array.
        for suffix in ('jpg', 'png'):
            if args.only and not any(f'20000x20000 {suffix}'.startswith(name)
                                     for name in args.only):
                continue
            pages.append((f'20000x20000 {suffix}',
                          synthetic_page(work / f'pages/huge.{suffix}',
                                         20000, 20000),
                          ['--cfg-options',
                           'model.test_cfg.stride=(128,128)'],
                          ['stream', 'stream+io']))
    if args.only:
        pages = [page for page in pages
                 if any(page[0].startswith(name) for name in args.only)]
    results = []
    print('| page | variant | peak RSS, main process (MB) | peak PSS, all '
          'processes (MB) | s |')
    print('|---|---|---|---|---|')
    for name, path, extra, variants in pages:
        folder = work / 'in' / path.name.replace('.', '_')
        folder.mkdir(parents=True, exist_ok=True)
        link = folder / path.name
        if not link.exists():
            link.symlink_to(path.resolve())
        for variant in variants:
            if args.variants and variant not in args.variants:
                continue
            tree, flags = VARIANTS[variant]
            out = work / 'out' / f'{path.stem}-{variant}'
            run = run_infer(trees[tree], [
                args.config, args.checkpoint, str(folder), str(out),
                '--device', 'cpu', '--overwrite', *flags, *extra
            ])
            row = dict(page=name, variant=variant,
                       peak_rss_mb=round(run['peak_rss_mb']),
                       tree_peak_pss_mb=round(run['tree_peak_pss_mb']),
                       seconds=round(run['seconds'], 1))
            results.append(row)
            print(f"| {name} | {variant} | {row['peak_rss_mb']} | "
                  f"{row['tree_peak_pss_mb']} | {row['seconds']} |",
                  flush=True)
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1) + '\n')


if __name__ == '__main__':
    main()

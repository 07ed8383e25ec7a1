"""Reduced-precision inference against float32 on real pages.

For each page of ``--data`` (with its GT in ``--gt``, paired by stem) the
model streams the page in float32 and under autocast in ``--precision``
(bfloat16 by default), side by side in one run. Reported: the model's time
in each (``stream_page`` only, pages decoded beforehand), the share of
pixels whose class is identical, and the DIVA layout evaluator's mean IU of
each against the GT, with their difference.

    python benchmarks/infer_precision.py --device cuda \\
        --data ../shared/data/hisdb-pages/CSG18/val/data \\
        --gt ../shared/data/hisdb-pages/CSG18/val/gt \\
        --config configs/hisdb_pages_cpu_segformer_b0.py --checkpoint CKPT
"""
import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(1, str(Path(__file__).resolve().parents[1]))
import mmseg_pixdiva  # noqa: E402,F401  (compat layer before mmseg)
from infer_runs import REPO  # noqa: E402
from infer_throughput import load_infer  # noqa: E402


def segment(model, image, precision):
    """Class indices of a page and the model's seconds on it."""
    import torch
    model.test_cfg.precision = precision
    if next(model.parameters()).is_cuda:
        torch.cuda.synchronize()
    started = time.perf_counter()
    with torch.no_grad():
        bands = [classes for _, classes in model.stream_page(image)]
    seconds = time.perf_counter() - started
    return torch.cat(bands).numpy(), seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--data', required=True, help='folder of scans')
    parser.add_argument('--gt', required=True, help='folder of their GTs')
    parser.add_argument('--config',
                        default=str(REPO / 'configs/demo_synthetic_unet.py'))
    parser.add_argument('--checkpoint',
                        default=str(REPO / 'work_dirs/demo/iter_1000.pth'))
    parser.add_argument('--device', default='cpu')
    parser.add_argument('--precision', default='bfloat16',
                        choices=('bfloat16', 'float16'))
    parser.add_argument('--batch-windows', type=int, default=None)
    parser.add_argument('--json', help='also write the results here')
    args = parser.parse_args()
    from mmengine.config import Config
    from mmseg.apis import init_model

    from mmseg_pixdiva.apis.page_loader import split_test_pipeline
    from mmseg_pixdiva.datasets.pairing import pair_by_stem
    from mmseg_pixdiva.evaluation.layout_analysis import evaluate_layout
    from mmseg_pixdiva.evaluation.layout_io import read_label_image
    infer = load_infer()
    cfg = Config.fromfile(args.config)
    if args.batch_windows:
        cfg.model.test_cfg.batch_windows = args.batch_windows
    infer.resolve_auto_values(cfg, Path(args.config), Path(args.checkpoint))
    model = init_model(cfg, args.checkpoint, device=args.device)
    # The clean-up is a page-level step after the merge: compare the
    # network's own predictions.
    model.test_cfg.pop('postprocess', None)
    values, _ = infer.find_label_values(model, model.cfg)
    values = np.asarray(values, np.uint8)
    load, _ = split_test_pipeline(model.cfg)
    rows, totals = [], dict(float32=0.0, reduced=0.0)
    print('| page | identical pixels | mean IU float32 | mean IU '
          f'{args.precision} | difference |')
    print('|---|---|---|---|---|')
    for _, scan, gt in pair_by_stem(args.data, args.gt):
        image = load(dict(img_path=scan))['img']
        exact, seconds = segment(model, image, 'float32')
        totals['float32'] += seconds
        reduced, seconds = segment(model, image, args.precision)
        totals['reduced'] += seconds
        gt_rgb = read_label_image(gt, 'GT')
        ious = [evaluate_layout(gt_rgb, values[classes])['mean_iu']
                for classes in (exact, reduced)]
        same = float((exact == reduced).mean())
        rows.append(dict(page=Path(scan).stem, identical=same,
                         mean_iu_float32=ious[0], mean_iu_reduced=ious[1]))
        print(f'| {Path(scan).stem} | {100 * same:.4f} % | {ious[0]:.4f} | '
              f'{ious[1]:.4f} | {ious[1] - ious[0]:+.4f} |', flush=True)
    mean = {key: float(np.mean([row[key] for row in rows]))
            for key in ('identical', 'mean_iu_float32', 'mean_iu_reduced')}
    print(f"| mean | {100 * mean['identical']:.4f} % | "
          f"{mean['mean_iu_float32']:.4f} | {mean['mean_iu_reduced']:.4f} | "
          f"{mean['mean_iu_reduced'] - mean['mean_iu_float32']:+.4f} |")
    print(f"\nmodel time: float32 {totals['float32']:.1f} s, "
          f"{args.precision} {totals['reduced']:.1f} s "
          f"(x{totals['float32'] / totals['reduced']:.2f}) on {len(rows)} "
          f'pages, device {args.device}')
    if args.json:
        Path(args.json).write_text(json.dumps(
            dict(pages=rows, mean=mean, seconds=totals,
                 precision=args.precision, device=args.device), indent=1) +
            '\n')


if __name__ == '__main__':
    main()

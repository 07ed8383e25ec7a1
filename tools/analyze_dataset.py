"""Print and cache DeepDIVA-like statistics of a dataset's training split.

Examples::

    # DIVA-HisDB encoding: boundary pixels count as background
    python tools/analyze_dataset.py data/synthetic_hisdb --hisdb
    # any blue-channel dataset with a known class list
    python tools/analyze_dataset.py data/mydocs --label-values 0 1 2

Mean/std are over all training pixels in 0..255; class weights are
DeepDIVA's ``(1/n_c) / sum_k(1/n_k)``. The JSON is cached in DATA_ROOT
(``pixdiva_statistics.json``) unless ``--no-cache``; ``--out`` writes the
statistics to another file as well.
"""
import argparse
import json
import sys
from pathlib import Path
from typing import List, Optional


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Mean/std, class frequencies and class weights of the '
        'training pages (DeepDIVA analytics).')
    parser.add_argument('data_root', help='dataset root ({split}/data, gt)')
    parser.add_argument('--split', default='train',
                        help='split folder to analyse (default: train)')
    classes = parser.add_mutually_exclusive_group()
    classes.add_argument(
        '--hisdb', action='store_true',
        help='DIVA-HisDB: name classes from their bits, count boundary '
        'pixels as background (blue 1)')
    classes.add_argument(
        '--label-values', type=int, nargs='+', default=None,
        help='blue values in class order (default: every value present in '
        'the GTs, ascending)')
    parser.add_argument('--boundary-to-background', action='store_true',
                        help='count boundary pixels (red bit 7) as the '
                        'background class (implied by --hisdb)')
    parser.add_argument('--no-cache', action='store_true',
                        help='neither read nor write the cache in DATA_ROOT')
    parser.add_argument('--out', default=None,
                        help='also write the statistics JSON here')
    return parser.parse_args(argv)


def format_table(stats: dict, hisdb: bool) -> str:
    """Markdown-style tables of mean/std and of the classes."""
    from mmseg_pixdiva.core.encoding import hisdb_class_name
    lines = [
        f'{stats["num_images"]} images, {stats["num_pixels"]} pixels',
        '',
        '| channel | mean | std |',
        '|---|---:|---:|',
    ]
    for i, name in enumerate('RGB'):
        lines.append(f'| {name} | {stats["mean_rgb"][i]:.3f} | '
                     f'{stats["std_rgb"][i]:.3f} |')
    lines += [
        '',
        f'mean (RGB) = {[round(v, 3) for v in stats["mean_rgb"]]}, '
        f'std (RGB) = {[round(v, 3) for v in stats["std_rgb"]]}',
        f'mean (BGR) = {[round(v, 3) for v in stats["mean_bgr"]]}, '
        f'std (BGR) = {[round(v, 3) for v in stats["std_bgr"]]}',
        '',
        'boundary pixels counted as background: '
        f'{stats["boundary_to_background"]}',
        '',
        '| class | blue | pixels | frequency | weight (DeepDIVA) | '
        'weight (mean 1) |',
        '|---|---:|---:|---:|---:|---:|',
    ]
    for i, value in enumerate(stats['label_values']):
        name = hisdb_class_name(value) if hisdb else f'blue={value}'
        lines.append(
            f'| {name} | {value} | {stats["class_pixel_counts"][i]} | '
            f'{stats["class_frequencies"][i]:.6f} | '
            f'{stats["class_weights"][i]:.6g} | '
            f'{stats["class_weights_mean_one"][i]:.6g} |')
    return '\n'.join(lines)


def refuse_hisdb_gts(data_root: str, split: str, use_cache: bool) -> None:
    """Raise the error naming the GT of ``split`` that holds blue 0."""
    import os.path as osp
    from mmseg_pixdiva.datasets.gt_values import (GT_VALUES_CACHE_NAME,
                                                  refuse_hisdb_blue_zero)
    from mmseg_pixdiva.datasets.pairing import pair_by_stem
    pairs = pair_by_stem(osp.join(data_root, split, 'data'),
                         osp.join(data_root, split, 'gt'))
    refuse_hisdb_blue_zero([gt for _, _, gt in pairs],
                           osp.join(data_root, GT_VALUES_CACHE_NAME)
                           if use_cache else None)


def main(argv: Optional[List[str]] = None) -> int:
    args = parse_args(argv)
    from mmseg_pixdiva.datasets.analytics import (DEFAULT_CACHE_NAME,
                                                  DatasetStatisticsError,
                                                  load_or_compute_statistics)
    from mmseg_pixdiva.utils.atomic import atomic_write_text
    from mmseg_pixdiva.utils.output_guard import (OutputIsInputError,
                                                  refuse_inputs)
    if args.out:
        split = Path(args.data_root) / args.split
        inputs = [(f'{args.split} {sub} file', path)
                  for sub in ('data', 'gt') if (split / sub).is_dir()
                  for path in sorted((split / sub).iterdir())]
        try:
            refuse_inputs([args.out], inputs)
        except OutputIsInputError as error:
            print(f'error: {error}', file=sys.stderr)
            return 2
    try:
        stats = load_or_compute_statistics(
            args.data_root,
            img_dir=f'{args.split}/data',
            gt_dir=f'{args.split}/gt',
            label_values=args.label_values,
            boundary_to_background=args.hisdb or args.boundary_to_background,
            background_value=1 if args.hisdb else None,
            use_cache=not args.no_cache)
        if args.hisdb and '0' in stats['blue_value_counts']:
            # Blue 0 is no DIVA-HisDB class: name the GT that holds it
            # (decoded again only on this error path).
            refuse_hisdb_gts(args.data_root, args.split, not args.no_cache)
    except (DatasetStatisticsError, ValueError, OSError) as error:
        print(f'error: {error}', file=sys.stderr)
        return 2
    print()
    print(format_table(stats, args.hisdb))
    if not args.no_cache:
        print(f'\ncached in {args.data_root}/{DEFAULT_CACHE_NAME}'
              f'{" (read from the cache)" if stats["cached"] else ""}')
    if args.out:
        try:
            atomic_write_text(args.out, json.dumps(stats, indent=1))
        except OSError as error:
            print(f'error: {args.out}: cannot write the statistics ({error})',
                  file=sys.stderr)
            return 2
        print(f'written to {args.out}')
    return 0


if __name__ == '__main__':
    sys.exit(main())

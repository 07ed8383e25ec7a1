"""Write a synthetic DIVA-HisDB-like dataset (deterministic for a seed).

Example::

    python tools/make_synthetic_hisdb.py data/synthetic_hisdb \
        --train 6 --val 2 --test 2 --height 512 --width 384 \
        --test-height 1024 --test-width 768 --seed 0

Layout: ``ROOT/{train,val,test}/{data,gt}/<stem>.jpg|.png``, GT in the exact
DIVA-HisDB encoding (blue = class bits, red = 128 on boundary pixels).
"""
import argparse
import sys
import time
from typing import List, Optional


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Generate synthetic manuscript pages with DIVA-HisDB '
        'ground truth in the DeepDIVA train/val/test layout.')
    parser.add_argument('root', help='dataset root to write')
    parser.add_argument('--train', type=int, default=6, help='train pages')
    parser.add_argument('--val', type=int, default=2, help='val pages')
    parser.add_argument('--test', type=int, default=2, help='test pages')
    parser.add_argument('--height', type=int, default=512,
                        help='page height (train/val)')
    parser.add_argument('--width', type=int, default=384,
                        help='page width (train/val)')
    parser.add_argument('--test-height', type=int, default=None,
                        help='test page height (default: --height)')
    parser.add_argument('--test-width', type=int, default=None,
                        help='test page width (default: --width)')
    parser.add_argument('--seed', type=int, default=0, help='dataset seed')
    parser.add_argument('--image-format', choices=['jpg', 'png'],
                        default='jpg', help='image file format (GT: PNG)')
    parser.add_argument('--overwrite', action='store_true',
                        help='replace an existing different dataset in ROOT')
    parser.add_argument('--no-progress', action='store_true',
                        help='no progress bar')
    return parser.parse_args(argv)


def main(argv: Optional[List[str]] = None) -> int:
    args = parse_args(argv)
    from mmseg_pixdiva.datasets.synthetic import write_synthetic_dataset
    start = time.time()
    try:
        stems = write_synthetic_dataset(
            args.root, n_train=args.train, n_val=args.val, n_test=args.test,
            height=args.height, width=args.width, seed=args.seed,
            test_height=args.test_height, test_width=args.test_width,
            image_suffix='.' + args.image_format, overwrite=args.overwrite,
            progress=not args.no_progress)
    except (FileExistsError, ValueError) as error:
        print(f'error: {error}', file=sys.stderr)
        return 2
    counts = ', '.join(f'{len(v)} {k}' for k, v in stems.items())
    print(f'\nsynthetic dataset in {args.root}: {counts} pages '
          f'({time.time() - start:.1f} s)')
    return 0


if __name__ == '__main__':
    sys.exit(main())

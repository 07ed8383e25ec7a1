"""Choose the page clean-up's parameters on validation pages.

Reads GT-format predictions of validation pages (``tools/test.py --out`` or
``tools/infer.py`` with ``model.test_cfg.postprocess=None``) and their GTs,
tries every candidate of
:func:`~mmseg_pixdiva.evaluation.region_filter.filter_small_regions` per
class bit, and keeps the settings with the best DIVA evaluator mean IU (mean
over pages). Prints the scores without and with the clean-up, a
leave-one-page-out estimate, and the config line to use::

    python tools/tune_postprocess.py \\
        --gt-dir ../shared/data/hisdb-pages/CSG18/val/gt \\
                 ../shared/data/hisdb-pages/CSG863/val/gt \\
        --prediction-dir work_dirs/hisdb_pages/predictions \\
        --out work_dirs/hisdb_pages/postprocess.json \\
        --write-dir work_dirs/hisdb_pages/predictions_filtered

Every prediction needs a GT of the same stem in one of the GT folders
(GTs without prediction are ignored). ``--write-dir`` writes the filtered
predictions (GT format), all or none.
"""
import argparse
import contextlib
import json
import os.path as osp
import sys
from pathlib import Path
from typing import Dict, List, Optional

sys.path.insert(0, osp.join(osp.dirname(osp.abspath(__file__)), '..'))

from mmseg_pixdiva.utils.errors import (InputError,  # noqa: E402
                                        exit_on_input_error)


def non_negative_int(text: str) -> int:
    """argparse type: an integer >= 0."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f'{text!r} is not an integer')
    if value < 0:
        raise argparse.ArgumentTypeError(f'{value} is negative')
    return value


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    from mmseg_pixdiva.evaluation.region_filter_tuning import (
        DEFAULT_GROUP_DISTANCES, DEFAULT_MIN_AREAS, DEFAULT_MIN_PAGE_PIXELS)
    parser = argparse.ArgumentParser(
        description='Pick the page clean-up (test_cfg.postprocess) on '
        'validation pages by the DIVA evaluator mean IU.')
    parser.add_argument('--gt-dir', nargs='+', required=True,
                        help='folder(s) of GTs; matched to predictions by '
                        'stem')
    parser.add_argument('--prediction-dir', required=True,
                        help='folder of GT-format predictions (PNG)')
    parser.add_argument('--out', help='write the result JSON here')
    parser.add_argument('--write-dir',
                        help='write the filtered predictions here')
    parser.add_argument('--bits', type=int, nargs='+', default=[2, 4, 8],
                        help='class bits to filter (default: HisDB comment, '
                        'decoration, main text)')
    parser.add_argument('--min-areas', type=non_negative_int, nargs='+',
                        default=list(DEFAULT_MIN_AREAS))
    parser.add_argument('--min-page-pixels', type=non_negative_int, nargs='+',
                        default=list(DEFAULT_MIN_PAGE_PIXELS))
    parser.add_argument('--group-distances', type=non_negative_int, nargs='+',
                        default=list(DEFAULT_GROUP_DISTANCES))
    return parser.parse_args(argv)


def gt_by_stem(gt_dirs: List[str]) -> Dict[str, str]:
    """stem -> GT path over all ``gt_dirs``; a stem in two is an error."""
    from mmseg_pixdiva.evaluation.layout_cli import list_images
    found: Dict[str, str] = {}
    for folder in gt_dirs:
        for stem, path in list_images(folder, 'GT').items():
            if stem in found:
                raise InputError(f'GT "{stem}" is in two GT folders: '
                                 f'{found[stem]} and {path}')
            found[stem] = path
    return found


def check_outputs(args: argparse.Namespace) -> None:
    """Refuse outputs that are, or lie in, an input folder."""
    inputs = [Path(p).resolve() for p in args.gt_dir + [args.prediction_dir]]
    if args.write_dir:
        write_dir = Path(args.write_dir).resolve()
        if write_dir in inputs:
            raise InputError(f'--write-dir {args.write_dir} is an input '
                             'folder; filtered predictions would replace '
                             'its files. Choose another folder.')
    if args.out:
        out = Path(args.out).resolve()
        if out.parent in inputs:
            raise InputError(f'--out {args.out} lies in an input folder; '
                             'write it elsewhere')
        if out.is_dir():
            raise InputError(f'--out {args.out} is a folder, not a file')


@exit_on_input_error
def main(argv: Optional[List[str]] = None) -> int:
    args = parse_args(argv)
    import numpy as np
    from mmengine.utils import ProgressBar

    from mmseg_pixdiva.evaluation.layout_cli import list_images
    from mmseg_pixdiva.evaluation.layout_io import (encode_png,
                                                    read_label_pair)
    from mmseg_pixdiva.evaluation.region_filter_tuning import \
        tune_region_filter
    from mmseg_pixdiva.evaluation.region_filter import \
        filter_small_regions
    from mmseg_pixdiva.utils.atomic import atomic_path, atomic_write_text

    check_outputs(args)
    gts = gt_by_stem(args.gt_dir)
    predictions = list_images(args.prediction_dir, 'prediction',
                              skip_outputs=True)
    if not predictions:
        raise InputError(f'no predictions in {args.prediction_dir}')
    missing = sorted(set(predictions) - set(gts))
    if missing:
        raise InputError(
            f'no GT for the predictions {", ".join(missing)} of '
            f'{args.prediction_dir} in {", ".join(args.gt_dir)}')
    pages = []
    print(f'reading {len(predictions)} pages', flush=True)
    for stem in sorted(predictions):
        gt, pred = read_label_pair(gts[stem], predictions[stem])
        blue = pred if pred.ndim == 2 else pred[..., 2]
        pages.append((stem, gt, blue.copy()))
    print('scoring the candidates', flush=True)
    bar = ProgressBar(len(pages))
    result = tune_region_filter(
        pages, args.bits, args.min_areas, args.min_page_pixels,
        args.group_distances, progress=lambda name: bar.update())
    print(flush=True)
    settings = result['settings']
    for page in result['pages']:
        loo = page['leave_one_out']
        print(f"{page['name']}: mean IU {page['raw']:.4f} -> "
              f"{page['filtered']:.4f}" +
              ('' if loo is None else f' (leave-one-out {loo:.4f})'))
    print(f"mean over pages: {result['mean_iu_raw']:.4f} without, "
          f"{result['mean_iu_filtered']:.4f} with the clean-up (chosen on "
          'these pages)' +
          ('' if result['mean_iu_leave_one_out'] is None else
           f", {result['mean_iu_leave_one_out']:.4f} leave-one-page-out"))
    print('config: model = dict(test_cfg=dict(postprocess=dict('
          f"bits={tuple(settings['bits'])}, "
          f"min_area={tuple(settings['min_area'])}, "
          f"min_page_pixels={tuple(settings['min_page_pixels'])}, "
          f"group_distance={settings['group_distance']})))")
    if args.write_dir:
        # All or none: every file goes to a hidden temporary name and is
        # renamed only when all pages are written.
        with contextlib.ExitStack() as pending:
            for stem, _, blue in pages:
                tmp = pending.enter_context(
                    atomic_path(Path(args.write_dir) / f'{stem}.png'))
                bgr = np.zeros(blue.shape + (3, ), np.uint8)
                bgr[..., 0] = filter_small_regions(blue, **settings)
                tmp.write_bytes(encode_png(bgr))  # GT format: blue only
        print(f'filtered predictions in {args.write_dir}')
    if args.out:
        result = dict(result, gt_dirs=args.gt_dir,
                      prediction_dir=args.prediction_dir)
        atomic_write_text(args.out, json.dumps(result, indent=1) + '\n')
        print(f'result in {args.out}')
    return 0


if __name__ == '__main__':
    sys.exit(main())

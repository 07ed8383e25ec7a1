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

Before any work the tool refuses an ``--out`` that is a file of the data
root (a scan or GT of any split, the synthetic manifest, a cache), that
lies in a split's ``data`` or ``gt`` folder, or that exists and is not its
own earlier output; and a file under the cache's name that is no
statistics cache.
"""
import argparse
import json
import sys
from pathlib import Path
from typing import List, Optional

# Runnable as `python tools/analyze_dataset.py` from a checkout.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from mmseg_pixdiva.utils.errors import exit_on_input_error  # noqa: E402

#: The tool's name in its messages, and its mark on every ``--out`` JSON
#: (under :data:`OWN_OUTPUT_KEY`): an existing file that carries it is an
#: earlier output, which a new run may replace; any other is refused.
TOOL = 'tools/analyze_dataset.py'
OWN_OUTPUT_KEY = 'written_by'


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


def is_own_output(path: Path) -> bool:
    """Whether ``path`` is an earlier ``--out`` of this tool: a JSON object
    holding ``OWN_OUTPUT_KEY: TOOL``."""
    try:
        with open(path, encoding='utf-8') as f:
            record = json.load(f)
    except (OSError, ValueError):
        return False
    return isinstance(record, dict) and record.get(OWN_OUTPUT_KEY) == TOOL


def refuse_out(data_root: str, split: str, out: str) -> None:
    """Refuse an ``--out`` that would replace a file of the data root or
    of the user's, or add a file to a split folder.

    Raises:
        OutputIsInputError: Naming ``out`` and the file or folder.
    """
    from mmseg_pixdiva.datasets.data_root import (data_root_files,
                                                  split_folders)
    from mmseg_pixdiva.utils.output_guard import (OutputIsInputError,
                                                  refuse_foreign_files,
                                                  refuse_inputs, same_file)
    refuse_inputs([out], data_root_files(data_root, [split]))
    for name, folder in split_folders(data_root, [split]):
        if same_file(Path(out).parent, folder):
            raise OutputIsInputError(
                f'{out}: refusing to write there: it lies in the {name} '
                f'folder {folder}, where every later run would read it as '
                'a page; choose another output')
    refuse_foreign_files([out], is_own_output, TOOL)


def refuse_foreign_cache(data_root: str) -> None:
    """Refuse a file under the statistics cache's name that is no cache
    (the run would replace it with one).

    Raises:
        OutputIsInputError: Naming the file.
    """
    from mmseg_pixdiva.datasets.analytics import (is_statistics_cache,
                                                  statistics_cache_path)
    from mmseg_pixdiva.utils.output_guard import OutputIsInputError
    cache = Path(statistics_cache_path(data_root))
    if cache.exists() and not is_statistics_cache(str(cache)):
        raise OutputIsInputError(
            f'{cache}: refusing to replace it with the statistics cache: it '
            'is no statistics cache; move it away or pass --no-cache')


@exit_on_input_error
def main(argv: Optional[List[str]] = None) -> int:
    args = parse_args(argv)
    from mmseg_pixdiva.datasets.analytics import (DEFAULT_CACHE_NAME,
                                                  DatasetStatisticsError,
                                                  load_or_compute_statistics)
    from mmseg_pixdiva.utils.atomic import atomic_write_text
    if args.out:
        refuse_out(args.data_root, args.split, args.out)
    if not args.no_cache:
        refuse_foreign_cache(args.data_root)
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
            atomic_write_text(args.out, json.dumps(
                {OWN_OUTPUT_KEY: TOOL, **stats}, indent=1))
        except OSError as error:
            print(f'error: {args.out}: cannot write the statistics ({error})',
                  file=sys.stderr)
            return 2
        print(f'written to {args.out}')
    return 0


if __name__ == '__main__':
    sys.exit(main())

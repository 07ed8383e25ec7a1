"""Colour-code GT-format PNGs (predictions from any tool, or GTs).

Writes, for every input ``<stem>.png``, the same pictures as
``ColourVisualizationHook``: ``<stem>_pred.png`` (the input coloured by
class), and with ``--gt-dir`` also ``<stem>_gt.png`` and the DIVA layout
evaluator's error map ``<stem>_errors.png``; with ``--image-dir`` and
``--overlay`` also ``<stem>_overlay.png``; plus one ``legend.png``.

Examples::

    # predictions of a DIVA-HisDB model, with error maps and overlays
    python tools/visualize.py work_dirs/preds --hisdb \\
        --gt-dir data/CB55/test/gt --image-dir data/CB55/test/data \\
        --overlay --out-dir work_dirs/preds_vis

    # any dataset: give the blue values of the classes (and names)
    python tools/visualize.py pred.png --label-values 0 1 2 \\
        --classes bg text image --out-dir vis
"""
import argparse
import sys
from pathlib import Path
from typing import List, Optional, Sequence

# Runnable as `python tools/visualize.py` from a checkout.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from mmseg_pixdiva.datasets.encoding import (  # noqa: E402
    decode_gt, hisdb_class_name)
from mmseg_pixdiva.datasets.pairing import IMAGE_SUFFIXES  # noqa: E402
from mmseg_pixdiva.utils.atomic import atomic_write_image  # noqa: E402
from mmseg_pixdiva.visualization import (  # noqa: E402
    is_bit_flag_encoding, legend_image, page_pictures, read_rgb,
    resolve_palette, write_page_pictures)

#: Every combination of the four DIVA-HisDB bits (blue 1..15).
HISDB_ALL_VALUES = list(range(1, 16))


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Colour-code GT-format PNGs (predictions or GTs) into '
        'class pictures, evaluator-style error maps and overlays.')
    parser.add_argument('inputs', nargs='+',
                        help='GT-format PNG files or folders of them')
    parser.add_argument('--out-dir', required=True,
                        help='folder for the pictures')
    encoding = parser.add_mutually_exclusive_group(required=True)
    encoding.add_argument('--label-values', type=int, nargs='+',
                          help='blue value of every class, in class order')
    encoding.add_argument('--hisdb', action='store_true',
                          help='DIVA-HisDB bit flags: blue 1..15, fixed '
                          'HisDB colours and names')
    parser.add_argument('--classes', nargs='+',
                        help='class names (default: HisDB names or values)')
    parser.add_argument('--gt-dir', help='GT folder: adds <stem>_gt.png '
                        'and <stem>_errors.png')
    parser.add_argument('--image-dir', help='scan folder, for --overlay')
    parser.add_argument('--overlay', action='store_true',
                        help='write <stem>_overlay.png on the scan')
    parser.add_argument('--no-errors', action='store_true',
                        help='do not write the error maps')
    parser.add_argument('--compression', type=int, default=3,
                        help='PNG compression level 0-9 (default 3)')
    return parser.parse_args(argv)


def collect_inputs(inputs: Sequence[str]) -> List[Path]:
    """The PNG files named or contained in ``inputs`` (sorted per folder)."""
    files = []
    for item in inputs:
        path = Path(item)
        if path.is_dir():
            found = sorted(p for p in path.iterdir()
                           if p.suffix.lower() == '.png' and p.is_file())
            if not found:
                raise FileNotFoundError(f'{path}: folder has no .png files')
            files.extend(found)
        elif path.is_file():
            files.append(path)
        else:
            raise FileNotFoundError(f'{path}: no such file or folder')
    # The pictures are named after the stem: two inputs with one stem
    # would overwrite each other's pictures.
    by_stem = {}
    for path in files:
        stem = path.stem
        if stem in by_stem and by_stem[stem] != path:
            raise ValueError(f'{by_stem[stem]} and {path} have the same page '
                             'name; their pictures would overwrite each '
                             'other. Visualise them into separate folders')
        by_stem[stem] = path
    return files


def find_partner(stem: str, folder: Path, suffixes: Sequence[str],
                 exclude: Optional[Path] = None) -> Optional[Path]:
    """The file in ``folder`` for a page stem.

    Same stem first; else the file whose stem is the longest prefix of
    ``stem`` followed by ``.``, ``_`` or ``-`` (so
    ``page.synthetic-prediction.png`` pairs with ``page.png``). ``exclude``
    (the input itself, when it lies in that folder) is never returned.
    """
    def usable(candidate: Path) -> bool:
        return candidate.is_file() and not (
            exclude is not None and candidate.resolve() == exclude.resolve())

    for suffix in suffixes:
        for candidate in (folder / f'{stem}{suffix}',
                          folder / f'{stem}{suffix.upper()}'):
            if usable(candidate):
                return candidate
    best, best_key = None, None
    for candidate in folder.iterdir():
        other, suffix = candidate.stem, candidate.suffix.lower()
        if suffix in suffixes and usable(candidate) and \
                len(other) < len(stem) and stem.startswith(other) and \
                stem[len(other)] in '._-':
            # Longest stem first, then the order of ``suffixes`` (a scan
            # folder may hold page.jpg and page.png).
            key = (len(other), -suffixes.index(suffix))
            if best_key is None or key > best_key:
                best, best_key = candidate, key
    return best


def class_setup(args: argparse.Namespace):
    """(label_values, class names, palette, hisdb) from the arguments."""
    label_values = args.label_values or HISDB_ALL_VALUES
    hisdb = args.hisdb or is_bit_flag_encoding(label_values)
    if args.classes is not None:
        if len(args.classes) != len(label_values):
            raise ValueError(f'{len(args.classes)} class names for '
                             f'{len(label_values)} label values')
        names = list(args.classes)
    elif hisdb:
        names = [hisdb_class_name(v) for v in label_values]
    else:
        names = [str(v) for v in label_values]
    palette = resolve_palette(len(label_values), None, label_values,
                              hisdb=hisdb)
    return label_values, names, palette, hisdb


def visualize_file(path: Path, args: argparse.Namespace, label_values,
                   palette, error_map: bool) -> List[Path]:
    """Write the pictures of one GT-format PNG; return the written files."""
    pred = decode_gt(read_rgb(path), label_values, filename=str(path))
    gt_rgb = scan = None
    if args.gt_dir:
        gt_path = find_partner(path.stem, Path(args.gt_dir), ('.png', ),
                               exclude=path)
        if gt_path is None:
            raise FileNotFoundError(f'{path}: no GT for it in {args.gt_dir}')
        gt_rgb = read_rgb(gt_path)
    if args.overlay and args.image_dir:
        image_path = find_partner(path.stem, Path(args.image_dir),
                                  IMAGE_SUFFIXES, exclude=path)
        if image_path is None:
            raise FileNotFoundError(
                f'{path}: no scan for it in {args.image_dir}')
        scan = read_rgb(image_path)
    pictures = page_pictures(pred, palette, label_values, gt_rgb=gt_rgb,
                             scan=scan, error_map=error_map,
                             overlay=args.overlay, filename=str(path))
    return list(write_page_pictures(args.out_dir, path.stem, pictures,
                                    args.compression).values())


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = parse_args(argv)
    if args.overlay and not args.image_dir:
        print('error: --overlay needs --image-dir', file=sys.stderr)
        return 2
    for folder in (args.gt_dir, args.image_dir):
        if folder and not Path(folder).is_dir():
            print(f'error: {folder}: no such folder', file=sys.stderr)
            return 2
    try:
        files = collect_inputs(args.inputs)
        label_values, names, palette, hisdb = class_setup(args)
    except (FileNotFoundError, ValueError) as error:
        print(f'error: {error}', file=sys.stderr)
        return 2
    error_map = not args.no_errors and is_bit_flag_encoding(label_values)
    out_dir = Path(args.out_dir)
    try:
        atomic_write_image(out_dir / 'legend.png',
                           legend_image(names, palette, label_values,
                                        title='Classes'))
    except OSError as error:
        print(f'error: {out_dir}: cannot write the pictures there ({error})',
              file=sys.stderr)
        return 2
    progress = None
    if len(files) > 1:
        from mmengine.utils import ProgressBar
        progress = ProgressBar(len(files), file=sys.stdout)
    failures = []
    written = 0
    for path in files:
        try:
            written += len(visualize_file(path, args, label_values, palette,
                                          error_map))
        except (OSError, ValueError) as error:
            # One bad page must not lose the others; report all at the end.
            failures.append(str(error))
        if progress is not None:
            progress.update()
    if progress is not None:
        print()
    print(f'{written} pictures of {len(files) - len(failures)} page(s) and '
          f'legend.png written to {out_dir}')
    for failure in failures:
        print(f'error: {failure}', file=sys.stderr)
    return 1 if failures else 0


if __name__ == '__main__':
    sys.exit(main())

"""Colour-code GT-format PNGs (predictions from any tool, or GTs).

Writes, for every input ``<stem>.png``, the same pictures as
``ColourVisualizationHook``: ``<stem>_pred.png`` (the input coloured by
class), and with ``--gt-dir`` also ``<stem>_gt.png`` and the DIVA layout
evaluator's error map ``<stem>_errors.png``; with ``--image-dir`` and
``--overlay`` also ``<stem>_overlay.png``; plus one ``legend.png``.

Every page's GT and scan are found and checked from their headers (format,
size, and that they are no pictures of this tool), and every output
checked, before the first picture is drawn: an output folder that is an
input folder, an output that is an input, and an existing file that this
tool did not write (its pictures carry a PNG ``Software`` text) are
refused, exit status 2. A page that fails while being drawn is named; the others are
still written, exit status 1.

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
from typing import List, NamedTuple, Optional, Sequence

# Runnable as `python tools/visualize.py` from a checkout.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from mmseg_pixdiva.core.encoding import (  # noqa: E402
    decode_gt, hisdb_class_name)
from mmseg_pixdiva.datasets.pairing import IMAGE_SUFFIXES  # noqa: E402
from mmseg_pixdiva.evaluation import layout_io as lio  # noqa: E402
from mmseg_pixdiva.utils.atomic import atomic_write_image  # noqa: E402
from mmseg_pixdiva.utils.image_header import header_size  # noqa: E402
from mmseg_pixdiva.utils.image_reader import check_same_shape  # noqa: E402
from mmseg_pixdiva.utils.errors import (  # noqa: E402
    UsageError, exit_on_input_error, problem_list)
from mmseg_pixdiva.utils.output_guard import (  # noqa: E402
    refuse_foreign_files, refuse_input_folders, refuse_inputs)
from mmseg_pixdiva.visualization import (  # noqa: E402
    LEGEND, PICTURE_SOFTWARE, is_bit_flag_encoding, is_picture_file,
    legend_image, page_pictures, picture_path, read_rgb, resolve_palette,
    write_page_pictures)

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
            pngs = [p for p in sorted(path.iterdir())
                    if p.suffix.lower() == '.png']
            for png in pngs:
                if png.is_symlink() and not png.exists():
                    # A page the user meant to draw: never skipped silently.
                    raise FileNotFoundError(f'{png}: input file is a broken '
                                            'or looping symbolic link')
            found = [p for p in pngs if p.is_file()]
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
            raise UsageError(f'{by_stem[stem]} and {path} have the same page '
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
            raise UsageError(f'{len(args.classes)} class names for '
                             f'{len(label_values)} label values')
        names = list(args.classes)
    elif hisdb:
        names = [hisdb_class_name(v) for v in label_values]
    else:
        names = [str(v) for v in label_values]
    palette = resolve_palette(len(label_values), None, label_values,
                              hisdb=hisdb)
    return label_values, names, palette, hisdb


class PagePlan(NamedTuple):
    """What one input page needs and will write (known before any work)."""
    path: Path
    gt_path: Optional[Path]
    scan_path: Optional[Path]
    outputs: List[Path]


def plan_pages(files: Sequence[Path], args: argparse.Namespace,
               error_map: bool) -> List[PagePlan]:
    """Find every page's GT and scan and name its pictures.

    Raises:
        FileNotFoundError: Listing every page without its GT or scan.
    """
    plans, missing = [], []
    for path in files:
        gt_path = scan_path = None
        kinds = ['pred']
        if args.gt_dir:
            gt_path = find_partner(path.stem, Path(args.gt_dir), ('.png', ),
                                   exclude=path)
            if gt_path is None:
                missing.append(f'{path}: no GT for it in {args.gt_dir}')
            kinds += ['gt', 'errors'] if error_map else ['gt']
        if args.overlay and args.image_dir:
            scan_path = find_partner(path.stem, Path(args.image_dir),
                                     IMAGE_SUFFIXES, exclude=path)
            if scan_path is None:
                missing.append(f'{path}: no scan for it in {args.image_dir}')
            kinds.append('overlay')
        outputs = [picture_path(args.out_dir, path.stem, kind)
                   for kind in kinds]
        plans.append(PagePlan(path, gt_path, scan_path, outputs))
    if missing:
        raise FileNotFoundError(problem_list(
            f'{len(missing)} page(s) lack a partner (nothing written)',
            missing))
    # The evaluator's header checks (empty, truncated, lossy, unknown or
    # over-large files) and the sizes from the headers, so that bad inputs
    # stop the run before any picture.
    problems = []
    for plan in plans:
        try:
            check_page_inputs(plan)
        except lio.LayoutInputError as error:
            problems.append(str(error))
    if problems:
        raise lio.LayoutInputError(problem_list(
            f'{len(problems)} file(s) cannot be read (nothing written)',
            problems) if len(problems) > 1 else problems[0])
    return plans


def check_page_inputs(plan: PagePlan) -> None:
    """Check one page's files from their headers (no decoding).

    Raises:
        LayoutInputError: For a picture of this tool given as input (its
            colours are not class encodings), a file the evaluator would
            refuse, or a GT or scan whose size is not the input's.
    """
    if is_picture_file(plan.path):
        raise lio.LayoutInputError(
            f'{plan.path}: a picture written by tools/visualize.py (class '
            'colours, not a GT-format encoding); give the predictions or GTs '
            'themselves')
    for path, role in ((plan.path, 'prediction'), (plan.gt_path, 'GT')):
        if path is not None:
            lio.check_label_header(lio.read_image_header(path), role)
    shape = header_size(plan.path)
    if plan.gt_path is not None:
        check_same_shape(plan.gt_path, header_size(plan.gt_path),
                         f'the prediction {plan.path}', shape,
                         'a GT must have the size of its page', 'GT size')
    if plan.scan_path is not None:
        # As training and the overlay read it: turned by its EXIF tag.
        check_same_shape(plan.scan_path,
                         header_size(plan.scan_path, apply_orientation=True),
                         f'the prediction {plan.path}', shape,
                         'the overlay needs the scan of the same page',
                         'scan size (EXIF orientation applied)')


def check_outputs(plans: Sequence[PagePlan], args: argparse.Namespace
                  ) -> List[Path]:
    """Every output of the run, checked against its inputs.

    Refused: an output folder that is an input folder (its pictures would
    be read as inputs by the next run, and ``a_pred.png`` of page ``a``
    would replace an input of that name), an output that is an input file,
    and an existing file that is not a picture this tool wrote.
    """
    out_dir = Path(args.out_dir)
    inputs = []
    for plan in plans:
        inputs += [('input', plan.path), ('GT', plan.gt_path),
                   ('scan', plan.scan_path)]
    folders = [('input', plan.path.parent) for plan in plans]
    folders += [('GT', args.gt_dir), ('scan', args.image_dir)]
    refuse_input_folders(out_dir, folders)
    outputs = [out_dir / LEGEND] + [out for plan in plans
                                    for out in plan.outputs]
    refuse_inputs(outputs, inputs)
    refuse_foreign_files(outputs, is_picture_file, 'tools/visualize.py')
    return outputs


def visualize_page(plan: PagePlan, args: argparse.Namespace, label_values,
                   palette, error_map: bool) -> List[Path]:
    """Write the pictures of one GT-format PNG; return the written files."""
    path = plan.path
    pred = decode_gt(read_rgb(path), label_values, filename=str(path))
    gt_rgb = read_rgb(plan.gt_path) if plan.gt_path else None
    # Scans as training reads them (EXIF orientation applied), checked
    # against the prediction's size.
    scan = lio.read_scan(plan.scan_path, shape=pred.shape) \
        if plan.scan_path else None
    pictures = page_pictures(pred, palette, label_values, gt_rgb=gt_rgb,
                             scan=scan, error_map=error_map,
                             overlay=args.overlay, filename=str(path))
    return list(write_page_pictures(args.out_dir, path.stem, pictures,
                                    args.compression).values())


@exit_on_input_error
def main(argv: Optional[Sequence[str]] = None) -> int:
    """Exit status: 0 done, 2 bad input (nothing written), 1 some pages
    failed while being drawn (the others are written)."""
    args = parse_args(argv)
    if args.overlay and not args.image_dir:
        raise UsageError('--overlay needs --image-dir')
    for folder in (args.gt_dir, args.image_dir):
        if folder and not Path(folder).is_dir():
            raise FileNotFoundError(f'{folder}: no such folder')
    files = collect_inputs(args.inputs)
    label_values, names, palette, hisdb = class_setup(args)
    error_map = not args.no_errors and is_bit_flag_encoding(label_values)
    plans = plan_pages(files, args, error_map)
    check_outputs(plans, args)
    out_dir = Path(args.out_dir)
    try:
        atomic_write_image(out_dir / LEGEND,
                           legend_image(names, palette, label_values,
                                        title='Classes'),
                           software=PICTURE_SOFTWARE)
    except OSError as error:
        raise UsageError(f'{out_dir}: cannot write the pictures there '
                         f'({error})') from None
    progress = None
    if len(plans) > 1:
        from mmengine.utils import ProgressBar
        progress = ProgressBar(len(plans), file=sys.stdout)
    failures = []
    written = 0
    for plan in plans:
        try:
            written += len(visualize_page(plan, args, label_values, palette,
                                          error_map))
        except (OSError, ValueError) as error:
            # One bad page must not lose the others; report all at the end.
            failures.append(str(error))
        if progress is not None:
            progress.update()
    if progress is not None:
        print()
    print(f'{written} pictures of {len(plans) - len(failures)} page(s) and '
          f'{LEGEND} written to {out_dir}')
    for failure in failures:
        print(f'error: {failure}', file=sys.stderr)
    return 1 if failures else 0


if __name__ == '__main__':
    sys.exit(main())

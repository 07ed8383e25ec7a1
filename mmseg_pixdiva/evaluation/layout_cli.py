"""``pixdiva-evaluate``: a fast drop-in for the Java DIVA Layout Analysis
Evaluator.

Single page (the Java tool's flags)::

    pixdiva-evaluate --gt GT.png --prediction PRED.png \\
        [--original PAGE.jpg] [--out-dir DIR] [--json RESULT.json] \\
        [--no-visualization]

prints the evaluator's two console lines, writes valid JSON (NaN as
``null``) and the error visualisation ``<pred stem>.visualization.png``
(plus ``<pred stem>.overlay.png`` with ``--original``) into ``--out-dir``
(default: the prediction's folder, like the Java tool).

Folder mode::

    pixdiva-evaluate --gt-dir GTS/ --prediction-dir PREDS/ --out-dir DIR \\
        [--original-dir PAGES/] [--no-visualization]

pairs pages by file stem, shows progress, and writes ``DIR/pages.csv`` (one
row per page) and ``DIR/summary.json`` (per-page scores, their mean over
pages and the pooled scores: all pages counted as one image). The tool's
own outputs (``*.visualization.png``, ``*.overlay.png``) are not taken for
GTs or predictions; if any page fails, no file is written or replaced.

Before anything is read, every output is checked: one that is an input
(``--json gt.png``) or an existing file this tool did not write is
refused (exit status 2).

Imports numpy and OpenCV only (no torch, no mmseg) so that it starts fast.
Every output file is written atomically, after all inputs were read.
"""
import argparse
import contextlib
import sys
import time
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

from . import layout_analysis as la
from . import layout_io as lio
from . import layout_report as report
from ..utils.atomic import atomic_path, atomic_write_bytes, atomic_write_text
from ..utils.errors import INPUT_ERRORS, problem_list
from ..utils.output_guard import refuse_foreign_files, refuse_inputs

SUMMARY_JSON = report.SUMMARY_JSON
VISUALIZATION_SUFFIX = '.visualization.png'
OVERLAY_SUFFIX = '.overlay.png'
#: Names this tool writes beside predictions (its default output folder);
#: listing predictions skips them so that a rerun does not score them.
OUTPUT_SUFFIXES = (VISUALIZATION_SUFFIX, OVERLAY_SUFFIX)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog='pixdiva-evaluate',
        description='DIVA layout-analysis evaluation (exact re-implementation '
        'of the Java DIVA Layout Analysis Evaluator). Single page: --gt and '
        '--prediction. Folder mode: --gt-dir and --prediction-dir.')
    single = parser.add_argument_group('single page (Java-compatible flags)')
    single.add_argument('--gt', '-gt', '--groundTruth', dest='gt',
                        help='GT image (RGB PNG, blue = class bits, red bit '
                        '7 = boundary)')
    single.add_argument('--prediction', '-p', dest='prediction',
                        help='prediction (RGB, 8-bit grey or palette PNG)')
    single.add_argument('--original', '-o', dest='original',
                        help='original page image, for the overlay')
    single.add_argument('--json', '-j', dest='json',
                        help='write the results as JSON to this file (in '
                        'folder mode: the summary, default '
                        f'OUT_DIR/{SUMMARY_JSON})')
    folder = parser.add_argument_group('folder mode')
    folder.add_argument('--gt-dir', help='folder of GT images')
    folder.add_argument('--prediction-dir',
                        help='folder of predictions, paired with the GTs by '
                        'file stem')
    folder.add_argument('--original-dir',
                        help='folder of page images (paired by stem) for '
                        'overlays')
    folder.add_argument('--skip-unpaired', action='store_true',
                        help='warn about files without a partner instead of '
                        'failing')
    parser.add_argument('--out-dir', '-out', '--outputPath', dest='out_dir',
                        help='output folder (single page default: the '
                        "prediction's folder; required in folder mode)")
    parser.add_argument('--no-visualization', '-dv',
                        '--disableVisualization', dest='no_visualization',
                        action='store_true',
                        help='do not write the error visualisation')
    parser.add_argument('--jobs', type=int, default=2,
                        help='decode the GT and the prediction in parallel '
                        '(2, default) or one after the other (1)')
    parser.add_argument('--quiet', '-q', action='store_true',
                        help='no progress output (folder mode)')
    return parser


# --------------------------------------------------------------------------
# Progress
# --------------------------------------------------------------------------
class Progress:
    """A dependency-free progress line on stderr (``\\r`` on a terminal, one
    line per page otherwise)."""

    def __init__(self, total: int, enabled: bool = True) -> None:
        self.total = total
        self.done = 0
        self.start = time.perf_counter()
        self.enabled = enabled
        self.tty = sys.stderr.isatty()

    def update(self, label: str) -> None:
        self.done += 1
        if not self.enabled:
            return
        elapsed = time.perf_counter() - self.start
        per_page = elapsed / self.done
        eta = per_page * (self.total - self.done)
        width = 30
        filled = int(width * self.done / max(1, self.total))
        bar = '#' * filled + '-' * (width - filled)
        line = (f'[{bar}] {self.done}/{self.total} {per_page:.2f} s/page, '
                f'ETA {eta:.0f} s  {label}')
        if self.tty:
            sys.stderr.write('\r' + line[:150].ljust(150))
            if self.done == self.total:
                sys.stderr.write('\n')
        else:
            sys.stderr.write(line + '\n')
        sys.stderr.flush()


# --------------------------------------------------------------------------
# One page
# --------------------------------------------------------------------------
def evaluate_page(gt_path: str,
                  pred_path: str,
                  jobs: int = 2,
                  visualize: bool = True,
                  original_path: Optional[str] = None):
    """Read, score and (optionally) visualise one page.

    With the visualisation, counting and painting share one pass over the
    page and the palette PNG is compressed in a background thread while
    the next rows are counted.

    Returns:
        tuple: ``(scores, histogram, files)`` where ``files`` is a list of
        ``(suffix, png_bytes)`` still to be written.
    """
    gt, pred = lio.read_label_pair(gt_path, pred_path, parallel=jobs > 1)
    height, width = gt.shape[:2]
    writer = indices = None
    if visualize:
        import numpy as np
        writer = lio.IndexedPngWriter(width, height, la.VIS_PALETTE)
        indices = np.empty((height, width), np.uint8) \
            if original_path else None
        hist, indices = la.layout_histogram_and_errors(
            gt, pred, on_rows=writer.add_rows, out=indices)
    else:
        hist = la.layout_histogram(gt, pred)
    del gt, pred  # free both pages (before reading an original page)
    if hist.num_classes == 0:
        raise lio.LayoutInputError(
            f'{gt_path}: the GT holds no class (every blue value is 0); the '
            f'evaluator derives the classes from the GT')
    scores = la.layout_scores(hist)
    files = []
    if writer is not None:
        files.append((VISUALIZATION_SUFFIX, writer.finish()))
    if indices is not None:
        files.append((OVERLAY_SUFFIX,
                      render_overlay(indices, original_path, gt_path)))
    return scores, hist, files


def render_overlay(indices, original_path: str, gt_path: str) -> bytes:
    """The error colours blended on the page image, as PNG bytes.

    Args:
        indices (np.ndarray): ``HxW`` visualisation indices.
        original_path (str): Page image (JPEG fine).
        gt_path (str): Named if the page size differs.
    """
    # Refuses (naming both files and sizes) a page of another size.
    page = lio.read_scan(original_path, shape=indices.shape,
                         reference=gt_path)
    page_bgr = page[..., ::-1]  # OpenCV's own (contiguous) buffer
    la.error_overlay(indices, page_bgr, out=page_bgr, channel_order='bgr')
    return lio.encode_png(page_bgr)


def is_own_output(path: Path) -> bool:
    """Whether an existing file is one this tool writes (an earlier run's
    picture or report), which a new run may replace."""
    return path.name.endswith(OUTPUT_SUFFIXES) or \
        report.is_report_file(path)


def single_outputs(args: argparse.Namespace) -> List[Path]:
    """Every file a single-page run will write (known before reading)."""
    outputs = [Path(args.json)] if args.json else []
    out_dir = Path(args.out_dir or Path(args.prediction).parent)
    stem = lio.stem_of(args.prediction)
    if not args.no_visualization:
        outputs.append(out_dir / (stem + VISUALIZATION_SUFFIX))
        if args.original:
            outputs.append(out_dir / (stem + OVERLAY_SUFFIX))
    return outputs


def run_single(args: argparse.Namespace, parser: argparse.ArgumentParser
               ) -> int:
    for flag, value in (('--gt', args.gt), ('--prediction', args.prediction)):
        if not value:
            parser.error(f'{flag} is required (or use --gt-dir/'
                         f'--prediction-dir)')
    # Before any work: an output that is an input (--json gt.png) would
    # replace it.
    outputs = single_outputs(args)
    refuse_inputs(outputs, [('GT', args.gt), ('prediction', args.prediction),
                            ('original page', args.original)])
    refuse_foreign_files(outputs, is_own_output, 'pixdiva-evaluate')
    scores, _, files = evaluate_page(args.gt, args.prediction, args.jobs,
                                     not args.no_visualization,
                                     args.original)
    outputs = []
    if args.json:
        outputs.append(('text', args.json,
                        report.dumps_json(report.page_record(
                            scores, args.gt, args.prediction))))
    out_dir = Path(args.out_dir or Path(args.prediction).parent)
    stem = lio.stem_of(args.prediction)
    for suffix, data in files:
        outputs.append(('bytes', out_dir / (stem + suffix), data))
    # Everything is computed: only now write (each file atomically).
    for kind, path, data in outputs:
        if kind == 'text':
            atomic_write_text(path, data)
        else:
            atomic_write_bytes(path, data)
    for line in la.format_console_lines(scores):
        print(line)
    return 0


# --------------------------------------------------------------------------
# Folder mode
# --------------------------------------------------------------------------
def list_images(folder: str, role: str,
                skip_outputs: bool = False) -> Dict[str, str]:
    """Map stem -> path of the image files in ``folder``.

    Args:
        folder (str): Folder to list (not recursive; hidden files, such as
            unfinished atomic writes, are skipped).
        role (str): ``'GT'``, ``'prediction'`` or ``'original'`` (named in
            messages).
        skip_outputs (bool): Skip files named like this tool's own outputs
            (:data:`OUTPUT_SUFFIXES`), which it writes into the prediction
            folder by default (or any other output folder).

    Returns:
        dict: ``{stem: path}``.

    Raises:
        LayoutInputError: If the folder is missing, two files share a
            stem, or an image name is a link that leads nowhere.
    """
    path = Path(folder)
    if not path.is_dir():
        raise lio.LayoutInputError(f'{folder}: {role} folder not found')
    images: Dict[str, str] = {}
    for entry in sorted(path.iterdir()):
        if entry.name.startswith('.') or \
                entry.suffix.lower() not in lio.FOLDER_MODE_SUFFIXES:
            continue
        if entry.is_symlink() and not entry.exists():
            # A page the user meant to evaluate: skipping it would change
            # the mean over pages without a word.
            raise lio.LayoutInputError(
                f'{entry}: {role} file is a broken or looping symbolic link')
        if not entry.is_file():
            continue
        if skip_outputs and entry.name.endswith(OUTPUT_SUFFIXES):
            continue
        if entry.stem in images:
            raise lio.LayoutInputError(
                f'{folder}: two {role} files share the stem {entry.stem!r}: '
                f'{Path(images[entry.stem]).name} and {entry.name}')
        images[entry.stem] = str(entry)
    return images


def pair_gt_with_predictions(gts: Dict[str, str], preds: Dict[str, str],
                             skip_unpaired: bool = False
                             ) -> List[Tuple[str, str, str]]:
    """Pair the GT and prediction listings of :func:`list_images` by stem.

    Not :func:`mmseg_pixdiva.datasets.pairing.pair_by_stem`, which lists
    image and GT folders for the datasets: the evaluator lists its own
    formats (:data:`~mmseg_pixdiva.evaluation.layout_io.FOLDER_MODE_SUFFIXES`),
    may skip unpaired files (``--skip-unpaired``) and names its command-line
    options in its messages.

    Args:
        gts (Dict[str, str]): ``{stem: path}`` of the GT folder.
        preds (Dict[str, str]): ``{stem: path}`` of the prediction folder.
        skip_unpaired (bool): Warn about unpaired files instead of failing.

    Returns:
        list: ``[(stem, gt_path, pred_path), ...]`` sorted by stem.

    Raises:
        LayoutInputError: Listing every unpaired file (unless
            ``skip_unpaired``, which prints a warning instead).
    """
    no_pred = sorted(set(gts) - set(preds))
    no_gt = sorted(set(preds) - set(gts))
    if no_pred or no_gt:
        lines = [f'  GT without prediction: {gts[s]}' for s in no_pred]
        lines += [f'  prediction without GT: {preds[s]}' for s in no_gt]
        message = (f'{len(no_pred) + len(no_gt)} unpaired file(s) (pairing '
                   f'is by file stem):\n' + '\n'.join(lines))
        if not skip_unpaired:
            raise lio.LayoutInputError(
                message + '\n(use --skip-unpaired to evaluate the pairs only)')
        print(f'warning: {message}', file=sys.stderr)
    pairs = [(s, gts[s], preds[s]) for s in sorted(set(gts) & set(preds))]
    if not pairs:
        raise lio.LayoutInputError('no GT/prediction pair found (pairing is '
                                   'by file stem)')
    return pairs


def preflight(pairs: Sequence[Tuple[str, str, str]]) -> None:
    """Check every file's header before decoding anything, and report all
    problems at once (format, size mismatch)."""
    problems = []
    for _, gt_path, pred_path in pairs:
        try:
            gt = lio.read_image_header(gt_path)
            lio.check_label_header(gt, 'GT')
            pred = lio.read_image_header(pred_path)
            lio.check_label_header(pred, 'prediction')
            if gt.width > 0 and pred.width > 0:
                lio.check_same_shape(pred_path, (pred.height, pred.width),
                                     f'the GT {gt_path}',
                                     (gt.height, gt.width),
                                     lio.PREDICTION_SIZE_REMEDY)
        except lio.LayoutInputError as error:
            problems.append(str(error))
    if problems:
        raise lio.LayoutInputError(problem_list(
            f'{len(problems)} page(s) cannot be evaluated', problems))


def folder_outputs(args: argparse.Namespace,
                   pairs: Sequence[Tuple[str, str, str]],
                   originals: Dict[str, str]) -> List[Path]:
    """Every file a folder run will write."""
    out_dir = Path(args.out_dir)
    outputs = [Path(path) for path in report.report_paths(out_dir,
                                                          args.json)]
    if not args.no_visualization:
        for stem, _, _ in pairs:
            outputs.append(out_dir / (stem + VISUALIZATION_SUFFIX))
            if stem in originals:
                outputs.append(out_dir / (stem + OVERLAY_SUFFIX))
    return outputs


def run_folder(args: argparse.Namespace,
               parser: argparse.ArgumentParser) -> int:
    if not (args.gt_dir and args.prediction_dir):
        parser.error('folder mode needs both --gt-dir and --prediction-dir')
    if not args.out_dir:
        parser.error('folder mode needs --out-dir')
    pairs = pair_gt_with_predictions(
        list_images(args.gt_dir, 'GT', skip_outputs=True),
        list_images(args.prediction_dir, 'prediction', skip_outputs=True),
        args.skip_unpaired)
    originals = list_images(args.original_dir, 'original') \
        if args.original_dir else {}
    inputs = [(role, path) for _, gt, pred in pairs
              for role, path in (('GT', gt), ('prediction', pred))]
    inputs += [('original page', path) for path in originals.values()]
    outputs = folder_outputs(args, pairs, originals)
    refuse_inputs(outputs, inputs)
    refuse_foreign_files(outputs, is_own_output, 'pixdiva-evaluate')
    preflight(pairs)
    out_dir = Path(args.out_dir)
    out_dir_existed = out_dir.exists()
    progress = Progress(len(pairs), enabled=not args.quiet)
    rows, page_scores, histograms = [], [], []
    try:
        # Each page's files go to hidden temporary names beside their final
        # names (holding every page's PNGs in memory could take gigabytes);
        # the stack renames them all only when every page has succeeded,
        # and deletes them otherwise, so a bad page leaves the out dir (and
        # the files of earlier runs) as it was.
        with contextlib.ExitStack() as pending:
            for stem, gt_path, pred_path in pairs:
                scores, hist, files = evaluate_page(
                    gt_path, pred_path, args.jobs, not args.no_visualization,
                    originals.get(stem))
                for suffix, data in files:
                    tmp = pending.enter_context(
                        atomic_path(out_dir / (stem + suffix)))
                    tmp.write_bytes(data)
                page_scores.append(scores)
                histograms.append(hist)
                rows.append(
                    report.page_record(scores, gt_path, pred_path, stem))
                progress.update(stem)
            pooled = la.layout_scores(la.LayoutHistogram.sum(histograms))
            summary = report.summary_record(
                page_scores, pooled, rows, gt_dir=str(args.gt_dir),
                prediction_dir=str(args.prediction_dir))
    except BaseException:
        if not out_dir_existed:
            # atomic_path created it for the temporaries; leave no trace.
            with contextlib.suppress(OSError):
                out_dir.rmdir()
        raise
    # Written last: a summary present means the whole run succeeded.
    report.write_report(out_dir, rows, summary, args.json)
    print(f'{len(rows)} pages; mean over pages:')
    for line in la.format_console_lines(la.mean_of_page_scores(page_scores)):
        print(line)
    print('pooled (all pages counted as one image):')
    for line in la.format_console_lines(pooled):
        print(line)
    return 0


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Console entry point; returns the exit status: 0 done, 2 bad input
    (usage, unreadable or mismatched files, an output that is an input),
    1 a failure while working (e.g. an output that cannot be written)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.jobs < 1:
        parser.error('--jobs must be >= 1')
    folder_mode = bool(args.gt_dir or args.prediction_dir)
    if folder_mode and (args.gt or args.prediction):
        parser.error('use either --gt/--prediction or --gt-dir/'
                     '--prediction-dir')
    try:
        return run_folder(args, parser) if folder_mode else \
            run_single(args, parser)
    except INPUT_ERRORS as error:
        print(f'pixdiva-evaluate: error: {error}', file=sys.stderr)
        return 2
    except OSError as error:
        print(f'pixdiva-evaluate: error: {error}', file=sys.stderr)
        return 1


if __name__ == '__main__':
    sys.exit(main())

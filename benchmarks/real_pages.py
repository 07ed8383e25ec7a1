"""Real DIVA-HisDB pages end to end: split, train, test, score, table.

Everything is built from ``../shared/data/hisdb-samples`` (the ``shared``
folder beside the repository; ``PIXDIVA_SHARED`` overrides) into a work
folder that git ignores (default ``work_dirs/real_pages``); the scans may
not be redistributed, so nothing of them lands in the repository.

    python benchmarks/real_pages.py split   # DeepDIVA-layout dataset only
    python benchmarks/real_pages.py run     # split + train + test + table
    python benchmarks/real_pages.py table   # the table of a finished run

``split`` cuts CB55 0059v and CSG863 004 into three bands (see
``real_pages_split.py``): ``train`` (the top two thirds minus a validation
band), ``val`` (that band), ``test`` (the bottom third, full resolution),
scan and GT with the same rows; CSG18 096 goes whole into ``test_cross``
(another manuscript, never trained on) with its old-format boundary flags
removed from background pixels (score-neutral). Scans are cut from the
decoded JPEG and stored as PNG (lossless: no second JPEG compression).
Every file is written atomically; a second call with the same sources and
fractions writes nothing (or completes an interrupted call).

``run`` trains ``configs/hisdb_real_pages_cpu.py`` with ``tools/train.py``,
tests the last checkpoint with ``tools/test.py`` on the bottom thirds (and
on CSG18 unless ``--no-cross``), with GT-format predictions (``--out``),
colour pictures (``--show-dir``) and the DIVA evaluator's ``pages.csv`` /
``summary.json``, then prints the markdown results table and writes it to
``<work-dir>/results.md`` (and ``results.json``). ``--cfg-options`` go to
both tools (e.g. ``train_cfg.max_iters=5`` for a smoke run).
"""
import argparse
import json
import os
import shlex
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Optional, Sequence

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # this checkout's mmseg_pixdiva first
sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np  # noqa: E402

from mmseg_pixdiva.utils.atomic import (atomic_write_bytes,  # noqa: E402
                                        atomic_write_image, atomic_write_text)
from mmseg_pixdiva.utils.file_signature import file_sha256  # noqa: E402
from real_pages_split import (SPLITS, TEST_FRACTION,  # noqa: E402
                              VAL_FRACTION, clear_background_boundary,
                              cut_rows, split_rows)

DEFAULT_WORK_DIR = ROOT / 'work_dirs' / 'real_pages'
CONFIG = ROOT / 'configs' / 'hisdb_real_pages_cpu.py'
MANIFEST = 'real_pages_manifest.json'
MANIFEST_VERSION = 2  # 2: sources identified by content, not mtime
#: Folder of the cross-manuscript test page (DeepDIVA layout inside it).
CROSS_SPLIT = 'test_cross'
#: Caches our tools leave in a data root; stale after a rebuild.
DATA_ROOT_CACHES = ('pixdiva_label_values.json', 'pixdiva_statistics.json')
#: Evaluator classes (bit order).
CLASS_NAMES = ('background', 'comment', 'decoration', 'main text')


@dataclass(frozen=True)
class SourcePage:
    """A page of ``hisdb-samples``: paths relative to that folder.

    ``role`` is ``'split'`` (cut into train/val/test) or ``'cross'`` (whole
    page into ``test_cross``, old GT cleaned).
    """
    image: str
    gt: str
    role: str = 'split'

    @property
    def stem(self) -> str:
        return Path(self.gt).stem


PAGES = (
    SourcePage('cb55/e-codices_fmb-cb-0055_0059v_max.jpg',
               'cb55/e-codices_fmb-cb-0055_0059v_max.png'),
    SourcePage('csg863/e-codices_csg-0863_004_max.jpg',
               'csg863/e-codices_csg-0863_004_max.png'),
    SourcePage('csg18/e-codices_csg-0018_096_max.jpg',
               'csg18/e-codices_csg-0018_096_max.png', role='cross'),
)


def shared_dir() -> Path:
    """The ``shared`` folder beside the repository (``PIXDIVA_SHARED``)."""
    return Path(os.environ.get('PIXDIVA_SHARED', ROOT.parent / 'shared'))


def samples_dir() -> Path:
    folder = shared_dir() / 'data' / 'hisdb-samples'
    if not folder.is_dir():
        raise FileNotFoundError(
            f'real DIVA-HisDB samples not found at {folder}; set '
            'PIXDIVA_SHARED to the shared folder that holds '
            'data/hisdb-samples')
    return folder


# ------------------------------------------------------------ split builder
def _signature(samples: Path, name: str) -> Dict[str, object]:
    """What identifies a source file: its name in ``samples``, its size and
    its content hash. Not its folder or modification time: the shared folder
    is materialised afresh (new mtimes, possibly elsewhere) on every machine,
    and its pages must still match the split built from them."""
    path = samples / name
    if not path.is_file():
        raise FileNotFoundError(f'source page file {path} does not exist')
    return dict(name=name, bytes=path.stat().st_size,
                sha256=file_sha256(str(path)))


def _read_scan(path: Path) -> np.ndarray:
    # As training reads it (EXIF orientation applied).
    from mmseg_pixdiva.utils.image_reader import read_scan
    return read_scan(path, role='source scan')


def _read_gt(path: Path) -> np.ndarray:
    from mmseg_pixdiva.datasets.gt_image import read_gt_rgb
    return read_gt_rgb(str(path))


def _check_folder(data_root: Path) -> None:
    """Refuse folders inside the repository's tracked tree."""
    root = data_root.resolve()
    ignored = (ROOT / 'work_dirs').resolve()
    if root.is_relative_to(ROOT) and not root.is_relative_to(ignored):
        raise ValueError(
            f'{data_root} is inside the repository: the real scans may not '
            f'be redistributed, write them under {ignored} (git-ignored) or '
            'outside the repository')


def planned_files(data_root: Path, page: SourcePage,
                  rows: Optional[Dict[str, tuple]]) -> Dict[str, Path]:
    """Output files of one page, keyed ``'<split>/data'``, ``'<split>/gt'``.
    """
    if page.role == 'cross':
        suffix = Path(page.image).suffix.lower()
        return {f'{CROSS_SPLIT}/data':
                data_root / CROSS_SPLIT / 'data' / f'{page.stem}{suffix}',
                f'{CROSS_SPLIT}/gt':
                data_root / CROSS_SPLIT / 'gt' / f'{page.stem}.png'}
    files = {}
    for split in rows:
        files[f'{split}/data'] = data_root / split / 'data' / \
            f'{page.stem}.png'
        files[f'{split}/gt'] = data_root / split / 'gt' / f'{page.stem}.png'
    return files


def build_dataset(data_root, samples: Optional[Path] = None,
                  pages: Sequence[SourcePage] = PAGES,
                  test_fraction: float = TEST_FRACTION,
                  val_fraction: float = VAL_FRACTION,
                  overwrite: bool = False,
                  progress: bool = True) -> dict:
    """Cut the source pages into a DeepDIVA-layout dataset.

    Args:
        data_root: Output folder (``train|val|test|test_cross/data|gt``).
        samples (Path, optional): The ``hisdb-samples`` folder; default
            from :func:`shared_dir`.
        pages: The pages to use.
        test_fraction, val_fraction: See :func:`split_rows`.
        overwrite (bool): Rebuild a folder made with other sources or
            fractions (its files are replaced, its caches deleted).
        progress (bool): Print a progress bar.

    Returns:
        dict: The manifest (also written to ``<data_root>/`` ``MANIFEST``):
        the sources, fractions and, per page, its size and row bands.

    Raises:
        FileNotFoundError: A source file is missing.
        ValueError: A scan and its GT differ in size, a file cannot be
            decoded, or ``data_root`` holds another build (without
            ``overwrite``) or lies in the repository's tracked tree.
    """
    data_root = Path(data_root)
    _check_folder(data_root)
    samples = samples_dir() if samples is None else Path(samples)
    key = dict(
        version=MANIFEST_VERSION, test_fraction=test_fraction,
        val_fraction=val_fraction,
        pages=[dict(role=p.role, image=_signature(samples, p.image),
                    gt=_signature(samples, p.gt)) for p in pages])
    manifest_path = data_root / MANIFEST
    if manifest_path.is_file():
        old = json.loads(manifest_path.read_text())
        if old.get('key') != key:
            if not overwrite:
                raise ValueError(
                    f'{data_root} holds a split of other sources or '
                    f'fractions (see {manifest_path}); use --overwrite to '
                    'rebuild it, or another --data-root')
            for cache in DATA_ROOT_CACHES:
                (data_root / cache).unlink(missing_ok=True)
            for page in pages:
                for path in planned_files(data_root, page,
                                          {s: None for s in SPLITS}).values():
                    path.unlink(missing_ok=True)
    elif any((data_root / s).exists() for s in SPLITS + (CROSS_SPLIT, )) \
            and not overwrite:
        raise ValueError(
            f'{data_root} already has split folders but no {MANIFEST}: not '
            'a folder this script built; use --overwrite or another '
            '--data-root')
    # The manifest first: an interrupted build is completed by a rerun.
    manifest = dict(key=key, pages=[])
    atomic_write_text(manifest_path, json.dumps(manifest, indent=1) + '\n')

    bar = None
    if progress:
        from mmengine.utils import ProgressBar
        bar = ProgressBar(len(pages))
    records = []
    for page in pages:
        records.append(_build_page(data_root, samples, page, test_fraction,
                                   val_fraction))
        if bar is not None:
            bar.update()
    if bar is not None:
        print(flush=True)
    manifest['pages'] = records
    atomic_write_text(manifest_path, json.dumps(manifest, indent=1) + '\n')
    return manifest


def _build_page(data_root: Path, samples: Path, page: SourcePage,
                test_fraction: float, val_fraction: float) -> dict:
    """Write the parts of one page that are missing; describe the page."""
    image_path, gt_path = samples / page.image, samples / page.gt
    gt = _read_gt(gt_path)
    height, width = gt.shape[:2]
    record = dict(stem=page.stem, role=page.role, width=width,
                  height=height)
    if page.role == 'cross':
        files = planned_files(data_root, page, None)
        record['files'] = {k: str(v) for k, v in files.items()}
        if not files[f'{CROSS_SPLIT}/data'].is_file():
            _check_same_size(image_path, _read_scan(image_path), gt_path, gt)
            # The original file: no re-encoding of a whole page.
            atomic_write_bytes(files[f'{CROSS_SPLIT}/data'],
                               image_path.read_bytes())
        if not files[f'{CROSS_SPLIT}/gt'].is_file():
            atomic_write_image(files[f'{CROSS_SPLIT}/gt'],
                               clear_background_boundary(gt))
        return record
    rows = split_rows(height, test_fraction, val_fraction)
    files = planned_files(data_root, page, rows)
    record['rows'] = {k: list(v) for k, v in rows.items()}
    record['files'] = {k: str(v) for k, v in files.items()}
    if all(path.is_file() for path in files.values()):
        return record
    scan = _read_scan(image_path)
    _check_same_size(image_path, scan, gt_path, gt)
    for split, band in rows.items():
        for kind, source in (('data', scan), ('gt', gt)):
            path = files[f'{split}/{kind}']
            if not path.is_file():
                atomic_write_image(path, cut_rows(source, band))
    return record


def _check_same_size(image_path, scan, gt_path, gt) -> None:
    if scan.shape[:2] != gt.shape[:2]:
        raise ValueError(
            f'{image_path} is {scan.shape[1]}x{scan.shape[0]} but its GT '
            f'{gt_path} is {gt.shape[1]}x{gt.shape[0]}: they must be cut '
            'identically')


# ------------------------------------------------------------------- run
def run_tool(command: List[str], log_path: Path) -> float:
    """Run one of our tools (output to the console and to ``log_path``);
    return its wall time in seconds."""
    print('\n$ ' + shlex.join(command), flush=True)
    log_path.parent.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    with open(log_path, 'w') as log:
        process = subprocess.Popen(
            command, cwd=ROOT, stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT, text=True,
            env=dict(os.environ, PYTHONUNBUFFERED='1'))
        for line in process.stdout:
            sys.stdout.write(line)
            log.write(line)
        returncode = process.wait()
    seconds = time.perf_counter() - start
    if returncode != 0:
        raise SystemExit(f'{command[1]} failed (exit {returncode}); its '
                         f'output is in {log_path}')
    return seconds


def checkpoint_iters(checkpoint: str) -> Optional[int]:
    stem = Path(checkpoint).stem
    return int(stem[5:]) if stem.startswith('iter_') and \
        stem[5:].isdigit() else None


def _test(python: str, config: str, checkpoint: str, work_dir: Path,
          data_root: Path, split: str, options: List[str]) -> dict:
    """Test ``checkpoint`` on ``<data_root>/<split>``; return its record."""
    scores = work_dir / 'scores' / split
    command = [
        python, 'tools/test.py', config, checkpoint, '--work-dir',
        str(work_dir / f'test_{split}' if split != 'test' else
            work_dir / 'test'),
        '--data-root', str(data_root),
        '--out', str(work_dir / 'predictions' / split),
        '--show-dir', str(work_dir / 'pictures' / split),
        '--cfg-options', f'test_evaluator.0.output_dir={scores}',
        f'test_dataloader.dataset.data_prefix.img_path={split}/data',
        f'test_dataloader.dataset.data_prefix.seg_map_path={split}/gt',
        *options
    ]
    seconds = run_tool(command, work_dir / 'logs' / f'test_{split}.log')
    summary = json.loads((scores / 'summary.json').read_text())
    return dict(split=split, test_seconds=seconds,
                summary_path=str(scores / 'summary.json'),
                pictures=str(work_dir / 'pictures' / split),
                predictions=str(work_dir / 'predictions' / split),
                mean_of_pages=summary['mean_of_pages'],
                pooled=summary['pooled'],
                pages=[dict(stem=p['stem'], mean_iu=p['mean_iu'],
                            exact_match=p['exact_match'],
                            iu=p['per_class']['iu'])
                       for p in summary['pages']])


def run(args: argparse.Namespace) -> dict:
    """Split, train, test; write and return the results."""
    work_dir = Path(args.work_dir).resolve()
    data_root = Path(args.data_root).resolve() if args.data_root else \
        work_dir / 'data'
    _check_folder(work_dir)
    print(f'1/3 real pages -> {data_root}', flush=True)
    build_dataset(data_root, overwrite=args.overwrite)
    python, config = sys.executable, str(Path(args.config).resolve())
    options = list(args.cfg_options or [])
    train_dir = work_dir / 'train'
    train_seconds = None
    if args.checkpoint:
        checkpoint = str(Path(args.checkpoint).resolve())
    else:
        print('2/3 training', flush=True)
        command = [python, 'tools/train.py', config, '--work-dir',
                   str(train_dir), '--data-root', str(data_root)]
        if args.resume:
            command.append('--resume')
        if options:
            command += ['--cfg-options', *options]
        train_seconds = run_tool(command, work_dir / 'logs' / 'train.log')
        checkpoint = (train_dir / 'last_checkpoint').read_text().strip()
    print('3/3 testing on full-resolution pages', flush=True)
    splits = ['test'] + ([] if args.no_cross else [CROSS_SPLIT])
    tests = [_test(python, config, checkpoint, work_dir, data_root, split,
                   options) for split in splits]
    results = dict(
        recipe=Path(config).name,
        config=config,
        checkpoint=checkpoint,
        iterations=checkpoint_iters(checkpoint),
        train_seconds=train_seconds,
        command=reproduce_command(args),
        tests=tests)
    atomic_write_text(work_dir / 'results.json',
                      json.dumps(results, indent=1) + '\n')
    table = results_markdown(results)
    atomic_write_text(work_dir / 'results.md', table)
    print('\n' + table)
    return results


def reproduce_command(args: argparse.Namespace) -> str:
    command = ['python', 'benchmarks/real_pages.py', 'run']
    if Path(args.config).resolve() != CONFIG.resolve():
        command += ['--config', str(args.config)]
    if Path(args.work_dir).resolve() != DEFAULT_WORK_DIR.resolve():
        command += ['--work-dir', str(args.work_dir)]
    if args.data_root and Path(args.data_root).resolve() != \
            Path(args.work_dir).resolve() / 'data':
        command += ['--data-root', str(args.data_root)]
    if args.checkpoint:
        command += ['--checkpoint', str(args.checkpoint)]
    if args.no_cross:
        command.append('--no-cross')
    if args.cfg_options:
        command += ['--cfg-options', *args.cfg_options]
    return shlex.join(command)


# ------------------------------------------------------------------ table
def format_number(value, digits: int = 4) -> str:
    return 'NaN' if value is None else f'{value:.{digits}f}'


def format_minutes(seconds) -> str:
    if seconds is None:
        return '-'
    return f'{seconds / 60:.1f} min'


def results_markdown(results: dict) -> str:
    """The results table (one row per test set) and a per-page table."""
    test_names = {'test': 'bottom thirds (CB55 0059v, CSG863 004)',
                  CROSS_SPLIT: 'CSG18 096, whole page (other manuscript)'}
    iters = results.get('iterations')
    lines = [
        '| recipe | test pages | training time | iterations | mean IU '
        '(mean of pages) | IU ' + ' | IU '.join(CLASS_NAMES) +
        ' | exact match | pooled mean IU | test time | command |',
        '|' + '---|' * 13,
    ]
    for test in results['tests']:
        mean = test['mean_of_pages']
        iu = list(mean['per_class']['iu']) + [None] * 4
        pages = test_names.get(test['split'], test['split'])
        lines.append(
            f"| {results['recipe']} | {pages} | "
            f"{format_minutes(results.get('train_seconds'))} | "
            f"{iters if iters is not None else '-'} | "
            f"{format_number(mean['mean_iu'])} | "
            + ' | '.join(format_number(v) for v in iu[:4]) +
            f" | {format_number(mean['exact_match'])} | "
            f"{format_number(test['pooled']['mean_iu'])} | "
            f"{format_minutes(test['test_seconds'])} | "
            f"`{results['command']}` |")
    lines += ['', '| page | mean IU | IU ' + ' | IU '.join(CLASS_NAMES) +
              ' | exact match |', '|' + '---|' * 7]
    for test in results['tests']:
        for page in test['pages']:
            iu = list(page['iu']) + [None] * 4
            lines.append(f"| {page['stem']} | {format_number(page['mean_iu'])} | "
                         + ' | '.join(format_number(v) for v in iu[:4]) +
                         f" | {format_number(page['exact_match'])} |")
    return '\n'.join(lines) + '\n'


# -------------------------------------------------------------------- CLI
def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest='command', required=True)
    split = sub.add_parser('split', help='build the dataset only')
    split.add_argument('--data-root', default=str(DEFAULT_WORK_DIR / 'data'))
    split.add_argument('--val-fraction', type=float, default=VAL_FRACTION)
    split.add_argument('--overwrite', action='store_true')
    for name, text in (('run', 'split, train, test and print the table'),
                       ('table', 'print the table of a finished run')):
        cmd = sub.add_parser(name, help=text)
        cmd.add_argument('--work-dir', default=str(DEFAULT_WORK_DIR))
    run_parser = sub.choices['run']
    run_parser.add_argument('--data-root',
                            help='default: <work-dir>/data')
    run_parser.add_argument('--config', default=str(CONFIG))
    run_parser.add_argument('--overwrite', action='store_true',
                            help='rebuild a data root of another split')
    run_parser.add_argument('--resume', action='store_true',
                            help='continue an interrupted training')
    run_parser.add_argument('--checkpoint',
                            help='test this checkpoint, do not train')
    run_parser.add_argument('--no-cross', action='store_true',
                            help='skip the CSG18 cross-manuscript test')
    run_parser.add_argument('--cfg-options', nargs='+',
                            help='config overrides for train and test')
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.command == 'split':
        manifest = build_dataset(args.data_root,
                                 val_fraction=args.val_fraction,
                                 overwrite=args.overwrite)
        for page in manifest['pages']:
            bands = ', '.join(f'{k} rows {a}..{b}'
                              for k, (a, b) in page.get('rows', {}).items())
            print(f"{page['stem']} ({page['width']}x{page['height']}): "
                  f"{bands or 'whole page -> ' + CROSS_SPLIT}")
        print(f'dataset in {args.data_root}')
    elif args.command == 'run':
        run(args)
    else:
        results = json.loads(
            (Path(args.work_dir) / 'results.json').read_text())
        print(results_markdown(results))
    return 0


if __name__ == '__main__':
    sys.exit(main())

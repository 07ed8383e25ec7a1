"""Whole official DIVA-HisDB pages: train, segment the validation pages,
score them with and without the page clean-up, print the table.

The pages are read in place from ``../shared/data/hisdb-pages`` (the
``shared`` folder beside the repository; ``PIXDIVA_SHARED`` overrides); the
split is the config's (``configs/_base_/datasets/hisdb_pages.py``: 16
training pages of CSG18 and CSG863, 8 validation pages). Everything is
written under the work folder (default ``work_dirs/hisdb_pages``), which git
ignores.

    python benchmarks/hisdb_pages.py run                  # the tracked CPU recipe
    python benchmarks/hisdb_pages.py run --config configs/hisdb_pages_cpu.py \\
        --work-dir work_dirs/hisdb_pages_unet
    python benchmarks/hisdb_pages.py run --checkpoint CKPT   # score a checkpoint only
    python benchmarks/hisdb_pages.py table [--json-out F]  # the table of a finished run

``run``:

1. trains the config with ``tools/train.py`` (unless ``--checkpoint``);
2. segments the validation pages at full resolution with ``tools/test.py``
   *without* the config's clean-up (``model.test_cfg.postprocess=None``):
   GT-format predictions in ``<work-dir>/predictions``, the DIVA metric's
   ``pages.csv`` / ``summary.json`` in ``<work-dir>/scores``;
3. picks the clean-up on these pages with ``tools/tune_postprocess.py``
   (``<work-dir>/postprocess.json``, with a leave-one-page-out estimate) and
   writes the cleaned predictions to ``<work-dir>/predictions_filtered``;
4. scores both prediction folders with the DIVA evaluator and writes
   ``results.md`` and ``results.json`` (``--json-out`` copies the JSON, e.g.
   to ``docs/results/hisdb_pages_cpu.json``).
"""
import argparse
import json
import shlex
import sys
import time
from pathlib import Path
from typing import Dict, List, Optional

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # this checkout's mmseg_pixdiva first
sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np  # noqa: E402

from mmseg_pixdiva.utils.atomic import atomic_write_text  # noqa: E402
from real_pages import (checkpoint_iters, format_minutes,  # noqa: E402
                        format_number, run_tool)

DEFAULT_WORK_DIR = ROOT / 'work_dirs' / 'hisdb_pages'
CONFIG = ROOT / 'configs' / 'hisdb_pages_cpu_segformer_b0.py'
#: Evaluator classes (bit order).
CLASS_NAMES = ('background', 'comment', 'decoration', 'main text')


def validation_pages(config: str, options: List[str]) -> Dict[str, dict]:
    """stem -> ``dict(gt=..., manuscript=...)`` of the config's test set.

    The manuscript is the folder above the split folder of the GT
    (``CSG18/val/gt/x.png`` -> ``CSG18``).
    """
    from mmengine.config import Config, DictAction

    import mmseg_pixdiva
    from mmseg.registry import DATASETS
    mmseg_pixdiva.register_all_modules()
    cfg = Config.fromfile(config)
    if options:
        parser = argparse.ArgumentParser()
        parser.add_argument('--o', nargs='+', action=DictAction)
        cfg.merge_from_dict(parser.parse_args(['--o', *options]).o)
    dataset_cfg = dict(cfg.test_dataloader.dataset, pipeline=[],
                       lazy_init=False)
    dataset = DATASETS.build(dataset_cfg)
    pages = {}
    for index in range(len(dataset)):
        gt = Path(dataset.get_data_info(index)['seg_map_path'])
        pages[gt.stem] = dict(gt=str(gt), manuscript=gt.parents[2].name)
    return pages


def score_folder(pages: Dict[str, dict], prediction_dir: Path) -> dict:
    """DIVA evaluator scores of every page's prediction in the folder."""
    from mmseg_pixdiva.evaluation.layout_analysis import (
        evaluate_layout, mean_of_page_scores, nan_to_none)
    from mmseg_pixdiva.evaluation.layout_io import read_label_pair
    per_page = {}
    for stem, page in sorted(pages.items()):
        gt, pred = read_label_pair(page['gt'], prediction_dir / f'{stem}.png')
        scores = evaluate_layout(gt, pred)
        per_page[stem] = dict(
            manuscript=page['manuscript'],
            mean_iu=nan_to_none(scores['mean_iu']),
            exact_match=nan_to_none(scores['exact_match']),
            iu=[nan_to_none(v) for v in scores['per_class']['iu']],
            scores=scores)
    manuscripts = sorted({p['manuscript'] for p in pages.values()})

    def mean(stems: List[str]) -> dict:
        summary = mean_of_page_scores([per_page[s]['scores'] for s in stems])
        return dict(mean_iu=nan_to_none(summary['mean_iu']),
                    exact_match=nan_to_none(summary['exact_match']),
                    iu=[nan_to_none(v) for v in summary['per_class']['iu']])

    result = dict(
        all=mean(sorted(per_page)),
        per_manuscript={m: mean([s for s in sorted(per_page)
                                 if per_page[s]['manuscript'] == m])
                        for m in manuscripts},
        pages={s: {k: v for k, v in p.items() if k != 'scores'}
               for s, p in per_page.items()})
    return result


def run(args: argparse.Namespace) -> dict:
    """Train, segment, tune the clean-up, score; write the results."""
    work_dir = Path(args.work_dir).resolve()
    python, config = sys.executable, str(Path(args.config).resolve())
    options = list(args.cfg_options or [])
    pages = validation_pages(config, options)
    train_seconds = None
    if args.checkpoint:
        checkpoint = str(Path(args.checkpoint).resolve())
    else:
        print('1/4 training', flush=True)
        command = [python, 'tools/train.py', config, '--work-dir',
                   str(work_dir / 'train')]
        if args.resume:
            command.append('--resume')
        if options:
            command += ['--cfg-options', *options]
        train_seconds = run_tool(command, work_dir / 'logs' / 'train.log')
        checkpoint = (work_dir / 'train' /
                      'last_checkpoint').read_text().strip()
    print(f'2/4 segmenting {len(pages)} validation pages', flush=True)
    predictions = work_dir / 'predictions'
    command = [
        python, 'tools/test.py', config, checkpoint,
        '--work-dir', str(work_dir / 'test'), '--out', str(predictions),
        *(['--show-dir', str(work_dir / 'pictures')] if args.pictures
          else []),
        '--cfg-options', 'model.test_cfg.postprocess=None',
        f"test_evaluator.0.output_dir={work_dir / 'scores'}", *options]
    test_seconds = run_tool(command, work_dir / 'logs' / 'test.log')
    print('3/4 choosing the page clean-up on the validation pages',
          flush=True)
    filtered = work_dir / 'predictions_filtered'
    gt_dirs = sorted({str(Path(p['gt']).parent) for p in pages.values()})
    run_tool([python, 'tools/tune_postprocess.py', '--gt-dir', *gt_dirs,
              '--prediction-dir', str(predictions),
              '--out', str(work_dir / 'postprocess.json'),
              '--write-dir', str(filtered)],
             work_dir / 'logs' / 'tune_postprocess.log')
    tuning = json.loads((work_dir / 'postprocess.json').read_text())
    print('4/4 scoring', flush=True)
    raw, cleaned = score_folder(pages, predictions), score_folder(
        pages, filtered)
    results = dict(
        config=str(Path(config).relative_to(ROOT))
        if Path(config).is_relative_to(ROOT) else config,
        checkpoint=checkpoint,
        iterations=checkpoint_iters(checkpoint),
        train_minutes=None if train_seconds is None else
        round(train_seconds / 60, 1),
        test_minutes=round(test_seconds / 60, 1),
        seconds_per_page=round(test_seconds / len(pages), 1),
        command=reproduce_command(args),
        mean_iu=raw['all']['mean_iu'],
        per_manuscript={m: s['mean_iu']
                        for m, s in raw['per_manuscript'].items()},
        pages={s: p['mean_iu'] for s, p in raw['pages'].items()},
        postprocess=dict(
            settings=tuning['settings'],
            mean_iu=cleaned['all']['mean_iu'],
            mean_iu_leave_one_out=tuning['mean_iu_leave_one_out'],
            per_manuscript={m: s['mean_iu']
                            for m, s in cleaned['per_manuscript'].items()},
            pages={s: p['mean_iu'] for s, p in cleaned['pages'].items()},
            leave_one_out_pages={p['name']: p['leave_one_out']
                                 for p in tuning['pages']}),
        scores=dict(raw=raw, postprocessed=cleaned))
    text = json.dumps(results, indent=1) + '\n'
    atomic_write_text(work_dir / 'results.json', text)
    if args.json_out:
        write_summary(results, args.json_out)
    table = results_markdown(results)
    atomic_write_text(work_dir / 'results.md', table)
    print('\n' + table)
    return results


def write_summary(results: dict, path: str) -> None:
    """The committed summary (``docs/results/*.json``): the results
    without the checkpoint path and per-page details, plus IU per class."""
    summary = {k: v for k, v in results.items()
               if k not in ('checkpoint', 'scores')}
    scores = results['scores']
    summary['per_class_iu'] = dict(zip(CLASS_NAMES,
                                       scores['raw']['all']['iu']))
    summary['postprocess'] = dict(
        summary['postprocess'], per_class_iu=dict(
            zip(CLASS_NAMES, scores['postprocessed']['all']['iu'])))
    atomic_write_text(path, json.dumps(summary, indent=1) + '\n')


def reproduce_command(args: argparse.Namespace) -> str:
    command = ['python', 'benchmarks/hisdb_pages.py', 'run']
    if Path(args.config).resolve() != CONFIG.resolve():
        command += ['--config', str(args.config)]
    if Path(args.work_dir).resolve() != DEFAULT_WORK_DIR.resolve():
        command += ['--work-dir', str(args.work_dir)]
    if args.checkpoint:
        command += ['--checkpoint', str(args.checkpoint)]
    if args.cfg_options:
        command += ['--cfg-options', *args.cfg_options]
    return shlex.join(command)


def _row(name: str, scores: dict) -> str:
    iu = list(scores['iu']) + [None] * len(CLASS_NAMES)
    return (f"| {name} | {format_number(scores['mean_iu'])} | " +
            ' | '.join(format_number(v) for v in iu[:len(CLASS_NAMES)]) +
            f" | {format_number(scores['exact_match'])} |")


def results_markdown(results: dict) -> str:
    """Per manuscript, per page and per class, without and with the
    clean-up."""
    post = results['postprocess']
    train = format_minutes(results['train_minutes'] * 60) \
        if results.get('train_minutes') is not None else '-'
    lines = [
        f"{results['config']}: {results.get('iterations')} iterations, "
        f"training {train}, {results['seconds_per_page']} s per validation "
        'page (segmenting, writing and scoring). Command: '
        f"`{results['command']}`", '',
        'Mean IU over the validation pages: '
        f"**{format_number(results['mean_iu'])}** without clean-up, "
        f"{format_number(post['mean_iu'])} with the clean-up chosen on these "
        f"pages, {format_number(post['mean_iu_leave_one_out'])} "
        f"leave-one-page-out (settings: {post['settings']}).", '']
    header = ('| {} | mean IU | IU ' + ' | IU '.join(CLASS_NAMES) +
              ' | exact match |')
    rule = '|' + '---|' * (3 + len(CLASS_NAMES))
    for kind, title in (('raw', 'without clean-up'),
                        ('postprocessed', 'with clean-up')):
        scores = results['scores'][kind]
        lines += [f'**{title}**', '', header.format('pages'), rule,
                  _row('all validation pages', scores['all'])]
        lines += [_row(m, s) for m, s in scores['per_manuscript'].items()]
        lines += [_row(s, p) for s, p in scores['pages'].items()]
        lines.append('')
    return '\n'.join(lines)


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest='command', required=True)
    for name, text in (('run', 'train, segment, tune, score, print'),
                       ('table', 'print the table of a finished run')):
        cmd = sub.add_parser(name, help=text)
        cmd.add_argument('--work-dir', default=str(DEFAULT_WORK_DIR))
    sub.choices['table'].add_argument(
        '--json-out', help='also write the summary JSON here')
    run_parser = sub.choices['run']
    run_parser.add_argument('--config', default=str(CONFIG))
    run_parser.add_argument('--checkpoint',
                            help='score this checkpoint, do not train')
    run_parser.add_argument('--resume', action='store_true',
                            help='continue an interrupted training')
    run_parser.add_argument('--pictures', action='store_true',
                            help='also write full-resolution colour pictures')
    run_parser.add_argument('--json-out',
                            help='also write the summary JSON here')
    run_parser.add_argument('--cfg-options', nargs='+',
                            help='config overrides for training and testing')
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.command == 'run':
        run(args)
    else:
        results = json.loads(
            (Path(args.work_dir) / 'results.json').read_text())
        print(results_markdown(results))
        if args.json_out:
            write_summary(results, args.json_out)
    return 0


if __name__ == '__main__':
    sys.exit(main())

"""Test a checkpoint on the config's test set (mmseg's test.py flags).

Examples:
    python tools/test.py configs/demo_synthetic_unet.py work_dirs/demo/iter_300.pth \
        --out work_dirs/demo/predictions --show-dir work_dirs/demo/pictures
    tools/dist_test.sh configs/hisdb_unet.py model.pth 4 --out preds/

``--out DIR`` writes every prediction as a PNG in the GT's own format (class
encoding in the blue channel, same size and stem as the page).
``--show-dir DIR`` writes the colour pictures (prediction, GT, error map) of
the ColourVisualizationHook.

Refused before the runner is built (exit status 2, nothing written): an
``--out`` or ``--show-dir`` folder (or that of a writing hook the config
enables, or the ``prediction_dir`` / ``output_dir`` of a
``DIVALayoutMetric`` in the test evaluator) that is, or lies inside, an image or GT folder of any split the
config names; an existing file there at an output's name that is not the
hook's own (its PNGs carry a ``Software`` text); a ``--work-dir`` where
mmengine's config dump would replace the config or a file that is no dump
(:func:`~mmseg_pixdiva.apis.runner_cli.refuse_config_overwrite`). A
relative ``--show-dir`` lies in the run's new log folder
(``work_dir/<timestamp>/``); the hook checks it before its first picture.
"""
import argparse
import copy
import functools
import os.path as osp
import sys
from typing import Callable, List

sys.path.insert(0, osp.join(osp.dirname(osp.abspath(__file__)), '..'))

import mmseg_pixdiva  # noqa: E402,F401  (compat layer before mmseg imports)
from mmengine.config import Config, ConfigDict  # noqa: E402
from mmengine.runner import Runner  # noqa: E402

from mmseg_pixdiva.apis import resolve_auto_config  # noqa: E402
from mmseg_pixdiva.apis.preflight import (  # noqa: E402
    build_split_dataset, check_config_inputs, dataset_folders)
from mmseg_pixdiva.engine.hooks import GTFormatPredictionHook  # noqa: E402
from mmseg_pixdiva.utils.errors import exit_on_input_error  # noqa: E402
from mmseg_pixdiva.apis.runner_cli import (add_runner_arguments,  # noqa: E402
                                           load_runner_config,
                                           refuse_config_overwrite)

#: The hooks that write files named after the test pages.
WRITING_HOOKS = ('GTFormatPredictionHook', 'ColourVisualizationHook',
                 'TestPicturesHook')


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Test a segmentor')
    parser.add_argument('config', help='config file path')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument(
        '--out', help='folder for predictions in the GT format (PNG)')
    parser.add_argument(
        '--show-dir', help='folder for the colour-coded pictures')
    parser.add_argument(
        '--show', action='store_true', help='draw pictures (in work dir)')
    add_runner_arguments(parser)
    return parser.parse_args(argv)


def build_config(args: argparse.Namespace) -> Config:
    """Apply the command-line flags to the config."""
    if not osp.isfile(args.checkpoint):
        raise FileNotFoundError(f'checkpoint {args.checkpoint} not found')
    cfg = load_runner_config(args)
    cfg.load_from = args.checkpoint
    if args.out is not None:
        hooks = [h for h in cfg.get('custom_hooks', None) or []
                 if h.get('type') != 'GTFormatPredictionHook']
        hooks.append(dict(type='GTFormatPredictionHook', out_dir=args.out))
        cfg.custom_hooks = hooks
    if args.show or args.show_dir:
        enable_visualization(cfg, args.show_dir)
    return cfg


def enable_visualization(cfg: Config, show_dir) -> None:
    """Turn on the colour pictures of the visualization hook."""
    hooks = cfg.setdefault('default_hooks', ConfigDict())
    vis = hooks.get('visualization', None)
    if vis is None or vis.get('type') != 'ColourVisualizationHook':
        vis = ConfigDict(type='ColourVisualizationHook')
    vis.draw = True
    if show_dir:
        vis.show_dir = show_dir
    hooks.visualization = vis


def writing_hook_checks(cfg: Config) -> List[Callable]:
    """The ``check_outputs`` of every hook in ``cfg`` that will write test
    files into a folder known before the run, each to be called with the
    built test dataset and ``input_folders=``."""
    from mmseg.registry import HOOKS
    hook_cfgs = list(cfg.get('custom_hooks', None) or []) + \
        list((cfg.get('default_hooks', None) or {}).values())
    checks = []
    for hook_cfg in hook_cfgs:
        if not hook_cfg or hook_cfg.get('type') not in WRITING_HOOKS:
            continue
        hook = HOOKS.build(copy.deepcopy(hook_cfg))
        if isinstance(hook, GTFormatPredictionHook):
            checks.append(hook.check_outputs)
            continue
        # A ColourVisualizationHook writes through its TestPicturesHook.
        pictures = getattr(hook, 'pictures', hook)
        out_dir = pictures.show_folder(cfg, None) if pictures.draw else None
        if out_dir is not None:
            checks.append(functools.partial(pictures.check_outputs,
                                            out_dir=out_dir))
    return checks


def writing_metric_checks(cfg: Config) -> List[Callable]:
    """The same checks for the folders of every ``DIVALayoutMetric`` of the
    test evaluator: ``prediction_dir`` (its marked predictions) and
    ``output_dir`` (its reports)."""
    from mmseg.registry import METRICS

    from mmseg_pixdiva.engine.hooks.output_check import \
        refuse_unsafe_outputs as refuse_folder
    from mmseg_pixdiva.evaluation import layout_report as report
    from mmseg_pixdiva.utils.gt_format import is_prediction_file
    evaluators = cfg.get('test_evaluator', None) or []
    if isinstance(evaluators, dict):
        evaluators = [evaluators]
    checks = []
    for metric_cfg in evaluators:
        if metric_cfg.get('type') != 'DIVALayoutMetric':
            continue
        metric = METRICS.build(copy.deepcopy(metric_cfg))
        if metric.prediction_dir:
            checks.append(functools.partial(
                refuse_folder, metric.prediction_dir,
                outputs=lambda pages, metric=metric: [
                    metric.prediction_path(page) for page in pages],
                is_own=is_prediction_file,
                tool='DIVALayoutMetric(prediction_dir)'))
        if metric.output_dir:
            checks.append(functools.partial(
                refuse_folder, metric.output_dir,
                outputs=lambda pages, metric=metric: report.report_paths(
                    metric.output_dir),
                is_own=report.is_report_file,
                tool='DIVALayoutMetric(output_dir)'))
    return checks


def refuse_unsafe_outputs(cfg: Config) -> None:
    """Refuse the writing hooks' and metrics' folders and files before the
    runner is built (see the module docstring)."""
    checks = writing_hook_checks(cfg) + writing_metric_checks(cfg)
    if not checks:
        return
    folders = [(f'{split} {role}', folder)
               for split in ('train', 'val', 'test')
               if (cfg.get(f'{split}_dataloader', None) or {}).get(
                   'dataset', None)
               for role, folder in dataset_folders(
                   cfg[f'{split}_dataloader']['dataset'])]
    dataset = build_split_dataset(cfg, 'test')
    for check in checks:
        check(dataset=dataset, input_folders=folders)


@exit_on_input_error
def main(argv=None) -> int:
    """Run the tool; an input error (named file or setting) prints
    ``error: ...`` and returns 2 instead of a traceback."""
    args = parse_args(argv)
    cfg = build_config(args)
    refuse_config_overwrite(cfg)
    check_config_inputs(cfg, ('test', ))
    refuse_unsafe_outputs(cfg)
    cfg = resolve_auto_config(cfg)
    runner = Runner.from_cfg(cfg)
    runner.test()


if __name__ == '__main__':
    sys.exit(main())

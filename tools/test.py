"""Test a checkpoint on the config's test set (mmseg's test.py flags).

Examples:
    python tools/test.py configs/demo_synthetic_unet.py work_dirs/demo/iter_300.pth \
        --out work_dirs/demo/predictions --show-dir work_dirs/demo/pictures
    tools/dist_test.sh configs/hisdb_unet.py model.pth 4 --out preds/

``--out DIR`` writes every prediction as a PNG in the GT's own format (class
encoding in the blue channel, same size and stem as the page).
``--show-dir DIR`` writes the colour pictures (prediction, GT, error map) of
the ColourVisualizationHook.
"""
import argparse
import os.path as osp
import sys

sys.path.insert(0, osp.join(osp.dirname(osp.abspath(__file__)), '..'))

import mmseg_pixdiva  # noqa: E402,F401  (compat layer before mmseg imports)
from mmengine.config import Config, ConfigDict  # noqa: E402
from mmengine.runner import Runner  # noqa: E402

from mmseg_pixdiva.apis import resolve_auto_config  # noqa: E402
from mmseg_pixdiva.apis.preflight import (  # noqa: E402
    check_config_inputs, dataset_folders)
from mmseg_pixdiva.utils.errors import exit_on_input_error  # noqa: E402
from mmseg_pixdiva.utils.output_guard import (  # noqa: E402
    refuse_input_folders)
from mmseg_pixdiva.apis.runner_cli import (add_runner_arguments,  # noqa: E402
                                           load_runner_config,
                                           refuse_config_overwrite)


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


@exit_on_input_error
def main(argv=None) -> int:
    """Run the tool; an input error (named file or setting) prints
    ``error: ...`` and returns 2 instead of a traceback."""
    args = parse_args(argv)
    cfg = build_config(args)
    refuse_config_overwrite(cfg)
    if args.out is not None:
        # Before the checkpoint is read: predictions written into the test
        # split's own folders would replace its GTs (or mix with its scans).
        refuse_input_folders(
            args.out, [(f'test {role}', folder) for role, folder in
                       dataset_folders(cfg.test_dataloader.dataset)])
    check_config_inputs(cfg, ('test', ))
    cfg = resolve_auto_config(cfg)
    runner = Runner.from_cfg(cfg)
    runner.test()


if __name__ == '__main__':
    sys.exit(main())

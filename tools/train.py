"""Train a segmentor from a config (mmseg's train.py flags).

Examples:
    python tools/train.py configs/demo_synthetic_unet.py --work-dir work_dirs/demo
    python tools/train.py configs/hisdb_unet.py --resume            # latest in work dir
    python tools/train.py configs/hisdb_unet.py --resume path/to/iter_4000.pth
    tools/dist_train.sh configs/hisdb_unet.py 4                      # 4 GPUs (or CPU processes)

mmengine saves the config in the work dir under the config's file name: a
work dir where that would replace the config itself, or a file that is no
config saved by an earlier run, is refused before anything is written
(:func:`~mmseg_pixdiva.apis.runner_cli.refuse_config_overwrite`).
"""
import argparse
import os.path as osp
import sys

sys.path.insert(0, osp.join(osp.dirname(osp.abspath(__file__)), '..'))

import mmseg_pixdiva  # noqa: E402,F401  (compat layer before mmseg imports)
from mmengine.config import Config  # noqa: E402
from mmengine.logging import print_log  # noqa: E402
from mmengine.runner import Runner  # noqa: E402

from mmseg_pixdiva.apis import resolve_auto_config  # noqa: E402
from mmseg_pixdiva.apis.preflight import check_config_inputs  # noqa: E402
from mmseg_pixdiva.utils.errors import exit_on_input_error  # noqa: E402
from mmseg_pixdiva.apis.runner_cli import (add_runner_arguments,  # noqa: E402
                                           adopt_resumed_seed,
                                           load_runner_config,
                                           refuse_config_overwrite)


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Train a segmentor')
    parser.add_argument('config', help='config file path')
    parser.add_argument(
        '--resume',
        nargs='?',
        const='auto',
        default=None,
        metavar='CHECKPOINT',
        help='resume training: from CHECKPOINT if given, else from the '
        'latest checkpoint in the work dir')
    parser.add_argument(
        '--amp', action='store_true', help='automatic mixed precision')
    add_runner_arguments(parser)
    return parser.parse_args(argv)


def build_config(args: argparse.Namespace) -> Config:
    """Apply the command-line flags to the config."""
    cfg = load_runner_config(args)
    if args.amp:
        optim_wrapper = cfg.optim_wrapper.get('type', 'OptimWrapper')
        if optim_wrapper == 'AmpOptimWrapper':
            print_log('AMP is already enabled in the config.',
                      logger='current')
        else:
            cfg.optim_wrapper.type = 'AmpOptimWrapper'
            cfg.optim_wrapper.setdefault('loss_scale', 'dynamic')
    if args.resume is not None:
        cfg.resume = True
        cfg.load_from = None if args.resume == 'auto' else args.resume
    return cfg


@exit_on_input_error
def main(argv=None) -> int:
    """Run the tool; an input error (named file or setting) prints
    ``error: ...`` and returns 2 instead of a traceback."""
    args = parse_args(argv)
    cfg = build_config(args)
    refuse_config_overwrite(cfg)
    # Every split is checked before the runner is built: mmengine reads the
    # validation set only after training has run and saved a checkpoint.
    # The test split is not read by training: it may not exist yet.
    check_config_inputs(cfg, ('train', 'val', 'test'), optional=('test', ))
    cfg = resolve_auto_config(cfg)
    seed = adopt_resumed_seed(cfg)
    if seed is not None:
        print_log(f'resuming with the seed of the interrupted run: {seed}',
                  logger='current')
    runner = Runner.from_cfg(cfg)
    runner.train()


if __name__ == '__main__':
    sys.exit(main())

"""Command-line flags shared by ``tools/train.py`` and ``tools/test.py``,
and what both check before mmengine's runner writes into the work dir."""
import argparse
import ast
import os
import os.path as osp
from pathlib import Path
from typing import Optional

from mmengine.config import Config, DictAction

from ..utils.output_guard import refuse_foreign_files, refuse_inputs
from .auto_config import set_data_root


def add_runner_arguments(parser: argparse.ArgumentParser) -> None:
    """mmseg's common flags, plus ``--data-root``."""
    parser.add_argument('--work-dir', help='where to save logs and models')
    parser.add_argument(
        '--data-root',
        help='dataset root for the train, val and test dataloaders')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override config settings, e.g. train_cfg.max_iters=100')
    parser.add_argument(
        '--launcher',
        choices=['none', 'pytorch', 'slurm', 'mpi'],
        default='none',
        help='job launcher')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)


def load_runner_config(args: argparse.Namespace) -> Config:
    """Read ``args.config`` and apply the common flags.

    Args:
        args: Parsed flags of :func:`add_runner_arguments` and ``config``.

    Returns:
        Config: With launcher, data root, overrides and work dir applied.
    """
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    cfg = Config.fromfile(args.config)
    cfg.launcher = args.launcher
    if args.data_root is not None:
        set_data_root(cfg, args.data_root)
    if args.cfg_options is not None:
        cfg.merge_from_dict(args.cfg_options)
    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir', None) is None:
        cfg.work_dir = osp.join('./work_dirs',
                                osp.splitext(osp.basename(args.config))[0])
    return cfg


def config_dump_path(cfg: Config) -> Optional[Path]:
    """Where mmengine's runner will dump ``cfg`` (``Runner.dump_config``):
    the work dir, under the config file's name.

    Returns:
        Path | None: None for a config not read from a file (the runner
        then names the dump after its timestamp: a new file).
    """
    if cfg.filename is None:
        return None
    return Path(cfg.work_dir) / osp.basename(cfg.filename)


def is_config_dump(path: os.PathLike) -> bool:
    """Whether ``path`` holds a config that mmengine's runner dumped, which
    a new run in the same work dir (a resumed training, say) may replace.

    A dump (``Config.pretty_text``) is flat: top-level ``name = value``
    assignments only, sorted by name, ``work_dir`` among them (every
    runner config has one) and no ``_base_``. A config written by hand
    inherits, imports or keeps its own order. Dumps in other formats
    (``.json``, ``.yaml``) are mappings with a ``work_dir`` and no
    ``_base_``. A link is never one: the dump would be written through it.
    """
    path = Path(path)
    if path.is_symlink() or not path.is_file():
        return False
    if path.suffix != '.py':
        from mmengine.fileio import load
        try:
            data = load(str(path))
        except Exception:  # any parser's error: not a dump
            return False
        return isinstance(data, dict) and 'work_dir' in data and \
            '_base_' not in data
    try:
        tree = ast.parse(path.read_text(encoding='utf-8'))
    except (OSError, SyntaxError, UnicodeDecodeError, ValueError):
        return False
    names = []
    for node in tree.body:
        if not (isinstance(node, ast.Assign) and len(node.targets) == 1
                and isinstance(node.targets[0], ast.Name)):
            return False
        names.append(node.targets[0].id)
    return 'work_dir' in names and '_base_' not in names and \
        names == sorted(names)


def refuse_config_overwrite(cfg: Config) -> None:
    """Refuse a work dir where the runner's config dump would replace the
    config itself (a work dir that is the config's folder; links
    included) or another file that is no dump of an earlier run (a config
    of the same name, one of its ``_base_`` files).

    A config that is itself a dump (``tools/test.py work_dirs/x/x.py
    work_dirs/x/iter_1000.pth``, mmseg's usual way to test a run, whose
    dump names its own work dir) may be dumped over: that is what every
    run into a work dir does to its dump.

    Args:
        cfg (Config): The run's config, work dir set.

    Raises:
        OutputIsInputError: Naming the dump's path and the file there.
    """
    dump = config_dump_path(cfg)
    if dump is None:
        return
    if not is_config_dump(Path(cfg.filename)):
        refuse_inputs([dump], [('config', cfg.filename)])
    refuse_foreign_files([dump], is_config_dump,
                         "mmengine's runner (as a config dump)")


def resume_checkpoint(cfg: Config) -> Optional[str]:
    """The checkpoint a ``resume=True`` config will continue from, if any.

    Args:
        cfg (Config): Config with ``resume``, ``load_from``, ``work_dir``.

    Returns:
        str | None: ``load_from``, else the latest checkpoint recorded in
        the work dir (mmengine's ``last_checkpoint`` file), else None.
    """
    if not cfg.get('resume', False):
        return None
    if cfg.get('load_from', None):
        return cfg.load_from
    from mmengine.runner import find_latest_checkpoint
    return find_latest_checkpoint(cfg.work_dir)


def adopt_resumed_seed(cfg: Config) -> Optional[int]:
    """Run a resumed training with the seed of the run it continues.

    mmengine restores the checkpoint's seed only after it has built the
    dataloaders, whose samplers (``CropsPerImageSampler``, mmengine's
    ``DefaultSampler``) have by then drawn their shuffling seed from the
    new run's seed. A config without ``randomness.seed`` gets a fresh
    random seed every start, so the resumed run would skip and then draw
    other crops than the interrupted one. Setting the seed before the
    runner exists makes the continuation the same as an uninterrupted run.

    Args:
        cfg (Config): The config to update in place.

    Returns:
        int | None: The seed adopted, or None (not resuming, no checkpoint
        yet, or a checkpoint without a recorded seed).
    """
    checkpoint = resume_checkpoint(cfg)
    if checkpoint is None or not osp.isfile(checkpoint):
        return None  # mmengine reports a missing file or starts afresh
    from mmseg_pixdiva.compat.checkpoint import load_from_local_safely
    meta = load_from_local_safely(checkpoint, map_location='cpu').get(
        'meta') or {}
    seed = meta.get('seed')
    if seed is None:
        return None
    randomness = cfg.get('randomness', None) or {}
    randomness = dict(randomness, seed=int(seed))
    cfg.randomness = randomness
    return int(seed)

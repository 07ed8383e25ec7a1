"""End to end through the command-line tools on synthetic pages (CPU)."""
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from mmseg_pixdiva.datasets.synthetic import (SYNTHETIC_LABEL_VALUES,
                                              write_synthetic_dataset)

REPO = Path(__file__).resolve().parents[2]
DEMO = str(REPO / 'configs' / 'demo_synthetic_unet.py')
SMALL = ['train_dataloader.batch_size=2', 'val_dataloader.batch_size=2',
         'train_dataloader.sampler.crops_per_image=4',
         'val_dataloader.sampler.crops_per_image=2',
         'default_hooks.logger.interval=1']


@pytest.fixture(scope='module')
def data_root(tmp_path_factory):
    root = tmp_path_factory.mktemp('synthetic')
    write_synthetic_dataset(root, n_train=2, n_val=1, n_test=1, height=256,
                            width=192, test_height=300, test_width=220,
                            seed=1, progress=False)
    return root


def run(*args, timeout=600):
    env = dict(os.environ, PYTHONUNBUFFERED='1')
    result = subprocess.run(list(args), capture_output=True, text=True,
                            timeout=timeout, cwd=REPO, env=env)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-6000:]
    return output


@pytest.fixture(scope='module')
def channels_last_demo(tmp_path_factory):
    """The demo config plus the CPU speed-ups (ChannelsLastHook, which the
    real-page recipe uses, and BF16AutocastOptimWrapper), to run them
    through the real runner: training, resuming, 2-process launch."""
    path = tmp_path_factory.mktemp('configs') / 'demo_channels_last.py'
    path.write_text(f'_base_ = [{DEMO!r}]\n'
                    "custom_hooks = [dict(type='ChannelsLastHook')]\n"
                    "optim_wrapper = dict(type='BF16AutocastOptimWrapper')\n")
    return str(path)


def train(data_root, work_dir, *options, config=DEMO, extra=()):
    return run(sys.executable, 'tools/train.py', config, '--work-dir',
               str(work_dir), '--data-root', str(data_root), *extra,
               '--cfg-options', *SMALL, *options)


def logged_seed(log):
    [seed] = re.findall(r'^\s*seed: (\d+)$', log, flags=re.M)
    return int(seed)


def logged_losses(log):
    """``{iteration: loss}`` of the training log lines (interval 1)."""
    return {int(i): float(loss) for i, loss in re.findall(
        r'Iter\(train\) \[\s*(\d+)/\d+\].*? loss: ([0-9.]+)', log)}


def test_train_resume_and_test(data_root, channels_last_demo, tmp_path):
    work_dir = tmp_path / 'work'
    log = train(data_root, work_dir, 'train_cfg.max_iters=4',
                'train_cfg.val_interval=2',
                'default_hooks.checkpoint.interval=2',
                config=channels_last_demo)
    assert 'Iter(train) [4/4]' in log and 'Iter(val)' in log
    assert (work_dir / 'iter_4.pth').is_file()
    # ChannelsLastHook converted the weights; resuming below loads the
    # checkpoint into them.
    assert 'weights are channels-last on cpu' in log

    first_seed = logged_seed(log)

    log = train(data_root, work_dir, 'train_cfg.max_iters=6',
                'train_cfg.val_interval=2',
                'default_hooks.checkpoint.interval=2',
                config=channels_last_demo, extra=['--resume'])
    assert 'resumed epoch: 0, iter: 4' in log
    assert 'Iter(train) [6/6]' in log and 'Iter(train) [1/6]' not in log
    assert (work_dir / 'iter_6.pth').is_file()
    # The demo config sets no seed, so every start draws one: the resumed
    # run must take the interrupted run's (before its samplers are built)
    # and then train on exactly the crops an uninterrupted run would have.
    assert logged_seed(log) == first_seed
    straight = train(data_root, tmp_path / 'straight',
                     'train_cfg.max_iters=6', 'train_cfg.val_interval=2',
                     'default_hooks.checkpoint.interval=2',
                     f'randomness.seed={first_seed}',
                     config=channels_last_demo)
    resumed, full = logged_losses(log), logged_losses(straight)
    assert set(resumed) == {5, 6} and set(full) == {1, 2, 3, 4, 5, 6}
    assert resumed == {i: full[i] for i in (5, 6)}

    out, pics = tmp_path / 'predictions', tmp_path / 'pictures'
    log = run(sys.executable, 'tools/test.py', DEMO,
              str(work_dir / 'iter_6.pth'), '--work-dir', str(work_dir),
              '--data-root', str(data_root), '--out', str(out),
              '--show-dir', str(pics))
    scores = dict(re.findall(r'diva/(\w+): ([0-9.]+|nan)', log))
    assert 0.0 <= float(scores['mean_iu']) <= 1.0, log[-3000:]
    assert 0.0 <= float(scores['exact_match']) <= 1.0
    # Prediction in the GT's format: same stem and size, class in blue.
    page = next((data_root / 'test' / 'data').iterdir())
    prediction = np.asarray(Image.open(out / f'{page.stem}.png'))
    assert prediction.shape == (300, 220, 3)
    assert (prediction[..., :2] == 0).all()
    assert set(np.unique(prediction[..., 2])) <= set(SYNTHETIC_LABEL_VALUES)
    for suffix in ('_pred.png', '_gt.png', '_errors.png'):
        assert (pics / f'{page.stem}{suffix}').is_file(), suffix


def test_two_process_cpu_launch(data_root, channels_last_demo, tmp_path):
    work_dir = tmp_path / 'dist'
    env_python = f'PYTHON={sys.executable}'
    log = run('env', env_python, f'PORT={29500 + os.getpid() % 1000}',
              'bash', 'tools/dist_train.sh', channels_last_demo, '2',
              '--work-dir',
              str(work_dir), '--data-root', str(data_root), '--cfg-options',
              *SMALL, 'train_cfg.max_iters=2', 'train_cfg.val_interval=100',
              'default_hooks.checkpoint.interval=2', 'val_cfg=None',
              'val_dataloader=None', 'val_evaluator=None')
    assert 'Distributed training: True' in log
    assert 'Iter(train) [2/2]' in log
    # DDP wrapped the model before any hook ran: the layout stays.
    assert 'wrapped for distributed training; weights keep their layout' \
        in log
    assert 'Grad strides do not match' not in log
    assert (work_dir / 'iter_2.pth').is_file()


def test_stock_backbone_config_trains_one_iteration(data_root, tmp_path):
    log = train(data_root, tmp_path / 'r18', 'train_cfg.max_iters=1',
                'val_cfg=None', 'val_dataloader=None', 'val_evaluator=None',
                config=str(REPO / 'configs' / 'hisdb_deeplabv3plus_r18.py'))
    assert 'Iter(train) [1/1]' in log
    assert 'ResNetV1c' in log or 'ResNet' in log

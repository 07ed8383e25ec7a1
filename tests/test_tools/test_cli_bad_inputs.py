"""Every command-line tool against one shared list of bad inputs.

Each row gives a tool a bad input (a missing file, an empty or truncated
image, a file that is no image, an output that is an input) and asserts the
project's contract: exit status 2, one ``error:`` line on stderr that names
the file, no traceback, nothing written and every input byte unchanged.
"""
import hashlib
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from tool_loader import load_tool

from mmseg_pixdiva.core.encoding import classes_to_gt_rgb
from mmseg_pixdiva.datasets import data_root
from mmseg_pixdiva.evaluation.layout_cli import main as evaluate_main
from mmseg_pixdiva.utils.atomic import atomic_write_image

REPO = Path(__file__).resolve().parents[2]
DEMO_CONFIG = REPO / 'configs' / 'demo_synthetic_unet.py'

#: The shared bad inputs.
BAD_INPUTS = ('missing', 'empty', 'truncated', 'not_an_image',
              'output_is_input')


def make_tree(root: Path) -> dict:
    """A tiny dataset (three splits), predictions and a checkpoint file."""
    rng = np.random.default_rng(0)
    paths = {}
    for split in ('train', 'val', 'test'):
        classes = rng.integers(0, 4, (64, 48)).astype(np.uint8)
        gt = classes_to_gt_rgb(classes, [1, 2, 4, 8])
        atomic_write_image(root / split / 'gt' / 'p.png', gt)
        atomic_write_image(root / split / 'data' / 'p.jpg',
                           rng.integers(0, 256, (64, 48, 3), np.uint8))
        paths[split] = gt
    atomic_write_image(root / 'pred' / 'p.png', paths['test'])
    (root / 'model.pth').write_bytes(b'not read: inputs are checked first')
    return dict(root=root, gt=root / 'test' / 'gt' / 'p.png',
                scan=root / 'train' / 'data' / 'p.jpg',
                pred=root / 'pred' / 'p.png', ckpt=root / 'model.pth')


def spoil(path: Path, case: str) -> None:
    """Turn an existing image file into the bad input ``case``."""
    data = path.read_bytes()
    if case == 'empty':
        path.write_bytes(b'')
    elif case == 'truncated':
        path.write_bytes(data[:len(data) // 2])
    elif case == 'not_an_image':
        path.write_text('these are my notes, not an image')


def evaluate_row(tree, case, out):
    argv = ['--gt', tree['gt'], '--prediction', tree['pred'], '--out-dir',
            out]
    if case == 'missing':
        return argv[:1] + [tree['root'] / 'nope.png'] + argv[2:], \
            tree['root'] / 'nope.png'
    if case == 'output_is_input':
        return argv + ['--json', tree['gt']], tree['gt']
    spoil(tree['pred'], case)
    return argv, tree['pred']


def visualize_row(tree, case, out):
    argv = [tree['pred'], '--hisdb', '--gt-dir', tree['gt'].parent,
            '--out-dir', out]
    if case == 'missing':
        return [tree['root'] / 'nope.png'] + argv[1:], \
            tree['root'] / 'nope.png'
    if case == 'output_is_input':
        return argv[:-1] + [tree['pred'].parent], tree['pred'].parent
    spoil(tree['gt'], case)
    return argv, tree['gt']


def infer_row(tree, case, out):
    pages = tree['root'] / 'train' / 'data'
    argv = [DEMO_CONFIG, tree['ckpt'], pages, out, '--device', 'cpu']
    if case == 'missing':
        return argv[:2] + [tree['root'] / 'nope'] + argv[3:], \
            tree['root'] / 'nope'
    if case == 'output_is_input':
        return argv[:3] + [pages] + argv[4:], pages
    spoil(tree['scan'], case)
    return argv, tree['scan']


def analyze_row(tree, case, out):
    argv = [tree['root'], '--hisdb', '--no-cache', '--out', out / 'stats.json']
    if case == 'missing':
        return [tree['root'] / 'nope'] + argv[1:], tree['root'] / 'nope'
    if case == 'output_is_input':  # a GT of another split than train's
        target = tree['root'] / 'val' / 'gt' / 'p.png'
        return argv[:-1] + [target], target
    gt = tree['root'] / 'train' / 'gt' / 'p.png'
    spoil(gt, case)
    return argv, gt


def synthetic_row(tree, case, out):
    if case == 'missing':  # a root below a file
        return [tree['ckpt'] / 'root', '--no-progress'], tree['ckpt']
    if case == 'output_is_input':  # a user's scan under a page's name
        return [tree['root'], '--train', '1', '--val', '1', '--test', '1',
                '--overwrite', '--no-progress'], tree['scan']
    return None


def train_row(tree, case, out):
    argv = [DEMO_CONFIG, '--data-root', tree['root'], '--work-dir', out]
    if case == 'missing':
        return argv[:2] + [tree['root'] / 'nope'] + argv[3:], \
            tree['root'] / 'nope'
    if case == 'output_is_input':  # the work dir is the config's folder
        config = user_config(tree)
        return [config] + argv[1:-1] + [config.parent], config
    gt = tree['root'] / 'train' / 'gt' / 'p.png'
    spoil(gt, case)
    return argv, gt


def user_config(tree) -> Path:
    """A config of the user's (the demo's, inherited) in the tree: the
    runner dumps its config into the work dir under the config's name."""
    config = tree['root'] / 'configs' / 'mine.py'
    config.parent.mkdir()
    config.write_text(f'_base_ = [{str(DEMO_CONFIG)!r}]\n')
    return config


def runner_test_row(tree, case, out):
    argv = [DEMO_CONFIG, tree['ckpt'], '--data-root', tree['root'],
            '--work-dir', out]
    if case == 'missing':
        return argv[:3] + [tree['root'] / 'nope'] + argv[4:], \
            tree['root'] / 'nope'
    if case == 'output_is_input':
        return argv + ['--out', tree['gt'].parent], tree['gt'].parent
    spoil(tree['gt'], case)
    return argv, tree['gt']


TOOLS = {
    'pixdiva-evaluate': (lambda: evaluate_main, evaluate_row),
    'visualize': (lambda: load_tool('visualize').main, visualize_row),
    'infer': (lambda: load_tool('infer').main, infer_row),
    'analyze_dataset': (lambda: load_tool('analyze_dataset').main,
                        analyze_row),
    'make_synthetic_hisdb': (lambda: load_tool('make_synthetic_hisdb').main,
                             synthetic_row),
    # The runner tools in a process of their own: mmengine's logger keeps
    # the stream of the first test that created it.
    'train': (lambda: in_subprocess('train'), train_row),
    'test': (lambda: in_subprocess('test'), runner_test_row),
}


def in_subprocess(tool: str):
    def main(argv):
        done = subprocess.run(
            [sys.executable, str(REPO / 'tools' / f'{tool}.py'), *argv],
            capture_output=True, text=True, timeout=300)
        sys.stderr.write(done.stderr)
        return done.returncode
    return main


#: Caches the dataset code keeps in the data root (what it learnt from the
#: files that are fine); not outputs, and no input is replaced by them.
DATA_ROOT_CACHES = tuple(name for name, _ in data_root.DATA_ROOT_CACHES)


def snapshot(root: Path) -> dict:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).digest()
            for p in sorted(root.rglob('*'))
            if p.is_file() and p.name not in DATA_ROOT_CACHES}


def run_tool(main, argv):
    try:
        return main([str(a) for a in argv])
    except SystemExit as stop:
        return stop.code


@pytest.mark.parametrize('case', BAD_INPUTS)
@pytest.mark.parametrize('tool', list(TOOLS))
def test_bad_input(tool, case, tmp_path, capsys):
    tree = make_tree(tmp_path / 'tree')
    out = tmp_path / 'out'
    load, row = TOOLS[tool]
    made = row(tree, case, out)
    if made is None:
        pytest.skip(f'{tool} has no {case} input')
    argv, named = made
    if tool == 'make_synthetic_hisdb' and case == 'output_is_input':
        # A synthetic dataset, then a scan of the user's own put in place
        # of one of its pages.
        assert run_tool(load(), [tree['root'] / 'synthetic', '--train', '1',
                                 '--val', '0', '--test', '0', '--height',
                                 '48', '--width', '40',
                                 '--no-progress']) == 0
        argv[0] = tree['root'] / 'synthetic'
        named = tree['root'] / 'synthetic' / 'train' / 'data' / \
            'train_000.jpg'
        named.write_bytes(tree['scan'].read_bytes())
        capsys.readouterr()
    before = snapshot(tree['root'])
    status = run_tool(load(), argv)
    err = capsys.readouterr().err
    assert status == 2, err
    assert 'Traceback' not in err
    errors = [line for line in err.splitlines() if 'error:' in line]
    assert len(errors) == 1, err
    assert str(named) in errors[0], err
    assert snapshot(tree['root']) == before
    outputs = sorted(p.name for p in out.rglob('*') if p.is_file()) \
        if out.exists() else []
    # mmengine's runner logs into its work dir; nothing else is written.
    assert not [name for name in outputs
                if not name.endswith(('.log', '.json', '.py'))
                or name == 'stats.json'], outputs

"""tools/dist_infer.sh: two CPU processes write every page once, the same
bytes as one process, and a rerun after a process was killed finishes the
job without redoing finished pages."""
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from test_infer import run as run_infer
from test_infer import write_checkpoint, write_config

REPO = Path(__file__).resolve().parents[2]

#: Page sizes (H, W): unequal, so a split by pixels differs from one by
#: name; 40 pages, so that a process killed after the first output is
#: killed mid-run.
SIZES = [(96 + 16 * (i % 5), 128 + 8 * (i % 7)) for i in range(40)]


@pytest.fixture(scope='module')
def job(tmp_path_factory):
    import cv2
    root = tmp_path_factory.mktemp('dist_infer')
    pages = root / 'pages'
    pages.mkdir()
    rng = np.random.default_rng(1)
    for index, (h, w) in enumerate(SIZES):
        cv2.imwrite(str(pages / f'page{index:02d}.png'),
                    rng.integers(0, 256, (h, w, 3), dtype=np.uint8))
    setup = dict(pages=pages, config=write_config(root / 'cfg.py'),
                 ckpt=write_checkpoint(root / 'ckpt.pth'))
    single = root / 'single'
    assert run_infer(setup, single, '--io-workers', '0') == 0
    return dict(setup, root=root, single=single)


def dist_command(job, out, port):
    return ['env', f'PYTHON={sys.executable}', f'PORT={port}', 'bash',
            str(REPO / 'tools' / 'dist_infer.sh'), str(job['config']),
            str(job['ckpt']), str(job['pages']), str(out), '2', '--device',
            'cpu']


def outputs(folder):
    return {p.name: p.read_bytes() for p in folder.glob('page*.png')}


def test_two_processes_write_each_page_once_as_one_process(job, tmp_path):
    out = tmp_path / 'out'
    result = subprocess.run(dist_command(job, out, 29600 + os.getpid() % 300),
                            capture_output=True, text=True, timeout=600,
                            cwd=REPO)
    log = result.stdout + result.stderr
    assert result.returncode == 0, log[-3000:]
    assert f'{len(SIZES)} pages segmented' in log
    # Both processes worked, and together wrote each page once.
    counts = [int(n) for n in
              log.split('pages segmented per process: ')[1].split('\n')[0]
              .replace('rank 0: ', '').replace('rank 1: ', '').split(', ')]
    assert sum(counts) == len(SIZES) and min(counts) > 0
    assert outputs(out) == outputs(job['single'])  # byte for byte
    assert sorted(p.name for p in out.iterdir()) == \
        sorted(list(outputs(job['single'])) + ['pixdiva_infer.json'])


def infer_processes(out: Path):
    """``pid -> (parent pid, RANK)`` of the processes of the run writing to
    ``out`` (the ranks and their page-decoding workers)."""
    found = {}
    for entry in Path('/proc').iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / 'cmdline').read_bytes().split(b'\0')
            environ = (entry / 'environ').read_bytes().split(b'\0')
            parent = int((entry / 'stat').read_text().rsplit(')', 1)[1]
                         .split()[1])
        except (OSError, ValueError, IndexError):
            continue
        if str(out).encode() in cmdline and any(
                arg.endswith(b'infer.py') for arg in cmdline):
            ranks = [int(item[5:]) for item in environ
                     if item.startswith(b'RANK=')]
            if ranks:
                found[int(entry.name)] = (parent, ranks[0])
    return found


def rank_pids(out: Path):
    """The rank processes (not their workers, forked with the same
    environment) of the run writing to ``out``, by rank."""
    found = infer_processes(out)
    return {rank: pid for pid, (parent, rank) in found.items()
            if parent not in found}


def test_a_killed_process_and_a_rerun_finish_without_redoing_pages(
        job, tmp_path):
    out = tmp_path / 'out'
    port = 29900 + os.getpid() % 300
    process = subprocess.Popen(dist_command(job, out, port),
                               stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True, cwd=REPO)
    deadline = time.time() + 300
    while time.time() < deadline and not list(out.glob('page*.png')):
        time.sleep(0.02)
    pids = rank_pids(out)
    assert 1 in pids, 'rank 1 not found'
    os.kill(pids[1], signal.SIGKILL)
    log, _ = process.communicate(timeout=300)
    assert process.returncode != 0, log[-3000:]
    finished = {p.name: (p.stat().st_mtime_ns, p.stat().st_ino)
                for p in out.glob('page*.png')}
    # Killed mid-run: some pages written, some not. The killed process
    # could not delete its temporary file; the other one (stopped by
    # torchrun with SIGTERM) did.
    assert 0 < len(finished) < len(SIZES), log[-3000:]
    # torchrun reports the failure with its own traceback; the surviving
    # process stops like Ctrl-C, with one line and no traceback of its own.
    assert 'interrupted: ' in log
    assert 'infer.py", line' not in log and 'Exception ignored' not in log
    temporaries = [p for p in out.iterdir() if p.name.startswith('.')]
    assert len(temporaries) <= 1

    result = subprocess.run(dist_command(job, out, port + 1),
                            capture_output=True, text=True, timeout=600,
                            cwd=REPO)
    log = result.stdout + result.stderr
    assert result.returncode == 0, log[-3000:]
    assert f'{len(SIZES) - len(finished)} pages segmented' in log
    assert f'{len(finished)} already done' in log
    # The finished pages were left alone (same file, same time) ...
    assert {name: (p.stat().st_mtime_ns, p.stat().st_ino)
            for name, p in ((n, out / n) for n in finished)} == finished
    # ... and the whole folder is what one uninterrupted process writes,
    # without the dead process's temporary file.
    assert outputs(out) == outputs(job['single'])
    assert sorted(p.name for p in out.iterdir()) == \
        sorted(list(outputs(job['single'])) + ['pixdiva_infer.json'])


@pytest.mark.parametrize('nproc', ['', 'two', '0'])
def test_a_bad_process_count_is_one_line_and_writes_nothing(job, tmp_path,
                                                            nproc):
    out = tmp_path / 'out'
    command = dist_command(job, out, 29500)
    command[-3] = nproc
    result = subprocess.run(command, capture_output=True, text=True,
                            timeout=60, cwd=REPO)
    assert result.returncode == 2
    assert result.stderr == ('error: tools/infer: the number of processes '
                             f"must be a positive integer, got '{nproc}'\n")
    assert not out.exists()

"""Run ``tools/infer.py`` (this checkout's or a baseline's) and measure it.

Shared by ``infer_memory.py`` and ``infer_throughput.py``. The baseline is
the inference of an earlier commit (``--baseline REV``, by default the
commit before streaming inference), unpacked with ``git archive`` into the
work folder, so both run side by side in one benchmark.
"""
import os
import re
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Dict, List, Optional

REPO = Path(__file__).resolve().parents[1]

#: The last commit whose tools/infer.py merged whole-page canvases and
#: decoded, segmented and wrote pages in turn.
BASELINE_REV = 'f440250'

#: Wraps a run to report its own peak resident set size on stderr:
#: ``VmHWM``, the high-water mark of the process's memory since its exec
#: (``getrusage``'s ``ru_maxrss`` would include the benchmark's own memory
#: at fork time).
_PEAK_RSS_RUNNER = '''
import runpy, sys
sys.argv = sys.argv[1:]
sys.path.insert(0, {tree!r})
try:
    runpy.run_path(sys.argv[0], run_name='__main__')
finally:
    with open('/proc/self/status') as status:
        peak = [line.split()[1] for line in status
                if line.startswith('VmHWM:')][0]
    print('PIXDIVA_PEAK_RSS_KB', peak, file=sys.stderr, flush=True)
'''


def _descendants(root: int) -> List[int]:
    """``root`` and every process below it (from ``/proc``)."""
    parents = {}
    for entry in Path('/proc').iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / 'stat').read_text()
                parents[int(entry.name)] = int(stat.rsplit(')', 1)[1]
                                               .split()[1])
            except (OSError, ValueError, IndexError):
                continue
    tree, frontier = [root], [root]
    while frontier:
        frontier = [pid for pid, parent in parents.items()
                    if parent in frontier]
        tree += frontier
    return tree


def _pss_kb(pid: int) -> int:
    """Proportional set size: shared pages (a decoded page handed from a
    worker through shared memory) split between the processes using
    them, so the sum over processes counts each page once."""
    try:
        for line in open(f'/proc/{pid}/smaps_rollup'):
            if line.startswith('Pss:'):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


class _TreeMemory(threading.Thread):
    """Samples the total PSS of a process tree every 50 ms; keeps the
    peak."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid, self.peak_kb = pid, 0
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.wait(0.05):
            total = sum(_pss_kb(pid) for pid in _descendants(self.pid))
            self.peak_kb = max(self.peak_kb, total)


def shared_dir() -> Path:
    return Path(os.environ.get('PIXDIVA_SHARED', REPO.parent / 'shared'))


def baseline_tree(work_dir: Path, rev: str = BASELINE_REV) -> Path:
    """The files of commit ``rev`` under ``work_dir`` (unpacked once), or
    an already unpacked tree given by ``PIXDIVA_BASELINE_TREE``."""
    given = os.environ.get('PIXDIVA_BASELINE_TREE')
    if given:
        return Path(given)
    tree = work_dir / f'baseline-{rev}'
    if not (tree / 'tools' / 'infer.py').is_file():
        tree.mkdir(parents=True, exist_ok=True)
        archive = subprocess.run(['git', '-C', str(REPO), 'archive', rev],
                                 check=True, capture_output=True).stdout
        subprocess.run(['tar', '-x', '-C', str(tree)], input=archive,
                       check=True)
    return tree


class Run(dict):
    """One run's measurements: ``seconds`` (wall, whole process),
    ``loop_seconds`` (the pages only, from the progress bar),
    ``peak_rss_mb`` (the main process's peak, one-process runs),
    ``tree_peak_pss_mb`` (peak of the whole process tree's proportional
    set size, sampled every 50 ms), ``log``."""


def _progress_seconds(log: str) -> Optional[float]:
    """Seconds of the page loop: the last update of mmengine's progress
    bar gives done pages and their rate (more precise than its
    whole-second ``elapsed``)."""
    found = re.findall(r'\] (\d+)/(\d+), ([0-9.]+) task/s, elapsed: (\d+)s',
                       log)
    if not found:
        return None
    done, _, rate, elapsed = found[-1]
    rate = float(rate)
    return int(done) / rate if rate > 0 else float(elapsed)


def _loop_window(output: bytes, arrivals) -> Optional[tuple]:
    """``(start, end)`` (``time.perf_counter``) of the page loop: when the
    progress bar's first line (``0/N``) and its last update arrived."""
    bars = [m.start() for m in re.finditer(rb'\] \d+/\d+', output)]
    if not bars:
        return None

    def arrival(offset: int) -> float:
        return next(t for t, end in arrivals if end > offset)

    return arrival(bars[0]), arrival(bars[-1])


def run_infer(tree: Path, args: List[str], nproc: int = 1,
              env: Optional[Dict[str, str]] = None,
              port: int = 29700) -> Run:
    """Run ``tree``'s ``tools/infer.py`` with ``args``.

    Args:
        tree (Path): A checkout (this one or :func:`baseline_tree`).
        args (list[str]): infer.py's arguments.
        nproc (int): 1: one process, its peak RSS measured; more:
            ``tools/dist_infer.sh`` with that many processes.
        env (dict, optional): Extra environment variables.
        port (int): torchrun's port for ``nproc > 1``.

    Returns:
        Run: The measurements; raises on a failed run.
    """
    environment = dict(os.environ, PYTHONUNBUFFERED='1', **(env or {}))
    environment['PYTHONPATH'] = os.pathsep.join(
        filter(None, [str(tree), environment.get('PYTHONPATH')]))
    if nproc == 1:
        command = [sys.executable, '-c',
                   _PEAK_RSS_RUNNER.format(tree=str(tree)),
                   str(tree / 'tools' / 'infer.py'), *args]
    else:
        config, checkpoint, pages, out, *flags = args
        environment.update(PYTHON=sys.executable, PORT=str(port))
        command = ['bash', str(tree / 'tools' / 'dist_infer.sh'), config,
                   checkpoint, pages, out, str(nproc), *flags]
    started = time.perf_counter()
    # Run from the caller's folder: paths in ``args`` and in configs
    # (data roots) stay as given.
    process = subprocess.Popen(command, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, env=environment)
    memory = _TreeMemory(process.pid)
    memory.start()
    # Read as it comes, noting when each piece arrived: the progress bar's
    # first and last updates then time the page loop from outside.
    chunks, arrivals = [], []
    while True:
        chunk = os.read(process.stdout.fileno(), 1 << 16)
        if not chunk:
            break
        chunks.append(chunk)
        arrivals.append((time.perf_counter(), sum(map(len, chunks))))
    process.wait()
    seconds = time.perf_counter() - started
    memory.stop.set()
    memory.join()
    log = b''.join(chunks).decode(errors='replace')
    if process.returncode != 0:
        raise RuntimeError(f'{" ".join(command[-6:])} failed '
                           f'({process.returncode}):\n{log[-3000:]}')
    run = Run(seconds=seconds, loop_seconds=_progress_seconds(log), log=log,
              tree_peak_pss_mb=memory.peak_kb / 1024,
              loop_window=_loop_window(b''.join(chunks), arrivals))
    peak = re.search(r'PIXDIVA_PEAK_RSS_KB (\d+)', log)
    if peak:
        run['peak_rss_mb'] = int(peak.group(1)) / 1024
    return run

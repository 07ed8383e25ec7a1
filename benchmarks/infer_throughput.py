"""Pages per minute of ``tools/infer.py`` over a folder of real pages.

Side by side in one run, on the same pages:

* ``model only``: the model's own time: every page decoded first (not
  timed), then only ``stream_page`` timed, in this process;
* ``baseline``: ``tools/infer.py`` of the commit before streaming inference
  (``infer_runs.BASELINE_REV``): decode, segment (canvas), encode, in turn;
* ``serial``: this checkout, ``--io-workers 0`` (streaming, I/O in turn);
* ``overlapped``: this checkout, ``--io-workers N`` (decoding ahead in N
  worker processes, writing in a thread);
* ``dist xP``: ``tools/dist_infer.sh`` with P processes (``--nproc``),
  each with ``--io-workers N``.

Each tool run is timed over its page loop (its progress bar's first to last
update, as the output arrives), so start-up (imports, model loading) is
left out. The share of I/O hidden is ``(serial - overlapped) / (serial -
model only)``. On a GPU the GPU's busy share over each loop is sampled from
NVML every 50 ms.

    python benchmarks/infer_throughput.py \\
        --pages ../shared/data/hisdb-pages/CSG18/val/data \\
                ../shared/data/hisdb-pages/CSG863/val/data
    # on a GPU: --device cuda --io-workers 4 --nproc 1

Model: the demo (``make demo``) unless ``--config/--checkpoint`` are given;
``--cfg-options`` go to every run.
"""
import argparse
import json
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(1, str(Path(__file__).resolve().parents[1]))
import mmseg_pixdiva  # noqa: E402,F401  (compat layer before mmseg)
from infer_runs import REPO, baseline_tree, run_infer  # noqa: E402

SUFFIXES = ('.jpg', '.jpeg', '.png', '.tif', '.tiff')


class GpuBusy(threading.Thread):
    """NVML's GPU utilisation (share of time a kernel ran), sampled every
    50 ms with its time; nothing without a GPU."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.samples = []
        self.stop = threading.Event()
        try:
            import pynvml
            pynvml.nvmlInit()
            self._nvml = pynvml
            self._handle = pynvml.nvmlDeviceGetHandleByIndex(0)
        except Exception:  # no GPU, no NVML
            self._nvml = None

    def run(self) -> None:
        while self._nvml is not None and not self.stop.wait(0.05):
            rate = self._nvml.nvmlDeviceGetUtilizationRates(self._handle)
            self.samples.append((time.perf_counter(), rate.gpu))

    def busy(self, window) -> float:
        """Mean utilisation (%) over ``(start, end)``, or NaN."""
        inside = [u for t, u in self.samples
                  if window and window[0] <= t <= window[1]]
        return sum(inside) / len(inside) if inside else float('nan')


def load_infer():
    """``tools/infer.py`` as a module (its helpers: 'auto' values, label
    values)."""
    sys.path.insert(0, str(REPO / 'tools'))
    import infer
    return infer


def page_files(folders):
    """The page images in ``folders``, sorted."""
    return sorted(p for folder in folders for p in Path(folder).iterdir()
                  if p.suffix.lower() in SUFFIXES)


def pages_and_model_parser(description: str) -> argparse.ArgumentParser:
    """A parser with ``--pages`` (folders of page images, required) and
    :func:`add_model_arguments`; the caller adds its own options."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument('--pages', nargs='+', required=True,
                        help='folders of page images')
    add_model_arguments(parser)
    return parser


def add_model_arguments(parser: argparse.ArgumentParser) -> None:
    """``--config``, ``--checkpoint`` (the demo's by default), ``--device``
    and ``--cfg-options``."""
    from mmengine.config import DictAction
    parser.add_argument('--config',
                        default=str(REPO / 'configs/demo_synthetic_unet.py'))
    parser.add_argument('--checkpoint',
                        default=str(REPO / 'work_dirs/demo/iter_1000.pth'))
    parser.add_argument('--device', default='cpu')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)


def load_model(config, checkpoint, device, cfg_options):
    """The model as ``tools/infer.py`` builds it ('auto' values resolved),
    and the loading part of its test pipeline."""
    from mmengine.config import Config
    from mmseg.apis import init_model

    from mmseg_pixdiva.apis.page_loader import split_test_pipeline
    cfg = Config.fromfile(config)
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    load_infer().resolve_auto_values(cfg, Path(config), Path(checkpoint))
    model = init_model(cfg, checkpoint, device=device)
    load, _ = split_test_pipeline(model.cfg)
    return model, load


def model_only_seconds(config, checkpoint, pages, device, cfg_options):
    """Seconds the model spends on ``pages`` (``stream_page`` only)."""
    import torch
    model, load = load_model(config, checkpoint, device, cfg_options)
    total = 0.0
    with torch.no_grad():
        for page in pages:
            image = load(dict(img_path=str(page)))['img']
            started = time.perf_counter()
            for _ in model.stream_page(image):  # bands come back on the CPU
                pass
            total += time.perf_counter() - started
    return total


def main() -> None:
    parser = pages_and_model_parser(__doc__.split('\n')[0])
    parser.add_argument('--copies', type=int, default=1,
                        help='list each page this many times (links)')
    parser.add_argument('--io-workers', type=int, default=1)
    parser.add_argument('--nproc', type=int, default=2,
                        help='processes of the dist run (0: none)')
    parser.add_argument('--modes', default='model,baseline,serial,'
                        'overlapped,dist')
    parser.add_argument('--work-dir',
                        default=str(REPO / 'work_dirs/bench_infer_throughput'))
    parser.add_argument('--json', help='also write the results here')
    args = parser.parse_args()
    work = Path(args.work_dir)
    sources = page_files(args.pages)
    folder = work / 'pages'
    folder.mkdir(parents=True, exist_ok=True)
    pages = []
    for copy in range(args.copies):
        for source in sources:
            link = folder / f'{source.stem}_{copy}{source.suffix}'
            if not link.exists():
                link.symlink_to(source.resolve())
            pages.append(link)
    options = []
    if args.cfg_options:
        options = ['--cfg-options'] + [f'{k}={v}' for k, v in
                                       args.cfg_options.items()]
    common = [args.config, args.checkpoint, str(folder)]
    modes = args.modes.split(',')
    gpu = GpuBusy()
    gpu.start()
    results = dict(pages=len(pages), device=args.device, runs={})
    if 'model' in modes:
        seconds = model_only_seconds(args.config, args.checkpoint, pages,
                                     args.device, args.cfg_options)
        results['runs']['model only'] = dict(seconds=seconds)
        print(f'model only: {seconds:.1f} s', flush=True)
    runs = []
    if 'baseline' in modes:
        runs.append(('baseline', baseline_tree(work), [], 1))
    if 'serial' in modes:
        runs.append(('serial', REPO, ['--io-workers', '0'], 1))
    if 'overlapped' in modes:
        runs.append(('overlapped', REPO,
                     ['--io-workers', str(args.io_workers)], 1))
    if 'dist' in modes and args.nproc > 1:
        runs.append((f'dist x{args.nproc}', REPO,
                     ['--io-workers', str(args.io_workers)], args.nproc))
    for name, tree, flags, nproc in runs:
        out = work / 'out' / name.replace(' ', '_')
        run = run_infer(tree, [*common, str(out), '--device', args.device,
                               '--overwrite', *flags, *options], nproc=nproc)
        window = run['loop_window']
        seconds = window[1] - window[0] if window else run['loop_seconds']
        results['runs'][name] = dict(seconds=seconds,
                                     busy=gpu.busy(window))
        print(f'{name}: {seconds:.1f} s', flush=True)
    gpu.stop.set()
    table = ['| run | s | pages/min | x model-only time | GPU busy |',
             '|---|---|---|---|---|']
    model = results['runs'].get('model only', {}).get('seconds')
    for name, run in results['runs'].items():
        ratio = f"{run['seconds'] / model:.2f}" if model else '-'
        busy = run.get('busy', float('nan'))
        table.append(f"| {name} | {run['seconds']:.1f} | "
                     f"{60 * len(pages) / run['seconds']:.2f} | {ratio} | "
                     + ('-' if busy != busy else f'{busy:.0f} %') + ' |')
    serial = results['runs'].get('serial', {}).get('seconds')
    overlapped = results['runs'].get('overlapped', {}).get('seconds')
    if model and serial and overlapped and serial > model:
        hidden = (serial - overlapped) / (serial - model)
        results['io_hidden'] = hidden
        table.append(f'\nI/O time hidden by the overlap: {100 * hidden:.0f} %'
                     f' ({serial - model:.1f} s of I/O in the serial run)')
    print(f'\n{len(pages)} pages, device {args.device}\n')
    print('\n'.join(table))
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1) + '\n')


if __name__ == '__main__':
    main()

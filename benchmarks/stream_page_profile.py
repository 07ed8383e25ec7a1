"""Where the main thread spends a page of streaming inference, and how
fast other max merges would be: the prepared check for a GPU machine.

On the H200 (docs/benchmarks.md) the overlapped pipeline kept the GPU busy
53 % of the time, and the main thread was suspected: cutting windows,
merging them (one ``torch.maximum`` per window) and launching kernels take
about as long on the CPU as a batch takes the GPU. This measures it, in one
run on the same pages:

1. ``stream_page`` over the pages, with the time of each part on the main
   thread (a kernel launch returns before the GPU has run it, so on a GPU
   these are the times the GPU may wait): the data preprocessor, the model,
   the merge, the class indices of a band, and the rest (cutting windows,
   band bookkeeping). On a GPU, its busy share (NVML) over the loop.
2. The max merge of one page's windows (random logits of the model's
   shape, the real grid and batches), three ways, checked equal: today's
   loop, one ``index_reduce_(amax)`` per batch, and strips (the windows
   of a row whose lefts lie a window width apart are side by side, so each
   such chain is one ``torch.maximum``).

    python benchmarks/stream_page_profile.py --pages DIR [--device cuda] \\
        [--config C --checkpoint P] [--limit 10] [--cfg-options ...]

Model: the demo (``make demo``) unless ``--config/--checkpoint`` are given.
"""
import sys
import time
import warnings
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(1, str(Path(__file__).resolve().parents[1]))
import mmseg_pixdiva  # noqa: E402,F401  (compat layer before mmseg)
from infer_throughput import (GpuBusy, load_model,  # noqa: E402
                              page_files, pages_and_model_parser)


def _sync(device) -> None:
    import torch
    if str(device).startswith('cuda'):
        torch.cuda.synchronize()


def timed_parts(model, module, names, totals):
    """Wrap ``module.<name>`` for each name so that its main-thread time
    adds to ``totals[name]``."""
    for name in names:
        real = getattr(module, name)

        def wrapper(*args, _real=real, _name=name, **kwargs):
            start = time.perf_counter()
            try:
                return _real(*args, **kwargs)
            finally:
                totals[_name] += time.perf_counter() - start
        setattr(module, name, wrapper)


def merge_index_reduce_(canvas, logits, windows):
    """One ``index_reduce_(amax)`` over the flattened band per batch."""
    import torch
    device, channels = canvas.device, canvas.shape[0]
    height, width = logits.shape[2:]
    tops = torch.tensor([w.top for w in windows], device=device)
    lefts = torch.tensor([w.left for w in windows], device=device)
    rows = tops[:, None] + torch.arange(height, device=device)
    cols = lefts[:, None] + torch.arange(width, device=device)
    index = (rows[:, :, None] * canvas.shape[2] + cols[:, None, :]).view(-1)
    source = logits.permute(1, 0, 2, 3).reshape(channels, -1)
    with warnings.catch_warnings():  # torch calls index_reduce_ a beta
        warnings.simplefilter('ignore', UserWarning)
        canvas.view(channels, -1).index_reduce_(1, index, source, 'amax')
    return canvas


def merge_strips_(canvas, logits, windows):
    """Chains of windows side by side in a row, one maximum per chain."""
    import torch
    channels, height, width = logits.shape[1:]
    chains, open_ends = [], {}
    for i, window in enumerate(windows):
        key = (window.top, window.left)
        chain = open_ends.pop(key, None)
        if chain is None:
            chain = len(chains)
            chains.append([])
        chains[chain].append(i)
        open_ends[(window.top, window.left + width)] = chain
    for chain in chains:
        first = windows[chain[0]]
        source = logits[chain[0]] if len(chain) == 1 else \
            logits[chain].permute(1, 2, 0, 3).reshape(
                channels, height, len(chain) * width)
        target = canvas[:, first.top:first.top + height,
                        first.left:first.left + len(chain) * width]
        torch.maximum(target, source, out=target)
    return canvas


def merge_variants(model, image, device, repeat=3):
    """Seconds per page of each max merge, and whether all agree."""
    import torch

    from mmseg_pixdiva.models.utils.sliding_window import (batched,
                                                           merge_windows_,
                                                           new_canvas,
                                                           window_grid)
    settings = model._slide_settings()
    height, width = image.shape[:2]
    windows = window_grid(height, width, settings['crop_size'],
                          settings['stride'])
    if any(w.height != windows[0].height or w.width != windows[0].width
           for w in windows):
        return None  # a page smaller than the crop: one window
    size = settings['batch_windows'] or 16
    generator = torch.Generator(device=device).manual_seed(0)
    batches = [(batch, torch.randn(len(batch), model.out_channels,
                                   *settings['crop_size'], device=device,
                                   generator=generator))
               for batch in batched(windows, size)]
    results, canvases = {}, {}
    for name, merge in (('loop (today)', merge_windows_),
                        ('index_reduce', merge_index_reduce_),
                        ('strips', merge_strips_)):
        best = float('inf')
        for _ in range(repeat):
            canvas = new_canvas((model.out_channels, height, width), 'max',
                                device)
            _sync(device)
            start = time.perf_counter()
            for batch, logits in batches:
                merge(canvas, logits, batch)
            _sync(device)
            best = min(best, time.perf_counter() - start)
        results[name], canvases[name] = best, canvas
    reference = canvases['loop (today)']
    same = all(torch.equal(reference, c) for c in canvases.values())
    return results, same, len(windows), size


def main() -> None:
    import torch

    from mmseg_pixdiva.models.utils import band_merge
    parser = pages_and_model_parser(__doc__.split('\n')[0])
    parser.add_argument('--limit', type=int, default=10,
                        help='pages to segment (default 10)')
    args = parser.parse_args()
    pages = page_files(args.pages)[:args.limit]
    if not pages:
        sys.exit(f'no pages in {args.pages}')
    model, load = load_model(args.config, args.checkpoint, args.device,
                             args.cfg_options)
    images = [load(dict(img_path=str(page)))['img'] for page in pages]
    totals = defaultdict(float)
    with torch.no_grad():
        for _ in model.stream_page(images[0]):  # warm-up, not timed
            pass
        timed_parts(model, model, ['_window_logits', 'band_classes'],
                    totals)
        timed_parts(model, model.data_preprocessor, ['forward'], totals)
        timed_parts(model, band_merge, ['merge_windows_'], totals)
        gpu = GpuBusy()
        gpu.start()
        _sync(args.device)
        start = time.perf_counter()
        for image in images:
            for _ in model.stream_page(image):
                pass
        _sync(args.device)
        end = time.perf_counter()
        gpu.stop.set()
        variants = merge_variants(model, images[0], args.device)
    wall = end - start
    busy = gpu.busy((start, end))
    names = dict(forward='data preprocessor', _window_logits='model',
                 merge_windows_='merge', band_classes='class indices')
    print(f'\n{len(images)} pages, device {args.device}, '
          f'{time.strftime("%Y-%m-%d")}; stream_page {wall:.2f} s'
          + ('' if busy != busy else f', GPU busy {busy:.0f} %') + '\n')
    print('| part (main thread) | s | share |')
    print('|---|---:|---:|')
    rest = wall - sum(totals.values())
    for key, name in names.items():
        print(f'| {name} | {totals[key]:.2f} | {100 * totals[key] / wall:.0f} % |')
    print(f'| rest (cutting windows, bands) | {rest:.2f} | '
          f'{100 * rest / wall:.0f} % |')
    if variants is None:
        print('\n(the first page is smaller than a window: no merge timed)')
        return
    results, same, count, size = variants
    print(f'\nMax merge of the first page ({count} windows, batches of '
          f'{size}), best of 3; all equal: {same}\n')
    print('| merge | ms per page | x today |')
    print('|---|---:|---:|')
    base = results['loop (today)']
    for name, seconds in results.items():
        print(f'| {name} | {1000 * seconds:.1f} | {base / seconds:.2f} |')


if __name__ == '__main__':
    main()

"""Full-resolution sliding-window inference: mmseg's stock slide vs ours.

Model: a tiny UNet (8 base channels, 3 stages, 8 classes; random weights,
speed does not depend on them), windows of 128x128, stride 64, on a real
DIVA-HisDB page (CB55, 4872x6496).

(a) On a square region (2048x2048; 1024 with ``--quick``): mmseg's
    ``EncoderDecoder.slide_inference`` against ``MaxSlideEncoderDecoder``
    (``merge='max'`` and ``'mean'``). Targets: >= 10x faster, <= half the
    peak memory.
(b) On the full page: our total time against the model's own time on the
    same windows in the same batches (merging overhead < 30%), and our peak
    memory against one C x H x W float32 canvas + one batch of windows + 20%.

Every variant runs in its own subprocess. Peak memory is the peak resident
set size *during the inference call* minus the resident size just before it
(the model, the page and the normalised input tensor are already in memory):
the kernel's high-water mark ``VmHWM`` is reset through
``/proc/self/clear_refs`` right before the call (Linux only). The absolute
peak RSS of the process is reported too.

    python benchmarks/bench_max_slide.py            # (a) at 2048 and (b)
    python benchmarks/bench_max_slide.py --quick    # (a) at 1024 and (b)
    python benchmarks/bench_max_slide.py --skip-full --quick   # (a) only

Prints a markdown table.
"""
import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # this checkout's mmseg_pixdiva first
from mmseg_pixdiva.models.segmentors.max_slide_encoder_decoder import \
    DEFAULT_BATCH_WINDOWS  # noqa: E402
PAGE = 'data/hisdb-samples/cb55/e-codices_fmb-cb-0055_0059v_max.jpg'
NUM_CLASSES = 8
CROP = (128, 128)
STRIDE = (64, 64)
# The model's CPU default (MaxSlideEncoderDecoder with batch_windows=None);
# see --batch-windows.
BATCH_WINDOWS = DEFAULT_BATCH_WINDOWS['cpu']
REPEAT = 3  # runs per variant; the tables give medians (see --repeat)


def shared_dir() -> Path:
    return Path(os.environ.get('PIXDIVA_SHARED', ROOT.parent / 'shared'))


# --------------------------------------------------------------- child side
def _status_kib(key: str) -> int:
    with open('/proc/self/status') as f:
        for line in f:
            if line.startswith(key + ':'):
                return int(line.split()[1])
    raise KeyError(key)


def _reset_peak_rss() -> None:
    with open('/proc/self/clear_refs', 'w') as f:
        f.write('5')


def build_model(merge: str = 'max'):
    import torch
    from mmengine.registry import init_default_scope
    from mmseg.registry import MODELS

    import mmseg_pixdiva  # noqa: F401
    init_default_scope('mmseg')
    torch.manual_seed(0)
    model = MODELS.build(dict(
        type='MaxSlideEncoderDecoder',
        data_preprocessor=dict(type='SegDataPreProcessor'),
        backbone=dict(
            type='UNet', in_channels=3, base_channels=8, num_stages=3,
            strides=(1, 1, 1), enc_num_convs=(2, 2, 2), dec_num_convs=(2, 2),
            downsamples=(True, True), enc_dilations=(1, 1, 1),
            dec_dilations=(1, 1), norm_cfg=dict(type='BN')),
        decode_head=dict(
            type='FCNHead', in_channels=8, channels=8, num_convs=1,
            num_classes=NUM_CLASSES, in_index=-1, norm_cfg=dict(type='BN'),
            align_corners=False,
            loss_decode=dict(type='CrossEntropyLoss')),
        test_cfg=dict(mode='slide', crop_size=CROP, stride=STRIDE,
                      merge=merge, batch_windows=BATCH_WINDOWS)))
    return model.eval()


def load_input(size):
    """The page (or its top-left-centred ``size x size`` region), normalised
    to a 1 x 3 x H x W float32 tensor."""
    import cv2
    import numpy as np
    import torch
    path = shared_dir() / PAGE
    image = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if image is None:
        raise SystemExit(f'cannot read {path} (set PIXDIVA_SHARED)')
    if size:
        top = (image.shape[0] - size) // 2
        left = (image.shape[1] - size) // 2
        image = image[top:top + size, left:left + size]
    image = np.ascontiguousarray(image[..., ::-1].transpose(2, 0, 1))
    tensor = torch.from_numpy(image).float()[None]
    return tensor.sub_(128.).div_(64.)


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def child(variant: str, size: int) -> dict:
    import torch

    import mmseg_pixdiva  # noqa: F401  (before mmseg: mmcv-lite shim)
    from mmseg.models.segmentors import EncoderDecoder
    from mmseg_pixdiva.models.utils.sliding_window import (
        batched, extract_windows, window_grid)
    torch.set_grad_enabled(False)
    merge = 'mean' if variant == 'ours-mean' else 'max'
    model = build_model(merge)
    inputs = load_input(size)
    _, _, height, width = inputs.shape
    metas = [dict(ori_shape=(height, width), img_shape=(height, width),
                  pad_shape=(height, width), padding_size=[0, 0, 0, 0])]
    # Warm up (first-call allocations, thread pools) on a few windows.
    model.encode_decode(
        torch.zeros(BATCH_WINDOWS, 3, *CROP).contiguous(
            memory_format=torch.channels_last),
        [dict(img_shape=torch.Size(CROP))] * BATCH_WINDOWS)
    windows = window_grid(height, width, CROP, STRIDE)
    rss_before = _status_kib('VmRSS')
    _reset_peak_rss()
    start, cpu_start = time.perf_counter(), _cpu_seconds()
    model_seconds = None
    if variant == 'stock':
        out = EncoderDecoder.slide_inference(model, inputs, metas)
    elif variant in ('ours-max', 'ours-mean'):
        out = model.inference(inputs, metas)
    elif variant == 'model-only':
        # The model alone on the same windows in the same batches and the
        # same memory format as ours (channels-last on the CPU): the window
        # cutting is not timed, nothing is merged.
        model_seconds = 0.
        meta = dict(metas[0], img_shape=torch.Size(CROP))
        for batch in batched(windows, BATCH_WINDOWS):
            crops = extract_windows(inputs[0], batch, CROP).contiguous(
                memory_format=torch.channels_last)
            tick = time.perf_counter()
            model.encode_decode(crops, [meta] * len(batch))
            model_seconds += time.perf_counter() - tick
        out = None
    else:
        raise SystemExit(f'unknown variant {variant}')
    seconds = time.perf_counter() - start
    cpu_seconds = _cpu_seconds() - cpu_start
    peak = _status_kib('VmHWM')
    result = dict(
        variant=variant, height=height, width=width, windows=len(windows),
        seconds=seconds, cpu_seconds=cpu_seconds,
        model_seconds=model_seconds, batch_windows=BATCH_WINDOWS,
        peak_increase_mib=(peak - rss_before) / 1024,
        peak_rss_mib=peak / 1024,
        canvas_mib=NUM_CLASSES * height * width * 4 / 2**20,
        batch_mib=BATCH_WINDOWS * (3 + NUM_CLASSES) * CROP[0] * CROP[1] * 4
        / 2**20)
    if out is not None:
        result['finite'] = bool(torch.isfinite(out).all())
    return result


# -------------------------------------------------------------- parent side
def run_child(variant: str, size: int) -> dict:
    """Run ``variant`` REPEAT times, each in a fresh subprocess.

    Returns the first run's dict with the median of every measurement, and
    ``peak_increase_runs`` (all runs' peak increases, MiB): the resident-set
    peak varies by a few MiB between identical runs (where glibc places the
    freed activations), which matters for a ratio near 0.5.
    """
    cmd = [sys.executable, __file__, '--child', variant, '--size', str(size),
           '--batch-windows', str(BATCH_WINDOWS)]
    runs = []
    for run in range(REPEAT):
        print(f'running {variant} on {size or "the full page"} '
              f'({run + 1}/{REPEAT}) ...', file=sys.stderr, flush=True)
        done = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
        if done.returncode:
            raise SystemExit(f'{variant} failed:\n{done.stderr}')
        runs.append(json.loads(done.stdout.strip().splitlines()[-1]))
    result = dict(runs[0])
    for key in ('seconds', 'cpu_seconds', 'model_seconds',
                'peak_increase_mib', 'peak_rss_mib'):
        if runs[0][key] is not None:
            result[key] = statistics.median(r[key] for r in runs)
    result['peak_increase_runs'] = [r['peak_increase_mib'] for r in runs]
    return result


def _spread(result: dict) -> str:
    runs = result['peak_increase_runs']
    return f'{min(runs):.0f}-{max(runs):.0f}'


def main() -> None:
    global BATCH_WINDOWS, REPEAT
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--quick', action='store_true',
                        help='region of 1024x1024 instead of 2048x2048')
    parser.add_argument('--skip-full', action='store_true',
                        help='skip part (b), the full page')
    parser.add_argument('--batch-windows', type=int, default=BATCH_WINDOWS,
                        help='windows per forward pass (ours and model '
                        f'alone; default {BATCH_WINDOWS})')
    parser.add_argument('--repeat', type=int, default=REPEAT,
                        help='runs per variant, medians reported (default '
                        f'{REPEAT})')
    parser.add_argument('--child', help=argparse.SUPPRESS)
    parser.add_argument('--size', type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    BATCH_WINDOWS = args.batch_windows
    REPEAT = max(1, args.repeat)
    if args.child:
        print(json.dumps(child(args.child, args.size)))
        return
    if not (shared_dir() / PAGE).is_file():
        raise SystemExit(f'{shared_dir() / PAGE} not found: set '
                         'PIXDIVA_SHARED to the shared data folder')

    import torch
    print(f'tiny UNet-8 (3 stages, {NUM_CLASSES} classes), crop {CROP}, '
          f'stride {STRIDE}, batch_windows {BATCH_WINDOWS}, '
          f'{torch.get_num_threads()} torch threads, page {PAGE}; '
          f'medians of {REPEAT} runs per variant\n')
    size = 1024 if args.quick else 2048
    stock = run_child('stock', size)
    ours = run_child('ours-max', size)
    mean = run_child('ours-mean', size)
    print(f'(a) {size}x{size} region, {stock["windows"]} windows\n')
    print('| variant | time (s) | speed-up | CPU time (s) | '
          'peak memory increase (MiB) | runs (MiB) | vs stock | '
          'peak RSS (MiB) |')
    print('|---|---:|---:|---:|---:|---:|---:|---:|')
    for name, r in (('mmseg slide (mean)', stock), ('ours, max', ours),
                    ('ours, mean', mean)):
        print(f'| {name} | {r["seconds"]:.2f} | '
              f'{stock["seconds"] / r["seconds"]:.1f}x | '
              f'{r["cpu_seconds"]:.1f} | {r["peak_increase_mib"]:.0f} | '
              f'{_spread(r)} | '
              f'{r["peak_increase_mib"] / stock["peak_increase_mib"]:.3f} | '
              f'{r["peak_rss_mib"]:.0f} |')
    print(f'\ncanvas C x H x W float32: {ours["canvas_mib"]:.0f} MiB\n')
    if args.skip_full:
        return
    full = run_child('ours-max', 0)
    model_only = run_child('model-only', 0)
    bound = (full['canvas_mib'] + full['batch_mib']) * 1.2
    print(f'(b) full page {full["width"]}x{full["height"]}, '
          f'{full["windows"]} windows\n')
    print('| measure | value | target |')
    print('|---|---:|---:|')
    print(f'| ours, max: total time | {full["seconds"]:.1f} s | |')
    print(f'| model alone, same windows and batches | '
          f'{model_only["model_seconds"]:.1f} s | |')
    print(f'| total / model | '
          f'{full["seconds"] / model_only["model_seconds"]:.2f} | <= 1.30 |')
    print(f'| peak memory increase (runs: {_spread(full)} MiB) | '
          f'{full["peak_increase_mib"]:.0f} MiB | '
          f'<= {bound:.0f} MiB (canvas {full["canvas_mib"]:.0f} + batch '
          f'{full["batch_mib"]:.1f}, +20%) |')
    print(f'| peak RSS of the process | {full["peak_rss_mib"]:.0f} MiB | |')


if __name__ == '__main__':
    main()

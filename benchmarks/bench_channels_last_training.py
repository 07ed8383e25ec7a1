"""CPU training steps: default layout, ChannelsLastHook, and that plus
bfloat16 autocast (BF16AutocastOptimWrapper), side by side.

Model: the real-page CPU recipe's segmentor
(``configs/hisdb_real_pages_cpu.py``: UNet, 16 base channels, 5 levels, FCN
head, 8 classes), trained with its Adam settings on batches of 8 random
128x128 crops with random labels (a step's time does not depend on the
pixel values). Each variant runs in its own
subprocess, alternating, ``--repeat`` times; after ``--warmup`` steps the
next ``--steps`` are timed. The hook only changes the weights' memory
layout, so the first two variants compute the same steps; the third runs
the forward pass in bfloat16 (float32 weights, gradients, optimizer state
and loss), which needs bfloat16 instructions (AVX512-BF16, AMX) to pay.

    python benchmarks/bench_channels_last_training.py   # --steps 40 --repeat 3

Prints a markdown table (median seconds per step).
"""
import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # this checkout's mmseg_pixdiva first
CONFIG = ROOT / 'configs' / 'hisdb_real_pages_cpu.py'
VARIANTS = ('default layout', 'ChannelsLastHook',
            'ChannelsLastHook + BF16AutocastOptimWrapper')


def child(variant: str, warmup: int, steps: int) -> dict:
    import torch
    from types import SimpleNamespace

    import mmseg_pixdiva  # noqa: F401  (before mmseg: mmcv-lite shim)
    from mmengine.config import Config
    from mmengine.optim import OptimWrapper
    from mmengine.registry import init_default_scope
    from mmengine.structures import PixelData
    from mmseg.registry import MODELS
    from mmseg.structures import SegDataSample

    from mmseg_pixdiva.engine.hooks import ChannelsLastHook
    from mmseg_pixdiva.engine.optimizers import BF16AutocastOptimWrapper
    init_default_scope('mmseg')
    torch.manual_seed(0)
    cfg = Config.fromfile(str(CONFIG))
    model_cfg = cfg.model
    # 'auto' is filled in from the data by tools/train.py; any numbers do.
    model_cfg.data_preprocessor.mean = [128., 128., 128.]
    model_cfg.data_preprocessor.std = [64., 64., 64.]
    model_cfg.decode_head.num_classes = len(cfg.label_values)
    model = MODELS.build(model_cfg).train()
    optimizer = cfg.optim_wrapper.optimizer
    adam = torch.optim.Adam(model.parameters(), lr=optimizer.lr)
    # bfloat16 itself is measured, also on a CPU without its instructions
    # (where the wrapper would otherwise train in float32).
    wrapper = BF16AutocastOptimWrapper(adam, bf16_without_cpu_support=True) \
        if 'BF16' in variant else OptimWrapper(adam)
    if variant.startswith('ChannelsLastHook'):
        ChannelsLastHook().before_run(SimpleNamespace(model=model))

    crop = tuple(cfg.crop_size)
    batch = cfg.train_dataloader.batch_size

    def data():
        samples = []
        for _ in range(batch):
            sample = SegDataSample(metainfo=dict(img_shape=crop,
                                                 ori_shape=crop))
            sample.gt_sem_seg = PixelData(data=torch.randint(
                0, model_cfg.decode_head.num_classes, (1, ) + crop))
            samples.append(sample)
        return dict(inputs=[torch.randint(0, 256, (3, ) + crop,
                                          dtype=torch.uint8)
                            for _ in range(batch)],
                    data_samples=samples)

    for _ in range(warmup):
        model.train_step(data(), wrapper)
    seconds = 0.
    for _ in range(steps):
        batch_data = data()
        tick = time.perf_counter()
        model.train_step(batch_data, wrapper)
        seconds += time.perf_counter() - tick
    return dict(variant=variant, seconds_per_step=seconds / steps,
                threads=torch.get_num_threads())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--steps', type=int, default=40)
    parser.add_argument('--warmup', type=int, default=5)
    parser.add_argument('--repeat', type=int, default=3)
    parser.add_argument('--child', help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.warmup, args.steps)))
        return
    runs = {variant: [] for variant in VARIANTS}
    for run in range(max(1, args.repeat)):
        for variant in VARIANTS:  # alternate, so drifts hit both alike
            print(f'{variant} ({run + 1}/{args.repeat}) ...',
                  file=sys.stderr, flush=True)
            done = subprocess.run(
                [sys.executable, __file__, '--child', variant, '--steps',
                 str(args.steps), '--warmup', str(args.warmup)],
                capture_output=True, text=True, cwd=ROOT)
            if done.returncode:
                raise SystemExit(f'{variant} failed:\n{done.stderr}')
            result = json.loads(done.stdout.strip().splitlines()[-1])
            runs[variant].append(result['seconds_per_step'])
    base = statistics.median(runs[VARIANTS[0]])
    print(f'{CONFIG.name} model, batch of 8 crops of 128x128, '
          f'{result["threads"]} torch threads, {args.steps} timed steps '
          f'after {args.warmup}, medians of {args.repeat} runs\n')
    print('| variant | s per step (median) | runs | speed-up |')
    print('|---|---:|---:|---:|')
    for variant in VARIANTS:
        median = statistics.median(runs[variant])
        spread = ', '.join(f'{s:.3f}' for s in runs[variant])
        print(f'| {variant} | {median:.3f} | {spread} | '
              f'{base / median:.2f}x |')


if __name__ == '__main__':
    main()

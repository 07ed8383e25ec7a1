# The UNet recipe on real pages: the whole official DIVA-HisDB pages of CSG18
# and CSG863 (configs/_base_/datasets/hisdb_pages.py: 16 training pages, 8
# held-out validation pages, read in place from ../shared), the real-page
# UNet with one softmax over the eight HisDB bit combinations, at most 45
# minutes of training on the 2-core CPU machine, and the page clean-up chosen
# on the validation pages. The base of the other official-page recipes; the
# tracked one is configs/hisdb_pages_cpu_segformer_b0.py (docs/benchmarks.md).
#   python benchmarks/hisdb_pages.py run --config configs/hisdb_pages_cpu.py
_base_ = [
    './_base_/models/unet16_5levels.py',
    'mmseg::_base_/default_runtime.py',
    './_base_/datasets/hisdb_pages.py',
    './_base_/schedules/adam_poly_5k.py',
]
custom_imports = dict(imports=['mmseg_pixdiva'], allow_failed_imports=False)
crop_size = (128, 128)
label_values = {{_base_.label_values}}

model = dict(
    label_values=label_values,
    # Per-channel statistics (RGB) of the 16 training pages
    # (tools/analyze_dataset.py over them).
    data_preprocessor=dict(mean=[144.514, 137.451, 120.531],
                           std=[74.459, 72.077, 65.165], bgr_to_rgb=True,
                           size=crop_size),
    decode_head=dict(
        num_classes=8,  # every bit combination of label_values
        # Unweighted: DeepDIVA's inverse-frequency weights make the rare
        # combinations (all three bits: 452 training pixels) appear
        # everywhere, and a stray pixel of a class a page lacks costs a
        # quarter of its mean IU.
        loss_decode=dict(
            type='CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0,
            class_weight=None)),
    test_cfg=dict(
        mode='slide', crop_size=crop_size, stride=(64, 64), merge='max',
        batch_windows=16,
        # Chosen on the 8 validation pages by tools/tune_postprocess.py
        # (benchmarks/hisdb_pages.py run, docs/benchmarks.md).
        postprocess=dict(bits=(2, 4, 8), min_area=(3000, 300, 1000),
                         min_page_pixels=(0, 0, 0), group_distance=16)))

# 5000 iterations (configs/_base_/schedules/adam_poly_5k.py) fit the
# 45-minute budget on the 2-core CPU machine (docs/benchmarks.md).
train_cfg = dict(val_interval=1000)
default_hooks = dict(
    logger=dict(interval=100),
    checkpoint=dict(interval=1000, max_keep_ckpts=2),
    visualization=dict(type='ColourVisualizationHook', interval=10,
                       train_interval=1000))
custom_hooks = [
    dict(type='GTFormatPredictionHook',
         out_dir='work_dirs/hisdb_pages_cpu/predictions'),
    dict(type='ChannelsLastHook'),
]
env_cfg = dict(dist_cfg=dict(backend='gloo'))
randomness = dict(seed=0)

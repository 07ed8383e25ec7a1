# The tracked CPU recipe on the official DIVA-HisDB pages (chosen on the
# validation pages, docs/benchmarks.md): stock SegFormer (MiT-B0 encoder,
# all-MLP head) trained from scratch (no ImageNet weights: this machine
# cannot download them), one softmax over the eight HisDB bit combinations,
# the data and schedule of configs/hisdb_pages_cpu.py (5000 iterations: 26
# minutes on the 2-core CPU machine, inside the 45-minute budget), AdamW with
# weight decay, as transformers are trained, and the page clean-up chosen on
# the validation pages.
#   python benchmarks/hisdb_pages.py run --json-out docs/results/hisdb_pages_cpu.json
_base_ = ['./hisdb_pages_cpu.py']
norm_cfg = dict(type='BN', requires_grad=True)

model = dict(
    pretrained=None,
    backbone=dict(
        _delete_=True,
        type='MixVisionTransformer',
        in_channels=3,
        embed_dims=32,
        num_stages=4,
        num_layers=[2, 2, 2, 2],
        num_heads=[1, 2, 5, 8],
        patch_sizes=[7, 3, 3, 3],
        sr_ratios=[8, 4, 2, 1],
        out_indices=(0, 1, 2, 3),
        mlp_ratio=4,
        qkv_bias=True,
        drop_rate=0.0,
        attn_drop_rate=0.0,
        drop_path_rate=0.1),
    decode_head=dict(
        _delete_=True,
        type='SegformerHead',
        in_channels=[32, 64, 160, 256],
        in_index=[0, 1, 2, 3],
        channels=128,
        dropout_ratio=0.1,
        num_classes=8,
        norm_cfg=norm_cfg,
        align_corners=False,
        loss_decode=dict(type='CrossEntropyLoss', use_sigmoid=False,
                         loss_weight=1.0)),
    # Chosen on the 8 validation pages by tools/tune_postprocess.py
    # (benchmarks/hisdb_pages.py run; the same values on every
    # leave-one-page-out fold).
    test_cfg=dict(
        postprocess=dict(bits=(2, 4, 8), min_area=(10000, 1000, 3000),
                         min_page_pixels=(0, 0, 0), group_distance=48)))
optim_wrapper = dict(
    optimizer=dict(_delete_=True, type='AdamW', lr=1e-3, betas=(0.9, 0.999),
                   weight_decay=0.01))
custom_hooks = [
    dict(type='GTFormatPredictionHook',
         out_dir='work_dirs/hisdb_pages_cpu_segformer_b0/predictions'),
    dict(type='ChannelsLastHook'),
]

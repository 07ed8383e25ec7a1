# Stock OpenMMLab architecture in the tracked CPU recipe's place: SegFormer
# (MiT-B0 encoder, all-MLP head) trained from scratch (no ImageNet weights:
# this machine cannot download them), one softmax over the eight bit
# combinations, same data and 45-minute budget as configs/hisdb_pages_cpu.py;
# AdamW with weight decay, as transformers are trained.
#   python benchmarks/hisdb_pages.py run \
#       --config configs/hisdb_pages_cpu_segformer_b0.py \
#       --work-dir work_dirs/hisdb_pages_segformer_b0
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
    # The tracked recipe's clean-up was chosen for its UNet.
    test_cfg=dict(postprocess=None))
optim_wrapper = dict(
    optimizer=dict(_delete_=True, type='AdamW', lr=1e-3, betas=(0.9, 0.999),
                   weight_decay=0.01))
custom_hooks = [
    dict(type='GTFormatPredictionHook',
         out_dir='work_dirs/hisdb_pages_cpu_segformer_b0/predictions'),
    dict(type='ChannelsLastHook'),
]

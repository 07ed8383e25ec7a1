# The per-bit side of the softmax-vs-per-bit comparison (docs/benchmarks.md):
# the UNet recipe (configs/hisdb_pages_cpu.py) with one sigmoid output
# per HisDB bit (comment, decoration, main text) instead of a softmax over
# their eight combinations: cross-entropy per bit plus a batch soft Dice per
# bit, same data, model, schedule and 45-minute budget.
#   python benchmarks/hisdb_pages.py run --config configs/hisdb_pages_cpu_per_bit.py \
#       --work-dir work_dirs/hisdb_pages_per_bit
_base_ = ['./hisdb_pages_cpu.py']
label_values = {{_base_.label_values}}
hisdb_bits = (2, 4, 8)  # comment, decoration, main text: the head's outputs

model = dict(
    per_bit=dict(bits=hisdb_bits, thresholds=(0.5, 0.5, 0.5)),
    decode_head=dict(
        num_classes=len(hisdb_bits),
        loss_decode=dict(_delete_=True, type='PerBitLoss',
                         label_values=label_values, bits=hisdb_bits,
                         dice_weight=1.0)),
    # The UNet recipe's clean-up was chosen for its softmax model.
    test_cfg=dict(postprocess=None))
custom_hooks = [
    dict(type='GTFormatPredictionHook',
         out_dir='work_dirs/hisdb_pages_cpu_per_bit/predictions'),
    dict(type='ChannelsLastHook'),
]

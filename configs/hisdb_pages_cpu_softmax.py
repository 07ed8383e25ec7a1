# The softmax side of the softmax-vs-per-bit comparison (docs/benchmarks.md):
# the tracked CPU recipe (configs/hisdb_pages_cpu.py) with the real-page
# recipe's head instead, one softmax over the eight HisDB bit combinations,
# same data, model, schedule and 45-minute budget.
#   python benchmarks/hisdb_pages.py run --config configs/hisdb_pages_cpu_softmax.py \
#       --work-dir work_dirs/hisdb_pages_softmax
_base_ = ['./hisdb_pages_cpu.py']

model = dict(
    per_bit=None,
    decode_head=dict(
        num_classes=8,
        loss_decode=dict(
            _delete_=True, type='CrossEntropyLoss', use_sigmoid=False,
            loss_weight=1.0, class_weight=None)))
custom_hooks = [
    dict(type='GTFormatPredictionHook',
         out_dir='work_dirs/hisdb_pages_cpu_softmax/predictions'),
    dict(type='ChannelsLastHook'),
]

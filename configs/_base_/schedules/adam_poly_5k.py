# The real-page recipes' schedule: Adam 2e-3, 100 warm-up iterations, poly
# decay to 1e-5 at 5000 iterations, every validation crop scored
# (CropsValLoop: mmengine's ValLoop would score only len(dataset) of them).
# Times per recipe: docs/benchmarks.md. To shorten, override both
# train_cfg.max_iters and param_scheduler.1.end.
_base_ = ['./adam_iters.py']
max_iters = 5000
optim_wrapper = dict(optimizer=dict(lr=2e-3))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, begin=0, end=100,
         by_epoch=False),
    dict(type='PolyLR', eta_min=1e-5, power=0.9, begin=100, end=max_iters,
         by_epoch=False),
]
train_cfg = dict(max_iters=max_iters)
val_cfg = dict(type='CropsValLoop')

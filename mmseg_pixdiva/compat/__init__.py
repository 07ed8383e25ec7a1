"""Stack workarounds (mmcv-lite, torch>=2.6 checkpoints, CPU distributed).

Each lives in its own module and is applied from ``mmseg_pixdiva/__init__``
when the module it repairs is imported (see :mod:`.after_import`).
"""

"""mmseg with mmcv-lite: the stand-in mmcv.ops."""

import pytest

from mmseg_pixdiva.compat.mmcv_ops import has_compiled_mmcv_ops

pytestmark = pytest.mark.skipif(
    has_compiled_mmcv_ops(), reason='full mmcv installed: shim is a no-op')


def test_every_mmseg_package_imports_with_mmcv_lite(fresh_python):
    code = ('import mmseg_pixdiva, mmseg.models, mmseg.utils, mmseg.apis, '
            'mmseg.datasets, mmseg.visualization, mmseg.evaluation, '
            'mmseg.engine\n'
            'import mmcv.ops\n'
            'print(mmcv.ops.MMCV_LITE_SHIM)')
    assert fresh_python(code) == 'True'


def test_pure_ops_work_and_compiled_ops_fail_clearly():
    import torch
    from mmcv.ops import point_sample
    feats = torch.arange(16.).reshape(1, 1, 4, 4)
    points = torch.tensor([[[0.125, 0.125], [0.875, 0.875]]])
    assert point_sample(feats, points, align_corners=False).flatten()\
        .tolist() == [0.0, 15.0]
    with pytest.raises(ModuleNotFoundError, match='compiled op'):
        from mmcv.ops import CrissCrossAttention  # noqa: F401
    from mmcv.ops import sigmoid_focal_loss
    with pytest.raises(RuntimeError, match='full mmcv'):
        sigmoid_focal_loss(torch.zeros(1), torch.zeros(1))

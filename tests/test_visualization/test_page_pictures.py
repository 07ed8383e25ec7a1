"""Pictures of a page, and the error map against the DIVA evaluator."""
import numpy as np
import pytest

from mmseg_pixdiva.core.encoding import (UnknownLabelValueError,
                                         classes_to_gt_rgb, decode_gt,
                                         hisdb_palette)
from mmseg_pixdiva.visualization import (PageSizeError, page_pictures,
                                         read_rgb, write_page_pictures)
from mmseg_pixdiva.visualization.io import decode_rgb


def unpack(packed):
    """0xRRGGBB integers (top to bottom) -> Nx1x3 uint8 RGB."""
    values = np.asarray(packed, dtype=np.int64)
    rgb = np.stack([(values >> 16) & 255, (values >> 8) & 255, values & 255],
                   axis=-1)
    return rgb.astype(np.uint8)[:, None, :]


def toy_page(case):
    """GT RGB, predicted classes and label values of a toy case, the
    prediction decoded to classes as a model would output them."""
    gt_rgb = unpack(case['gt_rgb'])
    pred_rgb = unpack(case['prediction_rgb'])
    values = sorted(set(pred_rgb[..., 2].ravel().tolist())
                    | set(gt_rgb[..., 2].ravel().tolist()))
    pred = decode_gt(pred_rgb, values)
    return gt_rgb, pred, values


def test_error_map_follows_evaluator_on_toy_cases(toy_cases):
    for case in toy_cases:
        gt_rgb, pred, values = toy_page(case)
        pictures = page_pictures(pred, hisdb_palette(values), values,
                                 gt_rgb=gt_rgb, error_map=True)
        expected = unpack(case['visualization_rgb'])
        np.testing.assert_array_equal(pictures['errors'], expected,
                                      err_msg=case['case'])


def test_page_pictures_colours_and_kinds():
    values = [1, 2, 8, 10]
    palette = hisdb_palette(values)
    gt = np.array([[0, 1], [2, 3]], np.uint8)
    pred = np.array([[0, 2], [2, 3]], np.uint8)
    gt_rgb = classes_to_gt_rgb(gt, values)
    scan = np.full((2, 2, 3), 200, np.uint8)
    pictures = page_pictures(pred, palette, values, gt_rgb=gt_rgb,
                             scan=scan, error_map=False, overlay=True)
    assert sorted(pictures) == ['gt', 'overlay', 'pred']
    assert pictures['pred'][0, 1].tolist() == palette[2]
    assert pictures['gt'][0, 1].tolist() == palette[1]
    # Without an error map the overlay blends the prediction colours.
    expected = np.rint(0.5 * 200 + 0.5 * np.array(palette[2]))
    assert pictures['overlay'][0, 1].tolist() == expected.tolist()


def test_page_pictures_size_mismatch_names_the_file():
    # Sizes as WxH: the GT is 2 wide and 3 high, the prediction 3 x 2.
    with pytest.raises(PageSizeError) as error:
        page_pictures(np.zeros((2, 3), np.uint8), [[0, 0, 0]], [1],
                      gt_rgb=np.zeros((3, 2, 3), np.uint8),
                      filename='page.png')
    assert str(error.value) == (
        'page.png: prediction size 3x2 differs from the GT (2x3, WxH); '
        'they must have the same size')


def test_page_pictures_unknown_gt_value_names_the_file():
    gt_rgb = np.zeros((1, 2, 3), np.uint8)
    gt_rgb[..., 2] = 7
    with pytest.raises(UnknownLabelValueError, match='gt.png.*blue=7'):
        page_pictures(np.zeros((1, 2), np.uint8), [[0, 0, 0]], [1],
                      gt_rgb=gt_rgb, error_map=False, filename='gt.png')


def test_write_page_pictures_is_complete_and_lossless(tmp_path):
    pictures = {'pred': np.arange(24, dtype=np.uint8).reshape(2, 4, 3),
                'gt': np.zeros((2, 4, 3), np.uint8)}
    written = write_page_pictures(tmp_path / 'out', 'page', pictures)
    assert sorted(p.name for p in (tmp_path / 'out').iterdir()) == \
        ['page_gt.png', 'page_pred.png']  # no temporary files left
    np.testing.assert_array_equal(read_rgb(written['pred']),
                                  pictures['pred'])


def test_read_rgb_errors_name_the_file(tmp_path):
    with pytest.raises(FileNotFoundError, match='missing.png'):
        read_rgb(tmp_path / 'missing.png')
    bad = tmp_path / 'bad.png'
    bad.write_bytes(b'not a png')
    with pytest.raises(ValueError, match='bad.png: cannot read the image'):
        read_rgb(bad)


def test_decode_rgb_reduces_large_scans():
    import cv2
    image = np.zeros((800, 640, 3), np.uint8)
    ok, data = cv2.imencode('.jpg', image)
    small = decode_rgb(data.tobytes(), 'scan.jpg', max_size=100,
                       full_shape=(800, 640))
    assert small.shape == (100, 80, 3)  # 1/8: still >= 100 on the long side
    small = decode_rgb(data.tobytes(), 'scan.jpg', max_size=150,
                       full_shape=(800, 640))
    assert small.shape == (200, 160, 3)  # 1/4

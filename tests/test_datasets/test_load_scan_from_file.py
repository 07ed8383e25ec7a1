"""LoadScanFromFile: mmcv's LoadImageFromFile, one page in memory."""
import io

import cv2
import numpy as np
import pytest
from mmcv.transforms import LoadImageFromFile

import mmseg_pixdiva  # noqa: F401
from mmseg_pixdiva.datasets.transforms import LoadScanFromFile
from mmseg_pixdiva.datasets.transforms.loading import ALLOCATE_KEY
from mmseg_pixdiva.utils.image_header import ImageInputError


def _scans(folder):
    from PIL import Image
    rng = np.random.default_rng(2)
    page = rng.integers(0, 256, (30, 41, 3), dtype=np.uint8)
    paths = []
    for name in ('a.jpg', 'b.png', 'c.tif'):
        cv2.imwrite(str(folder / name), page)
        paths.append(folder / name)
    cv2.imwrite(str(folder / 'grey.png'), page[..., 0])
    paths.append(folder / 'grey.png')
    cv2.imwrite(str(folder / 'deep.png'), page.astype(np.uint16) * 257)
    paths.append(folder / 'deep.png')
    turned = Image.fromarray(page)
    exif = turned.getexif()
    exif[0x0112] = 6
    buffer = io.BytesIO()
    turned.save(buffer, 'JPEG', exif=exif)
    (folder / 'turned.jpg').write_bytes(buffer.getvalue())
    paths.append(folder / 'turned.jpg')
    for orientation in (3, 6):
        # OpenCV 5's imread fails on a TIFF turned by 90 degrees.
        exif[0x0112] = orientation
        turned.save(folder / f'turned{orientation}.tif', exif=exif)
        paths.append(folder / f'turned{orientation}.tif')
    return paths


@pytest.mark.parametrize('to_float32', [False, True])
def test_the_same_results_as_mmcvs_loader(tmp_path, to_float32):
    for path in _scans(tmp_path):
        ours = LoadScanFromFile(to_float32=to_float32)(
            dict(img_path=str(path)))
        theirs = LoadImageFromFile(to_float32=to_float32)(
            dict(img_path=str(path)))
        assert set(ours) == set(theirs)
        assert ours['img'].dtype == theirs['img'].dtype
        assert ours['img'].flags.c_contiguous
        assert np.array_equal(ours['img'], theirs['img']), path.name
        assert ours['img_shape'] == theirs['img_shape'] == \
            ours['ori_shape'] == theirs['img'].shape[:2]


def test_the_page_is_decoded_into_the_callers_array(tmp_path):
    path = _scans(tmp_path)[0]
    made = []

    def allocate(shape):
        made.append(np.empty(shape, np.uint8))
        return made[-1]

    results = LoadScanFromFile()(dict(img_path=str(path),
                                      **{ALLOCATE_KEY: allocate}))
    assert results['img'] is made[0] and ALLOCATE_KEY not in results


def test_other_settings_go_to_mmcv(tmp_path):
    path = _scans(tmp_path)[1]
    grey = LoadScanFromFile(color_type='grayscale')(dict(img_path=str(path)))
    assert grey['img'].shape == (30, 41)


def test_a_truncated_jpeg_is_refused_naming_the_file(tmp_path):
    data = _scans(tmp_path)[0].read_bytes()
    cut = tmp_path / 'cut.jpg'
    cut.write_bytes(data[:-200])
    with pytest.raises(ImageInputError, match=f'{cut}: cannot decode the '
                       'image'):
        LoadScanFromFile()(dict(img_path=str(cut)))


def test_a_missing_file(tmp_path):
    missing = str(tmp_path / 'missing.jpg')
    assert LoadScanFromFile(ignore_empty=True)(dict(img_path=missing)) is None
    (tmp_path / 'empty.jpg').write_bytes(b'')
    assert LoadScanFromFile(ignore_empty=True)(
        dict(img_path=str(tmp_path / 'empty.jpg'))) is None
    with pytest.raises(ImageInputError, match='missing.jpg: cannot read'):
        LoadScanFromFile()(dict(img_path=missing))

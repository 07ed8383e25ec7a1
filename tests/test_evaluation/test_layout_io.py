"""Reading evaluator inputs: accepted encodings and named errors."""
import cv2
import numpy as np
import pytest
from layout_eval_helpers import small_page, write_rgb_png
from PIL import Image

from mmseg_pixdiva.evaluation import layout_analysis as la
from mmseg_pixdiva.evaluation import layout_io as lio


@pytest.fixture
def page(tmp_path):
    gt, pred = small_page(11)
    return gt, pred, write_rgb_png(tmp_path / 'gt.png', gt)


def test_rgb_png_reads_as_rgb_view_on_own_buffer(page, tmp_path):
    gt, _, gt_path = page
    image = lio.read_label_image(gt_path, 'GT')
    assert image.dtype == np.uint8 and np.array_equal(image, gt)
    assert lio.bgr_buffer(image) is not None  # reusable, no copy was made


def test_grey_png_reads_as_blue_values(tmp_path):
    blue = np.array([[0, 1, 2, 4], [8, 10, 12, 255]], np.uint8)
    Image.fromarray(blue).save(tmp_path / 'grey.png')
    image = lio.read_label_image(tmp_path / 'grey.png')
    assert image.ndim == 2 and np.array_equal(image, blue)


def test_palette_png_is_resolved_to_its_colours(tmp_path):
    indices = np.array([[0, 1], [2, 3]], np.uint8)
    image = Image.fromarray(indices)
    image.putpalette([0, 0, 1, 0, 0, 8, 128, 0, 12, 0, 0, 2])
    image.save(tmp_path / 'palette.png')
    rgb = lio.read_label_image(tmp_path / 'palette.png')
    assert rgb.shape == (2, 2, 3)
    assert rgb[..., 2].tolist() == [[1, 8], [12, 2]]
    assert rgb[1, 0].tolist() == [128, 0, 12]


def test_opaque_rgba_is_accepted(page, tmp_path):
    _, pred, _ = page
    rgba = np.dstack([pred, np.full(pred.shape[:2], 255, np.uint8)])
    Image.fromarray(rgba, 'RGBA').save(tmp_path / 'rgba.png')
    assert np.array_equal(lio.read_label_image(tmp_path / 'rgba.png'), pred)


def test_transparent_rgba_is_refused_naming_the_file(page, tmp_path):
    _, pred, _ = page
    alpha = np.full(pred.shape[:2], 255, np.uint8)
    alpha[0, :3] = 0
    Image.fromarray(np.dstack([pred, alpha]), 'RGBA').save(
        tmp_path / 'alpha.png')
    with pytest.raises(lio.LayoutInputError,
                       match=r'alpha\.png: .*transparency \(3 pixels'):
        lio.read_label_image(tmp_path / 'alpha.png')


def test_16bit_png_exact_values_convert(tmp_path):
    blue = np.array([[1, 2], [8, 12]], np.uint16)
    cv2.imwrite(str(tmp_path / 'exact16.png'), blue * 257)
    assert lio.read_label_image(tmp_path / 'exact16.png').tolist() == \
        blue.tolist()


def test_16bit_png_that_would_change_is_refused(tmp_path):
    cv2.imwrite(str(tmp_path / 'raw16.png'),
                np.array([[1, 2], [8, 12]], np.uint16))
    with pytest.raises(lio.LayoutInputError,
                       match=r'raw16\.png: 16-bit prediction'):
        lio.read_label_image(tmp_path / 'raw16.png')


def test_sub_byte_grey_is_refused(tmp_path):
    Image.fromarray(np.array([[0, 1]], bool)).save(tmp_path / 'bits.png')
    with pytest.raises(lio.LayoutInputError, match=r'bits\.png: 1-bit grey'):
        lio.read_label_image(tmp_path / 'bits.png')


def test_jpeg_prediction_is_refused(page, tmp_path):
    _, pred, _ = page
    cv2.imwrite(str(tmp_path / 'pred.jpg'), pred[..., ::-1].copy())
    with pytest.raises(lio.LayoutInputError,
                       match=r'pred\.jpg: the prediction is a JPEG; lossy'):
        lio.read_label_image(tmp_path / 'pred.jpg')


def test_jpeg_is_recognised_by_content_not_suffix(page, tmp_path):
    _, pred, _ = page
    ok, data = cv2.imencode('.jpg', pred)
    (tmp_path / 'looks.png').write_bytes(data.tobytes())
    with pytest.raises(lio.LayoutInputError, match='JPEG'):
        lio.read_label_image(tmp_path / 'looks.png')


def test_missing_and_corrupt_files_are_named(page, tmp_path):
    with pytest.raises(lio.LayoutInputError, match=r'nothere\.png: cannot'):
        lio.read_label_image(tmp_path / 'nothere.png')
    (tmp_path / 'text.png').write_text('not an image')
    with pytest.raises(lio.LayoutInputError, match=r'text\.png: .*not a PNG'):
        lio.read_label_image(tmp_path / 'text.png')
    _, _, gt_path = page
    data = gt_path.read_bytes()
    (tmp_path / 'cut.png').write_bytes(data[:len(data) // 2])
    with pytest.raises(lio.LayoutInputError,
                       match=r'cut\.png: truncated PNG \(its end'):
        lio.read_label_image(tmp_path / 'cut.png')
    (tmp_path / 'empty.png').write_bytes(b'')
    with pytest.raises(lio.LayoutInputError,
                       match=r'empty\.png: empty file \(0 bytes\)'):
        lio.read_label_image(tmp_path / 'empty.png')
    flipped = bytearray(data)
    flipped[len(data) // 2] ^= 0xFF  # inside the compressed pixels
    (tmp_path / 'flipped.png').write_bytes(bytes(flipped))
    with pytest.raises(lio.LayoutInputError, match=r'flipped\.png: cannot'):
        lio.read_label_image(tmp_path / 'flipped.png')
    (tmp_path / 'head.png').write_bytes(data[:20])
    with pytest.raises(lio.LayoutInputError, match=r'head\.png: corrupt PNG'):
        lio.read_label_image(tmp_path / 'head.png')


def test_size_mismatch_names_the_prediction(page, tmp_path):
    gt, pred, gt_path = page
    small = write_rgb_png(tmp_path / 'small.png', pred[:-1])
    with pytest.raises(lio.LayoutInputError,
                       match=r'small\.png: size 30x39 differs from the GT'):
        lio.read_label_pair(gt_path, small)


def test_header_reports_size_depth_colour_and_interlace(page, tmp_path):
    _, _, gt_path = page
    header = lio.read_image_header(gt_path)
    assert (header.format, header.width, header.height, header.bit_depth,
            header.colour_type, header.interlaced) == \
        ('PNG', 30, 40, 8, 'RGB', False)
    data = bytearray(gt_path.read_bytes())
    data[28] = 1  # IHDR interlace method: Adam7
    (tmp_path / 'adam7.png').write_bytes(bytes(data))
    assert lio.read_image_header(tmp_path / 'adam7.png').interlaced


def test_read_label_pair_sequential_equals_parallel(page, tmp_path):
    gt, pred, gt_path = page
    pred_path = write_rgb_png(tmp_path / 'pred.png', pred)
    for parallel in (True, False):
        got_gt, got_pred = lio.read_label_pair(gt_path, pred_path, parallel)
        assert np.array_equal(got_gt, gt) and np.array_equal(got_pred, pred)


def test_indexed_png_round_trip_in_every_reader(tmp_path):
    gt, pred = small_page(12, height=300, width=7)  # several zlib chunks
    indices = la.error_indices(gt, pred)
    data = lio.encode_indexed_png(indices, la.VIS_PALETTE, rows_per_chunk=64)
    path = tmp_path / 'vis.png'
    path.write_bytes(data)
    expected = la.error_visualization(gt, pred)
    with Image.open(path) as image:
        assert image.mode == 'P'
        assert np.array_equal(np.asarray(image.convert('RGB')), expected)
    assert np.array_equal(cv2.imread(str(path))[..., ::-1], expected)


def test_indexed_png_rejects_indices_outside_the_palette():
    with pytest.raises(ValueError, match='outside the palette'):
        lio.encode_indexed_png(np.array([[6]], np.uint8), la.VIS_PALETTE)


def test_page_image_jpeg_is_fine_for_the_overlay(page, tmp_path):
    gt, _, _ = page
    photo = np.full(gt.shape, 90, np.uint8)
    cv2.imwrite(str(tmp_path / 'page.jpg'), photo)
    image = lio.read_page_image(tmp_path / 'page.jpg',
                                size=(gt.shape[1], gt.shape[0]))
    assert image.shape == gt.shape
    assert np.abs(image.astype(int) - 90).max() <= 2


def test_page_image_that_is_not_an_image_is_refused(page, tmp_path):
    gt, _, _ = page
    (tmp_path / 'junk.jpg').write_text('garbage\n')
    # With a size OpenCV would return the uninitialised destination.
    for size in ((gt.shape[1], gt.shape[0]), None):
        with pytest.raises(lio.LayoutInputError,
                           match=r'junk\.jpg: cannot decode the original'):
            lio.read_page_image(tmp_path / 'junk.jpg', size=size)


def test_truncated_page_jpeg_is_refused(tmp_path):
    photo = np.random.default_rng(3).integers(0, 256, (120, 90, 3), np.uint8)
    ok, data = cv2.imencode('.jpg', photo)
    data = data.tobytes()
    (tmp_path / 'full.jpg').write_bytes(data + b'camera trailer')
    (tmp_path / 'cut.jpg').write_bytes(data[:len(data) * 2 // 3])
    # libjpeg only warns about this file and fills the rest with grey.
    assert cv2.imread(str(tmp_path / 'cut.jpg')) is not None
    full = lio.read_page_image(tmp_path / 'full.jpg', size=(90, 120))
    assert np.array_equal(full, cv2.imread(str(tmp_path / 'full.jpg'))[
        ..., ::-1])
    for size in ((90, 120), None):
        with pytest.raises(lio.LayoutInputError,
                           match=r'cut\.jpg: cannot decode the original'):
            lio.read_page_image(tmp_path / 'cut.jpg', size=size)


@pytest.mark.parametrize('params', [
    [], [cv2.IMWRITE_JPEG_PROGRESSIVE, 1],
    [cv2.IMWRITE_JPEG_RST_INTERVAL, 2]], ids=['baseline', 'progressive',
                                              'restart markers'])
def test_jpeg_end_is_found_by_walking_its_segments(params):
    photo = np.random.default_rng(4).integers(0, 256, (64, 48, 3), np.uint8)
    data = cv2.imencode('.jpg', photo, params)[1].tobytes()
    assert lio.jpeg_is_complete(data)
    # A camera trailer after the image, even one holding a start-of-scan
    # and no end marker, is never read.
    assert lio.jpeg_is_complete(data + b'\xff\xda\x00\x05trailer')
    for cut in (len(data) - 2, len(data) // 2, 3):
        assert not lio.jpeg_is_complete(data[:cut])
    assert not lio.jpeg_is_complete(b'not a jpeg at all')


def test_real_page_jpegs_are_complete(hisdb_samples):
    scans = sorted(hisdb_samples.glob('*/*.jpg'))
    assert len(scans) >= 3
    for scan in scans:
        data = scan.read_bytes()
        assert lio.jpeg_is_complete(data), scan
        assert not lio.jpeg_is_complete(data[:-len(data) // 10]), scan


@pytest.mark.parametrize('suffix', ['.jpg', '.png'])
def test_page_image_of_another_size_names_both_files_and_sizes(
        page, tmp_path, suffix):
    _, _, gt_path = page
    path = tmp_path / f'page{suffix}'
    cv2.imwrite(str(path), np.full((25, 20, 3), 90, np.uint8))
    with pytest.raises(lio.LayoutInputError) as error:
        lio.read_page_image(path, size=(30, 40), gt_path=gt_path)
    assert str(error.value) == (
        f'{path}: original page size 20x25 differs from the GT {gt_path} '
        f'(30x40, WxH); the overlay needs the page the GT was made for')


def test_a_header_too_large_to_decode_is_named(tmp_path):
    import struct
    import zlib
    ihdr = struct.pack('>IIBBBBB', 70000, 70000, 8, 2, 0, 0, 0)
    chunk = (struct.pack('>I', 13) + b'IHDR' + ihdr +
             struct.pack('>I', zlib.crc32(b'IHDR' + ihdr)))
    end = struct.pack('>I', 0) + b'IEND' + struct.pack('>I', zlib.crc32(
        b'IEND'))
    (tmp_path / 'huge.png').write_bytes(lio.PNG_SIGNATURE + chunk + end)
    with pytest.raises(lio.LayoutInputError) as error:
        lio.read_label_image(tmp_path / 'huge.png')
    assert 'the header says 70000x70000 (WxH) pixels' in str(error.value)
    assert 'OpenCV' not in str(error.value)

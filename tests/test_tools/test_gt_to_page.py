"""tools/gt_to_page.py: GT-format PNGs -> PAGE XML 2019, bad input."""
import cv2
import numpy as np
import pytest

from mmseg_pixdiva.fileio.page_gt import class_areas
from mmseg_pixdiva.fileio.page_xml import read_page, schema_errors
from mmseg_pixdiva.fileio.polygons import covered_share
from tool_loader import load_tool

gt_to_page = load_tool('gt_to_page')


def write_gt(path, blue):
    bgr = np.zeros(blue.shape + (3, ), np.uint8)
    bgr[..., 0] = blue
    path.parent.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(path), bgr)


@pytest.fixture
def gt_dir(tmp_path):
    blue = np.ones((200, 150), np.uint8)
    blue[20:80, 10:140] = 8
    blue[100:110, 10:60] = 2
    blue[150:190, 100:140] = 4 | 8
    write_gt(tmp_path / 'gt' / 'page_a.png', blue)
    write_gt(tmp_path / 'gt' / 'page_b.png', np.ones((40, 30), np.uint8))
    return tmp_path / 'gt'


def test_folder_to_page_files(gt_dir, tmp_path, page_schemas, capsys):
    out = tmp_path / 'xml'
    assert gt_to_page.main([str(gt_dir), '--out-dir', str(out),
                            '--image-suffix', '.tif']) == 0
    assert sorted(p.name for p in out.iterdir()) == ['page_a.xml',
                                                     'page_b.xml']
    document = read_page(out / 'page_a.xml')
    assert (document.width, document.height) == (150, 200)
    assert document.image_filename == 'page_a.tif'
    assert [(r.tag, r.type) for r in document.regions] == [
        ('TextRegion', 'paragraph'), ('TextRegion', 'paragraph'),
        ('TextRegion', 'marginalia'), ('GraphicRegion', 'decoration')]
    blue = cv2.imread(str(gt_dir / 'page_a.png'))[..., 0]
    areas = class_areas(document)
    for bit in (2, 4, 8):
        assert covered_share((blue & bit) != 0, areas[bit]) == 1.0
    data = (out / 'page_a.xml').read_bytes()
    assert schema_errors(data, page_schemas /
                         'pagecontent-2019-07-15.xsd') == []
    assert read_page(out / 'page_b.xml').regions == []
    assert 'page_a.png -> ' in capsys.readouterr().out


def test_output_that_is_an_input_is_refused_before_writing(gt_dir, capsys):
    # An .xml output cannot be a .png input; a GT named .xml can.
    sneaky = gt_dir / 'page_c.xml'
    (gt_dir / 'page_a.png').rename(sneaky)
    before = sneaky.read_bytes()
    assert gt_to_page.main([str(sneaky), str(gt_dir / 'page_b.png'),
                            '--out-dir', str(gt_dir)]) == 2
    err = capsys.readouterr().err
    assert err.count('\n') == 1
    assert err.startswith(f'error: {sneaky}: refusing to write there: it is '
                          f'the GT {sneaky}')
    assert sneaky.read_bytes() == before
    assert not (gt_dir / 'page_b.xml').exists()


@pytest.mark.parametrize('make, message', [
    (lambda d: d / 'missing.png', 'missing.png: no such file or folder'),
    (lambda d: d, 'folder has no GT-format image files'),
])
def test_bad_input_paths(tmp_path, capsys, make, message):
    assert gt_to_page.main([str(make(tmp_path)), '--out-dir',
                            str(tmp_path / 'o')]) == 2
    err = capsys.readouterr().err
    assert err.startswith('error: ') and message in err
    assert err.count('\n') == 1


def test_jpeg_gt_is_refused_with_its_name(tmp_path, capsys):
    path = tmp_path / 'p.png'
    cv2.imwrite(str(tmp_path / 'p.jpg'), np.ones((8, 8, 3), np.uint8))
    (tmp_path / 'p.jpg').rename(path)
    assert gt_to_page.main([str(path), '--out-dir', str(tmp_path / 'o')]) \
        == 2
    assert capsys.readouterr().err.startswith(f'error: {path}: ')
    assert not (tmp_path / 'o').exists()

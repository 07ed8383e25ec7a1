"""tools/page_to_gt.py: PAGE XML (2013, 2019) + scan -> GT, bad input."""
import json

import cv2
import numpy as np
import pytest

from mmseg_pixdiva.fileio.page_xml import (PageDocument, PageElement,
                                           page_xml_bytes)
from tool_loader import load_tool

page_to_gt = load_tool('page_to_gt')

NS_2013 = 'http://schema.primaresearch.org/PAGE/gts/pagecontent/2013-07-15'


def rect(x0, y0, x1, y1):
    return np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]], np.int32)


def write_scan(path, size=(120, 80)):
    """Parchment (200) with dark strokes (40) at known places."""
    grey = np.full((size[1], size[0]), 200, np.uint8)
    grey[20:24, 10:50] = 40    # in the paragraph
    grey[60:64, 70:100] = 40   # in the marginalia
    grey[5:8, 100:110] = 40    # outside every region
    cv2.imwrite(str(path), cv2.cvtColor(grey, cv2.COLOR_GRAY2BGR))


@pytest.fixture
def pages(tmp_path):
    folder = tmp_path / 'in'
    folder.mkdir()
    write_scan(folder / 'a.png')
    document = PageDocument('a.png', 120, 80, [
        PageElement('TextRegion', 'r1', 'paragraph', rect(5, 10, 60, 40)),
        PageElement('TextRegion', 'r2', 'marginalia', rect(65, 50, 110, 70)),
        PageElement('SeparatorRegion', 's', None, rect(0, 45, 119, 46))])
    (folder / 'a.xml').write_bytes(page_xml_bytes(document))
    write_scan(folder / 'b.png')
    (folder / 'b.xml').write_text(f'''<?xml version="1.0"?>
<PcGts xmlns="{NS_2013}"><Metadata><Creator/><Created>2016-06-14T09:27:35
</Created><LastChange>2016-06-14T09:27:35</LastChange></Metadata>
<Page imageWidth="120" imageHeight="80" imageFilename="elsewhere/b.png">
<TextRegion id="region_1"><Coords points="0,0 119,0 119,79 0,79"/>
<TextLine id="textline_1"><Coords points="5,10 60,10 60,40 5,40"/></TextLine>
</TextRegion>
<GraphicRegion id="region_2"><Coords points="65,50 110,50 110,70 65,70"/>
</GraphicRegion></Page></PcGts>''')
    return folder


def run(args, capsys):
    code = page_to_gt.main([str(a) for a in args])
    return code, capsys.readouterr().err


def test_2019_and_2013_files_to_gt(pages, tmp_path, capsys):
    out = tmp_path / 'gt'
    code, err = run([pages, '--out-dir', out, '--block', 31], capsys)
    assert code == 0, err
    a = cv2.imread(str(out / 'a.png'))[..., ::-1]  # RGB
    assert tuple(a[22, 20]) == (0, 0, 8)       # ink in the paragraph
    assert tuple(a[30, 20]) == (128, 0, 8)     # parchment in it
    assert tuple(a[62, 80]) == (0, 0, 2)       # ink in the marginalia
    assert tuple(a[6, 105]) == (0, 0, 1)       # ink outside: background
    assert tuple(a[45, 50]) == (0, 0, 1)       # the separator is ignored
    # Rectangle 5..60 x 10..40: x 5..59, y 10..39 (Java's rule).
    assert np.count_nonzero(a[..., 2] == 8) == 55 * 30
    # 2013, DIVA-HisDB style: the line (not the region box) gives the area;
    # imageFilename's folder is not used, its name is.
    b = cv2.imread(str(out / 'b.png'))[..., ::-1]
    assert tuple(b[22, 20]) == (0, 0, 8)
    assert tuple(b[62, 80]) == (0, 0, 4)
    assert tuple(b[5, 2]) == (0, 0, 1)


def test_old_boundary_style(pages, tmp_path, capsys):
    out = tmp_path / 'gt'
    code, err = run([pages / 'a.xml', '--out-dir', out, '--boundary',
                     'background'], capsys)
    assert code == 0, err
    a = cv2.imread(str(out / 'a.png'))[..., ::-1]
    assert tuple(a[30, 20]) == (128, 0, 1)


def test_class_mapping_file(pages, tmp_path, capsys):
    mapping = tmp_path / 'map.json'
    mapping.write_text(json.dumps({'regions': {
        'TextRegion:marginalia': 'decoration'}}))
    code, err = run([pages / 'a.xml', '--out-dir', tmp_path / 'gt',
                     '--classes', mapping], capsys)
    assert code == 0, err
    a = cv2.imread(str(tmp_path / 'gt' / 'a.png'))
    assert a[62, 80, 0] == 4


def one_line_error(code, err, *parts):
    assert code == 2
    assert err.startswith('error: ') and err.count('\n') == 1, err
    for part in parts:
        assert part in err, err


def test_malformed_xml(pages, tmp_path, capsys):
    (pages / 'a.xml').write_text('<PcGts><Page>')
    code, err = run([pages / 'a.xml', '--out-dir', tmp_path / 'o'], capsys)
    one_line_error(code, err, f'{pages / "a.xml"}: malformed XML')


def test_unknown_region_type(pages, tmp_path, capsys):
    path = pages / 'a.xml'
    data = path.read_bytes()
    path.write_bytes(data.replace(b'"paragraph"', b'"prose"'))
    code, err = run([path, '--out-dir', tmp_path / 'o'], capsys)
    one_line_error(code, err, f'{path}: TextRegion id="r1"',
                   'unknown region type TextRegion:prose')
    # A region element PAGE does not define is not skipped silently.
    path.write_bytes(data.replace(b'SeparatorRegion', b'MysteryRegion'))
    code, err = run([path, '--out-dir', tmp_path / 'o'], capsys)
    one_line_error(code, err, f'{path}: MysteryRegion id="s"',
                   'unknown region type MysteryRegion')


def test_scan_of_another_size(pages, tmp_path, capsys):
    # The second page's scan is wrong: not even the first GT is written.
    write_scan(pages / 'b.png', size=(121, 80))
    code, err = run([pages, '--out-dir', tmp_path / 'o'], capsys)
    one_line_error(code, err, f'{pages / "b.png"}: scan size 121x80 differs',
                   '120x80', str(pages / 'b.xml'))
    assert not (tmp_path / 'o').exists()
    (pages / 'b.png').write_bytes(b'not an image')
    code, err = run([pages, '--out-dir', tmp_path / 'o'], capsys)
    one_line_error(code, err, f'{pages / "b.png"}: cannot read the scan')


def test_missing_scan(pages, tmp_path, capsys):
    code, err = run([pages / 'a.xml', '--out-dir', tmp_path / 'o',
                     '--image-dir', tmp_path], capsys)
    one_line_error(code, err, f'{pages / "a.xml"}: no scan for it in')


def test_output_that_is_an_input_is_refused(pages, capsys):
    before = (pages / 'b.png').read_bytes()
    # Each output would be in/<stem>.png: the page's own scan. The first
    # one is named; nothing is written.
    code, err = run([pages / 'a.xml', pages / 'b.xml', '--out-dir',
                     pages], capsys)
    one_line_error(code, err, f'{pages / "a.png"}: refusing to write there: '
                   f'it is the scan {pages / "a.png"}')
    assert (pages / 'b.png').read_bytes() == before
    assert sorted(p.name for p in pages.iterdir()) == ['a.png', 'a.xml',
                                                       'b.png', 'b.xml']


def test_polygon_outside_the_page(pages, tmp_path, capsys):
    path = pages / 'a.xml'
    path.write_bytes(path.read_bytes().replace(b'110,70', b'130,70', 1))
    code, err = run([path, '--out-dir', tmp_path / 'o'], capsys)
    one_line_error(code, err, f'{path}: TextRegion id="r2"',
                   'point 130,70 lies outside the page (120x80)')

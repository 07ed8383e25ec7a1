"""mmseg_pixdiva.fileio.page_gt: PAGE -> GT raster, GT -> PAGE regions."""
import numpy as np
import pytest

from mmseg_pixdiva.fileio.page_classes import PageClassTable
from mmseg_pixdiva.fileio.page_gt import (class_areas, gt_to_page_document,
                                          page_to_gt_rgb, region_coverage)
from mmseg_pixdiva.fileio.page_xml import (PageDocument, PageElement,
                                           PageXmlError, page_xml_bytes,
                                           parse_page, schema_errors)
from mmseg_pixdiva.fileio.polygons import covered_share


def rect(x0, y0, x1, y1):
    return np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]], np.int32)


def diva_document():
    """A DIVA-HisDB-style page: a typeless TextRegion box holding a main
    text line and a comment line that overlap, and a GraphicRegion."""
    box = PageElement('TextRegion', 'region_1', None, rect(0, 0, 39, 19))
    box.lines = [
        PageElement('TextLine', 'textline_1', None, rect(2, 2, 20, 9),
                    parent=box),
        PageElement('TextLine', 'comment_1', None, rect(15, 5, 30, 15),
                    parent=box)]
    graphic = PageElement('GraphicRegion', 'region_2', None,
                          rect(30, 22, 37, 27))
    return PageDocument('p.jpg', 40, 30, [box, graphic], source='p.xml')


def test_page_to_gt_values():
    ink = np.zeros((30, 40), bool)
    ink[5, 3] = ink[7, 17] = ink[12, 25] = ink[25, 33] = ink[28, 5] = True
    rgb = page_to_gt_rgb(diva_document(), ink)
    blue, red = rgb[..., 2], rgb[..., 0]
    assert not rgb[..., 1].any()
    # Ink takes the class bits, red 0; overlap is OR-ed.
    assert (blue[5, 3], red[5, 3]) == (8, 0)
    assert (blue[7, 17], red[7, 17]) == (8 | 2, 0)
    assert (blue[12, 25], red[12, 25]) == (2, 0)
    assert (blue[25, 33], red[25, 33]) == (4, 0)
    # Parchment inside a region: class bits and the boundary bit.
    assert (blue[3, 3], red[3, 3]) == (8, 128)
    assert (blue[24, 31], red[24, 31]) == (4, 128)
    # The TextRegion box itself gives no class (its lines do); ink outside
    # the regions is background.
    assert (blue[17, 2], red[17, 2]) == (1, 0)
    assert (blue[28, 5], red[28, 5]) == (1, 0)
    # Counts: Java's rule, as DIVA-HisDB drew its GTs: a rectangle from x0
    # to x1 holds x0..x1-1 (right and bottom outline out).
    assert np.count_nonzero(blue & 8) == 18 * 7
    assert np.count_nonzero(blue & 2) == 15 * 10
    assert np.count_nonzero(blue & 4) == 7 * 5
    assert blue[9, 5] == 1 and blue[8, 14] == 8 and blue[8, 15] == 10


def test_old_boundary_style_writes_parchment_as_background():
    rgb = page_to_gt_rgb(diva_document(), np.zeros((30, 40), bool),
                         boundary='background')
    assert tuple(rgb[3, 3]) == (128, 0, 1)
    assert set(np.unique(rgb[..., 2])) == {1}


def test_page_to_gt_checks_size_and_style():
    with pytest.raises(ValueError, match='ink mask 41x30 differs'):
        page_to_gt_rgb(diva_document(), np.zeros((30, 41), bool))
    with pytest.raises(ValueError, match='boundary must be one of'):
        page_to_gt_rgb(diva_document(), np.zeros((30, 40), bool),
                       boundary='red')


def test_unclassified_line_stops_with_its_name():
    document = diva_document()
    document.regions[0].lines[0].id = 'line_7'
    with pytest.raises(PageXmlError,
                       match='p.xml: TextLine id="line_7"'):
        class_areas(document)


def test_region_coverage():
    blue = np.ones((30, 40), np.uint8)
    blue[3:6, 3:6] = 8   # inside textline_1
    blue[28, 0:5] = 8    # outside every main-text polygon
    blue[10, 20] = 2 | 8  # inside the comment line only
    counts = region_coverage(diva_document(), blue)
    # (GT pixels, inside a region of the class, region pixels outside it)
    assert counts[8] == (15, 9, 18 * 7 - 9)
    assert counts[2] == (1, 1, 15 * 10 - 1)
    assert counts[4] == (0, 0, 7 * 5)


def test_gt_to_page_round_trip_on_a_synthetic_gt(page_schemas):
    blue = np.ones((120, 90), np.uint8)
    blue[10:40, 10:80] = 8
    blue[30:35, 20:60] |= 2   # comment on main text: both bits
    blue[60:70, 5:9] = 2
    blue[100:119, 70:89] = 4  # touches the page corner
    document = gt_to_page_document(blue, 'p.jpg', scale=1)
    data = page_xml_bytes(document)
    assert schema_errors(data, page_schemas /
                         'pagecontent-2019-07-15.xsd') == []
    back = parse_page(data)
    assert [(r.tag, r.type, r.id) for r in back.regions] == [
        ('TextRegion', 'paragraph', 'main_text_1'),
        ('TextRegion', 'marginalia', 'comment_1'),
        ('TextRegion', 'marginalia', 'comment_2'),
        ('GraphicRegion', 'decoration', 'decoration_1')]
    areas = class_areas(back, PageClassTable())
    for bit in (2, 4, 8):
        assert covered_share((blue & bit) != 0, areas[bit]) == 1.0
    # The main-text region hugs its block with the margin that outgrows
    # the 2-pixel tolerance: its outline runs at most 3 pixels out (x
    # 10..79 -> 7..82, y 10..39 -> 7..42).
    points = back.regions[0].points
    assert (points[:, 0].min(), points[:, 0].max(), points[:, 1].min(),
            points[:, 1].max()) == (7, 82, 7, 42)


@pytest.mark.parametrize('name, crop', [
    ('e-codices_fmb-cb-0055_0019r_max.png', (slice(800, 2400),
                                             slice(400, 2600))),
    ('e-codices_fmb-cb-0055_0098v_max.synthetic-prediction.png',
     (slice(1000, 2600), slice(3000, 4872))),
])
def test_round_trip_covers_real_gt_and_prediction_crops(hisdb_samples,
                                                        page_schemas, name,
                                                        crop):
    import cv2
    blue = np.ascontiguousarray(
        cv2.imread(str(hisdb_samples / 'cb55' / name))[crop + (0, )])
    document = gt_to_page_document(blue, 'p.jpg')
    data = page_xml_bytes(document)
    assert schema_errors(data, page_schemas /
                         'pagecontent-2019-07-15.xsd') == []
    areas = class_areas(parse_page(data))
    for bit in (2, 4, 8):
        pixels = (blue & bit) != 0
        if pixels.any():
            assert covered_share(pixels, areas[bit]) >= 0.99


def test_agreement_with_the_official_gt_of_cb55_0059v(hisdb_samples):
    """The one full page: PAGE + scan -> GT against the official GT. The
    class areas (blue) are reproduced exactly (Java's polygon rule); only
    the ink / boundary split differs (ink IoU 0.936 measured)."""
    import cv2

    from mmseg_pixdiva.evaluation.layout_analysis import evaluate_layout
    from mmseg_pixdiva.fileio.binarize import binarize_ink
    from mmseg_pixdiva.fileio.page_xml import read_page
    stem = hisdb_samples / 'cb55' / 'e-codices_fmb-cb-0055_0059v_max'
    document = read_page(f'{stem}.xml')
    ink = binarize_ink(cv2.imread(f'{stem}.jpg', cv2.IMREAD_GRAYSCALE))
    converted = page_to_gt_rgb(document, ink)
    official = cv2.imread(f'{stem}.png')[..., ::-1]
    np.testing.assert_array_equal(converted[..., 2], official[..., 2])
    assert not converted[..., 1].any()
    assert evaluate_layout(official, converted)['mean_iu'] == 1.0
    official_ink = (official[..., 2] != 1) & (official[..., 0] < 128)
    ours = (converted[..., 2] != 1) & (converted[..., 0] < 128)
    assert (ours & official_ink).sum() / (ours | official_ink).sum() >= 0.93

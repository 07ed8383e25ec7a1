"""mmseg_pixdiva.fileio.page_xml: parse both versions, write 2019, errors."""
import datetime

import numpy as np
import pytest

from mmseg_pixdiva.fileio.page_xml import (PageDocument, PageElement,
                                           PageXmlError, page_xml_bytes,
                                           parse_page, read_page,
                                           schema_errors)

NS_2013 = 'http://schema.primaresearch.org/PAGE/gts/pagecontent/2013-07-15'


def page_2013(body: str, size: str = 'imageWidth="100" imageHeight="80"'
              ) -> bytes:
    return f'''<?xml version="1.0" encoding="UTF-8"?>
<PcGts xmlns="{NS_2013}">
  <Metadata><Creator>t</Creator><Created>2016-06-14T09:27:35</Created>
    <LastChange>2016-06-14T09:27:35</LastChange></Metadata>
  <Page {size} imageFilename="p.jpg">
{body}
  </Page>
</PcGts>'''.encode()


DIVA_BODY = '''
    <TextRegion id="region_1" custom="0">
      <Coords points="10,10 60,10 60,30 10,30"/>
      <TextLine id="textline_1"><Coords points="12,12 58,12 58,28 12,28"/>
      </TextLine>
      <TextLine id="comment_2"><Coords points="12,20 30,20 30,29"/></TextLine>
    </TextRegion>
    <GraphicRegion id="region_2"><Coords points="70,40 90,40 90,70 70,70"/>
    </GraphicRegion>'''


def test_parses_diva_2013_regions_lines_and_size():
    document = parse_page(page_2013(DIVA_BODY), 'p.xml')
    assert (document.width, document.height) == (100, 80)
    assert document.image_filename == 'p.jpg'
    assert document.namespace == NS_2013
    assert [r.tag for r in document.regions] == ['TextRegion',
                                                 'GraphicRegion']
    text = document.regions[0]
    assert [line.id for line in text.lines] == ['textline_1', 'comment_2']
    assert text.lines[1].parent is text
    np.testing.assert_array_equal(text.lines[1].points,
                                  [[12, 20], [30, 20], [30, 29]])
    assert document.regions[1].points.dtype == np.int32


@pytest.mark.parametrize('body, message', [
    ('<TextRegion id="r9"><Coords points="1,1 5,5"/></TextRegion>',
     'TextRegion id="r9" (line 6): polygon has 2 point(s)'),
    ('<TextRegion id="r9"><Coords points="1,1 5,5 101,3"/></TextRegion>',
     'TextRegion id="r9" (line 6): point 101,3 lies outside the page '
     '(100x80)'),
    ('<TextRegion id="r9"><Coords points="1,1 5,-5 6,7"/></TextRegion>',
     'point 5,-5 lies outside'),
    ('<TextRegion id="r9"><Coords points="1,1 5;5 6,7"/></TextRegion>',
     'TextRegion id="r9" (line 6): malformed points'),
    ('<GraphicRegion id="g1"/>', 'GraphicRegion id="g1" (line 6): no Coords'),
    ('<TextRegion id="r1"><Coords points="1,1 5,1 5,5"/><TextLine '
     'id="textline_3"><Coords points="1,1 2,2"/></TextLine></TextRegion>',
     'TextLine id="textline_3" (line 6): polygon has 2 point(s)'),
])
def test_bad_polygons_name_file_and_element(body, message):
    with pytest.raises(PageXmlError) as error:
        parse_page(page_2013(body), 'bad.xml')
    assert str(error.value).startswith('bad.xml: ')
    assert message in str(error.value)
    assert '\n' not in str(error.value)


def test_the_page_corner_itself_is_inside():
    body = '<TextRegion id="r"><Coords points="0,0 100,0 100,80"/>' \
        '</TextRegion>'
    assert parse_page(page_2013(body)).regions[0].points.max() == 100


@pytest.mark.parametrize('data, message', [
    (b'<PcGts><Page', 'bad.xml: malformed XML'),
    (b'<html/>', 'bad.xml: not a PAGE XML file'),
    (page_2013('', 'imageWidth="0" imageHeight="80"'),
     'bad.xml: Page (line 5): imageWidth="0" is not a positive integer'),
    (page_2013('', 'imageHeight="80"'),
     'bad.xml: Page (line 5): no imageWidth attribute'),
])
def test_bad_documents(data, message):
    with pytest.raises(PageXmlError, match='^' + message.replace('(', r'\(')
                       .replace(')', r'\)')):
        parse_page(data, 'bad.xml')


def test_missing_file_is_named(tmp_path):
    with pytest.raises(PageXmlError, match='nope.xml: cannot read file'):
        read_page(tmp_path / 'nope.xml')


def _document():
    region = PageElement('TextRegion', 'main_text_1', 'paragraph',
                         np.array([[1, 2], [30, 2], [30, 20]], np.int32))
    region.lines.append(PageElement(
        'TextLine', 'l1', None, np.array([[2, 3], [9, 3], [9, 8]],
                                         np.int32)))
    graphic = PageElement('GraphicRegion', 'decoration_1', 'decoration',
                          np.array([[40, 40], [50, 40], [45, 60]], np.int32))
    return PageDocument('p.jpg', 64, 72, [region, graphic])


def test_written_2019_reads_back_the_same():
    stamp = datetime.datetime(2024, 1, 2, 3, 4, 5,
                              tzinfo=datetime.timezone.utc)
    data = page_xml_bytes(_document(), created=stamp)
    assert b'pagecontent/2019-07-15' in data
    assert b'<Created>2024-01-02T03:04:05</Created>' in data
    back = parse_page(data)
    assert (back.width, back.height, back.image_filename) == (64, 72, 'p.jpg')
    assert [(r.tag, r.id, r.type) for r in back.regions] == [
        ('TextRegion', 'main_text_1', 'paragraph'),
        ('GraphicRegion', 'decoration_1', 'decoration')]
    np.testing.assert_array_equal(back.regions[1].points,
                                  [[40, 40], [50, 40], [45, 60]])
    assert back.regions[0].lines[0].id == 'l1'


def test_written_file_validates_against_the_2019_schema(page_schemas):
    data = page_xml_bytes(_document())
    assert schema_errors(data, page_schemas /
                         'pagecontent-2019-07-15.xsd') == []
    # The check has teeth: an unknown type is refused by the schema.
    broken = data.replace(b'type="paragraph"', b'type="prose"')
    assert schema_errors(broken, page_schemas / 'pagecontent-2019-07-15.xsd')


def test_reads_the_real_diva_file(hisdb_samples, page_schemas):
    path = hisdb_samples / 'cb55' / 'e-codices_fmb-cb-0055_0059v_max.xml'
    assert schema_errors(path.read_bytes(), page_schemas /
                         'pagecontent-2013-07-15.xsd') == []
    document = read_page(path)
    assert (document.width, document.height) == (4872, 6496)
    tags = [r.tag for r in document.regions]
    assert tags.count('TextRegion') == 19
    assert tags.count('GraphicRegion') == 15
    lines = [line for r in document.regions for line in r.lines]
    assert len(lines) == 48
    assert {line.id.split('_')[0] for line in lines} == {'textline',
                                                         'comment'}

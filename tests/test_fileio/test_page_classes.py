"""mmseg_pixdiva.fileio.page_classes: the default table and overrides."""
import json

import numpy as np
import pytest

from mmseg_pixdiva.fileio.page_classes import (PageClassTable,
                                               load_class_table)
from mmseg_pixdiva.fileio.page_xml import PageElement, PageXmlError

SQUARE = np.array([[0, 0], [4, 0], [4, 4]], np.int32)


def element(tag, ident='x', kind=None, parent=None):
    return PageElement(tag, ident, kind, SQUARE, line=3, parent=parent)


@pytest.mark.parametrize('tag, ident, kind, parent_kind, bit', [
    ('TextLine', 'textline_12', None, None, 8),
    ('TextLine', 'comment_3', None, None, 2),
    ('TextLine', 'l1', None, 'paragraph', 8),  # from its region's type
    ('TextLine', 'l1', None, 'marginalia', 2),
    ('TextRegion', 'r', 'paragraph', None, 8),
    ('TextRegion', 'r', 'heading', None, 8),
    ('TextRegion', 'r', 'marginalia', None, 2),
    ('TextRegion', 'r', 'drop-capital', None, 4),
    ('GraphicRegion', 'r', 'decoration', None, 4),
    ('GraphicRegion', 'region_2', None, None, 4),  # DIVA-HisDB: no type
    ('ImageRegion', 'r', None, None, 4),
    ('SeparatorRegion', 'r', None, None, None),  # known, ignored
])
def test_default_table(tag, ident, kind, parent_kind, bit):
    parent = element('TextRegion', 'r0', parent_kind) if parent_kind \
        else None
    assert PageClassTable().element_bit(
        element(tag, ident, kind, parent)) == bit


def test_unknown_region_type_names_file_element_and_key():
    with pytest.raises(PageXmlError) as error:
        PageClassTable().element_bit(element('TextRegion', 'r7', 'prose'),
                                     'a.xml')
    assert str(error.value).startswith(
        'a.xml: TextRegion id="r7" (line 3): unknown region type '
        'TextRegion:prose')


def test_line_without_rule_is_an_error():
    # DIVA-HisDB's TextRegions have no type: a line must say its class.
    parent = element('TextRegion', 'region_1')
    with pytest.raises(PageXmlError, match='TextLine id="line_1"'):
        PageClassTable().element_bit(element('TextLine', 'line_1',
                                             parent=parent), 'a.xml')


def test_mapping_file_extends_and_overrides(tmp_path):
    path = tmp_path / 'map.json'
    path.write_text(json.dumps({
        'regions': {'TextRegion:prose': 'main text', 'GraphicRegion': None,
                    'TextRegion:marginalia': 8},
        'line_id_prefixes': {'gloss_': 'comment'}}))
    table = load_class_table(path)
    assert table.element_bit(element('TextRegion', 'r', 'prose')) == 8
    assert table.element_bit(element('GraphicRegion')) is None
    assert table.element_bit(element('TextRegion', 'r', 'marginalia')) == 8
    assert table.element_bit(element('TextLine', 'gloss_1')) == 2
    # The defaults not named stay.
    assert table.element_bit(element('TextLine', 'textline_1')) == 8


def test_mapping_file_can_replace_the_defaults(tmp_path):
    path = tmp_path / 'map.json'
    path.write_text(json.dumps({'replace_defaults': True,
                                'regions': {'TextRegion': 8}}))
    table = load_class_table(path)
    assert table.element_bit(element('TextRegion', 'r', 'marginalia')) == 8
    with pytest.raises(PageXmlError, match='unknown region type'):
        table.element_bit(element('GraphicRegion'))


@pytest.mark.parametrize('content, message', [
    ('{"regions": {"TextRegion": "text"}}',
     'regions\\["TextRegion"\\]: unknown class "text"'),
    ('{"regions": {"TextRegion": 3}}', 'single bits'),
    ('{"region": {}}', "unknown key\\(s\\) \\['region'\\]"),
    ('{"regions": [', 'malformed JSON'),
])
def test_bad_mapping_files(tmp_path, content, message):
    path = tmp_path / 'map.json'
    path.write_text(content)
    with pytest.raises(PageXmlError, match=message) as error:
        load_class_table(path)
    assert str(error.value).startswith(str(path))

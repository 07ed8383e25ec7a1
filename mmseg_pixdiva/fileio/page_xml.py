"""Reading and writing PAGE XML (PRImA page content, 2013 and 2019).

Only what layout ground truth needs: the page's image name and size, and the
polygons of its regions and text lines. Reading accepts both schema versions
(any ``.../pagecontent/<date>`` namespace); writing produces 2019-07-15, the
version Transkribus, eScriptorium and kraken read. XML is parsed, built and
validated with lxml (imported lazily, like OpenCV elsewhere), never as text.

Every error names the file and the element (tag, id and line), because a
PAGE file holds hundreds of polygons and "invalid polygon" alone does not
say which to fix.
"""
import datetime
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import List, Optional, Sequence, Tuple, Union

import numpy as np

from ..utils.errors import InputError

PathLike = Union[str, os.PathLike]

#: Namespace of the PAGE version written here.
PAGE_2019_NAMESPACE = \
    'http://schema.primaresearch.org/PAGE/gts/pagecontent/2019-07-15'
_NAMESPACE_PREFIX = 'http://schema.primaresearch.org/PAGE/gts/pagecontent/'
_XSI = 'http://www.w3.org/2001/XMLSchema-instance'

#: Region elements of PAGE (both versions) read here; ``TextLine`` is read
#: inside ``TextRegion``.
REGION_TAGS: Tuple[str, ...] = (
    'TextRegion', 'ImageRegion', 'LineDrawingRegion', 'GraphicRegion',
    'TableRegion', 'ChartRegion', 'MapRegion', 'SeparatorRegion',
    'MathsRegion', 'ChemRegion', 'MusicRegion', 'AdvertRegion', 'NoiseRegion',
    'UnknownRegion', 'CustomRegion')


class PageXmlError(InputError, ValueError):
    """A PAGE file that cannot be used as it is; the message names the file
    and the element."""


@dataclass
class PageElement:
    """A region or text line of a PAGE file.

    Attributes:
        tag (str): Element name without namespace, e.g. ``'TextRegion'``.
        id (str): Its ``id`` attribute (``''`` if absent).
        type (str, optional): The region's ``type`` attribute (a text line
            has none; see ``parent``).
        points (np.ndarray): ``Nx2`` int32 polygon ``(x, y)``, N >= 3.
        line (int): Line of the element in the file (for messages).
        parent (PageElement, optional): The region holding a text line.
        lines (list): The text lines of a ``TextRegion``.
    """
    tag: str
    id: str
    type: Optional[str]
    points: np.ndarray
    line: int = 0
    parent: Optional['PageElement'] = None
    lines: List['PageElement'] = field(default_factory=list)

    def describe(self) -> str:
        """``TextLine id="comment_45" (line 7)``, for messages."""
        return f'{self.tag} id="{self.id}" (line {self.line})'


@dataclass
class PageDocument:
    """The parts of a PAGE file that layout ground truth needs.

    Attributes:
        image_filename (str): ``Page/@imageFilename``.
        width (int): ``Page/@imageWidth``.
        height (int): ``Page/@imageHeight``.
        regions (list): Top-level regions in file order (text lines hang
            below their ``TextRegion``).
        namespace (str): The file's PAGE namespace (tells the version).
        source (str): File name, for messages.
    """
    image_filename: str
    width: int
    height: int
    regions: List[PageElement]
    namespace: str = PAGE_2019_NAMESPACE
    source: str = 'PAGE'


def _local(tag) -> str:
    return tag.rsplit('}', 1)[-1] if isinstance(tag, str) else ''


def _describe(element, source: str) -> str:
    ident = element.get('id')
    name = _local(element.tag)
    named = f'{name} id="{ident}"' if ident else name
    return f'{source}: {named} (line {element.sourceline})'


def parse_points(text: Optional[str], width: int, height: int,
                 where: str) -> np.ndarray:
    """Parse a PAGE ``points`` attribute and check it.

    Args:
        text (str): ``"x1,y1 x2,y2 ..."``.
        width (int): Page width; x must lie in ``0..width`` (PAGE's
            coordinate system has ``imageWidth,imageHeight`` as its lower
            right corner).
        height (int): Page height.
        where (str): File and element, for messages.

    Returns:
        np.ndarray: ``Nx2`` int32.

    Raises:
        PageXmlError: For a malformed list, fewer than three points or a
            point outside the page.
    """
    pairs = (text or '').split()
    try:
        points = np.array([[int(v) for v in pair.split(',')]
                           for pair in pairs], dtype=np.int64)
    except ValueError:
        raise PageXmlError(f'{where}: malformed points "{text}" (expected '
                           f'"x1,y1 x2,y2 ..." with integers)') from None
    if points.ndim != 2 or len(points) and points.shape[1] != 2:
        raise PageXmlError(f'{where}: malformed points "{text}" (expected '
                           f'"x1,y1 x2,y2 ...")')
    if len(points) < 3:
        raise PageXmlError(f'{where}: polygon has {len(points)} point(s); '
                           f'a region needs at least 3')
    outside = (points[:, 0] < 0) | (points[:, 0] > width) | \
        (points[:, 1] < 0) | (points[:, 1] > height)
    if outside.any():
        x, y = points[np.argmax(outside)]
        raise PageXmlError(f'{where}: point {x},{y} lies outside the page '
                           f'({width}x{height})')
    return points.astype(np.int32)


def _coords(element, width: int, height: int, source: str) -> np.ndarray:
    where = _describe(element, source)
    for child in element:
        if _local(child.tag) == 'Coords':
            if child.get('points') is None:
                # PAGE 2009/2010 wrote <Point x= y=/> children.
                pts = [f'{p.get("x")},{p.get("y")}' for p in child
                       if _local(p.tag) == 'Point']
                return parse_points(' '.join(pts), width, height, where)
            return parse_points(child.get('points'), width, height, where)
    raise PageXmlError(f'{where}: no Coords element')


def _page_int(page, name: str, source: str) -> int:
    value = page.get(name)
    if value is None:
        raise PageXmlError(f'{_describe(page, source)}: no {name} attribute')
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise PageXmlError(f'{_describe(page, source)}: {name}="{value}" is '
                           f'not a positive integer') from None
    if number <= 0:
        raise PageXmlError(f'{_describe(page, source)}: {name}="{value}" is '
                           f'not a positive integer')
    return number


def parse_page(data: bytes, source: str = 'PAGE') -> PageDocument:
    """Parse PAGE XML (2013-07-15, 2019-07-15 or another dated version).

    Args:
        data (bytes): The file's content.
        source (str): File name, named in messages.

    Returns:
        PageDocument: Page size, image name and region polygons. Regions
        nested in other regions (tables, PAGE 2019) are read too.

    Raises:
        PageXmlError: Malformed XML, not a PAGE document, no ``Page`` or
            size, or a bad polygon; naming the file and the element.
    """
    from lxml import etree
    parser = etree.XMLParser(resolve_entities=False, no_network=True,
                             huge_tree=True)
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as error:
        raise PageXmlError(f'{source}: malformed XML ({error})') from None
    namespace = etree.QName(root).namespace or ''
    if _local(root.tag) != 'PcGts' or \
            not namespace.startswith(_NAMESPACE_PREFIX):
        raise PageXmlError(f'{source}: not a PAGE XML file (root element '
                           f'{root.tag}, expected PcGts in a '
                           f'{_NAMESPACE_PREFIX}<version> namespace)')
    page = root.find(f'{{{namespace}}}Page')
    if page is None:
        raise PageXmlError(f'{source}: no Page element')
    width = _page_int(page, 'imageWidth', source)
    height = _page_int(page, 'imageHeight', source)
    regions = []
    for element in page.iter():
        tag = _local(element.tag)
        # An unfamiliar *Region is read too, so that the class table stops
        # on it instead of its ink silently becoming background.
        if tag not in REGION_TAGS and not tag.endswith('Region'):
            continue
        region = PageElement(tag, element.get('id', ''), element.get('type'),
                             _coords(element, width, height, source),
                             element.sourceline)
        if tag == 'TextRegion':
            for child in element:
                if _local(child.tag) == 'TextLine':
                    region.lines.append(PageElement(
                        'TextLine', child.get('id', ''), None,
                        _coords(child, width, height, source),
                        child.sourceline, parent=region))
        regions.append(region)
    return PageDocument(page.get('imageFilename', ''), width, height,
                        regions, namespace, source)


def read_page(path: PathLike) -> PageDocument:
    """Read a PAGE XML file (see :func:`parse_page`).

    Raises:
        PageXmlError: Unreadable file, or as :func:`parse_page`.
    """
    try:
        data = Path(path).read_bytes()
    except OSError as error:
        raise PageXmlError(
            f'{path}: cannot read file ({error.strerror or error})') from None
    return parse_page(data, str(path))


def format_points(points: np.ndarray) -> str:
    """``Nx2`` integer points as PAGE's ``"x1,y1 x2,y2 ..."``."""
    return ' '.join(f'{int(x)},{int(y)}' for x, y in np.asarray(points))


#: ``Metadata/Creator`` of the PAGE files this package writes.
CREATOR = 'mmseg_pixdiva'


def is_own_page_file(path: PathLike) -> bool:
    """Whether ``path`` is a PAGE file this package wrote (its
    ``Metadata/Creator`` is :data:`CREATOR`); reads only up to the
    ``Creator`` element. Tools replace such files, never a user's."""
    from lxml import etree
    try:
        for _, element in etree.iterparse(str(path), events=('end', )):
            if _local(element.tag) == 'Creator':
                return (element.text or '').strip() == CREATOR
            if _local(element.tag) == 'Metadata':
                return False
    except (OSError, etree.XMLSyntaxError):
        return False
    return False


def page_xml_bytes(document: PageDocument,
                   creator: str = CREATOR,
                   created: Optional[datetime.datetime] = None) -> bytes:
    """Serialise a document as PAGE XML 2019-07-15.

    Each region is written as its ``tag`` with ``id``, ``type`` (if set)
    and ``Coords``; text lines are written inside their ``TextRegion``.

    Args:
        document (PageDocument): What to write.
        creator (str): ``Metadata/Creator``.
        created (datetime, optional): ``Created`` and ``LastChange`` (UTC);
            now by default.

    Returns:
        bytes: UTF-8 XML with declaration.
    """
    from lxml import etree
    ns = PAGE_2019_NAMESPACE
    root = etree.Element(f'{{{ns}}}PcGts', nsmap={None: ns, 'xsi': _XSI})
    root.set(f'{{{_XSI}}}schemaLocation',
             f'{ns} {ns}/pagecontent.xsd')
    metadata = etree.SubElement(root, f'{{{ns}}}Metadata')
    stamp = (created or datetime.datetime.now(datetime.timezone.utc))
    stamp = stamp.astimezone(datetime.timezone.utc).replace(tzinfo=None)
    text = stamp.isoformat(timespec='seconds')
    etree.SubElement(metadata, f'{{{ns}}}Creator').text = creator
    etree.SubElement(metadata, f'{{{ns}}}Created').text = text
    etree.SubElement(metadata, f'{{{ns}}}LastChange').text = text
    page = etree.SubElement(root, f'{{{ns}}}Page', {
        'imageFilename': document.image_filename,
        'imageWidth': str(document.width),
        'imageHeight': str(document.height)})

    def add(parent, element: PageElement):
        node = etree.SubElement(parent, f'{{{ns}}}{element.tag}',
                                {'id': element.id})
        if element.type:
            node.set('type', element.type)
        etree.SubElement(node, f'{{{ns}}}Coords',
                         points=format_points(element.points))
        for line in element.lines:
            add(node, line)

    for region in document.regions:
        add(page, region)
    return etree.tostring(root, xml_declaration=True, encoding='UTF-8',
                          pretty_print=True)


def schema_errors(data: bytes, schema_path: PathLike) -> List[str]:
    """Validate PAGE XML against an XSD file.

    Args:
        data (bytes): The XML.
        schema_path: The schema, e.g. ``pagecontent-2019-07-15.xsd``.

    Returns:
        list[str]: The validation errors (``'line N: message'``); empty if
        the document is valid.
    """
    from lxml import etree
    schema = etree.XMLSchema(etree.parse(str(schema_path)))
    document = etree.fromstring(data)
    if schema.validate(document):
        return []
    return [f'line {e.line}: {e.message}' for e in schema.error_log]


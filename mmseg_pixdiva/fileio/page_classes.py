"""Which DIVA-HisDB class bit a PAGE region or text line stands for.

The table is data, so a user can override it with a JSON file::

    {"line_id_prefixes": {"textline_": "main text", "comment_": "comment"},
     "regions": {"TextRegion:paragraph": "main text",
                 "GraphicRegion": "decoration",
                 "SeparatorRegion": null}}

Keys of ``regions`` are ``Tag:type`` (a region with that ``type``) or
``Tag`` (any type of that tag); values are a class name of
:data:`~mmseg_pixdiva.core.encoding.HISDB_BITS`, a blue bit value
(e.g. ``8``), or ``null`` for "known, not a class" (ignored). A region or
line matched by nothing is an error: silently dropping it would turn its
ink into background.

Lookup order for a ``TextLine``: its id prefix (DIVA-HisDB's files say the
class there: ``textline_*`` main text, ``comment_*`` comment), then its
``TextRegion``'s rule. For a region: ``Tag:type``, then ``Tag``.
"""
import os
from typing import Dict, Mapping, Optional, Union

from ..core.encoding import HISDB_BITS, check_bits
from .inputs import read_json_object
from .page_xml import PageElement, PageXmlError

PathLike = Union[str, os.PathLike]

MAIN_TEXT, COMMENT, DECORATION = 0x08, 0x02, 0x04

#: DIVA-HisDB's text-line ids.
DEFAULT_LINE_ID_PREFIXES: Dict[str, Optional[int]] = {
    'textline_': MAIN_TEXT,
    'comment_': COMMENT,
}

#: PAGE 2019 region types, as the annotation tools write them. Text of the
#: page's main flow is main text; glosses and notes are DIVA-HisDB's
#: "comment"; initials and pictures are its "decoration".
DEFAULT_REGION_CLASSES: Dict[str, Optional[int]] = {
    **{f'TextRegion:{t}': MAIN_TEXT for t in (
        'paragraph', 'heading', 'caption', 'header', 'footer', 'page-number',
        'credit', 'floating', 'signature-mark', 'catch-word', 'TOC-entry',
        'list-label', 'endnote', 'other')},
    'TextRegion:marginalia': COMMENT,
    'TextRegion:footnote': COMMENT,
    'TextRegion:footnote-continued': COMMENT,
    'TextRegion:drop-capital': DECORATION,
    'GraphicRegion': DECORATION,
    'ImageRegion': DECORATION,
    'LineDrawingRegion': DECORATION,
    'ChartRegion': DECORATION,
    'MapRegion': DECORATION,
    # Known, but none of DIVA-HisDB's classes.
    'SeparatorRegion': None,
    'NoiseRegion': None,
    'TableRegion': None,
    'MathsRegion': None,
    'ChemRegion': None,
    'MusicRegion': None,
    'AdvertRegion': None,
    'UnknownRegion': None,
    'CustomRegion': None,
}


class PageClassTable:
    """The mapping from PAGE elements to class bits.

    Args:
        regions (Mapping): ``'Tag:type'`` or ``'Tag'`` -> bit or None.
        line_id_prefixes (Mapping): Text-line id prefix -> bit or None.
    """

    def __init__(self,
                 regions: Optional[Mapping[str, Optional[int]]] = None,
                 line_id_prefixes: Optional[Mapping[str, Optional[int]]]
                 = None) -> None:
        self.regions = dict(DEFAULT_REGION_CLASSES if regions is None
                            else regions)
        self.line_id_prefixes = dict(DEFAULT_LINE_ID_PREFIXES
                                     if line_id_prefixes is None
                                     else line_id_prefixes)

    def _region_rule(self, region: PageElement):
        for key in (f'{region.tag}:{region.type}', region.tag):
            if key in self.regions:
                return True, self.regions[key]
        return False, None

    def element_bit(self, element: PageElement, source: str = 'PAGE'
                    ) -> Optional[int]:
        """Class bit of a region or text line, or None if it is ignored.

        Raises:
            PageXmlError: If no rule matches; names the file, the element
                and its type.
        """
        if element.tag == 'TextLine':
            # Longest prefix first, so 'comment_main_' can refine 'comment_'.
            for prefix in sorted(self.line_id_prefixes, key=len,
                                 reverse=True):
                if element.id.startswith(prefix):
                    return self.line_id_prefixes[prefix]
            if element.parent is not None:
                found, bit = self._region_rule(element.parent)
                if found:
                    return bit
            raise PageXmlError(
                f'{source}: {element.describe()}: no class for this text '
                f'line (its id matches none of the prefixes '
                f'{sorted(self.line_id_prefixes)}, and its region '
                f'{_region_key(element.parent)} has no rule); add one to the '
                f'class mapping file')
        found, bit = self._region_rule(element)
        if not found:
            raise PageXmlError(
                f'{source}: {element.describe()}: unknown region type '
                f'{_region_key(element)}; add "{_region_key(element)}" to '
                f'the class mapping file')
        return bit

    def region_has_rule(self, region: PageElement) -> bool:
        """Whether the region itself (not its lines) has a rule."""
        return self._region_rule(region)[0]


def _region_key(region: Optional[PageElement]) -> str:
    if region is None:
        return '(none)'
    return f'{region.tag}:{region.type}' if region.type else region.tag


def _parse_bit(value, where: str) -> Optional[int]:
    if value is None:
        return None
    if isinstance(value, str):
        names = {name: bit for bit, name in HISDB_BITS.items()}
        if value not in names:
            raise PageXmlError(f'{where}: unknown class "{value}" (known: '
                               f'{sorted(names)}, a bit value, or null)')
        return names[value]
    try:
        return check_bits([value])[0]
    except ValueError as error:
        raise PageXmlError(f'{where}: {error}') from None


def load_class_table(path: PathLike) -> PageClassTable:
    """Read a class mapping file (JSON, see the module docstring).

    Entries given replace or extend the defaults; give
    ``"replace_defaults": true`` to start from an empty table.

    Raises:
        PageXmlError: Naming the file and the entry at fault.
    """
    spec = read_json_object(
        path, ('regions', 'line_id_prefixes', 'replace_defaults'),
        PageXmlError)
    fresh = bool(spec.get('replace_defaults', False))
    regions = {} if fresh else dict(DEFAULT_REGION_CLASSES)
    prefixes = {} if fresh else dict(DEFAULT_LINE_ID_PREFIXES)
    for key, target in (('regions', regions), ('line_id_prefixes',
                                                prefixes)):
        entries = spec.get(key, {})
        if not isinstance(entries, dict):
            raise PageXmlError(f'{path}: "{key}" must be an object')
        for name, value in entries.items():
            target[name] = _parse_bit(value, f'{path}: {key}["{name}"]')
    return PageClassTable(regions, prefixes)

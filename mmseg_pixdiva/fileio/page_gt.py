"""PAGE documents to DIVA-HisDB GT rasters and back.

What DIVA-HisDB's pixel GT is, measured on its PAGE files and GTs: the
class areas (blue) are exactly the text-line and graphic-region polygons
of each class rasterised by Java's ``Polygon.contains`` rule (on all 38
CB55 pages and on CSG18 096 not one pixel differs, see
:mod:`.awt_polygon`); inside them, *ink* pixels carry the class bits with
red 0, and the other (parchment) pixels the class bits with red bit 7 set:
the "boundary" pixels, which the evaluator lets a prediction call
background or the class. Outside every polygon the GT is background (blue
1). An older GT of CSG18 096 writes those parchment pixels as (128, 0, 1)
instead; ``boundary='background'`` reproduces that variant. The ink is a
binarisation of the scan (:mod:`.binarize`), the one part not reproduced
exactly.
"""
from typing import Dict, List, Optional, Tuple

import numpy as np

from ..core.encoding import BOUNDARY_RED_BIT, HISDB_BACKGROUND
from .page_classes import COMMENT, DECORATION, MAIN_TEXT, PageClassTable
from .page_xml import PageDocument, PageElement
from .polygons import (DEFAULT_JOIN, DEFAULT_SCALE, DEFAULT_TOLERANCE,
                       mask_to_polygons, polygons_to_mask)

#: Blue value of background in a DIVA-HisDB GT.
BACKGROUND = HISDB_BACKGROUND

#: How each class bit is written to PAGE 2019: (element, type, id prefix).
GT_REGION_KINDS: Dict[int, Tuple[str, str, str]] = {
    MAIN_TEXT: ('TextRegion', 'paragraph', 'main_text'),
    COMMENT: ('TextRegion', 'marginalia', 'comment'),
    DECORATION: ('GraphicRegion', 'decoration', 'decoration'),
}

#: How a GT marks the parchment inside a region (see the module docstring).
BOUNDARY_STYLES = ('class', 'background')


def class_polygons(document: PageDocument,
                   table: Optional[PageClassTable] = None
                   ) -> Dict[int, List[PageElement]]:
    """The elements that give each class bit its area.

    A ``TextRegion`` with text lines is represented by its lines (each with
    its own class): in DIVA-HisDB's files the region is a bounding box
    that also holds other classes' ink, the lines follow the script. Any
    other region stands for itself.

    Args:
        document (PageDocument): The parsed file.
        table (PageClassTable, optional): Class mapping; the defaults if
            omitted.

    Returns:
        dict: bit -> elements (ignored elements are left out).

    Raises:
        PageXmlError: For an element without a class rule.
    """
    table = table or PageClassTable()
    found: Dict[int, List[PageElement]] = {}
    for region in document.regions:
        for element in region.lines or [region]:
            bit = table.element_bit(element, document.source)
            if bit is not None:
                found.setdefault(bit, []).append(element)
    return found


def class_areas(document: PageDocument,
                table: Optional[PageClassTable] = None
                ) -> Dict[int, np.ndarray]:
    """bit -> ``HxW`` bool mask of the union of that class's polygons."""
    shape = (document.height, document.width)
    return {bit: polygons_to_mask([e.points for e in elements], shape)
            for bit, elements in class_polygons(document, table).items()}


def page_to_gt_rgb(document: PageDocument,
                   ink: np.ndarray,
                   table: Optional[PageClassTable] = None,
                   boundary: str = 'class') -> np.ndarray:
    """Render a PAGE document as a DIVA-HisDB GT.

    Args:
        document (PageDocument): Regions and page size.
        ink (np.ndarray): ``HxW`` bool ink mask of the scan (see
            :func:`~mmseg_pixdiva.fileio.binarize.binarize_ink`), of the
            page size.
        table (PageClassTable, optional): Class mapping.
        boundary (str): ``'class'``: parchment inside a region keeps the
            class bits and gets red bit 7 (current DIVA-HisDB GTs);
            ``'background'``: it becomes (128, 0, 1) (older GTs).

    Returns:
        np.ndarray: ``HxWx3`` uint8 RGB; blue = OR of the bits of the
        regions covering the pixel (1 outside all), red = 128 on the
        parchment pixels inside regions, green 0.
    """
    if boundary not in BOUNDARY_STYLES:
        raise ValueError(f'boundary must be one of {BOUNDARY_STYLES}, got '
                         f'{boundary!r}')
    shape = (document.height, document.width)
    if ink.shape != shape:
        raise ValueError(f'ink mask {ink.shape[1]}x{ink.shape[0]} differs '
                         f'from the page {shape[1]}x{shape[0]}')
    blue = np.zeros(shape, np.uint8)
    for bit, area in class_areas(document, table).items():
        blue[area] |= np.uint8(bit)
    inside = blue != 0
    parchment = inside & ~ink
    rgb = np.zeros(shape + (3, ), np.uint8)
    rgb[..., 0][parchment] = BOUNDARY_RED_BIT
    if boundary == 'background':
        blue[parchment] = 0
    blue[blue == 0] = BACKGROUND
    rgb[..., 2] = blue
    return rgb


def region_coverage(document: PageDocument, gt_blue: np.ndarray,
                    table: Optional[PageClassTable] = None,
                    bits: Tuple[int, ...] = (MAIN_TEXT, COMMENT, DECORATION)
                    ) -> Dict[int, Tuple[int, int, int]]:
    """How each GT class's pixels and the PAGE regions of that class meet.

    Args:
        document (PageDocument): The PAGE file of the GT's page.
        gt_blue (np.ndarray): ``HxW`` blue channel of the GT.
        table (PageClassTable, optional): Class mapping.
        bits (tuple): The classes to report.

    Returns:
        dict: bit -> ``(GT pixels, of them inside a region of the class,
        region pixels outside the class)``.
    """
    areas = class_areas(document, table)
    result = {}
    for bit in bits:
        pixels = (gt_blue & bit) != 0
        area = areas.get(bit)
        if area is None:
            area = np.zeros(pixels.shape, bool)
        result[bit] = (int(np.count_nonzero(pixels)),
                       int(np.count_nonzero(pixels & area)),
                       int(np.count_nonzero(area & ~pixels)))
    return result


def gt_to_page_document(blue: np.ndarray, image_filename: str,
                        tolerance: float = DEFAULT_TOLERANCE,
                        join: int = DEFAULT_JOIN,
                        scale: int = DEFAULT_SCALE,
                        source: str = 'GT') -> PageDocument:
    """Regions of a GT or prediction (blue channel) as a PAGE document.

    One region per connected area of each class bit (see
    :func:`~mmseg_pixdiva.fileio.polygons.mask_to_polygons`); multi-label
    pixels belong to the area of each of their bits. Main text and comment
    become ``TextRegion`` (types ``paragraph`` and ``marginalia``),
    decoration a ``GraphicRegion`` of type ``decoration``.

    Args:
        blue (np.ndarray): ``HxW`` uint8 blue channel (DIVA-HisDB bits).
        image_filename (str): ``Page/@imageFilename`` (the scan's name).
        tolerance (float): Simplification tolerance (pixels).
        join (int): Distance (pixels) below which pixels form one area.
        scale (int): Reduction factor of the outline tracing.
        source (str): Written as the document's source (messages).

    Returns:
        PageDocument: Regions in class order (main text, comment,
        decoration), largest first; ids ``main_text_1``, ``comment_1``...
    """
    height, width = blue.shape
    regions = []
    for bit, (tag, kind, prefix) in GT_REGION_KINDS.items():
        polygons = mask_to_polygons((blue & bit) != 0, tolerance, join,
                                    scale)
        for number, points in enumerate(polygons, 1):
            regions.append(PageElement(tag, f'{prefix}_{number}', kind,
                                       points))
    return PageDocument(image_filename, width, height, regions,
                        source=source)

"""Masks to region polygons and back (OpenCV, shapely; imported lazily).

:func:`mask_to_polygons` turns a full-page class mask into one simplified
polygon per connected area, built so that the polygon never cuts a mask
pixel off: the mask is joined (closing) and grown by a margin larger than
the simplification tolerance before its outline is traced, so the
simplified outline (within ``tolerance`` of the traced one, Douglas-Peucker)
still encloses every pixel. The work runs on a mask reduced by ``scale``
(a block is set if any of its pixels is), which keeps a 4872x6496 page well
under a second; one extra block of margin absorbs the reduction.
"""
from typing import List, Sequence, Tuple

import numpy as np

from .awt_polygon import awt_fill

#: Defaults of :func:`mask_to_polygons`, in full-page pixels.
DEFAULT_TOLERANCE = 2.0
DEFAULT_JOIN = 24
DEFAULT_SCALE = 4


def _reduce_any(mask: np.ndarray, scale: int) -> np.ndarray:
    """``mask`` reduced by ``scale``: a block is 1 if any pixel in it is."""
    import cv2
    if scale == 1:
        return mask.astype(np.uint8)
    height, width = mask.shape
    pad_y, pad_x = -height % scale, -width % scale
    padded = mask.astype(np.uint8)
    if pad_y or pad_x:
        padded = cv2.copyMakeBorder(padded, 0, pad_y, 0, pad_x,
                                    cv2.BORDER_CONSTANT, value=0)
    # The block mean is non-zero exactly when a pixel of the block is set
    # (area interpolation with an integer factor averages whole blocks).
    small = cv2.resize(padded * np.uint8(255),
                       (padded.shape[1] // scale, padded.shape[0] // scale),
                       interpolation=cv2.INTER_AREA)
    return (small > 0).astype(np.uint8)


def _disk(radius: int) -> np.ndarray:
    import cv2
    return cv2.getStructuringElement(cv2.MORPH_ELLIPSE,
                                     (2 * radius + 1, 2 * radius + 1))


def _valid_rings(points: np.ndarray) -> List[np.ndarray]:
    """``points`` as valid simple polygons: itself when valid, else the
    parts shapely's ``make_valid`` splits it into (their outlines), each
    falling back to its convex hull if rounding to integers breaks it. A
    ring that collapsed to a line or a point (a sliver on the page edge)
    becomes the rectangle around it."""
    from shapely.geometry import Polygon
    points = points[np.any(points != np.roll(points, 1, axis=0), axis=1)]
    if len(points) < 3 or Polygon(points).area == 0:
        if not len(points):
            return []
        (x0, y0), (x1, y1) = points.min(axis=0), points.max(axis=0)
        # Widen a line to a rectangle towards the page (0 is the edge that
        # is surely inside).
        x0, y0 = (x0 - 1 if x0 == x1 and x0 > 0 else x0,
                  y0 - 1 if y0 == y1 and y0 > 0 else y0)
        x1, y1 = max(x1, x0 + 1), max(y1, y0 + 1)
        return [np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]],
                         np.int32)]
    import shapely
    polygon = Polygon(points)
    if polygon.is_valid:
        return [points]
    # make_valid may nest: a collection holding a multipolygon and lines.
    parts = [g for g in shapely.get_parts(shapely.make_valid(polygon))]
    while any(g.geom_type in ('MultiPolygon', 'GeometryCollection')
              for g in parts):
        parts = [p for g in parts for p in shapely.get_parts(g)]
    parts = [g for g in parts if g.geom_type == 'Polygon' and g.area > 0]
    rings = []
    for part in parts:
        ring = np.rint(np.asarray(part.exterior.coords)[:-1]).astype(
            np.int32)
        ring = ring[np.any(ring != np.roll(ring, 1, axis=0), axis=1)]
        if len(ring) < 3 or not Polygon(ring).is_valid:
            hull = part.convex_hull
            if hull.geom_type != 'Polygon':
                continue
            ring = np.rint(np.asarray(hull.exterior.coords)[:-1]).astype(
                np.int32)
        rings.append(ring)
    return rings


def _inside_page(points: np.ndarray, width: int,
                 height: int) -> List[np.ndarray]:
    """The parts of a polygon inside the page, ``0..W`` x ``0..H`` (PAGE's
    coordinate system: ``imageWidth,imageHeight`` is the lower right
    corner; a pixel in the last column is inside a polygon under the AWT
    rule only if the polygon reaches past it, to ``W``).

    Clamping the vertices would not do: an edge between two clamped
    vertices can cut through the page corner and drop pixels there.
    """
    inside = (points[:, 0] >= 0) & (points[:, 0] <= width) & \
        (points[:, 1] >= 0) & (points[:, 1] <= height)
    if inside.all():
        return [points.astype(np.int32)]
    import shapely
    from shapely.geometry import Polygon, box
    page = box(0, 0, width, height)
    polygon = Polygon(points)
    if not polygon.is_valid:
        polygon = shapely.make_valid(polygon)
    rings = []
    for part in shapely.get_parts(polygon.intersection(page)):
        for piece in shapely.get_parts(part):
            if piece.geom_type == 'Polygon' and piece.area > 0:
                ring = np.rint(np.asarray(piece.exterior.coords)[:-1])
                rings.append(ring.astype(np.int32))
    return rings


def mask_to_polygons(mask: np.ndarray,
                     tolerance: float = DEFAULT_TOLERANCE,
                     join: int = DEFAULT_JOIN,
                     scale: int = DEFAULT_SCALE) -> List[np.ndarray]:
    """One polygon per connected area of a mask.

    Args:
        mask (np.ndarray): ``HxW`` bool or 0/1 array (one class).
        tolerance (float): Douglas-Peucker tolerance of the simplification,
            in pixels: the simplified outline stays within this distance of
            the traced one.
        join (int): Pixels closer than this (about) form one area; 0 keeps
            every connected component apart.
        scale (int): Work on the mask reduced by this factor (1 = exact
            outlines; larger is faster and coarser, by ``scale`` pixels).

    Returns:
        list[np.ndarray]: ``Nx2`` int32 ``(x, y)`` polygons in full-page
        pixel coordinates, inside ``0..W`` x ``0..H``, valid (no
        self-intersection, N >= 3), largest area first. Together they
        cover every set pixel of ``mask``. Areas nested in another area's
        hole are covered by that area's polygon (PAGE regions have no
        holes) and get none of their own.
    """
    import cv2
    if scale < 1 or int(scale) != scale:
        raise ValueError(f'scale must be a positive integer, got {scale}')
    if tolerance < 0 or join < 0:
        raise ValueError(f'tolerance and join must be >= 0, got {tolerance} '
                         f'and {join}')
    scale = int(scale)
    height, width = mask.shape
    small = _reduce_any(mask, scale)
    if not small.any():
        return []
    join_radius = int(np.ceil(join / 2 / scale))
    # The margin outgrows the simplification (tolerance) and the reduction
    # (half a block each side, rounded up to a block).
    margin = int(np.ceil(tolerance / scale)) + (1 if scale > 1 else 0) + 1
    pad = join_radius + margin + 1
    # Pad so that closing does not stick to the border; crop back after.
    work = cv2.copyMakeBorder(small, pad, pad, pad, pad,
                              cv2.BORDER_CONSTANT, value=0)
    if join_radius:
        work = cv2.morphologyEx(work, cv2.MORPH_CLOSE, _disk(join_radius))
    work = cv2.dilate(work, _disk(margin))
    contours, _ = cv2.findContours(work, cv2.RETR_EXTERNAL,
                                   cv2.CHAIN_APPROX_SIMPLE)
    polygons = []
    offset = (scale - 1) / 2.0
    for contour in contours:
        simplified = cv2.approxPolyDP(contour, tolerance / scale, True)
        points = simplified.reshape(-1, 2).astype(np.float64) - pad
        points = np.rint(points * scale + offset)
        for ring in _inside_page(points, width, height):
            polygons.extend(_valid_rings(ring))
    polygons.sort(key=lambda p: -abs(cv2.contourArea(p)))
    return polygons


#: Rasterisation rules of :func:`polygons_to_mask`.
FILL_RULES = ('awt', 'closed')


def polygons_to_mask(polygons: Sequence[np.ndarray],
                     shape: Tuple[int, int],
                     rule: str = 'awt') -> np.ndarray:
    """Rasterise polygons (their union) into an ``HxW`` bool mask.

    Args:
        polygons: ``Nx2`` integer ``(x, y)`` polygons.
        shape (tuple): ``(H, W)``.
        rule (str): ``'awt'``: pixel ``(x, y)`` is in if Java's
            ``Polygon.contains(x, y)`` says so, the rule DIVA-HisDB's GTs
            were drawn with (see :mod:`.awt_polygon`; outline pixels on the
            right and bottom sides are out); ``'closed'``: every pixel the
            polygon or its outline touches (OpenCV ``fillPoly``).

    Returns:
        np.ndarray: ``HxW`` bool. Each polygon is filled on its own, so
        overlapping polygons add up instead of cancelling.
    """
    if rule not in FILL_RULES:
        raise ValueError(f'rule must be one of {FILL_RULES}, got {rule!r}')
    if rule == 'awt':
        mask = np.zeros(shape, bool)
        for polygon in polygons:
            awt_fill(mask, polygon)
        return mask
    import cv2
    mask = np.zeros(shape, np.uint8)
    for polygon in polygons:
        cv2.fillPoly(mask, [np.asarray(polygon, np.int32).reshape(-1, 1, 2)],
                     1)
    return mask.astype(bool)


def covered_share(mask: np.ndarray, covered: np.ndarray) -> float:
    """Share of ``mask`` pixels that lie in ``covered`` (1.0 if none)."""
    total = int(np.count_nonzero(mask))
    if total == 0:
        return 1.0
    return int(np.count_nonzero(mask & covered)) / total

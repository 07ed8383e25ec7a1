"""Pixels inside a polygon by Java's ``java.awt.Polygon.contains(x, y)``.

DIVA-HisDB's pixel GTs were drawn from their PAGE polygons with this rule,
tested at integer pixel coordinates: on CB55 0059v it reproduces the area
of every class exactly (0 pixels more, 0 fewer), where OpenCV's
``fillPoly`` adds about 2 % (the outline pixels on the right and bottom
sides, which the Java rule leaves out).

The Java rule (even-odd crossings of the ray to the left, half-open in y;
point ``(x, y)`` is hit by an edge when ``x - x0 < (y - y0) / (y1 - y0) *
(x1 - x0)`` in double precision; only points with ``x < max x`` and ``y <
max y`` of the polygon count) is evaluated here for all rows of a polygon
at once: for integer ``x`` the test is ``x < x0 + ceil(...)``, so each edge
gives one integer cut per row and the inside spans are pairs of sorted
cuts.
"""
import numpy as np

#: Rows filled at once (bounds the temporary arrays of a page-size polygon).
_ROWS_PER_CHUNK = 256


def awt_fill(mask: np.ndarray, points: np.ndarray) -> None:
    """Set the pixels of ``mask`` that ``java.awt.Polygon(points)``
    contains (``contains(x, y)`` at integer ``x, y``).

    Args:
        mask (np.ndarray): ``HxW`` bool, updated in place (OR).
        points (np.ndarray): ``Nx2`` integer ``(x, y)`` vertices.
    """
    points = np.asarray(points, np.int64).reshape(-1, 2)
    if len(points) < 3:
        return
    height, width = mask.shape
    x0_box, y0_box = points.min(axis=0)
    x1_box, y1_box = points.max(axis=0)
    cur_x, cur_y = points[:, 0], points[:, 1]
    last_x, last_y = np.roll(cur_x, 1), np.roll(cur_y, 1)
    sloped = cur_y != last_y  # horizontal edges never count
    cur_x, cur_y = cur_x[sloped], cur_y[sloped]
    last_x, last_y = last_x[sloped], last_y[sloped]
    if not len(cur_x):
        return
    # Rows y0..y1-1 and columns x0..x1-1 of the box (Java: y < max y,
    # x < max x), inside the mask.
    col_lo, col_hi = max(int(x0_box), 0), min(int(x1_box), width)
    for row_lo in range(max(int(y0_box), 0), min(int(y1_box), height),
                        _ROWS_PER_CHUNK):
        rows = np.arange(row_lo, min(row_lo + _ROWS_PER_CHUNK, int(y1_box),
                                     height))
        _fill_rows(mask, rows, col_lo, col_hi, (cur_x, cur_y, last_x,
                                                 last_y))


def _fill_rows(mask: np.ndarray, rows: np.ndarray, col_lo: int, col_hi: int,
               edges) -> None:
    cur_x, cur_y, last_x, last_y = edges
    if col_hi <= col_lo:
        return
    # Java measures from the edge's upper end (smaller y).
    upper_cur = cur_y < last_y
    ref_x = np.where(upper_cur, cur_x, last_x)
    ref_y = np.where(upper_cur, cur_y, last_y)
    low_y = np.minimum(cur_y, last_y)
    high_y = np.maximum(cur_y, last_y)
    y = rows[:, None].astype(np.float64)
    active = (rows[:, None] >= low_y) & (rows[:, None] < high_y)
    # The same operations in the same order as Java, in double precision.
    threshold = (y - ref_y) / (last_y - cur_y).astype(np.float64) * \
        (last_x - cur_x).astype(np.float64)
    cuts = np.where(active, ref_x + np.ceil(threshold), np.inf)
    if cuts.shape[1] % 2:  # pair the columns; inactive edges sort last
        cuts = np.concatenate([cuts, np.full((len(rows), 1), np.inf)], 1)
    cuts.sort(axis=1)
    # A closed polygon crosses every row an even number of times; inside
    # are [c1, c2), [c3, c4), ... clipped to the box.
    starts, ends = cuts[:, 0::2], cuts[:, 1::2]
    lo = np.clip(starts, col_lo, col_hi)
    hi = np.clip(ends, col_lo, col_hi)
    keep = np.isfinite(ends) & (hi > lo)
    if not keep.any():
        return
    row_index = np.broadcast_to(np.arange(len(rows))[:, None], lo.shape)
    # Difference array per row: +1 where a span starts, -1 where it ends.
    diff = np.zeros((len(rows), col_hi - col_lo + 1), np.int32)
    np.add.at(diff, (row_index[keep], lo[keep].astype(np.int64) - col_lo), 1)
    np.add.at(diff, (row_index[keep], hi[keep].astype(np.int64) - col_lo),
              -1)
    mask[rows[0]:rows[-1] + 1, col_lo:col_hi] |= \
        np.cumsum(diff[:, :-1], axis=1) > 0

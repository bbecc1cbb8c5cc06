"""Geometry for the FastLabel mapping: circles, ring orientation in bulk, masks as outlines.

Coordinates are the IR's: float64 absolute pixels, origin at the top-left corner of pixel (0, 0),
x right, y down — FastLabel's own convention (a bbox [10, 12, 50, 40] covers pixels x 10..49,
y 12..39), so nothing is shifted. A ring's signed area is positive when it runs clockwise on screen.
"""

from __future__ import annotations

from math import acos, ceil, pi

import numpy as np
import shapely

from annoconv.ir import Mask

# A circle is held in the IR as an inscribed regular polygon whose edges stray at most this far
# (in pixels) from the true circle; the exact circle rides along in extras for FastLabel output.
CIRCLE_TOLERANCE = 0.05
_MIN_VERTICES, _MAX_VERTICES = 16, 4096


def circle_vertex_count(radius: float) -> int:
    """Vertices of the approximating polygon: the fewest (a multiple of 4, 16..4096) keeping the
    sagitta r(1 - cos(pi/n)) within CIRCLE_TOLERANCE."""
    if radius <= CIRCLE_TOLERANCE:
        return _MIN_VERTICES
    n = pi / acos(1.0 - CIRCLE_TOLERANCE / radius)
    return int(min(max(4 * ceil(n / 4), _MIN_VERTICES), _MAX_VERTICES))


def circle_ring(cx: float, cy: float, radius: float) -> np.ndarray:
    """(n, 2) read-only vertices on the circle, starting at (cx + r, cy), clockwise on screen, open."""
    n = circle_vertex_count(radius)
    theta = np.arange(n, dtype=np.float64) * (2.0 * pi / n)
    ring = np.empty((n, 2), dtype=np.float64)
    ring[:, 0] = cx + radius * np.cos(theta)
    ring[:, 1] = cy + radius * np.sin(theta)  # y down: increasing angle turns clockwise on screen
    ring.flags.writeable = False
    return ring


def circle_max_deviation(radius: float) -> float:
    """How far (pixels) the approximating polygon's edges come inside the circle."""
    return float(radius * (1.0 - np.cos(pi / circle_vertex_count(radius))))


def signed_areas(rings: list[np.ndarray]) -> np.ndarray:
    """Shoelace signed areas of many (N_i, 2) rings at once (open or closed); > 0 = clockwise on screen.

    Computed relative to each ring's first vertex, which keeps precision for large coordinates.
    """
    if not rings:
        return np.zeros(0, dtype=np.float64)
    lengths = np.fromiter(map(len, rings), dtype=np.int64, count=len(rings))
    points = np.concatenate(rings)
    starts = np.cumsum(lengths) - lengths
    origin = np.repeat(points[starts], lengths, axis=0)
    rel = points - origin
    following = np.arange(1, len(points) + 1)
    following[starts + lengths - 1] = starts  # each ring's last vertex is followed by its first
    x, y = rel[:, 0], rel[:, 1]
    terms = x * y[following] - x[following] * y
    return np.add.reduceat(terms, starts) / 2.0


def oriented(ring: np.ndarray, area: float, clockwise: bool) -> np.ndarray:
    """``ring`` running as asked on screen; a reversed open ring keeps its first vertex."""
    if (area >= 0.0) == clockwise:
        return ring
    if len(ring) > 1 and ring[0, 0] == ring[-1, 0] and ring[0, 1] == ring[-1, 1]:
        return ring[::-1]
    return np.concatenate([ring[:1], ring[:0:-1]])


def flat(ring: np.ndarray, close: bool) -> list[float]:
    """Flat [x0, y0, x1, y1, ...]; with ``close``, ending on the first vertex."""
    values: list[float] = ring.ravel().tolist()
    if close and values[:2] != values[-2:]:
        values += values[:2]
    return values


def mask_regions(mask: Mask) -> list[list[np.ndarray]]:
    """The exact outline of a mask's pixels: regions [exterior, *holes] of pixel-corner vertices.

    Each row's runs of foreground pixels become boxes [c0, c1) x [r, r + 1); their union (GEOS)
    is the set of pixels exactly, and collinear vertices are then removed. Pixels touching only at
    a corner become separate regions.
    """
    dense = mask.decode()
    if not dense.any():
        return []
    padded = np.zeros((dense.shape[0], dense.shape[1] + 2), dtype=np.int8)
    padded[:, 1:-1] = dense
    steps = np.diff(padded, axis=1)
    rows, cols = np.nonzero(steps)
    rising = steps[rows, cols] == 1  # in each row runs alternate start, end
    x0, x1, y = cols[rising], cols[~rising], rows[rising]
    union = shapely.simplify(shapely.union_all(shapely.box(x0, y, x1, y + 1)), 0.0)
    regions = []
    for polygon in shapely.get_parts(union):
        rings = [polygon.exterior, *polygon.interiors]
        regions.append([_from_top_left(shapely.get_coordinates(ring)) for ring in rings])
    return regions


def _from_top_left(closed: np.ndarray) -> np.ndarray:
    """A closed ring restarted at its top-most, then left-most vertex (a stable, readable start)."""
    ring = np.asarray(closed[:-1], dtype=np.float64)
    start = int(np.lexsort((ring[:, 0], ring[:, 1]))[0])
    ring = np.roll(ring, -start, axis=0)
    return np.concatenate([ring, ring[:1]])

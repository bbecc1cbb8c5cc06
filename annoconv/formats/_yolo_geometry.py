"""Geometry of the YOLO formats, in IR pixel coordinates (origin at the top-left image corner, y down).

- ``bridge``: a polygon's regions and holes as the single ring a ``yolo-seg`` row can hold.
  Exteriors run clockwise on screen and holes counter-clockwise; each hole is joined to its
  exterior, and each further region to the ring built so far, at their closest pair of vertices
  by a zero-width cut walked there and back (as Ultralytics' ``merge_multi_segment`` does for
  COCO). Filled by the even-odd or the non-zero rule, the ring covers the same area.
- ``fit_rotated_box``: four OBB corners as a ``Box(xyxy, angle)`` when they form a rectangle.
- ``min_area_rectangle``: the corners of the smallest rotated rectangle around points (shapely).
"""

from __future__ import annotations

from collections.abc import Sequence
from math import atan2, degrees

import numpy as np
import shapely

from ..ir import geometry

try:
    from ._yolo_kernels import closest as _compiled_closest  # type: ignore[import-not-found]
except ImportError:  # not built: numpy below
    _compiled_closest = None

_CHUNK = 2048  # rows of the distance matrix computed at once (bounds memory for long rings)


def open_ring(ring: np.ndarray) -> np.ndarray:
    """``ring`` without a repeated closing vertex (YOLO rings are implicitly closed)."""
    if len(ring) > 3 and np.array_equal(ring[0], ring[-1]):
        return ring[:-1]
    return ring


def without_collinear(ring: np.ndarray) -> np.ndarray:
    """``ring`` without the vertices that lie on the line through their neighbours (exactly: a
    traced pixel outline has a vertex at every pixel corner along its straight edges)."""
    before, after = np.roll(ring, 1, axis=0), np.roll(ring, -1, axis=0)
    cross = ((ring[:, 0] - before[:, 0]) * (after[:, 1] - ring[:, 1])
             - (ring[:, 1] - before[:, 1]) * (after[:, 0] - ring[:, 0]))
    keep = cross != 0
    return ring[keep] if np.count_nonzero(keep) >= 3 else ring


def _closest(a: np.ndarray, b: np.ndarray) -> tuple[int, int]:
    """Indices (i, j) of the closest pair a[i], b[j]; the first such pair on ties."""
    if _compiled_closest is not None:
        return _compiled_closest(np.ascontiguousarray(a, dtype=np.float64), np.ascontiguousarray(b, dtype=np.float64))
    best, pair = np.inf, (0, 0)
    for start in range(0, len(a), _CHUNK):
        block = a[start:start + _CHUNK]
        distances = ((block[:, None, :] - b[None, :, :]) ** 2).sum(axis=-1)
        flat = int(np.argmin(distances))
        i, j = divmod(flat, len(b))
        if distances[i, j] < best:
            best, pair = float(distances[i, j]), (start + i, j)
    return pair


def _splice(ring: np.ndarray, other: np.ndarray) -> np.ndarray:
    """``ring`` walking into ``other`` at their closest vertices, around it, and back."""
    i, j = _closest(ring, other)
    rolled = np.roll(other, -j, axis=0)
    return np.concatenate([ring[:i + 1], rolled, rolled[:1], ring[i:]])


def bridge(regions: Sequence[Sequence[np.ndarray]]) -> np.ndarray:
    """One (N, 2) ring through every region and hole (see the module docstring)."""
    ring: np.ndarray | None = None
    for region in regions:
        part = geometry.oriented_ring(open_ring(region[0]), clockwise=True)
        for hole in region[1:]:
            part = _splice(part, geometry.oriented_ring(open_ring(hole), clockwise=False))
        ring = part if ring is None else _splice(ring, part)
    assert ring is not None  # a Polygon has at least one region
    return ring


def largest_exterior(regions: Sequence[Sequence[np.ndarray]]) -> np.ndarray:
    """The exterior ring of the region with the largest area (the first on ties)."""
    areas = [abs(geometry.ring_signed_area(region[0])) for region in regions]
    return regions[int(np.argmax(areas))][0]


def fit_rotated_box(corners: np.ndarray, tolerance: np.ndarray) -> tuple[np.ndarray, float] | None:
    """``(xyxy, angle)`` of the rotated rectangle whose corners are ``corners`` (4, 2), each within
    ``tolerance`` (x, y) of them; None when they are not a rectangle.

    An axis-aligned rectangle gets angle 0 whatever corner it starts at. Otherwise the box's
    first corner is ``corners[0]`` and its angle that of the edge corners[0] -> corners[1]
    (counter-clockwise corner orders are reversed first): Box.corners() gives them back.
    """
    p = np.asarray(corners, dtype=np.float64)
    low, high = p.min(axis=0), p.max(axis=0)
    # Axis-aligned: each corner is one of the bounding box's corners.
    box_corners = np.array([[low[0], low[1]], [high[0], low[1]], [high[0], high[1]], [low[0], high[1]]])
    near = np.all(np.abs(p[:, None, :] - box_corners[None, :, :]) <= tolerance, axis=-1)
    if near.any(axis=0).all() and near.any(axis=1).all():
        return np.concatenate([low, high]), 0.0
    if geometry.ring_signed_area(p) < 0:  # counter-clockwise on screen: walk it the other way
        p = p[[0, 3, 2, 1]]
    u = ((p[1] - p[0]) + (p[2] - p[3])) / 2  # the "top" edge direction
    v = ((p[3] - p[0]) + (p[2] - p[1])) / 2  # the "left" edge direction
    width, height = float(np.hypot(*u)), float(np.hypot(*v))
    angle = degrees(atan2(u[1], u[0]))
    centre = p.mean(axis=0)
    xyxy = np.array([centre[0] - width / 2, centre[1] - height / 2, centre[0] + width / 2, centre[1] + height / 2])
    if np.all(np.abs(geometry.rotated_box_corners(xyxy, angle) - p) <= tolerance):
        return xyxy, angle
    return None


def min_area_rectangle(points: np.ndarray) -> np.ndarray:
    """The 4 corners (4, 2) of the smallest-area rotated rectangle enclosing ``points`` (N, 2).

    Degenerate input (collinear points, a single point) gives a zero-width rectangle.
    """
    hull = shapely.minimum_rotated_rectangle(shapely.multipoints(np.asarray(points, dtype=np.float64)))
    coords = np.asarray(hull.exterior.coords if hull.geom_type == "Polygon" else hull.coords, dtype=np.float64)
    if hull.geom_type == "Polygon":
        return coords[:4]
    if len(coords) == 1:
        return np.repeat(coords, 4, axis=0)
    return np.array([coords[0], coords[-1], coords[-1], coords[0]])

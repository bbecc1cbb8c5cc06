"""A slow, obviously exact rasterizer: the oracle for annoconv.raster.

Every pixel centre (c + 0.5, r + 0.5) is tested against every edge with exact integer
arithmetic (all coordinates are floats, i.e. dyadic rationals, so one power-of-two scale turns
them and the pixel centres into Python integers). The rule is the documented one: crossing
parity (even-odd) with half-open ties, an edge counting for centres with y in [y_top, y_bottom)
that lie on or to the right of it, so a centre on a left or top edge is inside and one on a
right or bottom edge outside. Nothing here is shared with the code under test.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from fractions import Fraction

import numpy as np

from annoconv.ir import Box, Item, Mask, Polygon


def _scale(values: Sequence[float]) -> int:
    """A power of two that makes every value and every half-integer an integer."""
    denominator = 2
    for value in values:
        denominator = max(denominator, Fraction(float(value)).denominator)
    return denominator


def region_pixels(rings: Sequence[np.ndarray], height: int, width: int) -> np.ndarray:
    """(height, width) bool: centres inside the rings combined even-odd."""
    coordinates = [float(v) for ring in rings for v in np.asarray(ring, dtype=np.float64).ravel()]
    scale = _scale(coordinates)
    inside = np.zeros((height, width), dtype=bool)
    edges = []
    for ring in rings:
        points = [(int(Fraction(float(x)) * scale), int(Fraction(float(y)) * scale)) for x, y in np.asarray(ring)]
        for k, start in enumerate(points):
            end = points[(k + 1) % len(points)]
            if start[1] == end[1]:
                continue  # horizontal edges never cross a row centre's half-open interval
            top, bottom = (start, end) if start[1] < end[1] else (end, start)
            edges.append((top, bottom))
    half = scale // 2
    for r in range(height):
        py = r * scale + half
        for c in range(width):
            px = c * scale + half
            parity = False
            for (x0, y0), (x1, y1) in edges:
                # (y1 > y0) The centre is on or right of the edge when the cross product is >= 0.
                if y0 <= py < y1 and (px - x0) * (y1 - y0) - (py - y0) * (x1 - x0) >= 0:
                    parity = not parity
            inside[r, c] = parity
    return inside


def annotation_pixels(annotation, height: int, width: int) -> np.ndarray:  # type: ignore[no-untyped-def]
    """Pixels of one area annotation (Box, rotated Box, Polygon regions unioned, Mask)."""
    if isinstance(annotation, Box):
        if annotation.rotated:
            return region_pixels([annotation.corners()], height, width)
        x1, y1, x2, y2 = annotation.xyxy
        return region_pixels([np.array([[x1, y1], [x2, y1], [x2, y2], [x1, y2]])], height, width)
    if isinstance(annotation, Polygon):
        out = np.zeros((height, width), dtype=bool)
        for region in annotation.regions:
            out |= region_pixels(region, height, width)
        return out
    if isinstance(annotation, Mask):
        return annotation.decode().astype(bool)
    raise TypeError(type(annotation))


def paint(item: Item, values: Mapping[int, int], dtype: type = np.uint8, background: int = 0) -> np.ndarray:
    """Index map: annotation k (position in the item) painted with ``values[k]`` in z-order, then
    item order, later over earlier; annotations without a value are not painted."""
    height, width = item.image.size  # type: ignore[misc]
    out = np.full((height, width), background, dtype=dtype)
    order = sorted(values, key=lambda k: (item.annotations[k].z_order or 0, k))
    for k in order:
        out[annotation_pixels(item.annotations[k], height, width)] = values[k]
    return out

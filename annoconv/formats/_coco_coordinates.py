"""Bulk conversion of a COCO file's polygon and keypoint coordinates to float64 numpy arrays.

Converting ~2.5 M coordinates one ring at a time (``np.array`` and checks per ring) costs far
more than one bulk conversion plus a view per ring. The reader creates its Polygon and Keypoints
objects with their raw lists registered here, then :meth:`DeferredCoordinates.resolve` converts
everything at once and fills in the views. The bulk path is all-or-nothing: when any value is not
a finite number or any list is malformed, ``resolve`` returns False and the reader reads the file
again converting each annotation on its own, which is slower but names the exact place of the error.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._numbers import flat_numbers
from ..ir import Keypoints, Polygon

def _bulk(lists: list[list[Any]], width: int, typed: bool) -> np.ndarray | None:
    """All values of ``lists`` as one read-only (M, width) float64 array, or None if any is not a
    finite number. ``typed``: the decoder has already refused non-numbers (bools included)."""
    values = flat_numbers(lists, typed)
    return values.reshape(-1, width) if values is not None else None


def _lengths(lists: list[Any], width: int, min_rows: int) -> np.ndarray | None:
    """Row counts of ``lists`` when all are lists of a multiple of ``width`` values, at least ``min_rows`` rows."""
    if any(type(value) is not list for value in lists):
        return None
    lengths = np.fromiter(map(len, lists), dtype=np.int64, count=len(lists))
    if lengths.size and ((lengths % width).any() or lengths.min() < width * min_rows):
        return None
    return lengths // width


def _views(values: np.ndarray, rows: np.ndarray) -> list[np.ndarray]:
    """Consecutive row slices of ``values``, ``rows[i]`` rows each."""
    ends = np.cumsum(rows)
    return [values[a:b] for a, b in zip((ends - rows).tolist(), ends.tolist())]


class DeferredCoordinates:
    """Polygons and keypoints whose coordinates are filled in by :meth:`resolve`."""

    def __init__(self, typed: bool) -> None:
        self.typed = typed  # all values were type-checked by a typed decode
        # (Polygon, its rings: flat x, y lists), each ring becoming a single-ring region;
        # (Keypoints, its flat x, y, v list). Appended to directly by the reader's hot loop.
        self.polygons: list[tuple[Polygon, list[Any]]] = []
        self.keypoints: list[tuple[Keypoints, list[Any]]] = []

    def resolve(self) -> bool:
        """Convert and fill in everything; False (nothing filled in) when any value is invalid."""
        rings = [ring for _, shape_rings in self.polygons for ring in shape_rings]
        triples = [values for _, values in self.keypoints]
        ring_rows = _lengths(rings, 2, 3)
        points = _bulk(rings, 2, self.typed) if ring_rows is not None else None
        triple_rows = _lengths(triples, 3, 0)
        values = _bulk(triples, 3, self.typed) if triple_rows is not None else None
        if points is None or values is None:
            return False
        visibility = values[:, 2].astype(np.int8)
        if not np.array_equal(visibility, values[:, 2]) or (visibility.size and (
                visibility.min() < 0 or visibility.max() > 2)):
            return False
        visibility.flags.writeable = False
        xy = np.ascontiguousarray(values[:, :2])  # contiguous views: what serializers and C code expect
        xy.flags.writeable = False

        views = _views(points, ring_rows)  # type: ignore[arg-type]
        position = 0
        for shape, shape_rings in self.polygons:
            count = len(shape_rings)
            shape.regions = ((views[position],),) if count == 1 else tuple(
                [(ring,) for ring in views[position:position + count]])
            position += count
        for (target, _), points_xy, vis in zip(self.keypoints, _views(xy, triple_rows),  # type: ignore[arg-type]
                                               _views(visibility, triple_rows)):  # type: ignore[arg-type]
            target.xy, target.visibility = points_xy, vis
        return True

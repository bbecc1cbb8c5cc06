"""Masks back to shapes: polygons that trace pixel edges, and RLE.

:func:`mask_to_polygons` follows the outer edges of the foreground pixels (integer pixel-corner
coordinates), so rasterizing its result under the pixel-centre rule gives back exactly the mask.
Pixels that touch only at a corner become separate regions (or a hole touching its exterior at
a point), as in a valid OGC polygon. With ``tolerance > 0`` the rings are simplified
(Douglas-Peucker, topology preserved) to within ``tolerance`` pixels of the exact outline, and
the round trip is no longer exact.

Ring orientation of the output: exteriors clockwise on screen (y down), holes counter-clockwise.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import shapely

from ..ir import rle

Region = list[np.ndarray]


def row_runs(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Foreground runs of a (h, w) mask: (row, start, stop) with pixels [start, stop) set."""
    binary = np.asarray(mask).astype(bool, copy=False)
    if binary.ndim != 2:
        raise ValueError(f"expected a 2-D (height, width) mask, got shape {binary.shape}")
    height, width = binary.shape
    padded = np.zeros((height, width + 2), dtype=np.int8)
    padded[:, 1:-1] = binary
    change = np.diff(padded, axis=1)
    rows, starts = np.nonzero(change == 1)
    _, stops = np.nonzero(change == -1)
    return rows, starts, stops


def mask_to_polygons(mask: np.ndarray, tolerance: float = 0.0) -> list[Region]:
    """Regions ([exterior, *holes], each an (N, 2) float64 ring, not closed) covering the
    nonzero pixels of a (height, width) mask, in pixel-corner coordinates."""
    rows, starts, stops = row_runs(mask)
    if len(rows) == 0:
        return []
    boxes = shapely.box(starts, rows, stops, rows + 1)
    merged = shapely.union_all(boxes)
    # Tolerance 0 drops only the vertices in the middle of straight pixel edges: still exact.
    merged = shapely.simplify(merged, max(tolerance, 0.0), preserve_topology=True)
    merged = shapely.normalize(merged)  # deterministic vertex order
    regions = []
    for polygon in getattr(merged, "geoms", [merged]):
        if polygon.is_empty or polygon.geom_type != "Polygon":
            continue
        # shapely's sign=1.0 is counter-clockwise with y up, i.e. clockwise on screen (y down).
        polygon = shapely.geometry.polygon.orient(polygon, sign=1.0)
        rings = [np.asarray(polygon.exterior.coords, dtype=np.float64)[:-1]]
        rings += [np.asarray(hole.coords, dtype=np.float64)[:-1] for hole in polygon.interiors]
        regions.append(rings)
    return regions


def mask_to_rle(mask: np.ndarray) -> dict[str, Any]:
    """COCO compressed RLE of the nonzero pixels of a (height, width) mask: ``{"size": [height,
    width], "counts": str}``, as pycocotools' ``encode`` gives it (counts as str, not bytes, so it
    is JSON-ready). For an IR annotation use ``Mask.from_array(mask, label=...)``."""
    array = np.asarray(mask)
    if array.ndim != 2:
        raise ValueError(f"expected a 2-D (height, width) mask, got shape {array.shape}")
    return {"size": [int(array.shape[0]), int(array.shape[1])], "counts": rle.to_string(rle.encode(array))}

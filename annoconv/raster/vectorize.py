"""Masks back to shapes: polygons that trace pixel edges, and RLE.

:func:`mask_to_polygons` follows the outer edges of the foreground pixels (integer pixel-corner
coordinates), so rasterizing its result under the pixel-centre rule gives back exactly the mask.
Pixels that touch only at a corner become separate regions (or a hole touching its exterior at
a point), as in a valid OGC polygon. With ``tolerance > 0`` the rings are simplified
(Douglas-Peucker with that tolerance in pixels, topology preserved): each dropped vertex lies
within ``tolerance`` of the new edges, though the outline as a whole can move a little further
(up to ~1.7 px measured at tolerance 1), and the round trip is no longer exact.

Ring orientation of the output: exteriors clockwise on screen (y down), holes counter-clockwise.
The exact outline is traced with numpy in :mod:`.outline` (the ring order is documented there
and on :func:`mask_to_polygons`); only the simplification goes through shapely.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import shapely

from ..ir import rle
from .outline import outline_regions

Region = list[np.ndarray]


def mask_to_polygons(mask: np.ndarray, tolerance: float = 0.0) -> list[Region]:
    """Regions ([exterior, *holes], each an (N, 2) float64 ring, not closed) covering the
    nonzero pixels of a (height, width) mask, in pixel-corner coordinates.

    Order: regions by their first pixel in raster order (row, then column), each exterior before
    its holes, holes by their first pixel; each ring starts at its first vertex in raster order
    (smallest y, then x). With ``tolerance > 0`` the same regions, simplified, in the same order."""
    binary = np.asarray(mask)
    if binary.ndim != 2:
        raise ValueError(f"expected a 2-D (height, width) mask, got shape {binary.shape}")
    regions = outline_regions(binary)
    if tolerance > 0 and regions:
        regions = _simplified(regions, tolerance)
    return regions


def _simplified(regions: list[Region], tolerance: float) -> list[Region]:
    """Douglas-Peucker within ``tolerance`` px with the topology preserved (no ring collapses or
    crosses another), through shapely; rings re-oriented as the exact ones."""
    shapes = shapely.MultiPolygon([shapely.Polygon(region[0], region[1:]) for region in regions])
    simple = shapely.simplify(shapes, tolerance, preserve_topology=True)
    out = []
    for polygon in getattr(simple, "geoms", [simple]):
        if polygon.is_empty or polygon.geom_type != "Polygon":
            continue
        # shapely's sign=1.0 is counter-clockwise with y up, i.e. clockwise on screen (y down).
        polygon = shapely.geometry.polygon.orient(polygon, sign=1.0)
        rings = [np.asarray(polygon.exterior.coords, dtype=np.float64)[:-1]]
        rings += [np.asarray(hole.coords, dtype=np.float64)[:-1] for hole in polygon.interiors]
        out.append(rings)
    return out


def mask_to_rle(mask: np.ndarray) -> dict[str, Any]:
    """COCO compressed RLE of the nonzero pixels of a (height, width) mask: ``{"size": [height,
    width], "counts": str}``, as pycocotools' ``encode`` gives it (counts as str, not bytes, so it
    is JSON-ready). For an IR annotation use ``Mask.from_array(mask, label=...)``."""
    array = np.asarray(mask)
    if array.ndim != 2:
        raise ValueError(f"expected a 2-D (height, width) mask, got shape {array.shape}")
    return {"size": [int(array.shape[0]), int(array.shape[1])], "counts": rle.to_string(rle.encode(array))}

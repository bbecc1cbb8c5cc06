"""Burn shapes into pixel masks.

Pixel rule (DESIGN §7), independent of ring orientation: pixel (c, r) belongs to a shape when
its centre (c + 0.5, r + 0.5) lies inside it. A centre exactly on a left or top edge is
inside, on a right or bottom edge outside, so that shapes sharing an edge never share a pixel
and an integer box [10, 12, 50, 40] covers columns 10..49 and rows 12..39 (1,120 px).
Within one region, the exterior and its holes are combined by the even-odd rule (a
self-intersecting ring is filled even-odd too); the regions of one polygon are unioned.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def region_mask(rings: Sequence[np.ndarray], height: int, width: int) -> np.ndarray:
    """(height, width) uint8 0/1 mask of one region (exterior and holes, even-odd) by exact scanlines."""
    mask = np.zeros((height, width + 1), dtype=np.int32)
    starts = [np.asarray(ring, dtype=np.float64) for ring in rings]
    p0 = np.concatenate(starts)
    p1 = np.concatenate([np.roll(ring, -1, axis=0) for ring in starts])
    y0, y1 = p0[:, 1], p1[:, 1]
    low, high = np.minimum(y0, y1), np.maximum(y0, y1)
    # Rows whose centre y = r + 0.5 lies in [low, high): half-open, so a vertex is counted once.
    first = np.maximum(np.ceil(low - 0.5), 0).astype(np.int64)
    last = np.minimum(np.ceil(high - 0.5), height).astype(np.int64)  # exclusive
    spans = np.maximum(last - first, 0)
    if not spans.sum():
        return mask[:, :width].astype(np.uint8)
    edge = np.repeat(np.arange(len(p0)), spans)
    rows = np.repeat(first, spans) + (np.arange(spans.sum()) - np.repeat(np.cumsum(spans) - spans, spans))
    yc = rows + 0.5
    t = (yc - y0[edge]) / (y1[edge] - y0[edge])
    xs = p0[edge, 0] + t * (p1[edge, 0] - p0[edge, 0])
    # Centre c + 0.5 is right of a crossing at x when c >= ceil(x - 0.5): toggle parity from there.
    cols = np.clip(np.ceil(xs - 0.5), 0, width).astype(np.int64)
    np.add.at(mask, (rows, cols), 1)
    parity = np.cumsum(mask, axis=1, dtype=np.int32) & 1
    return parity[:, :width].astype(np.uint8)


def polygon_mask(regions: Sequence[Sequence[np.ndarray]], height: int, width: int) -> np.ndarray:
    """(height, width) uint8 0/1 mask of a polygon's regions (each [exterior, *holes]), unioned."""
    out = np.zeros((height, width), dtype=np.uint8)
    for region in regions:
        out |= region_mask(region, height, width)
    return out

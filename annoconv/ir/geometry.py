"""Vectorized box and polygon math on float64 numpy arrays.

Conventions (the IR's, see DESIGN §3): absolute pixel coordinates, origin at the top-left
corner of pixel (0, 0), x to the right, y down; pixel (c, r) covers [c, c+1) x [r, r+1).

Box layouts, each along the last axis of an (..., 4) array:
- ``xyxy``   = (x1, y1, x2, y2), corners;
- ``xywh``   = (x1, y1, width, height), COCO;
- ``cxcywh`` = (centre x, centre y, width, height), YOLO (normalized by the image size).

Angles are in degrees about the box centre, positive = clockwise on screen (y down),
as FastLabel's ``rotation``. A ring's signed area (shoelace) is positive when the ring
runs clockwise on screen.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

ArrayF = np.ndarray


def xywh_to_xyxy(boxes: ArrayF) -> ArrayF:
    b = np.asarray(boxes, dtype=np.float64)
    return np.concatenate([b[..., :2], b[..., :2] + b[..., 2:4]], axis=-1)


def xyxy_to_xywh(boxes: ArrayF) -> ArrayF:
    b = np.asarray(boxes, dtype=np.float64)
    return np.concatenate([b[..., :2], b[..., 2:4] - b[..., :2]], axis=-1)


def xyxy_to_cxcywh(boxes: ArrayF) -> ArrayF:
    b = np.asarray(boxes, dtype=np.float64)
    return np.concatenate([(b[..., :2] + b[..., 2:4]) / 2, b[..., 2:4] - b[..., :2]], axis=-1)


def cxcywh_to_xyxy(boxes: ArrayF) -> ArrayF:
    b = np.asarray(boxes, dtype=np.float64)
    half = b[..., 2:4] / 2
    return np.concatenate([b[..., :2] - half, b[..., :2] + half], axis=-1)


def normalize(points: ArrayF, width: float, height: float) -> ArrayF:
    """Absolute pixel x, y pairs (..., 2k) to fractions of the image size."""
    p = np.asarray(points, dtype=np.float64)
    return p / np.resize(np.array([width, height], dtype=np.float64), p.shape[-1])


def denormalize(points: ArrayF, width: float, height: float) -> ArrayF:
    """Fractions of the image size (..., 2k) to absolute pixel x, y pairs."""
    p = np.asarray(points, dtype=np.float64)
    return p * np.resize(np.array([width, height], dtype=np.float64), p.shape[-1])


def clip_points(points: ArrayF, width: float, height: float) -> tuple[ArrayF, int]:
    """Clip x, y pairs (..., 2k) into [0, width] x [0, height]; return them and how many values moved."""
    p = np.asarray(points, dtype=np.float64)
    upper = np.resize(np.array([width, height], dtype=np.float64), p.shape[-1])
    clipped = np.clip(p, 0.0, upper)
    return clipped, int(np.count_nonzero(clipped != p))


def box_area(xyxy: ArrayF) -> ArrayF:
    b = np.asarray(xyxy, dtype=np.float64)
    return (b[..., 2] - b[..., 0]) * (b[..., 3] - b[..., 1])


def rotated_box_corners(xyxy: ArrayF, angle: ArrayF | float) -> ArrayF:
    """Corners (..., 4, 2) of boxes rotated by ``angle`` degrees clockwise on screen about their centres.

    Order: the unrotated top-left, top-right, bottom-right, bottom-left corners, each rotated.
    """
    b = np.asarray(xyxy, dtype=np.float64)
    theta = np.deg2rad(np.asarray(angle, dtype=np.float64))[..., None]
    centre = (b[..., :2] + b[..., 2:4]) / 2
    half_w = (b[..., 2] - b[..., 0])[..., None] / 2
    half_h = (b[..., 3] - b[..., 1])[..., None] / 2
    dx = np.concatenate([-half_w, half_w, half_w, -half_w], axis=-1)
    dy = np.concatenate([-half_h, -half_h, half_h, half_h], axis=-1)
    cos, sin = np.cos(theta), np.sin(theta)
    x = centre[..., 0:1] + dx * cos - dy * sin
    y = centre[..., 1:2] + dx * sin + dy * cos
    return np.stack([x, y], axis=-1)


def rotated_box_bounds(xyxy: ArrayF, angle: ArrayF | float) -> ArrayF:
    """Axis-aligned xyxy bounds (..., 4) of rotated boxes."""
    corners = rotated_box_corners(xyxy, angle)
    return np.concatenate([corners.min(axis=-2), corners.max(axis=-2)], axis=-1)


def points_bounds(points: ArrayF) -> ArrayF:
    """xyxy bounds of an (N, 2) point array (N >= 1)."""
    p = np.asarray(points, dtype=np.float64)
    return np.concatenate([p.min(axis=0), p.max(axis=0)])


def many_points_bounds(point_sets: Sequence[ArrayF]) -> ArrayF:
    """xyxy bounds (N, 4) of N point arrays (M_i >= 1, 2) at once (one reduction over all points)."""
    if not len(point_sets):
        return np.zeros((0, 4))
    lengths = np.fromiter((len(points) for points in point_sets), dtype=np.int64, count=len(point_sets))
    starts = np.concatenate([[0], np.cumsum(lengths[:-1])])
    return run_bounds(np.concatenate(point_sets).astype(np.float64, copy=False), starts)


def run_bounds(points: ArrayF, starts: np.ndarray) -> ArrayF:
    """xyxy bounds (N, 4) of the runs of an (M, 2) point array that begin at ``starts`` (ascending,
    each run non-empty, the last one running to the end)."""
    return np.concatenate([np.minimum.reduceat(points, starts), np.maximum.reduceat(points, starts)], axis=1)


def ring_signed_area(ring: ArrayF) -> float:
    """Shoelace area of a ring (N, 2), open or closed; positive when clockwise on screen (y down)."""
    r = np.asarray(ring, dtype=np.float64)
    # Relative to the first vertex: keeps precision for huge coordinates.
    x = r[:, 0] - r[0, 0]
    y = r[:, 1] - r[0, 1]
    return float(x[:-1] @ y[1:] - x[1:] @ y[:-1] + x[-1] * y[0] - x[0] * y[-1]) / 2.0


def polygon_area(regions: Sequence[Sequence[ArrayF]]) -> float:
    """Area of regions, each [exterior, *holes]: exteriors added, holes subtracted, orientation ignored.

    Regions are assumed not to overlap each other (overlapping parts are counted twice).
    """
    total = 0.0
    for region in regions:
        total += abs(ring_signed_area(region[0]))
        for hole in region[1:]:
            total -= abs(ring_signed_area(hole))
    return total


def oriented_ring(ring: ArrayF, clockwise: bool) -> ArrayF:
    """The ring itself if it already runs as asked (on screen), else its reversal."""
    return ring if (ring_signed_area(ring) >= 0) == clockwise else ring[::-1]

"""Deferred coordinates of the FastLabel task reader: every number converted in one bulk pass.

Converting coordinates one annotation at a time (``np.array`` and checks per list) costs far more
than one conversion of all of them plus a read-only view per geometry. The reader registers each
annotation's IR objects with their raw number lists (:meth:`DeferredCoordinates.part`);
:meth:`DeferredCoordinates.resolve` converts everything at once and fills the geometry in. When
some value is not a finite number, the annotations are checked one by one, the bad ones handed to
the reader (which raises or skips them) and the rest converted in bulk again.

Coordinates are FastLabel's, which are the IR's: float64 absolute pixels, pixel-corner origin.
"""

from __future__ import annotations

from collections.abc import Callable
from itertools import chain
from math import isfinite
from typing import Any

import numpy as np

from annoconv._numbers import NUMBER_TYPES, flat_numbers
from annoconv.ir import Box, Item, Keypoints
from annoconv.report import Code, Report, Severity

from .mapping_labels import kind_of

BOX, POLYGON, SEGMENTATION, LINE, POINT, POSE = range(6)


class Pending:
    """One FastLabel annotation whose IR objects wait for their coordinates: ``parts`` are
    (kind, IR object, index of its first chunk, structure: segmentation ring counts per region,
    pose (label rows of the placed points, K, their positions in the source list))."""

    __slots__ = ("item", "location", "objects", "parts", "describe")

    def __init__(self, item: Item, location: str, describe: str) -> None:
        self.item, self.location, self.describe = item, location, describe
        self.objects: list[Any] = []
        self.parts: list[tuple[int, Any, int, Any]] = []


class DeferredCoordinates:
    """Number lists registered by the reader, converted and assigned by :meth:`resolve`."""

    def __init__(self) -> None:
        # Every x, y list (and apart, every pose's [x, y, v] list), in order; views are cut from one array.
        self.chunks: list[list[Any]] = []
        self.pose_chunks: list[list[Any]] = []
        self.pending: list[Pending] = []

    def part(self, pending: Pending, kind: int, obj: Any, chunks: list[list[Any]], structure: Any) -> None:
        """Register ``obj``'s coordinate lists: x, y pairs in ``chunks``, pose [x, y, v] triples apart."""
        pending.objects.append(obj)
        target = self.pose_chunks if kind == POSE else self.chunks
        pending.parts.append((kind, obj, len(target), structure))
        target.extend(chunks)

    def resolve(self, report: Report, bad: Callable[[Pending, str, str], None]) -> None:
        """Convert every pending coordinate at once and fill in the geometry; ``bad(pending, JSON path
        suffix, problem)`` is called for each annotation with a value that is not a finite number
        (it raises, or the annotation is left out)."""
        values, triples = _bulk(self.chunks), _bulk(self.pose_chunks, 3)
        if values is None or triples is None:
            self._drop_bad(bad)
            values, triples = _bulk(self.chunks), _bulk(self.pose_chunks, 3)
            assert values is not None and triples is not None, "every remaining coordinate was checked"
        pairs = values.reshape(-1, 2)  # every chunk holds whole x, y pairs
        rows = np.fromiter(map(len, self.chunks), dtype=np.int64, count=len(self.chunks)) // 2
        ends = np.cumsum(rows).tolist()
        starts = (np.cumsum(rows) - rows).tolist()
        boxes: list[Box] = []
        box_rows: list[int] = []
        poses: list[tuple[Keypoints, Any]] = []
        for pending in self.pending:
            for kind, obj, first, structure in pending.parts:
                if kind == POLYGON:
                    obj.regions = ((pairs[starts[first]:ends[first]],),)
                elif kind == BOX:
                    boxes.append(obj)
                    box_rows.append(starts[first])
                elif kind == SEGMENTATION:
                    regions, chunk = [], first
                    for count in structure:
                        regions.append(tuple([pairs[starts[c]:ends[c]] for c in range(chunk, chunk + count)]))
                        chunk += count
                    obj.regions = tuple(regions)
                elif kind == LINE:
                    obj.points = pairs[starts[first]:ends[first]]
                elif kind == POINT:
                    obj.xy = pairs[starts[first]]
                else:  # pose chunks are registered in this same order
                    poses.append((obj, structure))
        if boxes:
            _fill_boxes(boxes, pairs, box_rows, report)
        if poses:
            _fill_poses(poses, triples.reshape(-1, 3))
        self.chunks, self.pose_chunks, self.pending = [], [], []

    def _drop_bad(self, bad: Callable[[Pending, str, str], None]) -> None:
        chunks, pose_chunks, pendings = self.chunks, self.pose_chunks, self.pending
        self.chunks, self.pose_chunks, self.pending = [], [], []
        for pending in pendings:
            parts = [(kind, obj, (pose_chunks if kind == POSE else chunks)[first:first + _chunk_count(kind, structure)],
                      structure) for kind, obj, first, structure in pending.parts]
            problem = _first_bad(parts)
            if problem is not None:
                bad(pending, *problem)
                continue
            pending.parts, pending.objects = [], []  # registered again, in the new chunk lists
            for kind, obj, own, structure in parts:
                self.part(pending, kind, obj, own, structure)
            self.pending.append(pending)


def _fill_boxes(boxes: list[Box], pairs: np.ndarray, rows: list[int], report: Report) -> None:
    """xyxy = the min/max corners of all boxes at once (one read-only (B, 4) array, a row per box)."""
    corners = pairs[np.asarray(rows, dtype=np.int64)[:, None] + np.arange(2)]  # (B, 2 corners, x y)
    xyxy = np.concatenate([corners.min(axis=1), corners.max(axis=1)], axis=1)
    xyxy.flags.writeable = False
    for box, row in zip(boxes, xyxy):
        box.xyxy = row
    swapped = int(np.count_nonzero((corners[:, 0] > corners[:, 1]).any(axis=1)))
    if swapped:
        report.add(Code.GEOMETRY_CONVERTED, "bbox given from bottom-right to top-left: corners swapped (same box)",
                   severity=Severity.INFO, count=swapped)


def _chunk_count(kind: int, structure: Any) -> int:
    return sum(structure) if kind == SEGMENTATION else 1


def _bulk(chunks: list[list[Any]], width: int = 2) -> np.ndarray | None:
    """All values of ``chunks`` as one read-only float64 array, or None if any is not a finite
    number; ``width`` 3: [x, y, v] triples, whose v must also be 0 or 1."""
    values = flat_numbers(chunks)
    if values is None:
        return None
    if width == 3:
        visibility = values[2::3]
        if not ((visibility == 0) | (visibility == 1)).all():
            return None
    return values


def _first_bad(parts: list[tuple[int, Any, list[list[Any]], Any]]) -> tuple[str, str] | None:
    """(JSON path suffix, problem) of the first coordinate of ``parts`` that is not a finite number."""
    for kind, _, chunks, structure in parts:
        for position, chunk in enumerate(chunks):
            for i, value in enumerate(chunk):
                if type(value) in NUMBER_TYPES and isfinite(value):
                    if kind != POSE or i % 3 != 2 or value == 0 or value == 1:
                        continue
                    problem = f"keypoint visibility must be 1 (visible) or 0 (invisible), got {value!r}"
                else:
                    problem = f"coordinates must be finite numbers, got {value!r}" if type(value) in NUMBER_TYPES else \
                        f"coordinates must be numbers, got {kind_of(value)}"
                return _value_path(kind, structure, position, i), problem
    return None


def _value_path(kind: int, structure: Any, chunk: int, index: int) -> str:
    """The JSON path suffix of value ``index`` of a part's chunk number ``chunk``."""
    if kind == SEGMENTATION:
        for region, count in enumerate(structure):
            if chunk < count:
                return f".points[{region}][{chunk}][{index}]"
            chunk -= count
    if kind == POSE:
        return f".keypoints[{structure[2][index // 3]}].value[{index % 3}]"
    return f".points[{index}]"


def _fill_poses(poses: list[tuple[Keypoints, Any]], triples: np.ndarray) -> None:
    """xy (K, 2) and COCO visibility (K,) of every pose at once, as views into two arrays: FastLabel
    [x, y, 1] -> visibility 2, [x, y, 0] -> 1, unplaced -> 0 at (0, 0). ``triples`` are the placed
    points of all poses, pose after pose; structure = (the label rows they go to, K, ...)."""
    counts = np.fromiter((structure[1] for _, structure in poses), dtype=np.int64, count=len(poses))
    ends = np.cumsum(counts)
    bases = (ends - counts).tolist()
    targets = np.fromiter(chain.from_iterable(
        [base + row for row in structure[0]] for (_, structure), base in zip(poses, bases)), dtype=np.int64,
        count=len(triples))
    xy = np.zeros((int(ends[-1]), 2), dtype=np.float64)
    visibility = np.zeros(len(xy), dtype=np.int8)
    xy[targets] = triples[:, :2]
    visibility[targets] = np.where(triples[:, 2] == 1, 2, 1)
    xy.flags.writeable = False
    visibility.flags.writeable = False
    for (obj, _), start, end in zip(poses, bases, ends.tolist()):
        obj.xy, obj.visibility = xy[start:end], visibility[start:end]

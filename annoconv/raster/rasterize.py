"""Burn an item's shapes into an index map.

Pixel rule (DESIGN §7), independent of ring orientation: pixel (c, r) belongs to a shape when
its centre (c + 0.5, r + 0.5) lies inside it; a centre exactly on a left or top edge is inside,
on a right or bottom edge outside, so shapes sharing an edge never share a pixel and an integer
box [10, 12, 50, 40] covers columns 10..49 and rows 12..39 (1,120 px). Within one polygon
region the exterior and its holes combine by the even-odd rule (a self-intersecting ring is
filled even-odd as well); the regions of one polygon are unioned. RLE masks are painted as they
are. Coordinates are IR pixel-corner coordinates (origin at the top-left image corner).

Overlaps: annotations are painted in order of ``z_order`` (missing = 0), then of their position
in the item; a later one overwrites an earlier one. Nothing is combined by bitwise OR.

Polylines, points and keypoints have no area: they are skipped (and reported) unless a
``line_width`` is given, in which case they are drawn with OpenCV as lines of that width and
dots of that diameter (an approximation, not the centre rule).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

import cv2
import numpy as np

from ..errors import SchemaError
from ..ir import Annotation, Box, Item, Keypoints, LabelSet, Mask, Point, Polygon, Polyline
from ..report import Code, Report
from .spans import shape_spans
from .staircase import contours

Mode = Literal["semantic", "instance"]
CrowdPolicy = Literal["class", "ignore", "skip"]
AREA_KINDS = (Box, Polygon, Mask)
LINE_KINDS = (Polyline, Point, Keypoints)
_SUBPIXEL_BITS = 8  # OpenCV fixed-point fraction bits for lines and dots


def drawable(annotation: Annotation, line_width: float | None = None) -> bool:
    """Whether rasterization paints this annotation (areas always; lines and points with a width)."""
    return isinstance(annotation, AREA_KINDS) or (line_width is not None and isinstance(annotation, LINE_KINDS))


def class_indices(labels: LabelSet | Sequence[str], start: int = 1) -> dict[str, int]:
    """Label name -> class index, in label order from ``start`` (0 is usually the background)."""
    names = labels.names() if isinstance(labels, LabelSet) else list(labels)
    return {name: start + i for i, name in enumerate(names)}


@dataclass
class Plan:
    """What to paint on one item: ``steps`` (annotation, value) in paint order, on a
    ``background``-filled (height, width) array of ``dtype``."""

    item: Item
    steps: list[tuple[Annotation, int]]
    background: int
    dtype: type
    line_width: float | None = None

    @property
    def size(self) -> tuple[int, int]:
        return item_size(self.item)


def rasterize(item: Item, labels: LabelSet | Mapping[str, int] | None = None, mode: Mode = "semantic", *,
              background: int = 0, crowd: CrowdPolicy = "ignore", ignore_value: int = 255,
              line_width: float | None = None, dtype: type | None = None,
              report: Report | None = None) -> np.ndarray:
    """(height, width) index map of ``item`` under the pixel-centre rule.

    ``mode="semantic"``: each pixel holds the class index of the topmost shape covering it.
    ``labels`` is a LabelSet (indices 1, 2, ... in its order) or an explicit name -> index mapping;
    crowd regions get ``ignore_value`` (``crowd="ignore"``, the default), their class
    (``"class"``), or are left out (``"skip"``). ``mode="instance"``: the k-th drawn annotation
    (in item order) holds k (1-based); crowd regions are instances too with ``crowd="class"``,
    else painted ``ignore_value`` or left out. The dtype is uint8 when every value fits, else
    uint16. The image size comes from ``item.image``; a missing one is a SchemaError.
    """
    if mode == "semantic":
        index = (labels if isinstance(labels, Mapping)
                 else class_indices(labels if labels is not None else _labels_in(item)))
        plan = plan_semantic(item, index, background=background, crowd=crowd, ignore_value=ignore_value,
                             line_width=line_width, dtype=dtype, report=report)
    elif mode == "instance":
        plan = plan_instances(item, background=background, crowd="instance" if crowd == "class" else crowd,
                              ignore_value=ignore_value, line_width=line_width, dtype=dtype, report=report)
    else:
        raise ValueError(f"mode must be 'semantic' or 'instance', got {mode!r}")
    return burn([plan])[0]


def _labels_in(item: Item) -> list[str]:
    return list(dict.fromkeys(a.label for a in item.annotations if a.label is not None and drawable(a)))


def item_size(item: Item) -> tuple[int, int]:
    """(height, width) of the item's image, or a SchemaError naming the item."""
    size = item.image.size
    if size is None:
        raise SchemaError("the image size is unknown and is needed to rasterize", item=item.describe())
    return size


def plan_semantic(item: Item, class_index: Mapping[str, int], *, background: int = 0,
                  crowd: CrowdPolicy = "ignore", ignore_value: int = 255, line_width: float | None = None,
                  dtype: type | None = None, report: Report | None = None) -> Plan:
    """Semantic plan; see :func:`rasterize`. Labels missing from ``class_index`` are reported
    (``label-unknown``) and not painted."""
    steps: list[tuple[Annotation, int]] = []
    for annotation in _paintable(item, line_width, report):
        if annotation.iscrowd and crowd != "class":
            if crowd == "ignore":
                steps.append((annotation, ignore_value))
            continue
        value = class_index.get(annotation.label) if annotation.label is not None else None
        if value is None:
            if report is not None:
                report.add(Code.LABEL_UNKNOWN, f"label {annotation.label!r} has no class index: not painted",
                           item=item.id, annotation=annotation.id)
            continue
        steps.append((annotation, value))
    top = max([value for _, value in steps] + [background])
    return Plan(item, _paint_order(steps), background, dtype or _dtype_for(top), line_width)


def plan_instances(item: Item, *, background: int = 0, crowd: str = "instance", ignore_value: int | None = None,
                   line_width: float | None = None, dtype: type | None = None,
                   report: Report | None = None) -> Plan:
    """Instance plan: the k-th painted annotation (item order, 1-based) gets ``background + k``.

    ``crowd``: "instance" (crowd regions are instances too), "ignore" (painted ``ignore_value``,
    by default the dtype's largest value) or "skip". Never saturates: uint16 above 255 values,
    and a SchemaError above 65,535.
    """
    steps: list[tuple[Annotation, int]] = []
    crowd_regions: list[Annotation] = []
    for annotation in _paintable(item, line_width, report):
        if annotation.iscrowd and crowd != "instance":
            if crowd == "ignore":
                crowd_regions.append(annotation)
            continue
        steps.append((annotation, background + len(steps) + 1))
    top = background + len(steps) + (1 if crowd_regions else 0)
    chosen = dtype or _dtype_for(top)
    if top > np.iinfo(chosen).max:
        raise SchemaError(f"{len(steps)} instances do not fit in {np.dtype(chosen).name}", item=item.describe())
    if crowd_regions:
        ignore = ignore_value if ignore_value is not None else int(np.iinfo(chosen).max)
        if background < ignore <= background + len(steps):
            raise SchemaError(f"ignore value {ignore} collides with an instance index", item=item.describe())
        position = {id(a): i for i, a in enumerate(item.annotations)}
        steps = sorted(steps + [(a, ignore) for a in crowd_regions], key=lambda step: position[id(step[0])])
    return Plan(item, _paint_order(steps), background, chosen, line_width)


def _paint_order(steps: list[tuple[Annotation, int]]) -> list[tuple[Annotation, int]]:
    # z_order first, then position in the item (Python's sort is stable).
    return sorted(steps, key=lambda step: step[0].z_order or 0)


def _dtype_for(top: int) -> type:
    return np.uint8 if top <= 255 else np.uint16


def _paintable(item: Item, line_width: float | None, report: Report | None) -> list[Annotation]:
    out = []
    for annotation in item.annotations:
        if drawable(annotation, line_width):
            out.append(annotation)
        elif isinstance(annotation, LINE_KINDS) and report is not None:
            report.add(Code.UNSUPPORTED_KIND, f"{type(annotation).__name__} annotations have no area: not painted "
                       "(give a line width to draw them)", item=item.id, annotation=annotation.id)
    return out


def burn(plans: Sequence[Plan]) -> list[np.ndarray]:
    """Index maps of several plans. Spans of all their polygons are computed in one vectorized
    pass (the per-call overhead of numpy would otherwise dominate small images)."""
    rings: list[np.ndarray] = []
    ring_shape: list[int] = []
    shape_size: list[tuple[int, int]] = []
    shape_ranges: list[dict[int, range]] = []  # per plan: step -> its shapes
    for plan in plans:
        size = plan.size
        ranges: dict[int, range] = {}
        for step, (annotation, _) in enumerate(plan.steps):
            kind = type(annotation)
            if kind is Polygon:
                regions = annotation.regions  # type: ignore[attr-defined]
            elif kind is Box and annotation.rotated:  # type: ignore[attr-defined]
                regions = ((annotation.corners(),),)  # type: ignore[attr-defined]
            else:
                continue
            first = len(shape_size)
            for region in regions:  # regions are separate shapes: unioned by painting each
                rings.extend(region)
                ring_shape.extend([len(shape_size)] * len(region))
                shape_size.append(size)
            ranges[step] = range(first, len(shape_size))
        shape_ranges.append(ranges)
    sizes = np.array(shape_size, dtype=np.int64).reshape(-1, 2)
    spans = shape_spans(rings, np.array(ring_shape, dtype=np.int64), sizes[:, 0], sizes[:, 1])
    vertices, offsets, contour_shape = contours(spans)
    bounds = np.searchsorted(contour_shape, np.arange(len(shape_size) + 1)).tolist()
    offsets = offsets.tolist()
    return [_paint(plan, ranges, vertices, offsets, bounds) for plan, ranges in zip(plans, shape_ranges)]


def _paint(plan: Plan, ranges: dict[int, range], vertices: np.ndarray, offsets: list[int],
           bounds: list[int]) -> np.ndarray:
    array = np.full(plan.size, plan.background, dtype=plan.dtype)
    for step, (annotation, value) in enumerate(plan.steps):
        kind = type(annotation)
        if kind is Box and not annotation.rotated:  # type: ignore[attr-defined]
            _paint_box(array, annotation.xyxy, value)  # type: ignore[attr-defined]
        elif kind is Mask:
            _paint_mask(array, annotation, value, plan.item)  # type: ignore[arg-type]
        elif kind in LINE_KINDS:
            _paint_line(array, annotation, value, plan.line_width or 1.0)
        else:
            for shape in ranges.get(step, ()):
                first, last = bounds[shape], bounds[shape + 1]
                if last > first:
                    cv2.fillPoly(array, [vertices[offsets[k]:offsets[k + 1]] for k in range(first, last)],
                                 int(value), cv2.LINE_8)
    return array


def _paint_box(array: np.ndarray, xyxy: np.ndarray, value: int) -> None:
    # Columns whose centre c + 0.5 lies in [x1, x2): ceil(x1 - 0.5) .. ceil(x2 - 0.5) - 1.
    height, width = array.shape
    x1, y1, x2, y2 = np.ceil(np.asarray(xyxy) - 0.5)
    c1, c2 = int(min(max(x1, 0), width)), int(min(max(x2, 0), width))
    r1, r2 = int(min(max(y1, 0), height)), int(min(max(y2, 0), height))
    array[r1:r2, c1:c2] = value


def _paint_mask(array: np.ndarray, mask: Mask, value: int, item: Item) -> None:
    if tuple(mask.size) != array.shape:
        raise SchemaError(f"RLE mask size {list(mask.size)} differs from the image size "
                          f"{list(array.shape)} (height, width)", item=item.describe(),
                          location=f"annotation {mask.id!r}" if mask.id is not None else None)
    np.copyto(array, value, where=mask.decode().view(bool), casting="unsafe")


def _paint_line(array: np.ndarray, annotation: Annotation, value: int, line_width: float) -> None:
    scale = 1 << _SUBPIXEL_BITS
    thickness = max(1, int(round(line_width)))
    if isinstance(annotation, Polyline):
        # OpenCV's coordinates are pixel centres: subtract half a pixel from the IR's corners.
        points = np.round((annotation.points - 0.5) * scale).astype(np.int32)
        cv2.polylines(array, [points], False, int(value), thickness, cv2.LINE_8, _SUBPIXEL_BITS)
        return
    if isinstance(annotation, Point):
        xy = annotation.xy.reshape(1, 2)
    else:
        xy = annotation.xy[annotation.visibility > 0]  # type: ignore[attr-defined]
    radius = max(1, int(round(line_width / 2 * scale)))
    for x, y in np.round((xy - 0.5) * scale).astype(np.int64):
        cv2.circle(array, (int(x), int(y)), radius, int(value), -1, cv2.LINE_8, _SUBPIXEL_BITS)


def polygon_mask(regions: Sequence[Sequence[np.ndarray]], height: int, width: int) -> np.ndarray:
    """(height, width) uint8 0/1 mask of a polygon's regions (each [exterior, *holes]), unioned."""
    rings = [np.asarray(ring, dtype=np.float64) for region in regions for ring in region]
    ring_shape = np.repeat(np.arange(len(regions)), [len(region) for region in regions])
    out = np.zeros((height, width), dtype=np.uint8)
    vertices, offsets, _ = contours(shape_spans(rings, ring_shape, height, width))
    # Regions are separate shapes: paint them one call each (one call would combine them even-odd).
    for k in range(len(offsets) - 1):
        cv2.fillPoly(out, [vertices[offsets[k]:offsets[k + 1]]], 1, cv2.LINE_8)
    return out


def region_mask(rings: Sequence[np.ndarray], height: int, width: int) -> np.ndarray:
    """(height, width) uint8 0/1 mask of one region (exterior and holes, even-odd)."""
    return polygon_mask([rings], height, width)

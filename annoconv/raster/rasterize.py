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

Painting can lose more than the conversion to pixels itself: :func:`paint_notes` lists shapes
clipped at the image border, outside it, too small to cover a pixel centre, and instances hidden
under later shapes, as Report entries (``coordinate-clipped``, ``precision-reduced``).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import cv2
import numpy as np
import shapely

from ..errors import SchemaError
from ..ir import Annotation, Box, Item, Keypoints, LabelSet, Mask, Point, Polygon, Polyline, geometry
from ..ir.annotations import doubled_objects
from ..report import Code, Report
from .png import framed_map
from .spans import Spans, compiled, paint_spans, ring_spans, shape_spans
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
    instances: bool = False  # values number instances (each used once) rather than classes
    ignore: int | None = None  # the value crowd regions are painted with, when they are
    empty: list[int] = field(default_factory=list)  # filled by burn(): steps that painted no pixel
    extents: dict[int, tuple[float, float, float, float]] = field(default_factory=dict)  # burn(): polygon bounds
    # burn(), instance plans: columns c1..c2-1 and rows r1..r2-1 holding the pixels a polygon step painted
    pixels: dict[int, tuple[int, int, int, int]] = field(default_factory=dict)
    keep_spans: bool = False  # burn() keeps each polygon step's spans in ``spans`` (for pixel counts)
    spans: dict[int, Spans] = field(default_factory=dict)  # shape = the region's number within the step

    @property
    def size(self) -> tuple[int, int]:
        return item_size(self.item)

    def bounds(self, step: int) -> tuple[float, float, float, float]:
        """xyxy bounds of a step's annotation (one with geometry): burn() records those of polygons
        and rotated boxes."""
        if step in self.extents:
            return self.extents[step]
        x1, y1, x2, y2 = self.steps[step][0].bounds().tolist()
        return x1, y1, x2, y2


def rasterize(item: Item, labels: LabelSet | Mapping[str, int] | None = None, mode: Mode = "semantic", *,
              background: int = 0, crowd: CrowdPolicy | None = None, ignore_value: int | None = None,
              line_width: float | None = None, dtype: type | None = None,
              report: Report | None = None) -> np.ndarray:
    """(height, width) index map of ``item`` under the pixel-centre rule.

    ``mode="semantic"``: each pixel holds the class index of the topmost shape covering it.
    ``labels`` is a LabelSet (indices 1, 2, ... in its order) or an explicit name -> index mapping
    (default: the item's drawable labels in order of appearance, from 1). Crowd regions get
    ``ignore_value`` (default 255) with ``crowd="ignore"`` (the default), their class with
    ``"class"``, or are left out with ``"skip"``.

    ``mode="instance"``: the k-th drawable annotation (in item order) holds ``background + k``.
    Crowd regions are instances too by default (``crowd="class"``); with ``"ignore"`` they are
    painted ``ignore_value`` (default: the dtype's largest value) and not numbered, with
    ``"skip"`` left out.

    The dtype is uint8 when every value fits, else uint16 (never saturated). Polylines, points
    and keypoints are drawn only with a ``line_width``, else skipped and reported as
    ``unsupported-kind`` in ``report``; so are shapes clipped at the image border or lying outside
    it (``coordinate-clipped``), covering no pixel centre or, in instance maps, hidden under later
    shapes (``precision-reduced``). The image size comes from ``item.image``; a missing one, or an
    RLE mask of another size, is a SchemaError naming the item.
    """
    if crowd not in (None, "ignore", "class", "skip"):
        raise ValueError(f"crowd must be 'ignore', 'class' or 'skip', got {crowd!r}")
    if mode == "semantic":
        index = (labels if isinstance(labels, Mapping)
                 else class_indices(labels if labels is not None else _labels_in(item, line_width)))
        plan = plan_semantic(item, index, background=background, crowd=crowd or "ignore",
                             ignore_value=255 if ignore_value is None else ignore_value,
                             line_width=line_width, dtype=dtype, report=report)
    elif mode == "instance":
        policy = crowd or "class"
        plan = plan_instances(item, background=background, crowd="instance" if policy == "class" else policy,
                              ignore_value=ignore_value, line_width=line_width, dtype=dtype, report=report)
    else:
        raise ValueError(f"mode must be 'semantic' or 'instance', got {mode!r}")
    array = burn([plan])[0]
    if report is not None:
        for code, message, annotation_id in paint_notes(plan, array):
            report.add(code, message, item=item.id, annotation=annotation_id)
    return array


def _labels_in(item: Item, line_width: float | None) -> list[str]:
    return list(dict.fromkeys(a.label for a in item.annotations
                              if a.label is not None and drawable(a, line_width)))


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
    ignored = False
    for annotation in paintable(item, line_width, report):
        if annotation.iscrowd and crowd != "class":
            if crowd == "ignore":
                steps.append((annotation, ignore_value))
                ignored = True
            continue
        value = class_index.get(annotation.label) if annotation.label is not None else None
        if value is None:
            if report is not None:
                report.add(Code.LABEL_UNKNOWN, f"label {annotation.label!r} has no class index: not painted",
                           item=item.id, annotation=annotation.id)
            continue
        steps.append((annotation, value))
    values = [value for _, value in steps] + [background]
    chosen = dtype or _dtype_for(max(values))
    if min(values) < 0 or max(values) > np.iinfo(chosen).max:
        # Painting would wrap around or saturate: refuse rather than write wrong classes.
        raise SchemaError(f"class, background and ignore values must lie in 0..{np.iinfo(chosen).max} "
                          f"({np.dtype(chosen).name}), got {min(values)}..{max(values)}", item=item.describe())
    return Plan(item, _paint_order(steps), background, chosen, line_width,
                ignore=ignore_value if ignored else None)


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
    for annotation in paintable(item, line_width, report):
        if annotation.iscrowd and crowd != "instance":
            if crowd == "ignore":
                crowd_regions.append(annotation)
            continue
        steps.append((annotation, background + len(steps) + 1))
    top = background + len(steps)
    if crowd_regions:  # the ignore value must fit too: the next index, or the one asked for
        top = max(top + 1, ignore_value if ignore_value is not None else 0)
    chosen = dtype or _dtype_for(top)
    if top > np.iinfo(chosen).max:
        raise SchemaError(f"{len(steps)} instances do not fit in {np.dtype(chosen).name}", item=item.describe())
    ignore = None
    if crowd_regions:
        ignore = ignore_value if ignore_value is not None else int(np.iinfo(chosen).max)
        if background < ignore <= background + len(steps):
            raise SchemaError(f"ignore value {ignore} collides with an instance index", item=item.describe())
        position = {id(a): i for i, a in enumerate(item.annotations)}
        steps = sorted(steps + [(a, ignore) for a in crowd_regions], key=lambda step: position[id(step[0])])
    return Plan(item, _paint_order(steps), background, chosen, line_width, instances=True,
                ignore=ignore if crowd_regions else None)


def _paint_order(steps: list[tuple[Annotation, int]]) -> list[tuple[Annotation, int]]:
    # z_order first, then position in the item (Python's sort is stable).
    return sorted(steps, key=lambda step: step[0].z_order or 0)


def _dtype_for(top: int) -> type:
    return np.uint8 if top <= 255 else np.uint16


def paintable(item: Item, line_width: float | None, report: Report | None) -> list[Annotation]:
    """The annotations to paint; an object given both as a box and as its outline (a Polygon or
    Mask of the same group and label) is painted by its outline alone."""
    out = []
    boxes, _ = doubled_objects(item.annotations)
    for annotation in item.annotations:
        if boxes and id(annotation) in boxes:
            continue
        if drawable(annotation, line_width):
            out.append(annotation)
        elif isinstance(annotation, LINE_KINDS) and report is not None:
            report.add(Code.UNSUPPORTED_KIND, f"{type(annotation).__name__} annotations have no area: not painted "
                       "(give a line width to draw them)", item=item.id, annotation=annotation.id)
    return out


def burn(plans: Sequence[Plan], framed: bool = False) -> list[np.ndarray]:
    """Index maps of several plans. Spans of all their polygons are computed in one vectorized
    pass (the per-call overhead of numpy would otherwise dominate small images). ``framed``:
    uint8 maps are views laid out for PNG encoding (:func:`.png.framed_map`)."""
    return list(burn_each(plans, framed))


def burn_each(plans: Sequence[Plan], framed: bool = False, reuse: bool = False) -> Iterator[np.ndarray]:
    """:func:`burn`, one map at a time in plan order, each painted when asked for. ``reuse``
    (framed uint8 maps): maps of one size are painted into one buffer, so each map is valid only
    until the next is asked for; painting and encoding one image at a time stays in the CPU cache
    and saves the page faults of a fresh map per image (~20 % of painting 5,000 COCO images)."""
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
    lengths = np.fromiter((len(ring) for ring in rings), dtype=np.int64, count=len(rings))
    points = np.concatenate(rings) if rings else np.zeros((0, 2))
    shape_of_ring = np.array(ring_shape, dtype=np.int64)
    _record_extents(plans, shape_ranges, points, lengths, shape_of_ring)
    sizes = np.array(shape_size, dtype=np.int64).reshape(-1, 2)
    spans = ring_spans(points, lengths, shape_of_ring, sizes[:, 0], sizes[:, 1])
    _record_pixels(plans, shape_ranges, spans)
    _keep_spans(plans, shape_ranges, spans, len(shape_size))
    paint_shapes = _shape_painter(spans, len(shape_size))
    buffer = None
    for plan, ranges in zip(plans, shape_ranges):
        array = _paint(plan, ranges, paint_shapes, framed, buffer)
        if reuse and framed and array.dtype == np.uint8:
            buffer = array
        yield array


def _record_extents(plans: Sequence[Plan], shape_ranges: list[dict[int, range]], points: np.ndarray,
                    lengths: np.ndarray, shape_of_ring: np.ndarray) -> None:
    """Bounds of every polygon / rotated-box step, from one vectorized pass over all vertices
    (``points`` of all rings, ``lengths`` of each ring, the shape each ring belongs to)."""
    if not len(lengths):
        return
    ring_starts = np.cumsum(lengths) - lengths
    first_rings = np.flatnonzero(np.concatenate(([True], shape_of_ring[1:] != shape_of_ring[:-1])))
    bounds = geometry.run_bounds(points, ring_starts[first_rings]).tolist()  # a shape's rings are consecutive
    for plan, ranges in zip(plans, shape_ranges):
        for step, shapes in ranges.items():
            plan.extents[step] = _enclosing([bounds[s] for s in shapes])


def _record_pixels(plans: Sequence[Plan], shape_ranges: list[dict[int, range]], spans: Spans) -> None:
    """The tight pixel bounds of every polygon / rotated-box step that painted (instance maps only:
    the hidden-instance check needs them), from its spans (sorted by shape)."""
    if not len(spans.row) or not any(plan.instances for plan in plans):
        return
    shape, row, start, stop = spans
    first = np.flatnonzero(np.concatenate(([True], shape[1:] != shape[:-1])))
    bounds = dict(zip(shape[first].tolist(), zip(
        np.minimum.reduceat(start, first).tolist(), np.minimum.reduceat(row, first).tolist(),
        np.maximum.reduceat(stop, first).tolist(), (np.maximum.reduceat(row, first) + 1).tolist())))
    for plan, ranges in zip(plans, shape_ranges):
        if plan.instances:
            for step, shapes in ranges.items():
                painted = [bounds[k] for k in shapes if k in bounds]
                if painted:
                    plan.pixels[step] = _enclosing(painted)


def _enclosing(boxes: Sequence[Sequence[Any]]) -> tuple[Any, Any, Any, Any]:
    """The xyxy box enclosing ``boxes`` (one or more xyxy)."""
    if len(boxes) == 1:
        return tuple(boxes[0])  # type: ignore[return-value]
    return (min(b[0] for b in boxes), min(b[1] for b in boxes), max(b[2] for b in boxes), max(b[3] for b in boxes))


def _keep_spans(plans: Sequence[Plan], shape_ranges: list[dict[int, range]], spans: Spans, shapes: int) -> None:
    """``plan.spans[step]`` for the plans that keep them: views of the step's spans (sorted by shape)."""
    if not any(plan.keep_spans for plan in plans):
        return
    first = np.searchsorted(spans.shape, np.arange(shapes + 1)).tolist()  # each shape's first span
    for plan, ranges in zip(plans, shape_ranges):
        if plan.keep_spans:
            for step, regions in ranges.items():
                a, b = first[regions.start], first[regions.stop]
                plan.spans[step] = Spans(spans.shape[a:b] - regions.start, spans.row[a:b], spans.start[a:b],
                                         spans.stop[a:b])


# What painting loses beyond the conversion to pixels itself: (code, message) aggregation keys.
OUTSIDE = (Code.COORDINATE_CLIPPED, "shape lies outside the image: nothing painted")
CLIPPED = (Code.COORDINATE_CLIPPED, "shape extends beyond the image: clipped at its border")
NO_PIXEL = (Code.PRECISION_REDUCED, "shape covers no pixel centre: nothing painted")
HIDDEN = (Code.PRECISION_REDUCED, "instance entirely hidden under later shapes: not in the map")
Note = tuple[Code, str, "str | int | None"]  # (code, message, annotation id)


def paint_notes(plan: Plan, array: np.ndarray) -> list[Note]:
    """What was lost per annotation of a burnt plan: boxes and polygons clipped at the image
    border or lying outside it; shapes that painted no pixel (too small to cover a pixel centre,
    or lines and points drawn off the image); in instance maps, instances hidden under later
    shapes. Lines and points are not checked for clipping: they are approximations anyway (and
    reported as such by the formats)."""
    height, width = array.shape
    empty = set(plan.empty)
    unique = Counter(value for _, value in plan.steps) if plan.instances else Counter()
    notes: list[Note] = []
    pixels = [_pixel_bounds(plan, step, annotation, height, width) for step, (annotation, _) in
              enumerate(plan.steps)] if plan.instances else []
    coverable = _coverable([own for own, _ in pixels], [cover for _, cover in pixels])
    for step, (annotation, value) in enumerate(plan.steps):
        if isinstance(annotation, (Box, Polygon)):
            x1, y1, x2, y2 = plan.bounds(step)
            if step in empty:
                outside = x2 <= 0 or y2 <= 0 or x1 >= width or y1 >= height
                notes.append((*(OUTSIDE if outside else NO_PIXEL), annotation.id))
                continue
            if x1 < 0 or y1 < 0 or x2 > width or y2 > height:
                notes.append((*CLIPPED, annotation.id))
        elif step in empty:
            notes.append((*NO_PIXEL, annotation.id))
            continue
        if unique[value] == 1 and step not in empty and coverable[step] \
                and not _shows(array, pixels[step][0] or pixels[step][1], value):
            notes.append((*HIDDEN, annotation.id))
    return notes


PixelBounds = tuple[int, int, int, int]  # columns c1..c2-1, rows r1..r2-1


def _pixel_bounds(plan: Plan, step: int, annotation: Annotation, height: int, width: int
                  ) -> tuple[PixelBounds | None, PixelBounds | None]:
    """(tight bounds of the pixels ``step`` painted, None when not known; bounds holding every
    pixel it may have painted, None for anywhere). Boxes, polygons and masks know their pixels;
    lines and dots drawn by OpenCV get their bounds widened by the line width and a pixel."""
    if step in plan.pixels:
        return plan.pixels[step], plan.pixels[step]
    kind = type(annotation)
    if kind is Box and not annotation.rotated:  # type: ignore[attr-defined]
        # the columns whose centre c + 0.5 lies in [x1, x2), as _paint_box paints them
        c1, r1, c2, r2 = np.ceil(annotation.xyxy - 0.5).tolist()  # type: ignore[attr-defined]
        box = (int(min(max(c1, 0), width)), int(min(max(r1, 0), height)),
               int(min(max(c2, 0), width)), int(min(max(r2, 0), height)))
        return box, box
    bounds = annotation.bounds()
    if bounds is None:
        return None, None
    if kind is Mask:  # the foreground's pixel bounds
        exact = tuple(int(v) for v in bounds.tolist())
        return exact, exact  # type: ignore[return-value]
    margin = (plan.line_width or 0.0) + 1.0
    x1, y1, x2, y2 = bounds.tolist()
    return None, (int(max(np.floor(x1 - margin), 0)), int(max(np.floor(y1 - margin), 0)),
                  int(min(np.ceil(x2 + margin), width)), int(min(np.ceil(y2 + margin), height)))


_FEW = 32  # steps below which plain Python beats the (n, n) arrays


def _may_be_covered(owns: list[PixelBounds | None], covers: list[PixelBounds | None], step: int) -> bool:
    """:func:`_coverable` of one step."""
    own = owns[step]
    if own is None:
        return True
    c1, r1, c2, r2 = own
    overlapping = [other for other in covers[step + 1:]
                   if other is None or (other[0] < c2 and other[2] > c1 and other[1] < r2 and other[3] > r1)]
    if not overlapping:
        return False
    if any(other is None for other in overlapping):
        return True
    return (min(o[0] for o in overlapping) <= c1 and min(o[1] for o in overlapping) <= r1  # type: ignore[index]
            and max(o[2] for o in overlapping) >= c2 and max(o[3] for o in overlapping) >= r2)  # type: ignore[index]


def _coverable(owns: list[PixelBounds | None], covers: list[PixelBounds | None]) -> list[bool]:
    """Per step, a cheap necessary condition for being hidden: the later steps whose pixel bounds
    overlap the pixels it painted together span them (unknown pixels, None: assume they may).
    Pixels, not continuous bounds: a later shape can cover every painted pixel without spanning
    the shape. One (n, n) pass."""
    count = len(owns)
    if count <= _FEW:
        # A step is only worth the pairwise check when all later steps together span its pixels:
        # one pass from the top rules out most steps (~2/3 of the COCO objects).
        result = [False] * count
        low_x = low_y = math.inf
        high_x = high_y = -math.inf
        for step in range(count - 1, -1, -1):
            own = owns[step]
            if own is None or (low_x <= own[0] and low_y <= own[1] and high_x >= own[2] and high_y >= own[3]):
                result[step] = _may_be_covered(owns, covers, step)
            cover = covers[step]
            if cover is None:
                low_x = low_y = -math.inf
                high_x = high_y = math.inf
                continue
            c1, r1, c2, r2 = cover  # comparisons, not min()/max() calls: this runs once per object
            if c1 < low_x:
                low_x = c1
            if r1 < low_y:
                low_y = r1
            if c2 > high_x:
                high_x = c2
            if r2 > high_y:
                high_y = r2
        return result
    known = np.array([own is not None for own in owns])
    own = np.array([b if b is not None else (0, 0, 0, 0) for b in owns], dtype=np.float64).reshape(count, 4)
    cover = np.array([b if b is not None else (-np.inf, -np.inf, np.inf, np.inf) for b in covers],
                     dtype=np.float64).reshape(count, 4)
    x1, y1, x2, y2 = (own[:, k] for k in range(4))
    u1, v1, u2, v2 = (cover[:, k] for k in range(4))
    later = np.triu(np.ones((count, count), dtype=bool), 1)  # [i, j]: j painted after i
    overlapping = later & (u1[None, :] < x2[:, None]) & (u2[None, :] > x1[:, None]) \
        & (v1[None, :] < y2[:, None]) & (v2[None, :] > y1[:, None])
    low_x = np.where(overlapping, u1[None, :], np.inf).min(axis=1)
    low_y = np.where(overlapping, v1[None, :], np.inf).min(axis=1)
    high_x = np.where(overlapping, u2[None, :], -np.inf).max(axis=1)
    high_y = np.where(overlapping, v2[None, :], -np.inf).max(axis=1)
    spanned = (low_x <= x1) & (low_y <= y1) & (high_x >= x2) & (high_y >= y2)
    return (~known | (overlapping.any(axis=1) & spanned)).tolist()


def _shows(array: np.ndarray, window: PixelBounds | None, value: int) -> bool:
    """Whether ``value`` appears within the pixel bounds ``window`` (None: the whole map);
    cheaper than a histogram of the map."""
    if window is None:
        return bool((array == value).any())
    c1, r1, c2, r2 = window
    return bool((array[r1:r2, c1:c2] == value).any())


ShapePainter = Callable[[np.ndarray, range, int], bool]


def _shape_painter(spans: Spans, shapes: int) -> ShapePainter:
    """paint(array, shapes, value): paints the spans of a range of shapes (numbered as in
    ``spans``, which is sorted by shape) with ``value``; whether they had any pixel. The compiled
    kernel fills the spans themselves; without it, each shape's spans become staircase contours
    that ``cv2.fillPoly`` fills exactly (see staircase.py)."""
    if compiled():
        first = np.searchsorted(spans.shape, np.arange(shapes + 1)).tolist()  # each shape's first span
        row, start, stop = spans.row, spans.start, spans.stop

        def fill_spans(array: np.ndarray, which: range, value: int) -> bool:
            a, b = first[which.start], first[which.stop]
            if a == b:
                return False
            paint_spans(array, row, start, stop, a, b, value)
            return True
        return fill_spans
    vertices, offsets, contour_shape = contours(spans)
    bounds = np.searchsorted(contour_shape, np.arange(shapes + 1)).tolist()  # each shape's first contour
    offset = offsets.tolist()

    def fill_contours(array: np.ndarray, which: range, value: int) -> bool:
        painted = False
        for shape in which:  # regions are separate shapes: one call each (one would combine them even-odd)
            a, b = bounds[shape], bounds[shape + 1]
            if b > a:
                painted = True
                cv2.fillPoly(array, [vertices[offset[k]:offset[k + 1]] for k in range(a, b)], int(value), cv2.LINE_8)
        return painted
    return fill_contours


def _paint(plan: Plan, ranges: dict[int, range], paint_shapes: ShapePainter, framed: bool,
           buffer: np.ndarray | None) -> np.ndarray:
    array: np.ndarray = framed_map(*plan.size, plan.background, buffer) if framed and plan.dtype is np.uint8 \
        else np.full(plan.size, plan.background, dtype=plan.dtype)
    plan.empty = []
    for step, (annotation, value) in enumerate(plan.steps):
        kind = type(annotation)
        if kind is Box and not annotation.rotated:  # type: ignore[attr-defined]
            painted = _paint_box(array, annotation.xyxy, value)  # type: ignore[attr-defined]
        elif kind is Mask:
            painted = _paint_mask(array, annotation, value, plan.item)  # type: ignore[arg-type]
        elif kind in LINE_KINDS:
            painted = _paint_line(array, annotation, value, plan.line_width or 1.0)
        else:
            painted = step in ranges and paint_shapes(array, ranges[step], value)
        if not painted:
            plan.empty.append(step)
    return array


def _paint_box(array: np.ndarray, xyxy: np.ndarray, value: int) -> bool:
    # Columns whose centre c + 0.5 lies in [x1, x2): ceil(x1 - 0.5) .. ceil(x2 - 0.5) - 1.
    height, width = array.shape
    x1, y1, x2, y2 = np.ceil(np.asarray(xyxy) - 0.5)
    c1, c2 = int(min(max(x1, 0), width)), int(min(max(x2, 0), width))
    r1, r2 = int(min(max(y1, 0), height)), int(min(max(y2, 0), height))
    array[r1:r2, c1:c2] = value
    return r1 < r2 and c1 < c2


def _paint_mask(array: np.ndarray, mask: Mask, value: int, item: Item) -> bool:
    if tuple(mask.size) != array.shape:
        raise SchemaError(f"RLE mask size {list(mask.size)} differs from the image size "
                          f"{list(array.shape)} (height, width)", item=item.describe(),
                          location=f"annotation {mask.id!r}" if mask.id is not None else None)
    # decode() gives a column-major view. Painting through it is strided; OpenCV transposes its
    # (w, h) rows to row-major ~10x faster than numpy does, and the paint then costs half as much.
    pixels = cv2.transpose(mask.decode().T).view(bool)
    np.copyto(array, value, where=pixels, casting="unsafe")
    return bool(pixels.any())


def _paint_line(array: np.ndarray, annotation: Annotation, value: int, line_width: float) -> bool:
    """Draw a polyline, point or keypoints with OpenCV (an approximation, not the centre rule);
    whether anything could be drawn. Geometry is first clipped to the image plus a margin, so
    that OpenCV's fixed-point int32 coordinates cannot overflow."""
    height, width = array.shape
    scale = 1 << _SUBPIXEL_BITS
    thickness = max(1, int(round(line_width)))
    margin = line_width + 2.0
    if isinstance(annotation, Polyline):
        clipped = shapely.clip_by_rect(shapely.LineString(annotation.points), -margin, -margin,
                                       width + margin, height + margin)
        parts = [np.asarray(line.coords) for line in getattr(clipped, "geoms", [clipped])
                 if not line.is_empty and line.geom_type == "LineString"]
        # OpenCV's coordinates are pixel centres: subtract half a pixel from the IR's corners.
        lines = [np.round((part - 0.5) * scale).astype(np.int32) for part in parts]
        if lines:
            cv2.polylines(array, lines, False, int(value), thickness, cv2.LINE_8, _SUBPIXEL_BITS)
        return bool(lines)
    if isinstance(annotation, Point):
        xy = annotation.xy.reshape(1, 2)
    else:
        xy = annotation.xy[annotation.visibility > 0]  # type: ignore[attr-defined]
    xy = xy[np.all((xy > -margin) & (xy < np.array([width, height]) + margin), axis=1)]
    radius = max(1, int(round(line_width / 2 * scale)))
    for x, y in np.round((xy - 0.5) * scale).astype(np.int64):
        cv2.circle(array, (int(x), int(y)), radius, int(value), -1, cv2.LINE_8, _SUBPIXEL_BITS)
    return len(xy) > 0


def polygon_mask(regions: Sequence[Sequence[np.ndarray]], height: int, width: int) -> np.ndarray:
    """(height, width) uint8 0/1 mask of a polygon's regions (each [exterior, *holes]), unioned."""
    rings = [np.asarray(ring, dtype=np.float64) for region in regions for ring in region]
    ring_shape = np.repeat(np.arange(len(regions)), [len(region) for region in regions])
    out = np.zeros((height, width), dtype=np.uint8)
    _shape_painter(shape_spans(rings, ring_shape, height, width), len(regions))(out, range(len(regions)), 1)
    return out


def region_mask(rings: Sequence[np.ndarray], height: int, width: int) -> np.ndarray:
    """(height, width) uint8 0/1 mask of one region (exterior and holes, even-odd)."""
    return polygon_mask([rings], height, width)

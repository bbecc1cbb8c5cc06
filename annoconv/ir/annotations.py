"""Annotation kinds of the IR.

Coordinates are float64 absolute pixels in the continuous pixel-corner convention: origin at
the top-left corner of pixel (0, 0), x right, y down; pixel (c, r) covers [c, c+1) x [r, r+1).
The IR never rounds. Geometry arrays are read-only; annotations are immutable by convention:
use :meth:`Annotation.replace` to derive a changed copy.

Common fields (keyword-only on every kind):

- ``label``: the label *name* (never an index); ``None`` only for :class:`Caption`.
- ``id``: the source id (COCO annotation id, FastLabel id, ...), kept for round trips.
- ``group``: ties the parts of one object (a COCO annotation's polygon and keypoints,
  labelme ``group_id``).
- ``z_order``: drawing order for rasterization (higher wins; then later wins).
- ``score``: confidence in [0, 1] for predictions, else ``None``.
- ``iscrowd``: COCO crowd flag.
- ``attributes``: typed values (str, int, float, bool, list of str).
- ``extras``: format-namespaced passthrough (``"coco:area"``), written back by that format only.

Invariants are checked at construction; a violation raises :class:`annoconv.errors.SchemaError`
saying what shape was expected and what was given.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from math import isfinite
from typing import Any, ClassVar

import numpy as np

from ..errors import SchemaError
from . import geometry, rle

_F64 = np.float64

# Extras that a reader took from the source but that derive from the geometry: writers use them
# (COCO's mask-based ``area`` is not the polygon's area) until the geometry is replaced.
GEOMETRY_DERIVED_EXTRAS: set[str] = {"coco:bbox", "coco:area", "coco:num_keypoints"}


def _frozen(array: np.ndarray) -> np.ndarray:
    array.flags.writeable = False
    return array


def points_array(value: Any, what: str, min_points: int = 1) -> np.ndarray:
    """An (N, 2) read-only float64 array of finite x, y from (N, 2) or flat [x0, y0, x1, y1, ...] input."""
    try:
        array = np.array(value)  # dtype inferred, so that strings are refused rather than parsed
    except (TypeError, ValueError) as exc:
        raise SchemaError(f"{what}: expected numbers x, y, got {_describe(value)} ({exc})") from None
    if array.dtype.kind not in "iuf" and array.size:
        raise SchemaError(f"{what}: expected numbers x, y, got {_describe(value)} containing "
                          f"{_DTYPE_KINDS.get(array.dtype.kind, 'non-numbers')}")
    array = array.astype(_F64, copy=False)
    if array.ndim == 1:
        if array.size % 2:
            raise SchemaError(f"{what}: expected an even number of coordinates (x, y pairs), got {array.size}")
        array = array.reshape(-1, 2)
    elif array.ndim != 2 or array.shape[1] != 2:
        raise SchemaError(f"{what}: expected an (N, 2) array of x, y, got shape {array.shape}")
    if array.shape[0] < min_points:
        raise SchemaError(f"{what}: expected at least {min_points} points, got {array.shape[0]}")
    if not np.isfinite(array).all():
        raise SchemaError(f"{what}: coordinates must be finite, got NaN or infinity")
    return _frozen(array)


_DTYPE_KINDS = {"U": "strings", "S": "strings", "b": "booleans", "O": "null or non-numbers"}


def _describe(value: Any) -> str:
    if isinstance(value, str):
        return "a string"
    if isinstance(value, np.ndarray):
        return f"an array of shape {value.shape}"
    return f"a {type(value).__name__}"


class Annotation:
    """Base of all kinds. ``kind`` is the stable lower-case name used in reports and the native format."""

    kind: ClassVar[str] = ""
    __slots__ = ("label", "id", "group", "z_order", "score", "iscrowd", "attributes", "extras")

    def __init__(
        self,
        *,
        label: str | None,
        id: str | int | None = None,
        group: str | int | None = None,
        z_order: int = 0,
        score: float | None = None,
        iscrowd: bool = False,
        attributes: dict[str, Any] | None = None,
        extras: dict[str, Any] | None = None,
    ) -> None:
        if label is None and not isinstance(self, Caption):
            raise SchemaError(f"{type(self).__name__}: a label name is required")
        if label is not None and not isinstance(label, str):
            raise SchemaError(f"{type(self).__name__}: label must be a name (str), got {_describe(label)}")
        if score is not None:
            score = float(score)
            if not isfinite(score):
                raise SchemaError(f"{type(self).__name__}: score must be finite, got {score}")
        self.label = label
        self.id = id
        self.group = group
        self.z_order = z_order
        self.score = score
        self.iscrowd = bool(iscrowd)
        self.attributes = attributes if attributes is not None else {}
        self.extras = extras if extras is not None else {}

    # --- copying and comparison -------------------------------------------------------
    @classmethod
    def _prevalidated(cls, geometry: tuple[Any, ...], label: str | None, id: str | int | None = None,
                      score: float | None = None, iscrowd: bool = False,
                      attributes: dict[str, Any] | None = None, extras: dict[str, Any] | None = None) -> Any:
        """Construct from values a reader has already validated in bulk: ``geometry`` in the order of the
        kind's ``__slots__`` (read-only float64 arrays of the right shape, finite), a str label, a float
        score. Skips the per-object checks, which dominate the reading of large files."""
        self = cls.__new__(cls)
        self.label, self.id, self.group, self.z_order, self.score, self.iscrowd = label, id, None, 0, score, iscrowd
        self.attributes = attributes or {}
        self.extras = extras if extras is not None else {}
        if geometry:
            for name, value in zip(cls.__slots__, geometry):
                setattr(self, name, value)
        return self

    def _geometry(self) -> dict[str, Any]:
        return {}  # kinds with geometry override this

    def _common(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in Annotation.__slots__}

    def replace(self, **changes: Any) -> "Annotation":
        """A copy with some fields changed (geometry or common fields).

        When the geometry changes, source values derived from it (:data:`GEOMETRY_DERIVED_EXTRAS`,
        e.g. COCO's ``bbox`` and ``area``) are dropped so that writers recompute them.
        """
        fields = {**self._geometry(), **self._common(), **changes}
        if "extras" not in changes and any(key in changes for key in self._geometry()):
            fields["extras"] = {k: v for k, v in self.extras.items() if k not in GEOMETRY_DERIVED_EXTRAS}
        return type(self)(**fields)

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        if self._common() != other._common():  # type: ignore[union-attr]
            return False
        mine, theirs = self._geometry(), other._geometry()  # type: ignore[union-attr]
        return all(_equal(mine[key], theirs[key]) for key in mine)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        geometry_repr = ", ".join(f"{k}={_short(v)}" for k, v in self._geometry().items())
        return f"{type(self).__name__}({geometry_repr}, label={self.label!r}, id={self.id!r})"

    def bounds(self) -> np.ndarray | None:
        """Axis-aligned xyxy bounds in pixels, or ``None`` for kinds without geometry."""
        return None


def _equal(a: Any, b: Any) -> bool:
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return np.array_equal(a, b)
    if isinstance(a, (tuple, list)) and isinstance(b, (tuple, list)):
        return len(a) == len(b) and all(_equal(x, y) for x, y in zip(a, b))
    return bool(a == b)


def _short(value: Any) -> str:
    if isinstance(value, np.ndarray):
        return f"array{value.shape}" if value.size > 8 else np.array2string(value, separator=",").replace("\n", "")
    if isinstance(value, tuple) and len(value) > 3:
        return f"({len(value)} parts)"
    return repr(value)


class Box(Annotation):
    """Box by its corners ``xyxy`` = (x1, y1, x2, y2) with x1 <= x2, y1 <= y2, rotated by ``angle``
    degrees about its centre, positive = clockwise on screen."""

    kind = "box"
    __slots__ = ("xyxy", "angle")

    def __init__(self, xyxy: Any, angle: float = 0.0, **common: Any) -> None:
        super().__init__(**common)
        array = np.array(xyxy, dtype=_F64) if not isinstance(xyxy, str) else None
        if array is None or array.shape != (4,):
            raise SchemaError(f"Box: expected 4 numbers x1, y1, x2, y2, got "
                              f"{_describe(xyxy) if array is None else f'shape {array.shape}'}")
        if not np.isfinite(array).all() or not isfinite(angle):
            raise SchemaError("Box: coordinates and angle must be finite, got NaN or infinity")
        if array[2] < array[0] or array[3] < array[1]:
            raise SchemaError(f"Box: expected x1 <= x2 and y1 <= y2, got {array.tolist()} "
                              f"(width {array[2] - array[0]:g}, height {array[3] - array[1]:g})")
        self.xyxy = _frozen(array)
        self.angle = float(angle)

    def _geometry(self) -> dict[str, Any]:
        return {"xyxy": self.xyxy, "angle": self.angle}

    @property
    def rotated(self) -> bool:
        return self.angle % 360.0 != 0.0

    def corners(self) -> np.ndarray:
        """(4, 2) corners: top-left, top-right, bottom-right, bottom-left of the unrotated box, rotated."""
        return geometry.rotated_box_corners(self.xyxy, self.angle)

    def bounds(self) -> np.ndarray:
        return geometry.rotated_box_bounds(self.xyxy, self.angle) if self.rotated else self.xyxy.copy()

    def area(self) -> float:
        return float(geometry.box_area(self.xyxy))


class Polygon(Annotation):
    """One or more regions, each a tuple (exterior, *holes) of (N >= 3, 2) rings.

    Rings are open or closed as the source gave them; vertex order is kept as given (so a
    COCO -> COCO conversion is byte-stable). Orientation is not meaningful in the IR — the
    rasterizer is orientation-independent — and :meth:`oriented` gives the conventional form
    (exteriors clockwise on screen, holes counter-clockwise) for formats that need it.
    """

    kind = "polygon"
    __slots__ = ("regions",)

    def __init__(self, regions: Sequence[Sequence[Any]], **common: Any) -> None:
        super().__init__(**common)
        if isinstance(regions, (str, bytes)) or not isinstance(regions, (Sequence, np.ndarray)) or not len(regions):
            raise SchemaError(f"Polygon: expected a non-empty list of regions [exterior, *holes], "
                              f"got {_describe(regions)}")
        self.regions: tuple[tuple[np.ndarray, ...], ...] = tuple(
            tuple(points_array(ring, f"Polygon region {i} ring {j}", 3) for j, ring in enumerate(region))
            if isinstance(region, (Sequence, np.ndarray)) and len(region) and not isinstance(region, str)
            else _bad_region(i, region)
            for i, region in enumerate(regions))

    @classmethod
    def from_rings(cls, exterior: Any, holes: Sequence[Any] = (), **common: Any) -> "Polygon":
        """A single-region polygon."""
        return cls([[exterior, *holes]], **common)

    def _geometry(self) -> dict[str, Any]:
        return {"regions": self.regions}

    @property
    def has_holes(self) -> bool:
        for region in self.regions:
            if len(region) > 1:
                return True
        return False

    @property
    def multipart(self) -> bool:
        return len(self.regions) > 1

    def bounds(self) -> np.ndarray:
        exteriors = [region[0] for region in self.regions]
        return geometry.points_bounds(exteriors[0] if len(exteriors) == 1 else np.concatenate(exteriors))

    def area(self) -> float:
        return geometry.polygon_area(self.regions)

    def oriented(self) -> "Polygon":
        """Exteriors clockwise on screen (y down), holes counter-clockwise."""
        regions = [[geometry.oriented_ring(ring, clockwise=(j == 0)) for j, ring in enumerate(region)]
                   for region in self.regions]
        return self.replace(regions=regions)  # type: ignore[return-value]


def _bad_region(index: int, region: Any) -> tuple[np.ndarray, ...]:
    raise SchemaError(f"Polygon region {index}: expected a non-empty list of rings [exterior, *holes], "
                      f"got {_describe(region)}")


class Polyline(Annotation):
    """An open line through (N >= 2, 2) points."""

    kind = "polyline"
    __slots__ = ("points",)

    def __init__(self, points: Any, **common: Any) -> None:
        super().__init__(**common)
        self.points = points_array(points, "Polyline", 2)

    def _geometry(self) -> dict[str, Any]:
        return {"points": self.points}

    def bounds(self) -> np.ndarray:
        return geometry.points_bounds(self.points)


class Point(Annotation):
    """A single point ``xy``."""

    kind = "point"
    __slots__ = ("xy",)

    def __init__(self, xy: Any, **common: Any) -> None:
        super().__init__(**common)
        points = points_array(xy, "Point", 1)
        if points.shape[0] != 1:
            raise SchemaError(f"Point: expected one x, y pair, got {points.shape[0]} points")
        self.xy = _frozen(points[0].copy())

    def _geometry(self) -> dict[str, Any]:
        return {"xy": self.xy}

    def bounds(self) -> np.ndarray:
        return np.concatenate([self.xy, self.xy])


class Keypoints(Annotation):
    """K keypoints ``xy`` (K, 2) with COCO ``visibility`` (K,): 0 not labelled, 1 labelled but
    occluded, 2 visible. Names and skeleton live on the :class:`~annoconv.ir.dataset.Label`.
    Coordinates of unlabelled points are kept as given (usually 0, 0)."""

    kind = "keypoints"
    __slots__ = ("xy", "visibility")

    def __init__(self, xy: Any, visibility: Any = None, **common: Any) -> None:
        super().__init__(**common)
        self.xy = points_array(xy, "Keypoints", 0)
        count = self.xy.shape[0]
        if visibility is None:
            vis = np.full(count, 2, dtype=np.int8)
        else:
            try:
                given = np.array(visibility)
                if given.dtype.kind not in "iuf" and given.size:
                    raise TypeError
                given = given.astype(_F64, copy=False)
            except (TypeError, ValueError):
                raise SchemaError(f"Keypoints: visibility must be integers 0, 1, 2, "
                                  f"got {_describe(visibility)}") from None
            vis = given.astype(np.int8)
            if not np.array_equal(vis, given):
                raise SchemaError(f"Keypoints: visibility must be 0, 1 or 2, got {given.tolist()}")
        if vis.shape != (count,):
            raise SchemaError(f"Keypoints: expected {count} visibility values (one per point), got shape {vis.shape}")
        if count and (vis.min() < 0 or vis.max() > 2):
            raise SchemaError(f"Keypoints: visibility must be 0, 1 or 2, got {sorted(set(vis.tolist()))}")
        self.visibility = _frozen(vis)

    def _geometry(self) -> dict[str, Any]:
        return {"xy": self.xy, "visibility": self.visibility}

    @property
    def labelled(self) -> int:
        """Number of labelled points (visibility > 0), COCO's ``num_keypoints``."""
        return int(np.count_nonzero(self.visibility))

    def bounds(self) -> np.ndarray | None:
        placed = self.xy[self.visibility > 0]
        return geometry.points_bounds(placed) if len(placed) else None


class Mask(Annotation):
    """A binary mask as COCO RLE: ``counts`` (uint32 runs, column-major, starting with zeros)
    over an image of ``size`` = (height, width). Never stored dense; :meth:`decode` on demand."""

    kind = "mask"
    __slots__ = ("counts", "size")

    def __init__(self, counts: Any, size: Sequence[int], **common: Any) -> None:
        super().__init__(**common)
        try:
            height, width = (int(v) for v in size)
        except (TypeError, ValueError):
            raise SchemaError(f"Mask: size must be [height, width], got {size!r}") from None
        if height < 0 or width < 0:
            raise SchemaError(f"Mask: size must be non-negative, got [{height}, {width}]")
        try:
            runs = rle.normalize_counts(counts)
        except ValueError as exc:
            raise SchemaError(f"Mask: invalid RLE counts: {exc}") from None
        total = int(runs.sum(dtype=np.uint64))
        if total != height * width:
            raise SchemaError(f"Mask: RLE counts cover {total} pixels but size [{height}, {width}] "
                              f"has {height * width}")
        self.counts = _frozen(runs)
        self.size = (height, width)

    @classmethod
    def from_array(cls, mask: np.ndarray, **common: Any) -> "Mask":
        """From a dense (h, w) array, nonzero = foreground."""
        return cls(rle.encode(mask), mask.shape[:2], **common)

    def _geometry(self) -> dict[str, Any]:
        return {"counts": self.counts, "size": self.size}

    def decode(self) -> np.ndarray:
        """Dense (h, w) uint8 array of 0/1."""
        return rle.decode(self.counts, self.size)

    def area(self) -> int:
        return rle.area(self.counts)

    def bounds(self) -> np.ndarray:
        x, y, w, h = rle.bbox(self.counts, self.size)
        return np.array([x, y, x + w, y + h], dtype=_F64)


class Tag(Annotation):
    """An image-level class (classification label)."""

    kind = "tag"
    __slots__ = ()


class Caption(Annotation):
    """A free-text description of the image (COCO captions); ``label`` is optional."""

    kind = "caption"
    __slots__ = ("text",)

    def __init__(self, text: str, **common: Any) -> None:
        common.setdefault("label", None)
        super().__init__(**common)
        if not isinstance(text, str):
            raise SchemaError(f"Caption: text must be a string, got {_describe(text)}")
        self.text = text

    def _geometry(self) -> dict[str, Any]:
        return {"text": self.text}


KINDS: dict[str, type[Annotation]] = {
    cls.kind: cls for cls in (Box, Polygon, Polyline, Point, Keypoints, Mask, Tag, Caption)
}


def group_slots(annotations: Sequence[Annotation], groupable: Collection[type]) -> list[Any]:
    """``annotations`` in order, each annotation of a ``groupable`` type that has a ``group`` gathered
    with the others of the same (group, label) into one list, placed where its first member is."""
    slots: list[Any] = []  # an annotation, or the member list of a group
    groups: dict[Any, list[Annotation]] = {}
    for annotation in annotations:
        if annotation.group is None or type(annotation) not in groupable:
            slots.append(annotation)
            continue
        key = (annotation.group, annotation.label)
        members = groups.get(key)
        if members is None:
            members = groups[key] = []
            slots.append(members)
        members.append(annotation)
    return slots


def doubled_objects(annotations: Sequence[Annotation]) -> tuple[set[int], set[int]]:
    """The objects given twice: a Box and an outline (Polygon or Mask) sharing ``(group, label)``,
    i.e. one object's box and its outline, as a VOC object read with its SegmentationObject mask.
    Returns (``id()`` of those boxes, ``id()`` of those outlines): writers that hold one geometry
    per object write one of the two (the box for boxes, the outline for pixels and polygons)."""
    boxes = {(a.group, a.label) for a in annotations if type(a) is Box and a.group is not None}
    if not boxes:  # the common case, one pass
        return set(), set()
    both = boxes & {(a.group, a.label) for a in annotations if type(a) is Polygon or type(a) is Mask}
    if not both:
        return set(), set()
    twins = [a for a in annotations if (a.group, a.label) in both]
    return ({id(a) for a in twins if type(a) is Box},
            {id(a) for a in twins if type(a) is Polygon or type(a) is Mask})

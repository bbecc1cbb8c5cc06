"""FastLabel image tasks -> IR items.

Coordinates pass through unchanged: FastLabel points are continuous pixel-corner coordinates
(origin at the top-left image corner, x right, y down), the IR's own convention.

=================  ========================================================================
FastLabel type     IR annotation
=================  ========================================================================
bbox               Box(xyxy = min/max corners of ``points``, angle = ``rotation`` degrees,
                   clockwise on screen); with non-empty ``keypoints`` also a Keypoints
                   annotation sharing its ``group``
polygon            Polygon, one region with one ring (vertex order kept)
segmentation       Polygon, one region per ``[outer, *holes]`` (rings kept as given)
keypoint           Point
line               Polyline
circle             Polygon approximating the circle (see mapping_geometry), the exact
                   ``[cx, cy, r]`` in ``extras["fastlabel:circle"]``; reported as
                   geometry-converted (only the fastlabel writer restores the circle)
pose_estimation    Keypoints in the label's keypoint order: ``[x, y, 1]`` -> COCO
                   visibility 2, ``[x, y, 0]`` -> 1, ``[]`` or absent -> 0 at (0, 0)
classification     Tag
=================  ========================================================================

Common fields: ``value`` -> label, ``id`` -> id, ``confidenceScore`` -> score (a negative one,
FastLabel's "no score" -1, -> no score, the value kept in extras), ``attributes``
``[{key, name, type, value}]`` -> ``{key: value}`` (names and types live on the label). A
``title``/``color`` different from the label's, a ``type`` different from the label's class
type, a non-zero ``rotation`` of a type that has none, an absent ``rotation``/``attributes``
and unknown keys are kept in ``extras["fastlabel:<key>"]`` for the fastlabel writer.

Task fields: ``name`` -> item id and image path (a repeated name gets ``#<task id>``),
``width``/``height`` -> image size (0 or null: unknown), ``tags`` -> ``attributes["tags"]``,
``metadatas`` ``[{key, value}]`` -> the other item attributes; ``id``, ``status``,
``externalStatus``, ``priority``, ``url``, assignees, timestamps and unknown keys ->
``extras["fastlabel:<key>"]``.

Speed: the coordinates of all annotations are converted in one bulk numpy conversion and each
geometry is a read-only view into it; only when that conversion finds a non-number are the
annotations checked one by one, to name the place of the error.
"""

from __future__ import annotations

from collections.abc import Callable
from itertools import chain
from math import isfinite
from operator import itemgetter
from pathlib import Path
from typing import Any

from annoconv._numbers import NUMBER_TYPES
from annoconv.errors import AnnoconvError, SchemaError
from annoconv.ir import Box, ImageRef, Item, Keypoints, LabelSet, Point, Polygon, Polyline, Tag
from annoconv.report import Code, Report

from .mapping_coordinates import BOX, LINE, POINT, POLYGON, POSE, SEGMENTATION, DeferredCoordinates, Pending
from .mapping_geometry import circle_max_deviation, circle_ring
from .mapping_labels import P, TYPES, detached, keys_of, kind_of, parse_color

_TASK_FIELDS = {"name", "width", "height", "annotations", "tags", "metadatas"}
_ANNOTATION_FIELDS = {"id", "type", "value", "title", "color", "attributes", "points", "rotation", "keypoints",
                      "confidenceScore"}
_KNOWN_TYPES = frozenset(TYPES)
_Common = tuple[str, Any, "float | None", bool, "dict[str, Any] | None"]  # label, id, score, iscrowd, attributes
_MISSING = object()
ROTATION_TYPES = frozenset({"bbox", "polygon", "segmentation", "keypoint", "line", "circle"})
_WITHOUT_POINTS = frozenset({"classification", "pose_estimation"})
_WITH_KEYPOINTS = frozenset({"bbox", "pose_estimation"})
_CLASSES: dict[int, Any] = {BOX: Box, POLYGON: Polygon, LINE: Polyline, POINT: Point}
_VALUE = itemgetter("value")
_FLAT_RULES = {  # type -> (kind, what the points are, exact count or None, minimum count)
    "bbox": (BOX, "4 numbers x1, y1, x2, y2", 4, 4),
    "polygon": (POLYGON, "a flat list x1, y1, x2, y2, ... of at least 3 points", None, 6),
    "line": (LINE, "a flat list x1, y1, x2, y2, ... of at least 2 points", None, 4),
    "keypoint": (POINT, "2 numbers x, y", 2, 2),
}


def task_name(task: Any, index: int | None) -> str:
    """How reports name a task that could not be read."""
    if isinstance(task, dict):
        if isinstance(task.get("name"), str) and task["name"]:
            return task["name"]
        if "id" in task:
            return f"task {task['id']!r}"
    return "task" if index is None else f"task #{index}"


class TaskReader:
    """Reads image tasks into items with the given labels (the caller builds them first)."""

    def __init__(self, labels: LabelSet, report: Report, *, skip: bool = False, where: str = "tasks",
                 file: str | Path | None = None, progress: Callable[[int], None] | None = None) -> None:
        self.labels = labels
        self.report = report
        self.skip = skip
        self.where = where
        self.file = file
        self.progress = progress
        self.coordinates = DeferredCoordinates()
        self.ids: set[str] = set()
        self.label_info: dict[str, Any] = {}
        self.keypoint_index: dict[str, tuple[dict[str, int], list[str]]] = {}

    # --- errors -------------------------------------------------------------------------------
    def _skipped(self, exc: AnnoconvError, code: Code, item: str | None, annotation: Any = None) -> None:
        exc.located(file=self.file)
        if not self.skip:
            raise exc
        self.report.add(code, "bad input skipped (on_error=skip)", item=item, annotation=annotation,
                        error=exc.message)

    # --- tasks --------------------------------------------------------------------------------
    def read(self, tasks: list[Any], single: bool = False) -> list[Item]:
        """Items of ``tasks`` (``single``: one task whose location is ``where`` itself)."""
        items = []
        for index, task in enumerate(tasks):
            try:
                items.append(self._task(task, self.where if single else f"{self.where}[{index}]"))
            except SchemaError as exc:
                self._skipped(exc, Code.ITEM_SKIPPED, task_name(task, None if single else index))
            if self.progress is not None:
                self.progress(1)
        self.coordinates.resolve(self.report, self._bad)
        self.report.stats["items_read"] = self.report.stats.get("items_read", 0) + len(items)
        return items

    def _task(self, task: Any, at: str) -> Item:
        if type(task) is not dict:
            raise SchemaError(f"expected an image task object, got {kind_of(task)}", location=at)
        name = task.get("name")
        if not isinstance(name, str) or not name:
            raise SchemaError(f"task 'name' must be a non-empty string, got {kind_of(name)}", location=at + ".name",
                              item=f"task {task['id']!r}" if "id" in task else None)
        describe = f"task {name!r}" if "id" not in task else f"task {name!r} (id {task['id']!r})"
        extras = {P + key: detached(value) for key, value in task.items() if key not in _TASK_FIELDS}
        width, height = (self._size(task, key, at, describe, extras) for key in ("width", "height"))
        item_id = name
        if item_id in self.ids:  # item ids are unique
            item_id = f"{name}#{task['id']}" if "id" in task else f"{name}#{at}"
        self.ids.add(item_id)
        attributes = self._item_attributes(task, at, describe, extras)
        raw = task.get("annotations", [])
        if raw is None:
            extras[P + "annotations"] = None
            raw = []
        if type(raw) is not list:
            raise SchemaError(f"'annotations' must be a list, got {kind_of(raw)}", location=at + ".annotations",
                              item=describe)
        item = Item(item_id, ImageRef(name, width, height), [], attributes=attributes, extras=extras)
        for index, annotation in enumerate(raw):
            location = f"{at}.annotations[{index}]"
            try:
                self._annotation(item, annotation, location, describe, index)
            except SchemaError as exc:
                self._skipped(exc, Code.ANNOTATION_SKIPPED, item.id,
                              annotation.get("id") if type(annotation) is dict else None)
        return item

    def _size(self, task: dict[str, Any], key: str, at: str, describe: str, extras: dict[str, Any]) -> int | None:
        value = task.get(key)
        if value is None or value == 0:
            if key in task:
                extras[P + key] = value  # unknown size, written back as it was
            return None
        if type(value) not in NUMBER_TYPES or value < 0 or value != int(value):
            raise SchemaError(f"'{key}' must be a positive integer, got {value!r}", location=f"{at}.{key}",
                              item=describe)
        return int(value)

    def _item_attributes(self, task: dict[str, Any], at: str, describe: str,
                         extras: dict[str, Any]) -> dict[str, Any]:
        attributes: dict[str, Any] = {}
        tags = task.get("tags")
        if tags:
            if type(tags) is not list or not all(isinstance(tag, str) for tag in tags):
                raise SchemaError(f"'tags' must be a list of strings, got {kind_of(tags)}", location=at + ".tags",
                                  item=describe)
            attributes["tags"] = list(tags)
        elif "tags" in task:
            extras[P + "tags"] = detached(tags)  # [] or null, written back as it was
        metadatas = task.get("metadatas")
        if metadatas:
            if type(metadatas) is not list or not all(type(m) is dict and isinstance(m.get("key"), str)
                                                      for m in metadatas):
                raise SchemaError("'metadatas' must be a list of {key, value} objects", location=at + ".metadatas",
                                  item=describe)
            keys = [m["key"] for m in metadatas]
            if "tags" in keys or len(set(keys)) != len(keys) or any(set(m) - {"key", "value"} for m in metadatas):
                extras[P + "metadatas"] = detached(metadatas)  # cannot be item attributes: kept as they were
            else:
                attributes.update((m["key"], detached(m.get("value"))) for m in metadatas)
        elif "metadatas" in task:
            extras[P + "metadatas"] = detached(metadatas)
        return attributes

    # --- annotations --------------------------------------------------------------------------
    def _label_info(self, value: str) -> tuple[Any, Any, Any, Any] | None:
        """(class type, title, colour as the source spelled it, colour) of the label ``value``, cached;
        None (reported once) when the labels do not have it."""
        info = self.label_info.get(value, _MISSING)
        if info is _MISSING:
            label = self.labels.get(value)
            if label is None:
                info = None
                self.report.add(Code.LABEL_UNKNOWN, "annotation value not among the given labels", label=value)
            else:
                info = (label.extras.get(P + "type"), label.extras.get(P + "title", label.name),
                        label.extras.get(P + "color"), label.color)
            self.label_info[value] = info
        return info  # type: ignore[return-value]

    def _annotation(self, item: Item, raw: Any, at: str, describe: str, index: int) -> None:
        if type(raw) is not dict:
            raise SchemaError(f"expected an annotation object, got {kind_of(raw)}", location=at, item=describe)
        get = raw.get
        atype, value = get("type"), get("value")
        if atype not in _KNOWN_TYPES:
            raise SchemaError(f"unknown annotation type {atype!r} (known: {', '.join(TYPES)})", location=at + ".type",
                              item=describe)
        if type(value) is not str or not value:
            raise SchemaError(f"'value' (the class) must be a non-empty string, got {kind_of(value)}",
                              location=at + ".value", item=describe)
        score = get("confidenceScore")
        if score is not None:
            if type(score) not in NUMBER_TYPES or not isfinite(score):
                raise SchemaError(f"'confidenceScore' must be a finite number, got {score!r}",
                                  location=at + ".confidenceScore", item=describe)
            score = float(score)
        given = get("attributes")
        attributes = self._attributes(given, at, describe) if given else None
        extras = self._extras(raw, atype, value, at, describe)
        if score is not None and score < 0:  # FastLabel's "no score" (-1): kept for fastlabel output only
            extras[P + "confidenceScore"], score = raw["confidenceScore"], None
        ann_id = get("id")
        common: _Common = (value, ann_id, score, False, attributes)
        flat_rule = _FLAT_RULES.get(atype)
        if flat_rule is not None:
            kind, what, exact, minimum = flat_rule
            points = get("points")
            if type(points) is not list or (exact is not None and len(points) != exact) \
                    or len(points) < minimum or len(points) % 2:
                self._bad_points(points, what, at, describe)
            shape = _CLASSES[kind]._prevalidated((), *common, extras)
            pending = Pending(item, at, describe)
            self.coordinates.part(pending, kind, shape, [points], None)  # type: ignore[list-item]
            if kind == BOX:
                shape.angle = float(get("rotation") or 0.0)
                keypoints = get("keypoints")
                if keypoints:  # a bbox with keypoints (SDK PR #243): the points join the box as a group
                    points_ann = self._pose(pending, raw, value, common, at, describe)
                    shape.group = points_ann.group = index
                elif "keypoints" in raw:
                    extras[P + "keypoints"] = detached(keypoints)  # [] or null, written back as it was
        elif atype == "segmentation":
            pending = Pending(item, at, describe)
            self._segmentation(pending, raw, common, extras, at, describe)
        elif atype == "pose_estimation":
            pending = Pending(item, at, describe)
            points_ann = self._pose(pending, raw, value, common, at, describe)
            points_ann.extras = extras
        elif atype == "circle":
            shape = self._circle(raw, common, extras, at, describe)
            item.annotations.append(shape)
            self.report.add(Code.GEOMETRY_CONVERTED, "FastLabel circle held as a polygon approximation (the exact "
                            "circle is written back by the fastlabel writer only)", item=item.id, annotation=ann_id,
                            vertices=len(shape.regions[0][0]),
                            max_deviation_px=circle_max_deviation(extras[P + "circle"][2]))
            return
        else:  # classification
            item.annotations.append(Tag._prevalidated((), *common, extras))
            return
        item.annotations.extend(pending.objects)
        self.coordinates.pending.append(pending)

    def _attributes(self, given: Any, at: str, describe: str) -> dict[str, Any]:
        if type(given) is not list:
            raise SchemaError(f"'attributes' must be a list of {{key, value}} objects, got {kind_of(given)}",
                              location=at + ".attributes", item=describe)
        out: dict[str, Any] = {}
        for i, attribute in enumerate(given):
            if type(attribute) is not dict or type(attribute.get("key")) is not str:
                raise SchemaError("an attribute must be an object with a string 'key'",
                                  location=f"{at}.attributes[{i}]", item=describe)
            key = attribute["key"]
            if key in out:
                raise SchemaError(f"duplicate attribute key {key!r}", location=f"{at}.attributes[{i}].key",
                                  item=describe)
            value = attribute.get("value")
            out[key] = value if type(value) is not list else detached(value)
        return out

    def _extras(self, raw: dict[str, Any], atype: str, value: str, at: str, describe: str) -> dict[str, Any]:
        """What the writer needs besides the IR fields to give the annotation back as it was."""
        keys = raw.keys()
        extras = {} if keys <= _ANNOTATION_FIELDS else {
            P + k: detached(v) for k, v in raw.items() if k not in _ANNOTATION_FIELDS}
        info = self.label_info.get(value, _MISSING)
        if info is _MISSING:
            info = self._label_info(value)
        if info is not None:
            label_type, title, color_text, color = info
            if label_type is not None and atype != label_type:
                extras[P + "type"] = atype
            if "title" in keys and raw["title"] != title:
                extras[P + "title"] = detached(raw["title"])
            if "color" in keys and (raw["color"] != color_text or color is None) and (
                    color is None or parse_color(raw["color"]) != color):
                extras[P + "color"] = detached(raw["color"])
        if "attributes" not in keys:
            extras[P + "attributes"] = None  # absent in the source: not written back
        if "title" not in keys:
            extras[P + "title"] = None
        if "points" in keys and atype in _WITHOUT_POINTS:
            extras[P + "points"] = detached(raw["points"])  # a field this type does not use, kept as it was
        if "keypoints" in keys and atype not in _WITH_KEYPOINTS:
            extras[P + "keypoints"] = detached(raw["keypoints"])
        if "rotation" not in keys:
            if atype in ROTATION_TYPES:
                extras[P + "rotation"] = None
            return extras
        rotation = raw["rotation"]
        if rotation is not None and (type(rotation) not in NUMBER_TYPES or not isfinite(rotation)):
            raise SchemaError(f"'rotation' must be a finite number of degrees, got {rotation!r}",
                              location=at + ".rotation", item=describe)
        if atype != "bbox" and (rotation or atype not in ROTATION_TYPES):
            extras[P + "rotation"] = rotation
            if rotation:
                self.report.add(Code.SKIPPED_CONTENT, "rotation of a non-bbox annotation is not applied to its "
                                "points (kept for fastlabel output only)", annotation=raw.get("id"),
                                type=atype, rotation=rotation, location=at)
        return extras

    def _bad_points(self, points: Any, what: str, at: str, describe: str) -> None:
        if type(points) is dict:
            raise SchemaError(f"points keyed by frame (a video task) are not supported: expected {what}",
                              location=at + ".points", item=describe)
        size = f"{len(points)} values" if type(points) is list else kind_of(points)
        raise SchemaError(f"'points' must be {what}, got {size}", location=at + ".points", item=describe)

    def _segmentation(self, pending: Pending, raw: dict[str, Any], common: _Common,
                      extras: dict[str, Any], at: str, describe: str) -> None:
        regions = raw.get("points")
        expected = "a list of regions [[outer x1, y1, ...], [hole x1, y1, ...], ...]"
        if type(regions) is not list or not regions:
            raise SchemaError(f"segmentation 'points' must be {expected}, got {kind_of(regions)}",
                              location=at + ".points", item=describe)
        rings: list[list[Any]] = []
        counts: list[int] = []
        for r, region in enumerate(regions):
            if type(region) is not list or not region or type(region[0]) is not list:
                raise SchemaError(f"segmentation region must be a list of rings [[x1, y1, ...], ...], got "
                                  f"{kind_of(region)}", location=f"{at}.points[{r}]", item=describe)
            for k, ring in enumerate(region):
                if type(ring) is not list or len(ring) < 6 or len(ring) % 2:
                    size = f"{len(ring)} values" if type(ring) is list else kind_of(ring)
                    raise SchemaError(f"a ring must be a flat list x1, y1, ... of at least 3 points, got {size}",
                                      location=f"{at}.points[{r}][{k}]", item=describe)
            rings.extend(region)
            counts.append(len(region))
        self.coordinates.part(pending, SEGMENTATION, Polygon._prevalidated((), *common, extras), rings, counts)

    def _pose(self, pending: Pending, raw: dict[str, Any], value: str, common: _Common, at: str,
              describe: str) -> Keypoints:
        points = raw.get("keypoints")
        if points is None:
            points = []
        if type(points) is not list:
            raise SchemaError(f"'keypoints' must be a list of {{key, value}} objects, got {kind_of(points)}",
                              location=at + ".keypoints", item=describe)
        names, keys = self._keypoint_index(value, points)
        placed = _placed_in_label_order(points, keys)
        if placed is not None:  # the usual case, checked in a few comprehensions
            values, rows = placed
            obj = Keypoints._prevalidated((), *common)
            self.coordinates.part(pending, POSE, obj, [values], (rows, len(names), rows))
            return obj
        values = []
        rows = []
        positions: list[int] = []  # where each placed point is in the source list (for error messages)
        seen: set[str] = set()
        for j, point in enumerate(points):
            key = point.get("key") if type(point) is dict else None
            if type(key) is not str or key in seen:
                problem = f"keypoint {key!r} given twice" if key in seen else "a keypoint must be an object with a " \
                    "string 'key'"
                raise SchemaError(problem, location=f"{at}.keypoints[{j}]", item=describe)
            seen.add(key)
            i = names.get(key)
            if i is None:
                self.report.add(Code.SKIPPED_CONTENT, "keypoint key not declared by its class: dropped",
                                item=pending.item.id, annotation=raw.get("id"), label=value, key=key)
                continue
            xyv = point.get("value")
            if not xyv:
                continue  # [] (or absent): not placed
            if type(xyv) is not list or len(xyv) != 3:
                raise SchemaError(f"keypoint value must be [x, y, v] or [], got {kind_of(xyv)}",
                                  location=f"{at}.keypoints[{j}].value", item=describe)
            v = xyv[2]
            if (v != 1 and v != 0) or type(v) not in NUMBER_TYPES:  # x and y are checked in bulk
                raise SchemaError(f"keypoint visibility must be 1 (visible) or 0 (invisible), got {v!r}",
                                  location=f"{at}.keypoints[{j}].value[2]", item=describe)
            values += xyv
            rows.append(i)
            positions.append(j)
        obj = Keypoints._prevalidated((), *common)
        self.coordinates.part(pending, POSE, obj, [values], (rows, len(names), positions))
        return obj

    def _keypoint_index(self, value: str, points: list[Any]) -> tuple[dict[str, int], list[str]]:
        """(keypoint key -> position, the keys in order): the label's order (cached), or the task's
        when the label has none."""
        cached = self.keypoint_index.get(value)
        if cached is not None:
            return cached
        label = self.labels.get(value)
        if label is not None and label.keypoints:
            keys = list(label.keypoints)
            cached = self.keypoint_index[value] = ({key: i for i, key in enumerate(keys)}, keys)
            return cached
        keys = list(dict.fromkeys(p["key"] for p in points if type(p) is dict and type(p.get("key")) is str))
        return {key: i for i, key in enumerate(keys)}, keys

    def _circle(self, raw: dict[str, Any], common: _Common, extras: dict[str, Any], at: str,
                describe: str) -> Polygon:
        points = raw.get("points")
        if type(points) is not list or len(points) != 3 or not all(type(v) in NUMBER_TYPES for v in points):
            size = f"{len(points)} values" if type(points) is list else kind_of(points)
            raise SchemaError(f"circle 'points' must be 3 numbers cx, cy, r, got {size}", location=at + ".points",
                              item=describe)
        cx, cy, r = (float(v) for v in points)
        if not (isfinite(cx) and isfinite(cy) and isfinite(r)) or r < 0:
            raise SchemaError(f"circle centre and radius must be finite and the radius >= 0, got {points}",
                              location=at + ".points", item=describe)
        extras[P + "circle"] = [cx, cy, r]
        regions = ((circle_ring(cx, cy, r),),)
        return Polygon._prevalidated((regions,), *common, extras)

    # --- coordinates --------------------------------------------------------------------------
    def _bad(self, pending: Pending, where: str, problem: str) -> None:
        """An annotation with a coordinate that is not a finite number: raise, or leave it out."""
        error = SchemaError(problem, location=pending.location + where, item=pending.describe)
        self._skipped(error, Code.ANNOTATION_SKIPPED, pending.item.id, pending.objects[0].id)
        pending.item.annotations[:] = [a for a in pending.item.annotations
                                       if not any(a is obj for obj in pending.objects)]


def _placed_in_label_order(points: list[Any], keys: list[str]) -> tuple[list[Any], list[int]] | None:
    """(flat x, y, v values, row of each placed point) when ``points`` hold every declared key once,
    in the declared order, each with a ``value`` that is [] or a list of 3; None sends the points
    through the general loop, which says what is wrong. The values themselves (numbers, v 0 or 1)
    are checked in bulk by DeferredCoordinates.resolve."""
    try:
        if keys_of(points) != keys:
            return None
        given = list(map(_VALUE, points))
        rows = [row for row, xyv in enumerate(given) if xyv]
        placed = [given[row] for row in rows]
        if placed and ({*map(type, placed)} != {list} or {*map(len, placed)} != {3}):
            return None
    except (TypeError, KeyError):
        return None
    return list(chain.from_iterable(placed)), rows

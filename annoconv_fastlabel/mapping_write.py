"""IR items -> FastLabel image tasks (``get_image_tasks`` shape) and API annotation payloads.

Coordinates pass through unchanged (FastLabel's pixel-corner convention is the IR's) and are
never rounded. What each IR kind becomes:

- Box -> ``bbox`` ``[x1, y1, x2, y2]`` with ``rotation`` = angle (degrees, clockwise on screen);
  a Box and a Keypoints annotation sharing ``group`` and label -> one bbox with ``keypoints``.
- Polygon -> ``polygon`` (one region, one ring, unless its label's class is a segmentation) or
  ``segmentation`` ``[[outer, *holes], ...]``; rings are normalized: exteriors clockwise on screen,
  holes counter-clockwise, segmentation rings closed (FastLabel's convention; the SDK's rasterizer
  assumes it, D10). Polygons sharing ``group`` and label -> one multi-region segmentation.
  A Polygon still equal to the approximation of its ``extras["fastlabel:circle"]`` -> ``circle``.
- Polyline -> ``line``; Point -> ``keypoint``; Tag -> ``classification``.
- Keypoints -> ``pose_estimation``: ``[x, y, 1]`` for COCO visibility 2, ``[x, y, 0]`` for 1,
  ``[]`` for 0, keyed by the label's keypoint names, with the skeleton's edges.
- Mask -> ``segmentation`` traced exactly along pixel edges (``geometry-converted``).
- Caption: dropped (``unsupported-kind``); the crowd flag and item subsets are dropped too
  (``field-dropped``). These are exactly the losses :data:`CAPABILITIES` declares.

``score`` -> ``confidenceScore``; ``attributes`` -> ``[{key, name, type, value}]`` with name and
type from the label's attribute definitions (inferred from the value when the label has none:
bool -> switch, list -> checkbox, else text). Item: ``image.path`` -> ``name``, size ->
``width``/``height``, ``attributes["tags"]`` -> ``tags``, other attributes -> ``metadatas``,
``extras["fastlabel:<key>"]`` -> ``<key>``. Annotations are written in z-order (stable).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from annoconv.formats._base import Capabilities
from annoconv.ir import (Annotation, Box, Caption, Item, Keypoints, Label, LabelSet, Mask, Point, Polygon, Polyline,
                         Tag)
from annoconv.ir.annotations import group_slots
from annoconv.report import Code, Report, Severity

from .mapping_geometry import circle_ring, flat, mask_regions, oriented, signed_areas
from .mapping_labels import P, detached, edge_lists, label_color

FORMAT_NAME = "fastlabel"
CAPABILITIES = Capabilities(
    native=frozenset({"box", "rotated-box", "polygon", "polygon-multipart", "polygon-holes", "polyline", "point",
                      "keypoints", "tag", "attributes", "score", "image-attributes", "label-color",
                      "label-keypoints", "label-attributes"}),
    converted={"mask": "a segmentation traced along its pixel edges",
               "z-order": "the annotations' order (later ones on top)"},
)
# Annotation keys the writer computes; an extra of the same name overrides it (None: leave the key out).
_COMPUTED = {"id", "type", "value", "title", "color", "points", "rotation", "attributes", "keypoints",
             "confidenceScore"}
_SPECIAL = {"type", "circle"}  # extras read by the writer itself, never passed through
_API_KEYS = ("type", "value", "points", "rotation", "confidenceScore", "keypoints", "attributes")
_GROUPED = (Box, Keypoints, Polygon, Mask)


def infer_attribute_type(value: Any) -> str:
    """The FastLabel attribute type for a value whose label defines none."""
    if isinstance(value, bool):
        return "switch"
    if isinstance(value, list):
        return "checkbox"
    return "text"


class TaskWriter:
    """Writes items as task dicts. Ring coordinates are oriented in one bulk pass in :meth:`finish`,
    which must be called before the returned dicts are used."""

    def __init__(self, labels: LabelSet, report: Report, *, api: bool = False) -> None:
        self.labels = labels
        self.report = report
        self.api = api  # the create/update payload: no ids, titles, colours, names, edges
        self.rings: list[np.ndarray] = []
        self.targets: list[tuple[Any, Any, bool, bool]] = []  # (container, key, clockwise, close)
        self.types: dict[str, str] = {}  # label -> the first FastLabel type written for it
        self.mixed: dict[str, set[str]] = {}
        self.inferred: dict[str, dict[str, Any]] = {}  # label -> attribute key -> inferred definition
        self.label_info: dict[Any, tuple[Label | None, Any, Any, Any]] = {}
        self.keypoint_schemas: dict[tuple[Any, int], tuple[Any, list[str], list[list[str]]]] = {}
        self.annotations_written = 0

    # --- reporting ----------------------------------------------------------------------------
    def loss(self, feature: str, item: Item, annotation: Annotation | None = None) -> None:
        loss = CAPABILITIES.loss(feature, FORMAT_NAME)
        if loss is not None:
            self.report.add(loss[0], loss[1], item=item.id, annotation=annotation.id if annotation else None)

    # --- tasks --------------------------------------------------------------------------------
    def task(self, item: Item) -> dict[str, Any]:
        extras = item.extras
        out: dict[str, Any] = {}
        if P + "id" in extras:
            out["id"] = extras[P + "id"]
        out["name"] = item.image.path
        for key in ("width", "height"):
            value = getattr(item.image, key)
            if value is not None:
                out[key] = value
            elif P + key in extras:
                out[key] = extras[P + key]
        if any(getattr(item.image, key) is None and P + key not in extras for key in ("width", "height")):
            self.report.add(Code.IMAGE_SIZE_MISSING, "image size unknown: task 'width'/'height' not written",
                            item=item.id)
        for key, value in extras.items():
            if key.startswith(P) and key[len(P):] not in out and key[len(P):] not in ("annotations",):
                out[key[len(P):]] = detached(value)
        self._item_attributes(item, out)
        if item.subset is not None:
            self.loss("subset", item)
        out["annotations"] = self.annotations(item)
        if not out["annotations"] and extras.get(P + "annotations", []) is None:
            out["annotations"] = None
        return out

    def _item_attributes(self, item: Item, out: dict[str, Any]) -> None:
        metadatas = []
        for key, value in item.attributes.items():
            if key == "tags" and isinstance(value, list) and all(isinstance(tag, str) for tag in value):
                out["tags"] = list(value)
            else:
                metadatas.append({"key": key, "value": detached(value)})
        if metadatas:
            out["metadatas"] = metadatas

    def annotations(self, item: Item) -> list[dict[str, Any]]:
        """The item's annotations as FastLabel annotation dicts, in z-order."""
        source = item.annotations
        if any(annotation.z_order for annotation in source):
            source = sorted(source, key=lambda annotation: annotation.z_order)
            for annotation in source:
                if annotation.z_order:
                    self.loss("z-order", item, annotation)
        out: list[dict[str, Any]] = []
        for slot in group_slots(source, _GROUPED):
            if type(slot) is list:
                parts = _split_group(slot)
                if len(parts) > 1:
                    self.report.add(Code.FIELD_DROPPED, "group link between annotations FastLabel cannot join "
                                    "into one (written as separate annotations)", severity=Severity.INFO,
                                    item=item.id, group=str(slot[0].group))
                for part in parts:
                    self._write(item, part, out)
            else:
                self._write(item, [slot], out)
        self.annotations_written += len(out)
        return out

    # --- one annotation -----------------------------------------------------------------------
    def _label(self, name: Any) -> tuple[Label | None, Any, Any, Any]:
        """(label, class title, class colour, class type) of ``name``, cached; a name missing from
        the labels is reported once and written with its name as title and no colour."""
        info = self.label_info.get(name)
        if info is None:
            label = self.labels.get(name) if name is not None else None
            if label is None:
                info = (None, name, None, None)
                self.report.add(Code.LABEL_UNKNOWN, "annotation label not in the label set: written without class "
                                "title and colour", label=name)
            else:
                info = (label, label.extras.get(P + "title", label.name), label_color(label),
                        label.extras.get(P + "type"))
            self.label_info[name] = info
        return info

    def _write(self, item: Item, parts: list[Annotation], out: list[dict[str, Any]]) -> None:
        main = parts[0]
        kind = type(main)
        for part in parts:
            if part.iscrowd:
                self.loss("crowd", item, part)
        if kind is Caption:
            self.loss("caption", item, main)
            return
        label, title, color, class_type = self._label(main.label)
        ann: dict[str, Any] = {}
        if main.id is not None and not self.api:
            ann["id"] = main.id
        ann["type"] = ""
        ann["value"] = main.label
        if not self.api:
            ann["title"] = title
            if color is not None:
                ann["color"] = color
        if kind is Polygon:
            self._polygon(parts, class_type, ann)  # type: ignore[arg-type]
        elif kind is Box:
            ann["type"], ann["points"], ann["rotation"] = "bbox", main.xyxy.tolist(), main.angle  # type: ignore
        elif kind is Polyline:
            ann["type"], ann["points"], ann["rotation"] = "line", main.points.ravel().tolist(), 0  # type: ignore
        elif kind is Point:
            ann["type"], ann["points"], ann["rotation"] = "keypoint", main.xy.tolist(), 0  # type: ignore
        elif kind is Keypoints:
            ann["type"] = "pose_estimation"
        elif kind is Tag:
            ann["type"] = "classification"
        elif kind is Mask:
            self.loss("mask", item, main)
            regions = mask_regions(main)  # type: ignore[arg-type]
            if not regions:
                self.report.add(Code.GEOMETRY_CONVERTED, "empty Mask (no foreground pixel) has no outline: dropped",
                                item=item.id, annotation=main.id)
                return
            ann["type"], ann["points"], ann["rotation"] = "segmentation", self._regions(regions), 0
        else:  # an IR kind this writer does not know (a plugin's): nothing to write it as
            self.report.add(Code.UNSUPPORTED_KIND, f"{kind.__name__} annotations dropped: fastlabel cannot hold them",
                            item=item.id, annotation=main.id)
            return
        ann["attributes"] = self._attributes(main, label) if main.attributes else []
        if main.score is not None:
            ann["confidenceScore"] = main.score
        if type(parts[-1]) is Keypoints:
            ann["keypoints"] = self._keypoints(item, parts[-1], label)  # type: ignore[arg-type]
        if self.api:
            ann = {key: ann[key] for key in _API_KEYS if key in ann}
        elif main.extras:
            _passthrough(ann, main.extras)
        written = ann["type"]
        first = self.types.setdefault(main.label, written)  # type: ignore[arg-type]
        if first != written:
            self.mixed.setdefault(main.label, {first}).add(written)  # type: ignore[arg-type]
        out.append(ann)

    def _polygon(self, parts: list[Annotation], class_type: Any, ann: dict[str, Any]) -> None:
        main: Polygon = parts[0]  # type: ignore[assignment]
        if len(parts) == 1:
            regions: Any = main.regions
        else:
            regions = [region for polygon in parts if type(polygon) is Polygon for region in polygon.regions]
        circle = main.extras.get(P + "circle") if main.extras else None
        if circle is not None and len(parts) == 1 and _is_circle(main, circle):
            ann["type"], ann["points"], ann["rotation"] = "circle", list(circle), 0
            return
        wanted = (main.extras.get(P + "type") if main.extras else None) or class_type
        if len(regions) == 1 and len(regions[0]) == 1 and wanted != "segmentation":
            ann["type"], ann["points"], ann["rotation"] = "polygon", None, 0
            self._ring(regions[0][0], ann, "points", True, False)
            return
        ann["type"], ann["points"], ann["rotation"] = "segmentation", self._regions(regions), 0

    def _regions(self, regions: Any) -> list[list[Any]]:
        out: list[list[Any]] = []
        for region in regions:
            rings: list[Any] = [None] * len(region)
            for position, ring in enumerate(region):
                self._ring(ring, rings, position, position == 0, True)
            out.append(rings)
        return out

    def _ring(self, ring: np.ndarray, container: Any, key: Any, clockwise: bool, close: bool) -> None:
        self.rings.append(ring)
        self.targets.append((container, key, clockwise, close))

    def _attributes(self, annotation: Annotation, label: Label | None) -> list[dict[str, Any]]:
        definitions = label.attributes if label is not None else {}
        inferred = self.inferred.setdefault(annotation.label, {}) if annotation.label is not None else {}
        out = []
        for key, value in annotation.attributes.items():
            if type(value) is list:
                value = detached(value)
            if self.api:
                out.append({"key": key, "value": value})
                continue
            definition = definitions.get(key)
            if not isinstance(definition, dict):
                definition = inferred.setdefault(key, {"name": key, "type": infer_attribute_type(value)})
            entry = {"key": key}
            entry.update((name, definition[name]) for name in ("name", "type") if name in definition)
            entry["value"] = value
            out.append(entry)
        return out

    def _keypoints(self, item: Item, points: Keypoints, label: Label | None) -> list[dict[str, Any]]:
        count = len(points.visibility)
        keys, names, edges = self._keypoint_schema(label, count)
        xy = points.xy.tolist()
        visibility = points.visibility.tolist()
        if 0 in visibility and any(x or y for (x, y), v in zip(xy, visibility) if not v):
            self.report.add(Code.FIELD_DROPPED, "coordinates of unlabelled keypoints (visibility 0) not written",
                            severity=Severity.INFO, item=item.id, annotation=points.id)
        if self.api:
            return [{"key": key, "value": [x, y, 1 if v == 2 else 0] if v else []}
                    for key, (x, y), v in zip(keys, xy, visibility)]
        return [{"name": name, "key": key, "value": [x, y, 1 if v == 2 else 0] if v else [], "edges": list(ends)}
                for name, key, (x, y), v, ends in zip(names, keys, xy, visibility, edges)]

    def _keypoint_schema(self, label: Label | None, count: int) -> tuple[Any, list[str], list[list[str]]]:
        """(keys, display names, edges by key) for ``count`` keypoints of ``label``, cached; keys "1".."K"
        when the label does not name that many keypoints."""
        cache_key = (label.name if label is not None else None, count)
        schema = self.keypoint_schemas.get(cache_key)
        if schema is None:
            if label is not None and len(label.keypoints) == count:
                definitions = label.extras.get(P + "keypoints")
                by_key = {d.get("key"): d.get("name") for d in definitions if isinstance(d, dict)} \
                    if isinstance(definitions, list) else {}
                keys = label.keypoints
                schema = (keys, [by_key.get(key) or key for key in keys], edge_lists(keys, label.skeleton))
            else:
                keys = tuple(str(i + 1) for i in range(count))
                schema = (keys, list(keys), [[] for _ in keys])
            self.keypoint_schemas[cache_key] = schema
        return schema

    # --- finishing ----------------------------------------------------------------------------
    def finish(self) -> None:
        """Orient and flatten every ring registered so far (one vectorized area computation)."""
        areas = signed_areas(self.rings).tolist()
        for ring, area, (container, key, clockwise, close) in zip(self.rings, areas, self.targets):
            container[key] = flat(oriented(ring, area, clockwise), close)
        self.rings, self.targets = [], []

    def report_mixed_types(self) -> None:
        for label, types in self.mixed.items():
            self.report.add(Code.FIELD_DROPPED, "label written as several FastLabel types: its class can declare "
                            "only one (the first)", severity=Severity.INFO, label=label, types=sorted(types),
                            declared=self.types[label])


def _is_circle(polygon: Polygon, circle: Any) -> bool:
    """Whether ``polygon`` is still exactly the approximation of ``circle`` = [cx, cy, r]."""
    if len(polygon.regions) != 1 or len(polygon.regions[0]) != 1:
        return False
    try:
        cx, cy, r = (float(v) for v in circle)
    except (TypeError, ValueError):
        return False
    ring = polygon.regions[0][0]
    expected = circle_ring(cx, cy, r)
    return ring.shape == expected.shape and bool(np.array_equal(ring, expected))


def _passthrough(ann: dict[str, Any], extras: dict[str, Any]) -> None:
    """``extras["fastlabel:<key>"]`` back into the annotation: unknown keys as they were; for the keys
    the writer computes, only what restores the source's form without overriding the IR's values (a
    title or colour of its own, an absent ``rotation``/``attributes``, an empty ``keypoints``)."""
    for name, value in extras.items():
        if not name.startswith(P):
            continue
        key = name[len(P):]
        if key not in _COMPUTED:
            if key not in _SPECIAL:
                ann[key] = detached(value)
        elif key in ("title", "color"):  # the annotation's own (None: it had none)
            if value is None:
                ann.pop(key, None)
            else:
                ann[key] = detached(value)
        elif key == "rotation":
            if value is None:
                if ann.get("rotation") == 0:
                    del ann["rotation"]
            elif ann["type"] != "bbox":
                ann["rotation"] = value
        elif key == "attributes":
            if value is None and ann.get("attributes") == []:
                del ann["attributes"]
        elif key in ("keypoints", "points", "confidenceScore"):  # a form the IR holds no value for ([], null, -1)
            if key not in ann:
                ann[key] = detached(value)


def _split_group(members: list[Annotation]) -> list[list[Annotation]]:
    """The FastLabel annotations of one group: a box with its keypoints (when they agree on score and
    attributes), the polygons as one segmentation (likewise); the rest each on its own."""
    boxes = [m for m in members if type(m) is Box]
    polygons: list[Annotation] = [m for m in members if type(m) is Polygon]
    keypoints = [m for m in members if type(m) is Keypoints]
    out: list[list[Annotation]] = [[m] for m in members if type(m) is Mask]
    if len(boxes) == 1 and keypoints and _agree(boxes[0], keypoints[0]):
        out.append([boxes[0], keypoints.pop(0)])
    else:
        out.extend([box] for box in boxes)
    if polygons and all(_agree(polygons[0], p) for p in polygons[1:]):
        out.append(polygons)
    else:
        out.extend([p] for p in polygons)
    out.extend([k] for k in keypoints)
    order = {id(m): i for i, m in enumerate(members)}
    out.sort(key=lambda part: order[id(part[0])])
    return out


def _agree(a: Annotation, b: Annotation) -> bool:
    """Whether two annotations can be one FastLabel annotation (same id, score and attributes)."""
    return a.score == b.score and a.attributes == b.attributes and a.id == b.id


def write_items(items: list[Item], labels: LabelSet, report: Report,
                progress: Callable[[int], None] | None = None) -> tuple[list[dict[str, Any]], TaskWriter]:
    """Task dicts of ``items`` (rings finished), and the writer (types and attributes it used)."""
    writer = TaskWriter(labels, report)
    tasks = []
    for item in items:
        tasks.append(writer.task(item))
        if progress is not None:
            progress(1)
    writer.finish()
    return tasks, writer

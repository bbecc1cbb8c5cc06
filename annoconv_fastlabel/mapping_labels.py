"""FastLabel annotation classes (``GET annotations``) <-> annoconv labels.

A class ``{id, type, value, title, color, order, attributes[], keypoints[]?, ...}`` becomes a
:class:`~annoconv.ir.Label`:

- ``value`` -> ``name``; ``id`` -> ``id``; ``color`` ``"#rrggbb"`` -> ``color`` (r, g, b);
- ``attributes`` -> ``attributes``: ``{key: {name, type, options, ...}}`` (each definition as
  given, without its ``key``);
- ``keypoints`` -> ``keypoints`` (the keypoint ``key``s, in class order) and ``skeleton``: the
  ``edges`` hold keypoint **ids**, resolved here to 0-based index pairs (an edge listed on both
  of its keypoints is one edge); the definitions themselves (id, name, color) are kept in
  ``extras["fastlabel:keypoints"]``;
- ``type``, ``title``, ``order`` and any other key -> ``extras["fastlabel:<key>"]``.

Labels seen only in tasks (no class list, or a value missing from it) are built from the
annotations themselves: their type, title, colour, the ``name``/``type`` of their attributes and
the keys, names and (key-based) edges of their keypoints.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from copy import deepcopy
from operator import itemgetter
from typing import Any

from annoconv._io import json_kind as kind_of
from annoconv.errors import SchemaError
from annoconv.ir import Label, LabelSet
from annoconv.report import Code, Report

P = "fastlabel:"
_HEX = re.compile(r"#?([0-9a-fA-F]{6}|[0-9a-fA-F]{3})")
# Class keys mapped to Label fields; every other key is kept in extras.
_CLASS_FIELDS = {"id", "value", "color", "attributes", "keypoints"}
TYPES = ("bbox", "polygon", "keypoint", "line", "circle", "segmentation", "classification", "pose_estimation")
_TYPE_SET = frozenset(TYPES)


def detached(value: Any) -> Any:
    """``value``, or a deep copy of it when it is a container: what the mapping returns never shares a
    list or dict with what it was given, so that changing one cannot change the other."""
    return deepcopy(value) if type(value) in (list, dict) else value


def parse_color(value: Any) -> tuple[int, int, int] | None:
    """``"#e41a1c"`` (or ``"#abc"``) -> (228, 26, 28); None when it is not a hex colour."""
    if not isinstance(value, str):
        return None
    match = _HEX.fullmatch(value.strip())
    if match is None:
        return None
    digits = match.group(1)
    if len(digits) == 3:
        digits = "".join(c * 2 for c in digits)
    return int(digits[0:2], 16), int(digits[2:4], 16), int(digits[4:6], 16)


def format_color(rgb: tuple[int, int, int]) -> str:
    return "#{:02x}{:02x}{:02x}".format(*rgb)


def label_color(label: Label) -> str | None:
    """The class colour of ``label``: the source string when it still says the same colour."""
    if label.color is None:
        return None
    source = label.extras.get(P + "color")
    return source if parse_color(source) == label.color else format_color(label.color)


def skeleton_from_edges(ids: list[Any], edges: list[list[Any]], where: str) -> tuple[tuple[int, int], ...]:
    """0-based undirected edges from per-keypoint edge lists naming keypoints by ``ids``."""
    index = {ident: i for i, ident in enumerate(ids)}
    out: list[tuple[int, int]] = []
    seen: set[tuple[int, int]] = set()
    for i, targets in enumerate(edges):
        for target in targets:
            j = index.get(target) if isinstance(target, (str, int)) else None
            if j is None:
                raise SchemaError(f"edge to {target!r}, which is not a keypoint of this class "
                                  f"(known: {', '.join(map(str, ids))})", location=f"{where}[{i}].edges")
            pair = (min(i, j), max(i, j))
            if i != j and pair not in seen:
                seen.add(pair)
                out.append(pair)
    return tuple(out)


def edge_lists(keys: tuple[str, ...], skeleton: Iterable[tuple[int, int]],
               ids: list[Any] | None = None) -> list[list[Any]]:
    """Per keypoint, its neighbours (by ``ids``, default the keys) in skeleton order, both directions."""
    names = ids if ids is not None else list(keys)
    out: list[list[Any]] = [[] for _ in keys]
    for a, b in skeleton:
        out[a].append(names[b])
        out[b].append(names[a])
    return out


def _attribute_definitions(raw: Any, where: str) -> dict[str, Any]:
    if raw is None:
        return {}
    if not isinstance(raw, list):
        raise SchemaError(f"'attributes' must be a list, got {kind_of(raw)}", location=where)
    out: dict[str, Any] = {}
    for i, definition in enumerate(raw):
        if not isinstance(definition, dict) or not isinstance(definition.get("key"), str):
            raise SchemaError("an attribute definition must be an object with a string 'key'",
                              location=f"{where}[{i}]")
        key = definition["key"]
        if key in out:
            raise SchemaError(f"duplicate attribute key {key!r}", location=f"{where}[{i}].key")
        out[key] = {k: detached(v) for k, v in definition.items() if k != "key"}
    return out


def label_from_class(raw: Any, where: str, report: Report | None = None) -> Label:
    """One class dict (``GET annotations`` shape) as a Label; ``where`` is its JSON path."""
    if not isinstance(raw, dict):
        raise SchemaError(f"expected an annotation class object, got {kind_of(raw)}", location=where)
    value = raw.get("value")
    if not isinstance(value, str) or not value:
        raise SchemaError(f"class 'value' must be a non-empty string, got {kind_of(value)}", location=where + ".value")
    ctype = raw.get("type")
    if ctype is not None and ctype not in TYPES:
        raise SchemaError(f"unknown class type {ctype!r} (known: {', '.join(TYPES)})", location=where + ".type")
    extras = {P + key: detached(v) for key, v in raw.items() if key not in _CLASS_FIELDS}
    color = parse_color(raw.get("color"))
    if "color" in raw:
        extras[P + "color"] = raw["color"]  # the source spelling, written back while it says the same colour
        if color is None and raw["color"] is not None and report is not None:
            report.add(Code.SKIPPED_CONTENT, "class colour is not a #rrggbb hex colour; kept for fastlabel output "
                       "only", label=value, color=raw["color"])
    keys: tuple[str, ...] = ()
    skeleton: tuple[tuple[int, int], ...] = ()
    points = raw.get("keypoints")
    if points is not None:
        if not isinstance(points, list):
            raise SchemaError(f"'keypoints' must be a list, got {kind_of(points)}", location=where + ".keypoints")
        ids, edges = [], []
        for i, point in enumerate(points):
            at = f"{where}.keypoints[{i}]"
            if not isinstance(point, dict) or not isinstance(point.get("key"), str) or not point["key"]:
                raise SchemaError("a keypoint definition must be an object with a non-empty string 'key'", location=at)
            point_edges = point.get("edges") or []
            if not isinstance(point_edges, list):
                raise SchemaError(f"'edges' must be a list of keypoint ids, got {kind_of(point_edges)}",
                                  location=at + ".edges")
            ids.append(point.get("id", point["key"]))
            edges.append(point_edges)
        keys = tuple(point["key"] for point in points)
        if len(set(keys)) != len(keys):
            raise SchemaError(f"duplicate keypoint keys in {list(keys)}", location=where + ".keypoints")
        skeleton = skeleton_from_edges(ids, edges, where + ".keypoints")
        extras[P + "keypoints"] = detached(points)
    label_id = raw.get("id")
    return Label(value, id=label_id if isinstance(label_id, (str, int)) and not isinstance(label_id, bool) else None,
                 color=color, keypoints=keys, skeleton=skeleton,
                 attributes=_attribute_definitions(raw.get("attributes"), where + ".attributes"), extras=extras)


def labels_from_classes(classes: list[dict[str, Any]], report: Report | None = None, *,
                        where: str = "classes") -> LabelSet:
    """The project's annotation classes (as ``GET annotations`` returns them) as a LabelSet, in list order."""
    if not isinstance(classes, list):
        raise SchemaError(f"expected a list of annotation classes, got {kind_of(classes)}", location=where)
    labels = LabelSet()
    for index, raw in enumerate(classes):
        label = label_from_class(raw, f"{where}[{index}]", report)
        if label.name in labels:
            raise SchemaError(f"duplicate class value {label.name!r}", location=f"{where}[{index}].value")
        labels.add(label)
    return labels


class LabelCollector:
    """Builds labels from what task annotations say about their class (value, type, title, colour,
    attribute names and types, keypoint keys, names and edges). Malformed entries are passed over:
    the task reader reports them where they are."""

    def __init__(self, keyed: frozenset[str] = frozenset()) -> None:
        self.seen: dict[str, dict[str, Any]] = {}
        self.keyed = keyed  # values whose given class declares keypoints: the tasks' keys are not needed

    def add(self, annotation: Any) -> None:
        if not isinstance(annotation, dict):
            return
        value = annotation.get("value")
        if not isinstance(value, str) or not value or annotation.get("type") not in _TYPE_SET:
            return
        info = self.seen.get(value)
        attributes = annotation.get("attributes")
        points = annotation.get("keypoints") if value not in self.keyed else None
        if info is not None and not attributes and not points:
            return  # the common case: nothing new to learn
        if info is None:
            info = self.seen[value] = {"type": annotation.get("type"), "title": annotation.get("title"),
                                       "color": annotation.get("color"), "attributes": {}, "keys": [],
                                       "names": {}, "edges": {}}
        if isinstance(attributes, list):
            known = info["attributes"]
            for attribute in attributes:
                if isinstance(attribute, dict) and isinstance(attribute.get("key"), str) \
                        and attribute["key"] not in known:
                    known[attribute["key"]] = {k: attribute[k] for k in ("name", "type") if k in attribute}
        if isinstance(points, list) and points:
            keys, names, edges = info["keys"], info["names"], info["edges"]
            if len(points) == len(keys) and keys_of(points) == keys:
                return  # the keys already known, in order (attributes were handled above)
            for point in points:
                if not isinstance(point, dict) or not isinstance(point.get("key"), str) or not point["key"]:
                    continue
                key = point["key"]
                if key not in names:
                    keys.append(key)
                    names[key] = point.get("name", key)
                    edges[key] = [e for e in point.get("edges") or [] if isinstance(e, str)] \
                        if isinstance(point.get("edges"), list) else []

    def label(self, value: str) -> Label:
        info = self.seen[value]
        keys = tuple(info["keys"])
        index = {key: i for i, key in enumerate(keys)}
        skeleton: list[tuple[int, int]] = []
        for i, key in enumerate(keys):
            for target in info["edges"][key]:
                j = index.get(target)
                if j is not None and j != i and (min(i, j), max(i, j)) not in skeleton:
                    skeleton.append((min(i, j), max(i, j)))
        extras: dict[str, Any] = {P + "type": info["type"]}
        if isinstance(info["title"], str):
            extras[P + "title"] = info["title"]
        if info["color"] is not None:
            extras[P + "color"] = info["color"]
        if keys:
            extras[P + "keypoints"] = [{"key": key, "name": info["names"][key]} for key in keys]
        return Label(value, color=parse_color(info["color"]), keypoints=keys, skeleton=tuple(skeleton),
                     attributes=info["attributes"], extras=extras)

    def merged(self, base: LabelSet, report: Report | None, classes_given: bool) -> LabelSet:
        """``base`` (copied; a class without keypoints takes those the tasks use) plus a label for every
        value the tasks use that it lacks (reported when a class list was given: nothing is dropped)."""
        out = LabelSet()
        for label in base:
            info = self.seen.get(label.name)
            if info is not None:
                keypoints, skeleton, extras = label.keypoints, label.skeleton, label.extras
                if not keypoints and info["keys"]:
                    found = self.label(label.name)
                    keypoints, skeleton = found.keypoints, found.skeleton
                    extras = {**extras, P + "keypoints": found.extras[P + "keypoints"]}
                # attribute definitions the class lacks but its annotations carry (name, type)
                attributes = {**info["attributes"], **label.attributes}
                if keypoints is not label.keypoints or attributes.keys() != label.attributes.keys():
                    label = Label(label.name, id=label.id, color=label.color, parent=label.parent, keypoints=keypoints,
                                  skeleton=skeleton, attributes={key: attributes[key] for key in
                                                                 [*label.attributes, *info["attributes"]]},
                                  extras=extras)
            out.add(label)
        for value in self.seen:
            if value not in out:
                out.add(self.label(value))
                if classes_given and report is not None:
                    report.add(Code.LABEL_UNKNOWN, "annotation value not among the project's classes: label "
                               "defined from the tasks", label=value)
        return out


def _keypoint_definitions(label: Label) -> list[dict[str, Any]]:
    """The class's keypoint definitions: the source ones (their edge lists kept while they still say
    the label's skeleton), or definitions made from the keypoint names (id = key)."""
    source = label.extras.get(P + "keypoints")
    by_key = {d.get("key"): d for d in source if isinstance(d, dict)} if isinstance(source, list) else {}
    defined = [by_key.get(key, {}) for key in label.keypoints]
    ids = [d.get("id", key) for d, key in zip(defined, label.keypoints)]
    edges = edge_lists(label.keypoints, label.skeleton, ids)
    source_edges = [d.get("edges") for d in defined]
    if all(isinstance(e, list) for e in source_edges):
        try:
            same = set(skeleton_from_edges(ids, source_edges, "")) == set(label.skeleton)  # type: ignore[arg-type]
        except SchemaError:
            same = False
        if same:
            edges = source_edges  # type: ignore[assignment]
    out = []
    for definition, key, ident, point_edges in zip(defined, label.keypoints, ids, edges):
        entry = {"id": ident, "name": definition.get("name", key), "key": key}
        entry.update({k: v for k, v in definition.items() if k not in ("id", "name", "key", "edges")})
        entry["edges"] = point_edges
        entry.setdefault("value", [])
        out.append(entry)
    return out


def class_type(label: Label, types: Mapping[str, str] | None = None) -> str:
    """The FastLabel type of ``label``'s class: its own, else the type its annotations were written as,
    else pose_estimation for a label with keypoints and bbox otherwise."""
    declared = label.extras.get(P + "type")
    if declared in TYPES:
        return declared  # type: ignore[return-value]
    if types and label.name in types:
        return types[label.name]
    return "pose_estimation" if label.keypoints else "bbox"


def classes_from_labels(labels: LabelSet, *, types: Mapping[str, str] | None = None,
                        attributes: Mapping[str, Mapping[str, Any]] | None = None) -> list[dict[str, Any]]:
    """A LabelSet as FastLabel annotation classes (``GET annotations`` shape), in label order.

    ``types``: label name -> the type its annotations were written as (for labels that do not say);
    ``attributes``: label name -> attribute definitions to add for keys the label does not define.
    A label's parent (COCO supercategory) has no place in a class (:func:`.mapping.dataset_to_tasks`
    reports it).
    """
    out = []
    for order, label in enumerate(labels, 1):
        cls: dict[str, Any] = {}
        if isinstance(label.id, str):  # FastLabel ids are strings; other formats' numeric ids are not theirs
            cls["id"] = label.id
        cls["type"] = class_type(label, types)
        cls["value"] = label.name
        cls["title"] = label.extras.get(P + "title", label.name)
        color = label_color(label)
        if color is not None:
            cls["color"] = color
        cls["order"] = label.extras.get(P + "order", order)
        definitions = dict(label.attributes)
        for key, definition in (attributes or {}).get(label.name, {}).items():
            definitions.setdefault(key, definition)
        cls["attributes"] = [{"key": key, **definition} if isinstance(definition, dict)
                             else {"key": key, "value": definition} for key, definition in definitions.items()]
        if label.keypoints:
            cls["keypoints"] = _keypoint_definitions(label)
        elif label.extras.get(P + "keypoints") == []:
            cls["keypoints"] = []  # as the source class had it
        for key, value in label.extras.items():
            if key.startswith(P) and key[len(P):] not in cls and key[len(P):] not in ("keypoints", "color"):
                cls[key[len(P):]] = value
        out.append(cls)
    return deepcopy(out)  # shares nothing with the labels


def keys_of(points: list[Any]) -> list[Any] | None:
    """The ``key`` of every point, or None when a point is not an object with one."""
    try:
        return list(map(itemgetter("key"), points))
    except (TypeError, KeyError):
        return None

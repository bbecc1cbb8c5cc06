"""IR -> Pascal VOC (a directory).

Writes ``Annotations/<id>.xml`` per item, ``ImageSets/Main/<split>.txt`` and
``<label>_<split>.txt`` per subset (items without a subset in ``default``; ``trainval`` = ``train`` +
``val`` when both exist and no ``trainval`` subset does), and ``labelmap.txt`` (every label, in
order, with its colour, parts and actions; ``background`` first when segmentation PNGs are written),
and the segmentation PNGs and lists of :mod:`._voc_segmentation`. Images are not copied.
Coordinates: see :mod:`._voc_xml` (``xmin = x1 + 1``, ...); rounded to whole pixels (halves up)
unless ``keep_floats``.

Item id: the item's id; when the id is the image path (COCO, labelme), without the image
extension. ``filename`` is the image path's base name when the image sits in the id's folder, else
the path from the image folder (``./`` prefixed when it has no folder).

Per annotation:

- Box -> ``object``; ``pose``, ``truncated``, ``difficult`` are always written (VOC's evaluation
  code reads them; defaults Unspecified/0/0), ``occluded`` when set; bool attributes named in the
  object's (or its label's) actions -> ``actions``; other attributes -> CVAT's
  ``attributes/attribute(name, value)`` (non-text values as text: ``attribute-dropped``).
  A rotated Box -> its enclosing axis-aligned box (``geometry-converted``).
- Boxes after the first of their ``group`` with another label -> that object's ``part``\\ s.
- Polygon, Mask -> an object whose bndbox is the enclosing box, and whose pixels go into the
  segmentation PNGs (option ``segmentation``: ``auto`` when any item has a Polygon or Mask, or
  ``never``: bndbox only, reported). A Polygon or Mask sharing a ``group`` and label with a Box is
  that Box's object (the Box gives the bndbox; several such shapes are painted as one, info entry);
  with another label than its group's first object it is a ``part`` (a box only, reported).
  Polygons are ``geometry-converted`` (rounding is part of that entry); Polyline, Point,
  Keypoints, Caption -> dropped (``unsupported-kind``).
- Tag -> a ``1`` in ``<label>_<split>.txt`` (``0`` with ``difficult: True``); a Tag the item's
  objects already imply reads back as no Tag (info entry).
- score -> dropped (``score-dropped``); crowd flag -> void (255) in the segmentation PNGs, dropped
  for boxes (``field-dropped``).
- a non-integral coordinate rounded -> ``precision-reduced``.
- ``voc:`` extras (kept by the reader) are written back as elements; item attributes as an
  ``attributes`` element of ``annotation`` (the reader reads it back).
"""

from __future__ import annotations

import posixpath
from pathlib import Path
from typing import Any

import numpy as np

from .._io import Folders
from ..errors import WriteError
from ..image_header import IMAGE_EXTENSIONS
from ..ir import Box, Dataset, Item, Mask, Polygon, Tag
from ..report import Code, Severity
from . import _voc_layout as layout_
from . import _voc_xml as xml
from ._base import Context, report_unkept_ids
from ._voc_segmentation import SegmentationWriter, record_unpainted

_FLAGS = ("truncated", "occluded", "difficult")
_DEFAULTS = {"pose": "Unspecified", "truncated": "0", "difficult": "0"}
_OBJECT_SPECIAL = {"pose", "bndbox", "actions", *_FLAGS}  # extras the object writer places itself
_ITEM_LEADING = ("folder",)
_ITEM_AFTER_FILENAME = ("path", "source")
_ITEM_SPECIAL = {"folder", "path", "source", "size", "segmented"}


def _bad_file_name(name: str) -> bool:
    return not name or name in (".", "..") or "/" in name or "\\" in name or any(ord(c) < 32 for c in name)


def _safe_id(text: str) -> str:
    """An id usable as a relative path below Annotations/ (no empty, '.' or '..' parts, no control
    chars) and as an ImageSets line (no surrounding whitespace, no leading '#' read as a comment)."""
    parts = []
    for part in text.replace("\\", "/").split("/"):
        part = "".join("_" if ord(c) < 32 else c for c in part)
        parts.append("_" if part in ("", ".", "..") else part)
    safe = "/".join(parts)
    if safe[:1].isspace() or safe[:1] == "#":
        safe = "_" + safe.lstrip()
    if safe[-1:].isspace():
        safe = safe.rstrip() + "_"
    return safe


def _attribute_text(value: Any) -> tuple[str, bool]:
    """The ``<value>`` text of an attribute, and whether its type was lost (not a str)."""
    if isinstance(value, str):
        return value, False
    if isinstance(value, bool):
        return ("true" if value else "false"), True
    if isinstance(value, (list, tuple)):
        return ",".join(map(str, value)), True
    return str(value), True


class _Object:
    """An object to write: the annotation its XML comes from, IR box corners, whether they were
    converted, its parts, and the Polygons/Masks painted as it in the segmentation PNGs."""

    __slots__ = ("annotation", "xyxy", "converted", "parts", "shapes")

    def __init__(self, annotation: Any, xyxy: Any, converted: bool) -> None:
        self.annotation, self.xyxy, self.converted = annotation, xyxy, converted
        self.parts: list[_Object] = []
        self.shapes: list[Any] = []


class VocWriter:
    def __init__(self, dataset: Dataset, path: Path, context: Context) -> None:
        self.dataset = dataset
        self.path = path
        self.context = context
        self.report = context.report
        self.keep_floats = bool(context.options.get("keep_floats"))
        self.written = 0  # object and part elements
        self.segmentation: SegmentationWriter | None = None
        if context.options.get("segmentation", "auto") == "auto" and any(
                type(a) is Polygon or type(a) is Mask for _, a in dataset.annotations()):
            names = [label.name for label in dataset.labels if layout_.labelmap_writable(label.name)]
            self.segmentation = SegmentationWriter(dataset, path, context, layout_.class_indices(names))

    def write(self) -> None:
        annotations = self.path / "Annotations"
        main = self.path / "ImageSets" / "Main"
        annotations.mkdir(parents=True, exist_ok=True)
        main.mkdir(parents=True, exist_ok=True)
        splits: dict[str, list[str]] = {}
        segmented: dict[str, list[str]] = {}  # split -> ids with segmentation PNGs
        class_values: dict[str, dict[str, int]] = {}  # id -> label -> 1 / 0 (absent: -1)
        folders = Folders()
        for item, voc_id in zip(self.dataset.items, self._ids()):
            try:
                root, values, painted = self._item(item, voc_id)
            except ValueError as exc:  # lxml: a name or value with characters XML cannot hold
                raise WriteError(f"cannot write as VOC XML: {exc}", file=self.context.source,
                                 item=item.describe()) from None
            folders.write(annotations / f"{voc_id}.xml", xml.to_bytes(root))
            split = self._split(item)
            splits.setdefault(split, []).append(voc_id)
            if painted:
                segmented.setdefault(split, []).append(voc_id)
            if values:
                class_values[voc_id] = values
            self.context.step()
        if self.segmentation is not None:
            self.segmentation.finish(segmented)
        if "train" in splits and "val" in splits and "trainval" not in splits:
            splits["trainval"] = splits["train"] + splits["val"]  # VOC's devkit trains on trainval
        self._write_lists(main, splits, class_values)
        self._write_labelmap()
        self.report.stats["items_written"] = len(self.dataset.items)
        report_unkept_ids(self.dataset, self.report, "voc")
        self.report.stats["annotations_written"] = self.written

    # --- ids, splits, lists ------------------------------------------------------------------------
    def _ids(self) -> list[str]:
        taken: set[str] = set()  # lower-cased: distinct on case-insensitive file systems too
        out = []
        for item in self.dataset.items:
            base = item.id
            if base == item.image.path:
                stem, extension = posixpath.splitext(base)
                if extension.lower() in IMAGE_EXTENSIONS and posixpath.basename(stem):
                    base = stem
            safe = candidate = _safe_id(base)
            number = 1
            while candidate.lower() in taken:
                candidate = f"{safe}_{number}"
                number += 1
            taken.add(candidate.lower())
            if candidate != base:
                self.report.add(Code.ID_REASSIGNED, "item id changed to be a unique, safe annotation file name",
                                item=item.id, voc_id=candidate)
            out.append(candidate)
        return out

    def _split(self, item: Item) -> str:
        if item.subset == layout_.DEFAULT_SPLIT:
            self.report.add(Code.FIELD_DROPPED, "subset 'default' is VOC's name for 'no subset' (CVAT, datumaro): "
                            "it reads back as no subset", severity=Severity.INFO, item=item.id)
        split = layout_.split_name(item.subset)
        if _bad_file_name(split):
            safe = _safe_id(split).replace("/", "_")
            self.report.add(Code.FIELD_DROPPED, "subset name cannot be a list file name: written under another "
                            "name", item=item.id, subset=split, written=safe)
            return safe
        return split

    def _write_lists(self, main: Path, splits: dict[str, list[str]], values: dict[str, dict[str, int]]) -> None:
        labels = []
        for label in self.dataset.labels:
            if _bad_file_name(label.name):
                self.report.add(Code.FIELD_DROPPED, "per-class image list not written: the label name cannot be "
                                "a file name", label=label.name)
            else:
                labels.append(label.name)
        for split, ids in splits.items():
            layout_.write_lines(main / f"{split}.txt", ids)
            absent = [f"{voc_id} -1" for voc_id in ids]  # most entries: copied per label, then patched
            present: dict[str, list[tuple[int, int]]] = {}  # label -> (position, 1 or 0)
            for position, voc_id in enumerate(ids):
                for name, value in values.get(voc_id, {}).items():
                    present.setdefault(name, []).append((position, value))
            for name in labels:
                lines = absent.copy()
                for position, value in present.get(name, ()):
                    lines[position] = f"{ids[position]} {value:>2}"
                layout_.write_lines(main / f"{name}_{split}.txt", lines)

    def _write_labelmap(self) -> None:
        lines = ["# label:color_rgb:parts:actions"]
        names = self.dataset.labels.names()
        if self.segmentation is not None and self.segmentation.written:
            # Class index 0 is the background: named first, as datumaro and CVAT expect.
            if not names or names[0].lower() not in layout_.BACKGROUND_NAMES:
                if not any(name.lower() in layout_.BACKGROUND_NAMES for name in names):
                    lines.append(layout_.labelmap_line("background", (0, 0, 0), [], []))
            else:
                self.report.add(Code.FIELD_DROPPED, "first label is the background (class index 0) of the "
                                "segmentation PNGs: it reads back as no label", severity=Severity.INFO,
                                label=names[0])
        for label in self.dataset.labels:
            if not layout_.labelmap_writable(label.name):
                self.report.add(Code.FIELD_DROPPED, "label not written to labelmap.txt (its name contains ':' or "
                                "a control character): its order and colour are lost", label=label.name)
                continue
            lines.append(layout_.labelmap_line(label.name, label.color, list(label.extras.get("voc:parts", [])),
                                               list(label.extras.get("voc:actions", []))))
        layout_.write_lines(self.path / "labelmap.txt", lines)
        with_ids = [label.name for label in self.dataset.labels if label.id is not None]
        if with_ids:
            self.report.add(Code.ID_REASSIGNED, "label ids not written: voc knows labels by name", labels=with_ids)

    # --- one item ----------------------------------------------------------------------------------
    def _item(self, item: Item, voc_id: str) -> tuple[Any, dict[str, int], bool]:
        """The ``<annotation>`` element of ``item``, its per-class list values, and whether its
        segmentation PNGs are written."""
        objects, tags = self._collect(item)
        painted = self.segmentation is not None and self.segmentation.add(item, voc_id, objects)
        root = xml.new_root()
        extras = {key[4:]: value for key, value in item.extras.items() if key.startswith("voc:")}
        if painted:
            extras["segmented"] = "1"
        self._extras(root, item, extras, _ITEM_LEADING)
        xml.leaf(root, "filename", self._filename(item, voc_id))
        self._extras(root, item, extras, _ITEM_AFTER_FILENAME)
        self._extras(root, item, extras, [key for key in extras if key not in _ITEM_SPECIAL])
        self._size(root, item, extras.get("size"))
        self._extras(root, item, extras, ("segmented",))
        if item.attributes:
            self._attributes(root, item.attributes, item, None)
        values: dict[str, int] = {}
        for entry in objects:
            self._object(root, entry, item, part=False)
            difficult = entry.annotation.attributes.get("difficult") is True
            values[entry.annotation.label] = max(values.get(entry.annotation.label, -1), 0 if difficult else 1)
        for tag in tags:
            self._tag(tag, item, values)
        return root, values, painted

    def _filename(self, item: Item, voc_id: str) -> str:
        path = item.image.path
        if posixpath.dirname(path) == posixpath.dirname(voc_id):
            return posixpath.basename(path)
        return path if "/" in path else f"./{path}"

    def _size(self, root: Any, item: Item, others: Any) -> None:
        if item.image.width is None or item.image.height is None:
            self.report.add(Code.IMAGE_SIZE_MISSING, "image size unknown: <size> width/height not written",
                            item=item.id)
            if others is None:
                return
        size = xml.leaf(root, "size")
        if item.image.width is not None and item.image.height is not None:
            xml.leaf(size, "width", str(item.image.width))
            xml.leaf(size, "height", str(item.image.height))
        if isinstance(others, dict):
            for key, value in others.items():
                self._build(size, key, value, item)

    def _extras(self, parent: Any, item: Item, extras: dict[str, Any], keys: Any) -> None:
        for key in keys:
            if key in extras:
                self._build(parent, key, extras[key], item)

    def _build(self, parent: Any, key: str, value: Any, item: Item) -> None:
        """Append a passthrough value; one XML cannot hold (a bad element name or character) is reported."""
        staging = xml.new_root()  # built apart first: nothing half-written is left in ``parent``
        try:
            xml.build(staging, key, value)
        except (ValueError, TypeError):
            self.report.add(Code.FIELD_DROPPED, "voc extra not written: not an XML element name, or characters XML "
                            "cannot hold", item=item.id, key=key)
            return
        parent.extend(list(staging))

    def _collect(self, item: Item) -> tuple[list[_Object], list[Tag]]:
        """Objects (with their parts and the shapes painted as them) and Tags of ``item``; every
        other kind recorded as dropped."""
        objects: list[_Object] = []
        heads: dict[Any, _Object] = {}  # group -> its first object (later other-label boxes are its parts)
        same: dict[Any, _Object] = {}  # (group, label) -> its object, which later shapes join
        segmenting = self.segmentation is not None
        tags: list[Tag] = []
        for annotation in item.annotations:
            if annotation.score is not None:
                self.context.record_loss("score", item=item, annotation=annotation)
            if annotation.iscrowd:
                self.context.record_loss("crowd", item=item, annotation=annotation)
            if annotation.z_order:
                self.context.record_loss("z-order", item=item, annotation=annotation)
            kind = type(annotation)
            if kind is Tag:
                tags.append(annotation)  # type: ignore[arg-type]
                continue
            if kind is Box:
                converted = annotation.rotated  # type: ignore[attr-defined]
                if converted:
                    self.context.record_loss("rotated-box", item=item, annotation=annotation)
            elif kind is Polygon or kind is Mask:
                converted = True
                self.context.record_loss(annotation.kind, item=item, annotation=annotation)
                if kind is Polygon and annotation.multipart:  # type: ignore[attr-defined]
                    self.context.record_loss("polygon-multipart", item=item, annotation=annotation)
                if kind is Polygon and annotation.has_holes:  # type: ignore[attr-defined]
                    self.context.record_loss("polygon-holes", item=item, annotation=annotation)
            else:  # Polyline, Point, Keypoints, Caption
                self.context.record_loss(annotation.kind, item=item, annotation=annotation)
                continue
            shape, group = kind is not Box, annotation.group
            target = same.get((group, annotation.label)) if segmenting and group is not None else None
            if target is not None and _join(target, annotation, shape):
                continue
            entry = _Object(annotation, annotation.bounds(), converted)
            head = heads.get(group) if group is not None else None
            if head is not None and head.annotation.label != annotation.label:
                head.parts.append(entry)
                if shape:
                    record_unpainted(self.context, item, annotation, "a part of another object (VOC parts have "
                                     "no segmentation)" if segmenting else "segmentation=never")
                continue
            if shape:
                if segmenting:
                    entry.shapes.append(annotation)
                else:
                    record_unpainted(self.context, item, annotation, "segmentation=never")
            if head is not None:
                self.report.add(Code.FIELD_DROPPED, "group of same-label annotations written as separate objects "
                                "(VOC groups only an object and its parts)", item=item.id, annotation=annotation.id,
                                group=group)
            objects.append(entry)
            if group is not None:
                heads.setdefault(group, entry)
                if segmenting:
                    same.setdefault((group, annotation.label), entry)
        if segmenting:
            self._joined(item, objects)
        return objects, tags

    def _joined(self, item: Item, objects: list[_Object]) -> None:
        """Report what joining shapes into one object loses: their separation, their attributes."""
        for entry in objects:
            if len(entry.shapes) > 1:
                # Like a multi-part polygon (a group ties the parts of one object): nothing is lost.
                self.report.add(Code.GEOMETRY_CONVERTED, "several Polygons/Masks of one object (same group and "
                                "label) painted as one: they read back as one mask", severity=Severity.INFO,
                                item=item.id, annotation=entry.annotation.id, shapes=len(entry.shapes))
            if type(entry.annotation) is Box:
                lost = [shape.id for shape in entry.shapes
                        if shape.attributes and shape.attributes != entry.annotation.attributes]
                if lost:
                    self.report.add(Code.ATTRIBUTE_DROPPED, "attributes of a Polygon/Mask painted as its group's "
                                    "box object dropped (the box's are written)", item=item.id,
                                    annotation=entry.annotation.id, shapes=lost)

    def _object(self, parent: Any, entry: _Object, item: Item, part: bool) -> None:
        annotation = entry.annotation
        element = xml.leaf(parent, "part" if part else "object")
        xml.leaf(element, "name", annotation.label)
        attributes = dict(annotation.attributes)
        extras = {key[4:]: value for key, value in annotation.extras.items() if key.startswith("voc:")}
        pose = attributes.get("pose")
        if isinstance(pose, str) and pose:
            xml.leaf(element, "pose", attributes.pop("pose"))
        elif "pose" in extras:
            self._build(element, "pose", extras["pose"], item)
        elif not part:
            xml.leaf(element, "pose", _DEFAULTS["pose"])
        for tag in _FLAGS:
            if type(attributes.get(tag)) is bool:
                xml.leaf(element, tag, "1" if attributes.pop(tag) else "0")
            elif tag in extras:
                self._build(element, tag, extras[tag], item)
            elif not part and tag in _DEFAULTS:
                xml.leaf(element, tag, _DEFAULTS[tag])
        self._bndbox(element, entry, item, extras.get("bndbox"))
        for child in entry.parts:
            self._object(element, child, item, part=True)
        self._actions(element, annotation, attributes, extras.get("actions"), item)
        if attributes:
            self._attributes(element, attributes, item, annotation)
        self._extras(element, item, extras, [key for key in extras if key not in _OBJECT_SPECIAL])
        self.written += 1

    def _bndbox(self, parent: Any, entry: _Object, item: Item, others: Any) -> None:
        values, reduced, inexact = xml.box_values(entry.xyxy, self.keep_floats)
        box = xml.leaf(parent, "bndbox")
        for key, value in zip(xml.BOX_KEYS, values):
            xml.leaf(box, key, value)
        if isinstance(others, dict):
            for key, value in others.items():
                self._build(box, key, value, item)
        if reduced and not entry.converted:  # a converted shape's rounding is part of its conversion entry
            self.report.add(Code.PRECISION_REDUCED, "box coordinates rounded to whole pixels (keep_floats=true "
                            "keeps them)", item=item.id, annotation=entry.annotation.id,
                            xyxy=[float(v) for v in entry.xyxy])
        if inexact:
            self.report.add(Code.PRECISION_REDUCED, "xmin/ymin = x + 1 not exactly representable (off by one "
                            "float64 rounding)", severity=Severity.INFO, item=item.id,
                            annotation=entry.annotation.id)

    def _actions(self, parent: Any, annotation: Any, attributes: dict[str, Any], source: Any, item: Item) -> None:
        """``<actions>``: the object's own action names (from a VOC source), else its label's."""
        if source is not None and not isinstance(source, list):
            self._build(parent, "actions", source, item)  # kept verbatim by the reader
            return
        label = self.dataset.labels.get(annotation.label)
        names = source if source is not None else (label.extras.get("voc:actions", []) if label else [])
        present = [name for name in names if type(attributes.get(name)) is bool]
        if not present and source is None:
            return
        actions = xml.leaf(parent, "actions")
        for name in present:
            try:
                xml.leaf(actions, name, "1" if attributes[name] else "0")
            except ValueError:  # not an XML name: stays an ordinary attribute
                continue
            del attributes[name]

    def _attributes(self, parent: Any, attributes: dict[str, Any], item: Item, annotation: Any) -> None:
        element = xml.leaf(parent, "attributes")
        typed = []
        for key, value in attributes.items():
            text, lost = _attribute_text(value)
            entry = xml.leaf(element, "attribute")
            xml.leaf(entry, "name", str(key))
            xml.leaf(entry, "value", text)
            if lost:
                typed.append(key)
        if typed:
            self.report.add(Code.ATTRIBUTE_DROPPED, "attribute values written as text: their type (bool, number, "
                            "list) is not kept", item=item.id, annotation=annotation.id if annotation else None,
                            attributes=typed)

    def _tag(self, tag: Tag, item: Item, values: dict[str, int]) -> None:
        label: str = tag.label  # type: ignore[assignment]
        difficult = tag.attributes.get("difficult")
        other = [key for key in tag.attributes if key != "difficult" or type(difficult) is not bool]
        if other:
            self.report.add(Code.ATTRIBUTE_DROPPED, "Tag attributes dropped (a per-class list entry holds only "
                            "difficult)", item=item.id, annotation=tag.id, attributes=other)
        value = 0 if difficult is True else 1
        if value <= values.get(label, -1):
            self.report.add(Code.FIELD_DROPPED, "Tag already implied by the item's objects: written as their "
                            "per-class list entry, read back as no Tag", severity=Severity.INFO, item=item.id,
                            annotation=tag.id, label=label)
            return
        values[label] = value


def _join(target: _Object, annotation: Any, shape: bool) -> bool:
    """Make ``annotation`` part of the object ``target`` of its group and label: a shape is painted
    as it; a Box becomes its XML source and bndbox unless it has a Box already (then: False)."""
    if shape:
        target.shapes.append(annotation)
        if type(target.annotation) is not Box:  # shapes only: the bndbox encloses them all
            bounds = annotation.bounds()
            target.xyxy = np.concatenate([np.minimum(target.xyxy[:2], bounds[:2]),
                                          np.maximum(target.xyxy[2:], bounds[2:])])
        return True
    if type(target.annotation) is Box:
        return False
    target.annotation, target.xyxy, target.converted = annotation, annotation.bounds(), annotation.rotated
    return True


def write_voc(dataset: Dataset, path: Path, context: Context) -> None:
    """Write ``dataset`` as a Pascal VOC detection directory (see the module docstring)."""
    VocWriter(dataset, path, context).write()

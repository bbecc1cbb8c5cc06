"""labelme JSON files -> IR.

The input is one labelme JSON file or a folder searched recursively for ``*.json`` (hidden files
and folders skipped), read in path order. Each file is one Item: its image path is the file's
``imagePath`` resolved against the file's folder, relative to the input root (POSIX, so items
mirror the subfolders); the item id is that image path (``<path>#<json path>`` when two files
name the same image). The JSON's own relative path is kept in extras (``labelme:json``) so that
the labelme writer puts it back where it was. ``imageHeight``/``imageWidth`` give the size;
when absent, the header of the embedded ``imageData`` or of the image file is read (never the pixels).

Shapes (coordinates pass through unchanged: labelme's are the IR's, see :mod:`._labelme_shapes`):

- ``rectangle`` -> Box (corners in any order, normalized); ``polygon`` -> Polygon (one ring);
  ``line``/``linestrip`` -> Polyline; ``point`` -> Point; ``mask`` -> Mask (the PNG crop placed
  at its first point, over the whole image); ``circle`` -> an inscribed Polygon (reported as
  ``geometry-converted``; the exact circle is kept in extras ``labelme:circle`` and the labelme
  writer restores it).
- ``group_id`` -> ``group`` (shapes of one object); flags and description -> attributes, score,
  crowd flag (see :func:`._labelme_shapes.read_fields`).
- Point shapes labelled ``<label>:<keypoint>`` of a label declared with keypoints (read option
  ``labelme_keypoints``) are gathered per (label, group_id) into one Keypoints annotation.
- Image-level flags: ``true`` -> a Tag; ``false`` -> nothing (the flag names are kept for the
  writer); any other value -> an item attribute.

Unknown keys (older versions' ``line_color``/``fill_color``/``lineColor``/``fillColor``, tool
additions) are kept in extras ``labelme:other`` and written back, with the source key order.
"""

from __future__ import annotations

import posixpath
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from .._io import input_file, load_json
from ..errors import AnnoconvError, InputPathError, SchemaError
from ..image_header import find_image, image_size
from ..ir import (Annotation, Box, Dataset, ImageRef, Item, Keypoints, Label, LabelSet, Mask, Point, Polygon, Polyline,
                  Tag)
from ..report import Code
from ._base import Context
from ._labelme_shapes import (KEYPOINT_SEPARATOR, POINT_COUNTS, SHAPE_KEYS, TOP_KEYS, Fields, circle_polygon,
                              count_rule, decode_mask, encode_mask, image_data_size, is_absolute, json_kind,
                              read_fields, resolve_image_path, tight_crop_points, write_fields)

_NUMBERS = {int, float}  # what JSON numbers decode to (bool excluded)


def labelme_files(path: Path) -> tuple[Path, list[Path]]:
    """(root, JSON files): the file itself, or every ``*.json`` under the folder in path order."""
    if not path.exists():
        raise InputPathError("no such file or folder (expected a labelme JSON file or a folder of them)", file=path)
    if not path.is_dir():
        return path.parent, [input_file(path, "a labelme JSON file")]
    files = [p for p in path.rglob("*") if p.suffix.lower() == ".json" and p.is_file()
             and not any(part.startswith(".") for part in p.relative_to(path).parts)]
    if not files:
        raise InputPathError("no labelme JSON files (*.json) in this folder or its subfolders", file=path)
    return path, sorted(files, key=lambda p: p.relative_to(path).as_posix())


def load_keypoint_labels(path: str | Path) -> list[Label]:
    """Labels with keypoints from a YAML/JSON file ``{label: [names...]}`` or
    ``{label: {"keypoints": [names...], "skeleton": [[i, j], ...]}}`` (0-based skeleton indices)."""
    source = input_file(path, "a YAML or JSON file of labels and their keypoint names")
    try:
        data = yaml.safe_load(source.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise SchemaError(f"cannot parse the keypoint labels: {exc}", file=source) from None
    if not isinstance(data, dict) or not data:
        raise SchemaError("expected a mapping {label: [keypoint names]}", file=source, location="$")
    labels = []
    for name, spec in data.items():
        where = f"$.{name}"
        if isinstance(spec, list):
            spec = {"keypoints": spec}
        if not isinstance(spec, dict) or not isinstance(spec.get("keypoints"), list) or not spec["keypoints"]:
            raise SchemaError("expected a list of keypoint names or {keypoints: [...], skeleton: [...]}",
                              file=source, location=where)
        try:
            labels.append(Label(str(name), keypoints=tuple(spec["keypoints"]),
                                skeleton=tuple(spec.get("skeleton") or ())))
        except (SchemaError, TypeError, ValueError) as exc:
            raise SchemaError(str(exc), file=source, location=where) from None
    return labels


def _common(fields: Fields) -> tuple[Any, ...]:
    """What the parts of one Keypoints annotation must agree on (visibility is per part)."""
    return fields.attributes, fields.score, fields.iscrowd


class _Instance:
    """The keypoint parts of one (label, group_id) gathered while reading one file."""

    def __init__(self, label: Label, group: Any) -> None:
        self.label, self.group = label, group
        self.xy = np.zeros((len(label.keypoints), 2))
        self.visibility = np.zeros(len(label.keypoints), dtype=np.int8)
        self.fields: list[Fields] = []
        self.extras = False  # a part had unknown keys (not kept: the parts become one annotation)

    def keypoints(self) -> Keypoints:
        first = self.fields[0]
        return Keypoints(self.xy, self.visibility, label=self.label.name, group=self.group, score=first.score,
                         iscrowd=first.iscrowd, attributes=dict(first.attributes))


class LabelmeReader:
    """One read of a labelme file or folder: :meth:`read` each file, then :meth:`dataset`."""

    def __init__(self, root: Path, context: Context, keypoint_labels: list[Label]) -> None:
        self.root = root
        self.context = context
        self.report = context.report
        self.skip = context.options.get("on_error") == "skip"
        self.tolerance = float(context.options.get("labelme_circle_tolerance") or 1.0)
        self.labels = LabelSet(keypoint_labels)
        self.keypoint_labels = {label.name: label for label in keypoint_labels}
        self.items: list[Item] = []
        self.ids: set[str] = set()
        self.annotations = 0
        self.path = root  # the file being read, for error messages
        self.item_id: str | None = None

    # --- errors ---------------------------------------------------------------------------------
    def error(self, problem: str, location: str) -> SchemaError:
        return SchemaError(problem, file=self.path, location=location,
                           item=f"item {self.item_id!r}" if self.item_id else None)

    def skipped(self, exc: AnnoconvError, code: Code, item: str | None, **detail: Any) -> None:
        if not self.skip:
            raise exc
        self.report.add(code, "bad input skipped (on_error=skip)", item=item, error=exc.message, **detail)

    # --- files ----------------------------------------------------------------------------------
    def read(self, path: Path) -> None:
        """Read one JSON file into an Item (or skip it and report it under on_error="skip")."""
        self.path, self.item_id = path, None
        relative = path.relative_to(self.root).as_posix()
        try:
            item = self._item(path, relative)
        except AnnoconvError as exc:
            self.skipped(exc.located(file=path), Code.ITEM_SKIPPED, relative)
            return
        self.items.append(item)
        self.ids.add(item.id)
        self.annotations += len(item.annotations)
        flags = [name for name in item.extras.get("labelme:flags") or () if name not in item.attributes]
        for name in [*flags, *(a.label for a in item.annotations)]:  # image flags (classes) first
            if name is not None and name not in self.labels:
                self.labels.add(Label(name))
        self.context.step()

    def dataset(self) -> Dataset:
        stats = self.report.stats
        stats["items_read"] = stats.get("items_read", 0) + len(self.items)
        stats["annotations_read"] = stats.get("annotations_read", 0) + self.annotations
        return Dataset(self.labels, self.items)

    def _item(self, path: Path, relative: str) -> Item:
        data = load_json(path, "a labelme JSON file")
        if type(data) is not dict:
            raise self.error(f"expected a labelme JSON object with 'shapes', got {json_kind(data)}", "$")
        if "shapes" not in data:
            raise self.error("missing required key 'shapes' (is this a labelme file?)", "$")
        shapes, flags = data["shapes"], data.get("flags")
        image_path, image_data = data.get("imagePath"), data.get("imageData")
        for key, value, kinds in (("shapes", shapes, (list,)), ("flags", flags, (dict, type(None))),
                                  ("imagePath", image_path, (str, type(None))),
                                  ("imageData", image_data, (str, type(None)))):
            if type(value) not in kinds:
                expected = {list: "a list", dict: "an object", str: "a string"}[kinds[0]]
                raise self.error(f"expected {expected}{' or null' if len(kinds) > 1 else ''}, got {json_kind(value)}",
                                 f"$.{key}")
        extras: dict[str, Any] = {"labelme:json": relative}
        if "version" in data:
            extras["labelme:version"] = data["version"]
        if image_data:
            extras["labelme:imageData"] = image_data  # written back with the option labelme_embed_images
        if list(data) != list(TOP_KEYS):
            extras["labelme:keys"] = list(data)
        other = {key: value for key, value in data.items() if key not in TOP_KEYS}
        if other:
            extras["labelme:other"] = other
        shape_keys = list(dict.fromkeys(key for shape in shapes if type(shape) is dict for key in shape))
        if shapes and shape_keys != list(SHAPE_KEYS):
            extras["labelme:shape_keys"] = shape_keys

        width, height = self._dimension(data, "imageWidth"), self._dimension(data, "imageHeight")
        if width is None or height is None:
            found = self._header_size(path, image_path, image_data)
            width, height = width or found[0], height or found[1]
        image = ImageRef(self._image_path(relative, image_path, path), width, height)
        if image_path and image_path != _relative_to(image.path, posixpath.dirname(relative)):
            extras["labelme:imagePath"] = image_path  # a spelling the writer would not reproduce
        self.item_id = image.path if image.path not in self.ids else f"{image.path}#{relative}"
        item = Item(self.item_id, image, extras=extras)
        self._flags(item, flags, "flags" in data)
        self._shapes(item, shapes)
        return item

    def _dimension(self, data: dict[str, Any], key: str) -> int | None:
        value = data.get(key)
        if value is None:
            return None
        if type(value) is float and value.is_integer():
            value = int(value)
        if type(value) is not int or value <= 0:
            raise self.error(f"expected a positive integer (pixels) or null, got {value!r}", f"$.{key}")
        return value

    def _header_size(self, path: Path, image_path: str | None, image_data: str | None) -> tuple[int | None, int | None]:
        """(width, height) from the embedded image's or the image file's header; (None, None) if neither."""
        if image_data:
            try:
                return image_data_size(image_data)
            except ValueError as exc:
                raise self.error(f"imageHeight/imageWidth missing and {exc}", "$.imageData") from None
        if image_path:
            candidate = path.parent / image_path.replace("\\", "/")
            if candidate.is_file():
                try:
                    return image_size(candidate)
                except AnnoconvError:
                    pass  # an unreadable image leaves the size unknown; writers that need it report it
        return None, None

    def _image_path(self, relative: str, image_path: str | None, path: Path) -> str:
        """The image's path relative to the input root (absolute paths are kept as they are)."""
        if not image_path:  # no imagePath: the image beside the JSON with the same stem, if any
            found = find_image(path.parent, path.stem)
            return posixpath.join(posixpath.dirname(relative), found.name) if found else posixpath.splitext(relative)[0]
        return resolve_image_path(posixpath.dirname(relative), image_path)

    def _flags(self, item: Item, flags: dict[str, Any] | None, present: bool) -> None:
        """Image-level flags: true -> Tag, false -> nothing, any other value -> an item attribute."""
        if flags is None:
            if present:
                item.extras["labelme:flags"] = None  # "flags": null, written back as it was
            return
        for name, value in flags.items():
            if value is True:
                item.annotations.append(Tag(label=name))
            elif value is not False:
                item.attributes[name] = value
        if any(value is not True for value in flags.values()):
            item.extras["labelme:flags"] = list(flags)  # names and order, for the false ones

    # --- shapes ---------------------------------------------------------------------------------
    def _shapes(self, item: Item, shapes: list[Any]) -> None:
        slots: list[Annotation | _Instance] = []
        instances: dict[tuple[str, Any], _Instance] = {}
        for index, raw in enumerate(shapes):
            try:
                shape = self._shape(item, raw, index)
                if isinstance(shape, tuple):
                    self._keypoint_part(slots, instances, index, *shape)
                else:
                    slots.append(shape)
            except SchemaError as exc:
                self.skipped(exc, Code.ANNOTATION_SKIPPED, item.id, shape=index)
        for slot in slots:
            if isinstance(slot, _Instance):
                item.annotations.append(slot.keypoints())
                if slot.extras or any(_common(fields) != _common(slot.fields[0]) for fields in slot.fields):
                    self.report.add(Code.FIELD_DROPPED, "keypoint point shapes of one object differ in flags, "
                                    "description or other keys: those of the first are kept", item=item.id,
                                    label=slot.label.name, group=slot.group)
            else:
                item.annotations.append(slot)

    def _keypoint_part(self, slots: list[Any], instances: dict[tuple[str, Any], _Instance], index: int,
                       label: Label, keypoint: int, xy: np.ndarray, fields: Fields, group: Any, extra: bool) -> None:
        instance = instances.get((label.name, group))
        if instance is None:
            instance = instances[(label.name, group)] = _Instance(label, group)
            slots.append(instance)
        if instance.visibility[keypoint]:
            raise self.error(f"keypoint {label.keypoints[keypoint]!r} of {label.name!r} given twice in group_id "
                             f"{group!r}", f"$.shapes[{index}].label")
        instance.xy[keypoint] = xy
        instance.visibility[keypoint] = fields.visibility or 2
        instance.fields.append(fields)
        instance.extras = instance.extras or extra

    def _shape(self, item: Item, raw: Any, index: int) -> Annotation | tuple[Any, ...]:
        """The annotation of one shape, or (label, keypoint index, xy, fields, group, has extras) of a keypoint part."""
        where = f"$.shapes[{index}]"
        if type(raw) is not dict:
            raise self.error(f"expected a shape object, got {json_kind(raw)}", where)
        label, shape_type = raw.get("label"), raw.get("shape_type") or "polygon"
        if not isinstance(label, str) or not label:
            raise self.error(f"'label' must be a non-empty string, got {json_kind(label)}", f"{where}.label")
        if not isinstance(shape_type, str) or shape_type not in POINT_COUNTS:
            raise self.error(f"unknown shape_type {shape_type!r} (known: {', '.join(POINT_COUNTS)})",
                             f"{where}.shape_type")
        points = self._points(raw.get("points"), shape_type, where)
        group, flags, mask = raw.get("group_id"), raw.get("flags"), raw.get("mask")
        if group is not None and type(group) not in (int, str):
            raise self.error(f"'group_id' must be an integer or null, got {json_kind(group)}", f"{where}.group_id")
        if flags is not None and type(flags) is not dict:
            raise self.error(f"'flags' must be an object, got {json_kind(flags)}", f"{where}.flags")
        if mask is not None and shape_type != "mask":
            raise self.error(f"'mask' must be null for a {shape_type} shape", f"{where}.mask")
        description = raw.get("description")
        if description is not None and not isinstance(description, str):
            raise self.error(f"'description' must be a string or null, got {json_kind(description)}",
                             f"{where}.description")
        extras: dict[str, Any] = {}
        other = {key: value for key, value in raw.items() if key not in SHAPE_KEYS}
        if other:
            extras["labelme:other"] = other
        if flags is None and "flags" in raw:
            extras["labelme:flags"] = None

        keypoint = self._keypoint_of(label, shape_type)
        fields, keep = read_fields(flags or {}, description, keypoint is not None)
        if keep and write_fields(fields, None, keypoint is not None)[1] != description:
            extras["labelme:description"] = description  # a spelling the writer would not reproduce
        if keypoint is not None:
            return keypoint[0], keypoint[1], points[0], fields, group, bool(other)
        common = {"label": label, "group": group, "score": fields.score, "iscrowd": fields.iscrowd,
                  "attributes": fields.attributes, "extras": extras}
        return self._geometry(item, shape_type, points, raw, where, common)

    def _keypoint_of(self, label: str, shape_type: str) -> tuple[Label, int] | None:
        """(label, keypoint index) when a point shape is a keypoint part ``<label>:<keypoint>``."""
        if shape_type != "point" or not self.keypoint_labels:
            return None
        for position in range(len(label)):
            if label[position] == KEYPOINT_SEPARATOR:
                owner = self.keypoint_labels.get(label[:position])
                if owner is not None and label[position + 1:] in owner.keypoints:
                    return owner, owner.keypoints.index(label[position + 1:])
        return None

    def _points(self, raw: Any, shape_type: str, where: str) -> np.ndarray:
        """The (N, 2) float64 points, checked against the shape type's point count."""
        if type(raw) is not list:
            raise self.error(f"'points' must be a list of [x, y], got {json_kind(raw)}", f"{where}.points")
        well_formed = (not raw or set(map(type, raw)) == {list} and set(map(len, raw)) == {2}
                       and {type(v) for p in raw for v in p} <= _NUMBERS)
        if not well_formed:  # find the first bad point, to name it
            for position, point in enumerate(raw):
                if type(point) is not list or len(point) != 2 or not all(type(v) in _NUMBERS for v in point):
                    raise self.error(f"expected a point [x, y] of two numbers, got {json_kind(point)}",
                                     f"{where}.points[{position}]")
        low, high = POINT_COUNTS[shape_type]
        if len(raw) < low or (high is not None and len(raw) > high):
            raise self.error(f"a {shape_type} shape needs {count_rule(shape_type)}, got {len(raw)}", f"{where}.points")
        points = np.array(raw, dtype=np.float64).reshape(-1, 2)
        if not np.isfinite(points).all():
            raise self.error("coordinates must be finite numbers", f"{where}.points")
        points.flags.writeable = False
        return points

    def _geometry(self, item: Item, shape_type: str, points: np.ndarray, raw: dict[str, Any], where: str,
                  common: dict[str, Any]) -> Annotation:
        extras = common["extras"]
        if shape_type == "rectangle":
            xyxy = np.concatenate([points.min(axis=0), points.max(axis=0)])
            if not np.array_equal(points.ravel(), xyxy):
                extras["labelme:points"] = raw["points"]  # the corner order, written back as it was
            return Box(xyxy, **common)
        if shape_type == "polygon":  # points are checked (read-only finite float64 (N, 2)): no second check
            return _prevalidated(Polygon, (((points,),),), common)
        if shape_type in ("line", "linestrip"):
            if shape_type == "line":
                extras["labelme:shape_type"] = "line"
            return _prevalidated(Polyline, (points,), common)
        if shape_type == "point":
            return Point(points[0], **common)
        if shape_type == "circle":
            return self._circle(item, points, raw, common)
        return self._mask(item, points, raw, where, common)

    def _circle(self, item: Item, points: np.ndarray, raw: dict[str, Any], common: dict[str, Any]) -> Polygon:
        vertices, deviation = circle_polygon(points[0], points[1], self.tolerance)
        common["extras"]["labelme:circle"] = raw["points"]
        self.report.add(Code.GEOMETRY_CONVERTED, f"labelme circle read as an inscribed polygon (>= 12 vertices, "
                        f"edges within {self.tolerance:g} px of the circle); only the labelme writer restores the "
                        "circle", item=item.id, vertices=len(vertices), max_deviation_px=deviation)
        return Polygon([[vertices]], **common)

    def _mask(self, item: Item, points: np.ndarray, raw: dict[str, Any], where: str,
              common: dict[str, Any]) -> Mask:
        """The PNG crop placed with its top-left pixel at (int(x1), int(y1)), as labelme does."""
        try:
            crop = decode_mask(raw.get("mask"))
        except ValueError as exc:
            raise self.error(f"mask shape: {exc}", f"{where}.mask") from None
        size = item.image.size
        if size is None:
            raise self.error("a mask shape needs the image size: imageHeight/imageWidth are missing and no "
                             "image was found to read it from", where)
        height, width = size
        left, top = int(points[0, 0]), int(points[0, 1])  # labelme truncates, as numpy's astype(int)
        r0, r1 = (min(max(v, 0), height) for v in (top, top + crop.shape[0]))
        c0, c1 = (min(max(v, 0), width) for v in (left, left + crop.shape[1]))
        inside = crop[r0 - top:r1 - top, c0 - left:c1 - left]
        full = np.zeros((height, width), dtype=np.uint8)
        full[r0:r1, c0:c1] = inside
        lost = int(crop.sum()) - int(inside.sum())
        if lost:
            self.report.add(Code.COORDINATE_CLIPPED, "mask shape pixels outside the image dropped", item=item.id,
                            pixels=lost)
        # What the writer would not reproduce (a crop larger than the mask, another PNG encoder) is kept
        # for it; it is reused while the mask is unchanged.
        if raw["points"] != tight_crop_points(full):
            common["extras"]["labelme:points"] = raw["points"]
        if raw["mask"] != encode_mask(crop):
            common["extras"]["labelme:mask"] = raw["mask"]
        return Mask.from_array(full, **common)


def _relative_to(image_path: str, folder: str) -> str:
    """``imagePath`` as the writer spells it: relative to the JSON's folder (absolute paths as they are)."""
    return image_path if is_absolute(image_path) else posixpath.relpath(image_path, folder or ".")


def _prevalidated(kind: type[Annotation], geometry: tuple[Any, ...], common: dict[str, Any]) -> Annotation:
    """``kind`` built from checked geometry and the common fields (whose values need no conversion)."""
    annotation = kind._prevalidated(geometry, common["label"], None, common["score"], common["iscrowd"],
                                    common["attributes"], common["extras"])
    annotation.group = common["group"]
    return annotation  # type: ignore[no-any-return]


def read_labelme(path: Path, context: Context) -> Dataset:
    """Read a labelme JSON file or a folder of them (see the module docstring)."""
    root, files = labelme_files(Path(path))
    spec = context.options.get("labelme_keypoints")
    reader = LabelmeReader(root, context, load_keypoint_labels(spec) if spec else [])
    for file in files:
        reader.read(file)
    return reader.dataset()

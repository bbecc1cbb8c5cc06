"""COCO JSON -> IR.

Reads instance, keypoint, stuff, image-level label and caption files, and results files (a
bare list of annotations with ``score``). Coordinates are taken as they are: COCO's bbox
[x, y, w, h] and polygon vertices are continuous pixel coordinates, the IR's own convention.

One COCO annotation becomes its main geometry — a Polygon (all polygon parts as regions), a
Mask (RLE, compressed or not), or a Box (bbox only) — plus, when it has ``keypoints``, a
Keypoints annotation; both carry the COCO id as ``id`` and share a ``group`` (the COCO id,
made unique when ids repeat) so that writers can put them back together. An annotation with
only a ``category_id`` is a Tag; one with a ``caption`` a Caption. A non-empty ``attributes``
object on an image (annoconv's COCO writer puts the item's attributes there) gives the item's
attributes. Source values the IR derives (``bbox``, ``area``, ``num_keypoints``) and fields it
has no place for are kept in ``extras`` as ``"coco:<key>"`` and written back by the COCO writer,
as are the empty or absent forms the IR cannot tell apart (``"attributes": {}``, ``"keypoints": []``, a missing
``skeleton`` or ``categories``).

Speed: a regular file is decoded into msgspec structs (:mod:`._coco_typed`), and all
coordinates are converted in bulk (:mod:`._coco_coordinates`). Anything irregular takes the
general path, which checks every value itself and names the place of each error.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from math import isfinite
from pathlib import Path
from typing import Any

import numpy as np
from msgspec import UNSET

from .._io import load_json
from .._numbers import NUMBER_TYPES as _NUMBER_TYPES
from ..errors import AnnoconvError, SchemaError
from ..ir import Box, Caption, Dataset, ImageRef, Item, Keypoints, Label, LabelSet, Mask, Polygon, Tag
from ..report import Code
from ._base import Context
from ._coco_coordinates import DeferredCoordinates
from ._coco_typed import DECODER as TYPED_DECODER
from ._coco_typed import TypedAnnotation, TypedFile

_IMAGE_KEYS = {"id", "file_name", "width", "height"}
_CATEGORY_KEYS = {"id", "name", "supercategory", "keypoints", "skeleton", "attributes"}
# Read into IR fields; every other annotation key (``area``, ``num_keypoints``, unknown ones) is kept
# in extras as it was.
_ANNOTATION_KEYS = {"id", "image_id", "category_id", "segmentation", "bbox", "iscrowd", "keypoints",
                    "score", "attributes", "caption"}
_TOP_KEYS = {"images", "annotations", "categories"}
_Common = tuple[Any, Any, Any, Any, Any]  # label, id, score, iscrowd, attributes: the common fields
_ID_TYPES = frozenset({int, str})  # True == 1.0 == 1 as dict keys: look up only these


def _image_name(raw: Any, index: int) -> str:
    """How a report names an image that could not be read."""
    if isinstance(raw, dict):
        if isinstance(raw.get("file_name"), str) and raw["file_name"]:
            return raw["file_name"]
        if "id" in raw:
            return f"image {raw['id']!r}"
    return f"$.images[{index}]"


def _is_id(value: Any) -> bool:
    return type(value) in _ID_TYPES


def _kind_of(value: Any) -> str:
    if isinstance(value, str):
        return "a string"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, list):
        return f"a list of {len(value)}"
    return "an object" if isinstance(value, dict) else type(value).__name__


def _number(value: Any) -> bool:
    return type(value) in _NUMBER_TYPES


class CocoReader:
    """One read of one COCO file: ``build(decoded JSON)`` returns the Dataset."""

    def __init__(self, path: Path, context: Context, bulk: bool = True) -> None:
        self.path = path
        self.context = context
        self.report = context.report
        self.skip = context.options.get("on_error") == "skip"
        self.labels = LabelSet()
        self.label_by_id: dict[Any, str] = {}
        self.items: list[Item] = []
        self.item_by_id: dict[Any, Item] = {}
        # Coordinates converted in bulk at the end (fast); None: one annotation at a time (exact errors).
        self.deferred: DeferredCoordinates | None = None
        self.bulk = bulk
        self.groups: set[Any] = set()  # group values given so far
        self.paths: set[str] = set()  # item ids given so far
        self.position = 0  # index of the annotation being read, and whether it is in a results list
        self.results = False

    # --- errors -------------------------------------------------------------------------------
    def error(self, problem: str, location: str, item: Item | None = None) -> SchemaError:
        return SchemaError(problem, file=self.path, location=location,
                           item=f"image {item.extras.get('coco:id')!r} {item.id!r}" if item else None)

    def skipped(self, exc: AnnoconvError, code: Code, item: str | None, annotation: Any = None) -> None:
        if not self.skip:
            raise exc
        self.report.add(code, "bad input skipped (on_error=skip)", item=item, annotation=annotation,
                        error=exc.message)

    # --- top level ----------------------------------------------------------------------------
    def build(self, data: Any) -> Dataset:
        """The Dataset of the parsed JSON ``data``; raises _BulkRejected when the bulk conversion fails."""
        extras: dict[str, Any] = {}
        annotations: list[Any] = []
        if self.bulk:
            self.deferred = DeferredCoordinates(typed=isinstance(data, TypedFile))
        if isinstance(data, TypedFile):  # a regular COCO file, type-checked by msgspec
            annotations, data = data.annotations, data.as_dict()
        if isinstance(data, list):  # a results file: [{"image_id", "category_id", "bbox", "score"}, ...]
            images: list[Any] = []
            categories: list[Any] = []
            annotations = data
            self._results_context()
        elif isinstance(data, dict):
            if "images" not in data:
                raise self.error("missing required key 'images' (is this a COCO file?)", "$")
            images = self._list(data, "images")
            if "annotations" in data:
                annotations = self._list(data, "annotations")
            categories = self._list(data, "categories") if "categories" in data else []
            extras = {f"coco:{key}": value for key, value in data.items() if key not in _TOP_KEYS}
            if not categories:  # whether the source had the key (captions files do not)
                extras["coco:categories"] = data.get("categories")
        else:
            raise self.error(f"expected a JSON object with 'images', 'annotations', 'categories' "
                             f"(or a results list), got {_kind_of(data)}", "$")
        for index, category in enumerate(categories):
            self._category(index, category)
        for index, image in enumerate(images):
            try:
                self._image(index, image)
            except SchemaError as exc:
                self.skipped(exc, Code.ITEM_SKIPPED, _image_name(image, index))
        self._annotations(annotations, results=isinstance(data, list))
        if self.deferred is not None and not self.deferred.resolve():
            raise _BulkRejected
        self.report.stats["items_read"] = self.report.stats.get("items_read", 0) + len(self.items)
        return Dataset(self.labels, self.items, extras)

    def _list(self, data: dict[str, Any], key: str) -> list[Any]:
        value = data[key]
        if not isinstance(value, list):
            raise self.error(f"expected a list, got {_kind_of(value)}", f"$.{key}")
        return value

    def _results_context(self) -> None:
        """Images and categories for a results list: from ``gt=`` if given, else derived from ids."""
        ground_truth = self.context.options.get("gt")
        if ground_truth:
            gt = load_json(ground_truth, "a COCO ground-truth JSON file")
            if not isinstance(gt, dict):
                raise SchemaError("expected a COCO object with 'images' and 'categories'", file=ground_truth)
            for index, category in enumerate(gt.get("categories") or []):
                self._category(index, category)
            for index, image in enumerate(gt.get("images") or []):
                self._image(index, image)

    # --- categories and images ----------------------------------------------------------------
    def _category(self, index: int, raw: Any) -> None:
        location = f"$.categories[{index}]"
        if not isinstance(raw, dict):
            raise self.error(f"expected a category object, got {_kind_of(raw)}", location)
        cid, name = raw.get("id"), raw.get("name")
        if not _is_id(cid):
            raise self.error(f"category 'id' must be an integer, got {_kind_of(cid)}", location + ".id")
        if not isinstance(name, str) or not name:
            raise self.error(f"category 'name' must be a non-empty string, got {_kind_of(name)}", location + ".name")
        if cid in self.label_by_id:
            raise self.error(f"duplicate category id {cid!r}", location + ".id")
        if name in self.labels:
            raise self.error(f"duplicate category name {name!r} (ids {self.labels[name].id!r} and {cid!r})",
                             location + ".name")
        extras = {f"coco:{key}": value for key, value in raw.items() if key not in _CATEGORY_KEYS}
        parent = raw.get("supercategory")
        if not (isinstance(parent, str) and parent):
            if "supercategory" in raw:
                extras["coco:supercategory"] = parent
            parent = None
        keypoints = raw.get("keypoints") or []
        if not isinstance(keypoints, list) or not all(isinstance(k, str) for k in keypoints):
            raise self.error("category 'keypoints' must be a list of names", location + ".keypoints")
        if keypoints:
            skeleton = self._skeleton(raw.get("skeleton") or [], len(keypoints), location, name, extras)
            if "skeleton" not in raw:
                extras["coco:skeleton"] = None  # absent in the source: not written back
        else:  # nothing the IR holds, kept as the source gave it (e.g. "keypoints": [], "skeleton": [])
            skeleton = ()
            if "keypoints" in raw:
                extras["coco:keypoints"] = raw["keypoints"]
            if raw.get("skeleton"):  # edges without keypoints: reported, kept for COCO
                self._skeleton(raw["skeleton"], 0, location, name, extras)
            elif "skeleton" in raw:
                extras["coco:skeleton"] = raw["skeleton"]
        attributes = raw.get("attributes") or {}
        if not isinstance(attributes, dict):
            raise self.error(f"category 'attributes' must be an object, got {_kind_of(attributes)}",
                             location + ".attributes")
        self.labels.add(Label(name, id=cid, parent=parent, keypoints=tuple(keypoints), skeleton=skeleton,
                              attributes=attributes, extras=extras))
        self.label_by_id[cid] = name

    def _skeleton(self, raw: Any, count: int, location: str, name: str,
                  extras: dict[str, Any]) -> tuple[tuple[int, int], ...]:
        """COCO's 1-based edges to 0-based; edges outside the keypoints are kept verbatim for COCO only."""
        try:
            edges = tuple((int(a) - 1, int(b) - 1) for a, b in raw)
        except (TypeError, ValueError):
            raise self.error("category 'skeleton' must be a list of [i, j] pairs", location + ".skeleton") from None
        if all(0 <= a < count and 0 <= b < count for a, b in edges):
            return edges
        extras["coco:skeleton"] = raw
        self.report.add(Code.SKIPPED_CONTENT, "category skeleton refers to keypoints the category does not "
                        "declare; kept verbatim for COCO output only", label=name, skeleton=raw)
        return ()

    def _image(self, index: int, raw: Any) -> None:
        location = f"$.images[{index}]"
        if not isinstance(raw, dict):
            raise self.error(f"expected an image object, got {_kind_of(raw)}", location)
        image_id, file_name = raw.get("id"), raw.get("file_name")
        if not _is_id(image_id):
            raise self.error(f"image 'id' must be an integer, got {_kind_of(image_id)}", location + ".id")
        if not isinstance(file_name, str) or not file_name:
            raise self.error(f"image 'file_name' must be a non-empty string, got {_kind_of(file_name)}",
                             location + ".file_name")
        if image_id in self.item_by_id:
            raise self.error(f"duplicate image id {image_id!r}", location + ".id")
        path = file_name.replace("\\", "/")
        width, height = self._size(raw, "width", location), self._size(raw, "height", location)
        item_id = path if path not in self.paths else f"{path}#{image_id}"  # item ids are unique
        self.paths.add(item_id)
        item = Item(item_id, ImageRef(path, width, height),
                    extras={f"coco:{key}": value for key, value in raw.items()
                            if key not in _IMAGE_KEYS or key == "id"})
        attributes = raw.get("attributes")
        if type(attributes) is dict and attributes:  # annoconv's image attributes (others: kept verbatim)
            item.attributes = item.extras.pop("coco:attributes")
        for key in ("width", "height"):  # keep the source value when it is not a usable size (0, null)
            if key in raw and getattr(item.image, key) is None:
                item.extras[f"coco:{key}"] = raw[key]
        self.items.append(item)
        self.item_by_id[image_id] = item

    def _size(self, raw: dict[str, Any], key: str, location: str) -> int | None:
        value = raw.get(key)
        if value is None or value == 0:
            return None  # unknown; filled from the image header by writers that need it
        if not _number(value) or value < 0 or value != int(value):
            raise self.error(f"image '{key}' must be a positive integer, got {value!r}", f"{location}.{key}")
        return int(value)

    # --- annotations --------------------------------------------------------------------------
    def _annotations(self, annotations: list[Any], results: bool) -> None:
        step = self.context.step
        item_by_id, label_by_id = self.item_by_id, self.label_by_id
        self.results = results
        for index, raw in enumerate(annotations):
            if index & 1023 == 1023:
                step(1024)
            self.position = index
            item = None
            try:
                if type(raw) is TypedAnnotation:
                    item = item_by_id.get(raw.image_id)
                    label = label_by_id.get(raw.category_id)
                    if item is not None and label is not None:
                        built = self._typed_annotation(raw, item, label)
                        if built is not None:
                            item.annotations.extend(built)
                            continue
                    raw = raw.as_dict()
                if type(raw) is not dict:
                    raise self.error(f"expected an annotation object, got {_kind_of(raw)}",
                                     _where(index, results))
                image_id = raw.get("image_id")
                item = (item_by_id.get(image_id) if type(image_id) in _ID_TYPES else None) or self._item_for(
                    raw, index, results)
                if "segments_info" in raw:
                    self.report.add(Code.SKIPPED_CONTENT, "COCO panoptic segments not read (their masks live "
                                    "in PNG files); use the instance or stuff annotations", item=item.id,
                                    segments=len(raw["segments_info"]))
                    continue
                category_id = raw.get("category_id")
                label = label_by_id.get(category_id) if type(category_id) in _ID_TYPES else None
                if label is None or "caption" in raw:
                    label = self._label_for(raw, index, item, results)
                item.annotations.extend(self._annotation(raw, item, label))
            except SchemaError as exc:
                self.skipped(exc, Code.ANNOTATION_SKIPPED, item.id if item else None,
                             raw.get("id") if type(raw) is dict else None)
        step(len(annotations) % 1024)
        self.report.stats["annotations_read"] = self.report.stats.get("annotations_read", 0) + len(annotations)

    def _item_for(self, raw: dict[str, Any], index: int, results: bool) -> Item:
        """The item of an annotation whose ``image_id`` is not a known image (results files only)."""
        image_id = raw.get("image_id")
        where = _where(index, results) + ".image_id"
        if not _is_id(image_id):
            raise self.error(f"'image_id' must be an integer, got {_kind_of(image_id)}", where)
        if not results or self.context.options.get("gt"):
            raise self.error(f"'image_id' {image_id!r} does not match any image", where)
        path = str(image_id)  # results without ground truth: the image is known by its id only
        item = Item(path, ImageRef(path), extras={"coco:id": image_id})
        self.items.append(item)
        self.item_by_id[image_id] = item
        return item

    def _label_for(self, raw: dict[str, Any], index: int, item: Item, results: bool) -> str | None:
        """The label of an annotation whose ``category_id`` is not a known category, or of a caption."""
        category_id = raw.get("category_id")
        name = self.label_by_id.get(category_id) if type(category_id) in _ID_TYPES else None
        if name is not None or "caption" in raw:  # captions need no category
            return name
        where = _where(index, results) + ".category_id"
        if not _is_id(category_id):
            raise self.error(f"'category_id' must be an integer, got {_kind_of(category_id)}", where, item)
        if not results or self.context.options.get("gt"):
            raise self.error(f"'category_id' {category_id!r} does not match any category", where, item)
        name = str(category_id)  # results without ground truth: name the label by its id
        if name in self.labels:
            raise self.error(f"category id {category_id!r} clashes with a category named {name!r}", where, item)
        self.labels.add(Label(name, id=category_id))
        self.label_by_id[category_id] = name
        self.report.add(Code.LABEL_UNKNOWN, "results file without categories: label named by its "
                        "category id (pass gt=<ground-truth COCO file> for names)", category_id=category_id)
        return name

    def _annotation(self, raw: dict[str, Any], item: Item, label: str | None) -> list[Any]:
        """The IR annotation(s) of one COCO annotation in the general path (any valid input)."""
        bad = self._bad(item)
        ann_id = raw.get("id")
        score = raw.get("score")
        if score is not None:
            if type(score) not in _NUMBER_TYPES or not isfinite(score):
                raise bad(f"'score' must be a finite number, got {score!r}", "score")
            score = float(score)
        attributes = raw.get("attributes")
        if attributes is not None and type(attributes) is not dict:
            raise bad(f"'attributes' must be an object, got {_kind_of(attributes)}", "attributes")
        extras = {"coco:" + key: value for key, value in raw.items() if key not in _ANNOTATION_KEYS}
        if attributes == {}:
            extras["coco:attributes"] = attributes  # kept as it was; the IR has no empty-vs-absent
            attributes = None
        if "caption" in raw:
            return [self._caption(raw, ann_id, label, score, attributes, extras, bad)]

        iscrowd = raw.get("iscrowd")
        if iscrowd not in (0, 1, None):  # also accepts True/False
            raise bad(f"'iscrowd' must be 0 or 1, got {iscrowd!r}", "iscrowd")
        bbox = raw.get("bbox")
        if bbox == []:  # "no box" (the FastLabel SDK writes it for pose annotations): kept as it was
            extras["coco:bbox"], bbox = bbox, None
        if bbox is not None:
            if type(bbox) is not list or len(bbox) != 4 or not all(map(_number, bbox)):
                raise bad(f"'bbox' must be 4 numbers [x, y, width, height], got {_kind_of(bbox)}", "bbox")
            if bbox[2] < 0 or bbox[3] < 0:
                raise bad(f"'bbox' has a negative width or height: {bbox}", "bbox")
            extras["coco:bbox"] = bbox
        area = raw.get("area")
        if area is not None and type(area) not in _NUMBER_TYPES:
            raise bad(f"'area' must be a number, got {_kind_of(area)}", "area")
        return self._assemble((label, ann_id, score, iscrowd, attributes), extras, raw.get("segmentation"), bbox,
                              raw.get("keypoints"), item, bad)

    def _bad(self, item: Item) -> Callable[[str, str], SchemaError]:
        """bad(problem, key): the error for ``key`` of the annotation being read."""
        where = _where(self.position, self.results)
        return lambda problem, key: self.error(problem, f"{where}.{key}", item)

    def _typed_annotation(self, raw: TypedAnnotation, item: Item, label: str) -> list[Any] | None:
        """The IR annotation(s) of a typed annotation whose fields msgspec has type-checked; None when
        it needs the general path (a caption, a value out of range: the general path says where)."""
        iscrowd = raw.iscrowd if raw.iscrowd is not UNSET else None
        if raw.caption is not UNSET or iscrowd not in (0, 1, None):
            return None
        extras: dict[str, Any] = {}
        if raw.area is not None:
            extras["coco:area"] = raw.area
        if raw.num_keypoints is not None:
            extras["coco:num_keypoints"] = raw.num_keypoints
        attributes = raw.attributes
        if attributes == {}:
            extras["coco:attributes"] = attributes
            attributes = None
        bbox = raw.bbox
        if bbox is not None:
            if len(bbox) != 4 or bbox[2] < 0 or bbox[3] < 0:
                return None  # the general path handles "bbox": [] and says what else is wrong
            extras["coco:bbox"] = bbox
        keypoints = raw.keypoints
        if keypoints and (names := self.labels[label].keypoints) and len(keypoints) != 3 * len(names):
            return None
        score = float(raw.score) if raw.score is not None else None  # JSON numbers are finite
        common = (label, raw.id, score, iscrowd, attributes)
        return self._assemble(common, extras, raw.segmentation, bbox, keypoints, item, None)

    def _assemble(self, common: _Common, extras: dict[str, Any], segmentation: Any, bbox: Any,
                  keypoints: Any, item: Item, bad: Any) -> list[Any]:
        """The shape (Polygon, Mask or Box) and/or Keypoints of one annotation whose scalar fields are
        checked; ``common`` = (label, id, score, iscrowd (None when absent), attributes)."""
        iscrowd = common[3]
        if type(iscrowd) is not bool:
            common = (common[0], common[1], common[2], bool(iscrowd), common[4])
        shape: Any = None
        if segmentation:
            if type(segmentation) is dict:
                shape = self._mask(segmentation, item, common, extras, bad or self._bad(item))
            elif self.deferred is not None and type(segmentation) is list:  # checked in bulk
                shape = Polygon._prevalidated((), *common, extras)  # regions filled in by resolve()
                self.deferred.polygons.append(
                    (shape, segmentation if type(segmentation[0]) is list else [segmentation]))
            else:
                shape = self._polygon(segmentation, common, extras, bad or self._bad(item))
        elif bbox is not None:
            x, y, w, h = bbox
            if not (isfinite(x + w) and isfinite(y + h)):
                bad = bad or self._bad(item)
                raise bad(f"'bbox' corner is not finite (x + width or y + height overflows): {bbox}", "bbox")
            shape = Box._prevalidated((_frozen_box(x, y, x + w, y + h), 0.0), *common, extras)
        elif segmentation is not None:
            extras["coco:segmentation"] = segmentation  # e.g. an empty list: kept as it was

        if keypoints == [] and shape is not None:
            extras["coco:keypoints"] = keypoints  # kept as it was
            keypoints = None
        if keypoints is None:
            if shape is not None:
                return [shape]
            if iscrowd is not None:
                extras["coco:iscrowd"] = iscrowd  # an image-level label in an object-shaped record
            return [Tag._prevalidated((), *common, extras)]
        points = self._keypoints(keypoints, common, bad or self._bad(item))
        if shape is None:
            points.extras = extras
            return [points]
        if "coco:num_keypoints" in extras:  # lives with the keypoints it counts
            points.extras = {"coco:num_keypoints": extras.pop("coco:num_keypoints")}
        shape.group = points.group = self._group(common[1])
        return [shape, points]

    def _group(self, ann_id: Any) -> Any:
        """The group tying a shape to its keypoints: the COCO id, unless another annotation has it."""
        group = ann_id if ann_id not in self.groups else f"{ann_id}#{self.position}"
        self.groups.add(group)
        return group

    def _caption(self, raw: dict[str, Any], ann_id: Any, label: str | None, score: float | None,
                 attributes: dict[str, Any] | None, extras: dict[str, Any], bad: Any) -> Caption:
        caption = raw["caption"]
        if type(caption) is not str:
            raise bad(f"'caption' must be a string, got {_kind_of(caption)}", "caption")
        # a caption in an object-shaped record: the fields the IR has no place for are kept as they were
        extras.update({f"coco:{key}": raw[key] for key in ("category_id", "segmentation", "bbox", "iscrowd",
                                                           "keypoints") if key in raw})
        return Caption(caption, label=label, id=ann_id, score=score, attributes=attributes, extras=extras)

    def _polygon(self, segmentation: Any, common: _Common, extras: dict[str, Any], bad: Any) -> Polygon:
        """A polygon segmentation the bulk conversion did not cover: checked here to name the error."""
        if type(segmentation) is not list:
            raise bad(f"'segmentation' must be a list of polygons or an RLE object, got {_kind_of(segmentation)}",
                      "segmentation")
        if _number(segmentation[0]):  # a single flat polygon without the outer list
            segmentation = [segmentation]
        for part, ring in enumerate(segmentation):
            if type(ring) is not list or len(ring) < 6 or len(ring) % 2:
                size = len(ring) if type(ring) is list else _kind_of(ring)
                raise bad(f"polygon must be a flat list of x, y with an even count >= 6, got {size} values",
                          f"segmentation[{part}]")
            for position, value in enumerate(ring):
                if type(value) not in _NUMBER_TYPES:
                    raise bad(f"polygon coordinates must be numbers, got {_kind_of(value)}",
                              f"segmentation[{part}][{position}]")
        try:
            return Polygon([[ring] for ring in segmentation], **_keywords(common, extras))
        except SchemaError as exc:
            raise bad(exc.problem, "segmentation") from None

    def _mask(self, rle: dict[str, Any], item: Item, common: _Common, extras: dict[str, Any],
              bad: Any) -> Mask:
        size, counts = rle.get("size"), rle.get("counts")
        if not (type(size) is list and len(size) == 2 and all(type(v) is int for v in size)):
            raise bad(f"RLE 'size' must be [height, width], got {size!r}", "segmentation.size")
        image_size = item.image.size
        if image_size is not None and tuple(size) != image_size:
            raise bad(f"RLE size [{size[0]}, {size[1]}] (height, width) disagrees with the image's "
                      f"{image_size[0]} x {image_size[1]}", "segmentation.size")
        if type(counts) not in (str, list):
            raise bad(f"RLE 'counts' must be a string or a list of integers, got {_kind_of(counts)}",
                      "segmentation.counts")
        if type(counts) is list:
            extras["coco:rle_uncompressed"] = True
        try:
            return Mask(counts, size, **_keywords(common, extras))
        except SchemaError as exc:
            raise bad(exc.problem, "segmentation") from None

    def _keypoints(self, raw: Any, common: _Common, bad: Any) -> Keypoints:
        label = common[0]
        names = self.labels[label].keypoints if label is not None else ()
        if names and type(raw) is list and len(raw) != 3 * len(names):
            raise bad(f"{len(raw) // 3} keypoints but category {label!r} declares {len(names)}", "keypoints")
        if self.deferred is not None and type(raw) is list:  # checked in bulk
            points: Keypoints = Keypoints._prevalidated((), *common)  # xy, visibility filled in by resolve()
            self.deferred.keypoints.append((points, raw))
            return points
        if type(raw) is not list or len(raw) % 3 or not all(_number(v) for v in raw):
            raise bad(f"'keypoints' must be a flat list of x, y, v triples, got {_kind_of(raw)}", "keypoints")
        triples = np.array(raw, dtype=np.float64).reshape(-1, 3)
        try:
            return Keypoints(triples[:, :2], triples[:, 2], **_keywords(common))
        except SchemaError as exc:
            raise bad(exc.problem, "keypoints") from None


def _keywords(common: _Common, extras: dict[str, Any] | None = None) -> dict[str, Any]:
    """The checked constructors' keywords for ``common`` = (label, id, score, iscrowd, attributes)."""
    label, ann_id, score, iscrowd, attributes = common
    return {"label": label, "id": ann_id, "score": score, "iscrowd": iscrowd, "attributes": attributes,
            "extras": extras}


def _frozen_box(x1: float, y1: float, x2: float, y2: float) -> np.ndarray:
    xyxy = np.array((x1, y1, x2, y2), dtype=np.float64)
    xyxy.flags.writeable = False
    return xyxy


def _where(index: int, results: bool) -> str:
    """JSON path of annotation ``index``."""
    return f"$[{index}]" if results else f"$.annotations[{index}]"


class _BulkRejected(Exception):
    """Some coordinate is not a finite number: read again one annotation at a time to say where."""


def read_coco(path: Path, context: Context) -> Dataset:
    """Read a COCO JSON file (see the module docstring)."""
    data = load_json(path, "a COCO JSON file", typed=TYPED_DECODER)
    report = context.report
    issues, stats = len(report.issues), dict(report.stats)
    try:
        return CocoReader(path, context).build(data)
    except _BulkRejected:
        del report.issues[issues:]
        report.stats = stats
        quiet = replace(context, progress=None)  # the first pass already advanced the progress bar
        return CocoReader(path, quiet, bulk=False).build(data)


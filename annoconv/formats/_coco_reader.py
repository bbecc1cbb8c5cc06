"""COCO JSON -> IR.

Reads instance, keypoint, stuff, image-level label and caption files, and results files (a
bare list of annotations with ``score``). Coordinates are taken as they are: COCO's bbox
[x, y, w, h] and polygon vertices are continuous pixel coordinates, the IR's own convention.

One COCO annotation becomes its main geometry — a Polygon (all polygon parts as regions), a
Mask (RLE, compressed or not), or a Box (bbox only) — plus, when it has ``keypoints``, a
Keypoints annotation; both carry the COCO id as ``id`` and ``group`` so that writers can put
them back together. An annotation with only a ``category_id`` is a Tag; one with a
``caption`` a Caption. Source values the IR derives (``bbox``, ``area``) and fields it has
no place for are kept in ``extras`` as ``"coco:<key>"`` and written back by the COCO writer.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from .._io import gc_paused, load_json
from ..errors import AnnoconvError, SchemaError
from ..ir import Box, Caption, Dataset, ImageRef, Item, Keypoints, Label, LabelSet, Mask, Polygon, Tag
from ..report import Code
from ._base import Context

_IMAGE_KEYS = {"id", "file_name", "width", "height"}
_CATEGORY_KEYS = {"id", "name", "supercategory", "keypoints", "skeleton"}
_ANNOTATION_KEYS = {"id", "image_id", "category_id", "segmentation", "bbox", "iscrowd", "keypoints",
                    "num_keypoints", "score", "attributes", "caption"}
_TOP_KEYS = {"images", "annotations", "categories"}


def _is_id(value: Any) -> bool:
    return (isinstance(value, int) and not isinstance(value, bool)) or isinstance(value, str)


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
    return isinstance(value, (int, float)) and not isinstance(value, bool)


class CocoReader:
    """One read of one COCO file; ``read()`` returns the Dataset."""

    def __init__(self, path: Path, context: Context) -> None:
        self.path = path
        self.context = context
        self.report = context.report
        self.skip = context.options.get("on_error") == "skip"
        self.labels = LabelSet()
        self.label_by_id: dict[Any, str] = {}
        self.items: list[Item] = []
        self.item_by_id: dict[Any, Item] = {}

    # --- errors -------------------------------------------------------------------------------
    def error(self, problem: str, location: str, item: Item | None = None) -> SchemaError:
        return SchemaError(problem, file=self.path, location=location,
                           item=f"image {item.extras.get('coco:id')!r} {item.id!r}" if item else None)

    def skipped(self, exc: AnnoconvError, code: Code, item: str | None) -> None:
        if not self.skip:
            raise exc
        self.report.add(code, "bad input skipped (on_error=skip)", item=item, error=exc.message)

    # --- top level ----------------------------------------------------------------------------
    def read(self) -> Dataset:
        data = load_json(self.path, "a COCO JSON file")
        with gc_paused():
            return self._build(data)

    def _build(self, data: Any) -> Dataset:
        extras: dict[str, Any] = {}
        if isinstance(data, list):  # a results file: [{"image_id", "category_id", "bbox", "score"}, ...]
            images: list[Any] = []
            categories: list[Any] = []
            annotations = data
            self._results_context()
        elif isinstance(data, dict):
            if "images" not in data:
                raise self.error("missing required key 'images' (is this a COCO file?)", "$")
            images = self._list(data, "images")
            annotations = self._list(data, "annotations") if "annotations" in data else []
            categories = self._list(data, "categories") if "categories" in data else []
            extras = {f"coco:{key}": value for key, value in data.items() if key not in _TOP_KEYS}
        else:
            raise self.error(f"expected a JSON object with 'images', 'annotations', 'categories' "
                             f"(or a results list), got {_kind_of(data)}", "$")
        for index, category in enumerate(categories):
            self._category(index, category)
        for index, image in enumerate(images):
            try:
                self._image(index, image)
            except SchemaError as exc:
                self.skipped(exc, Code.ITEM_SKIPPED, str(image.get("file_name")) if isinstance(image, dict) else None)
        self._annotations(annotations, results=isinstance(data, list))
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
        skeleton = self._skeleton(raw.get("skeleton") or [], len(keypoints), location, name, extras)
        self.labels.add(Label(name, id=cid, parent=parent, keypoints=tuple(keypoints), skeleton=skeleton,
                              extras=extras))
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
        item = Item(path, ImageRef(path, width, height),
                    extras={f"coco:{key}": value for key, value in raw.items() if key not in _IMAGE_KEYS or key == "id"})
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
        unknown_labels: set[Any] = set()
        for index, raw in enumerate(annotations):
            location = f"$.annotations[{index}]" if not results else f"$[{index}]"
            item = None
            try:
                if not isinstance(raw, dict):
                    raise self.error(f"expected an annotation object, got {_kind_of(raw)}", location)
                item = self._item_for(raw, location, results)
                if "segments_info" in raw:
                    self.report.add(Code.SKIPPED_CONTENT, "COCO panoptic segments not read (their masks live "
                                    "in PNG files); use the instance or stuff annotations", item=item.id,
                                    segments=len(raw["segments_info"]))
                    continue
                label = self._label_for(raw, location, item, results, unknown_labels)
                item.annotations.extend(self._annotation(raw, location, item, label))
            except SchemaError as exc:
                self.skipped(exc, Code.ANNOTATION_SKIPPED, item.id if item else None)
            if index % 1024 == 1023:
                step(1024)
        step(len(annotations) % 1024)
        self.report.stats["annotations_read"] = self.report.stats.get("annotations_read", 0) + len(annotations)

    def _item_for(self, raw: dict[str, Any], location: str, results: bool) -> Item:
        image_id = raw.get("image_id")
        item = self.item_by_id.get(image_id)
        if item is not None:
            return item
        if not _is_id(image_id):
            raise self.error(f"'image_id' must be an integer, got {_kind_of(image_id)}", location + ".image_id")
        if not results or self.context.options.get("gt"):
            raise self.error(f"'image_id' {image_id!r} does not match any image", location + ".image_id")
        path = str(image_id)  # results without ground truth: the image is known by its id only
        item = Item(path, ImageRef(path), extras={"coco:id": image_id})
        self.items.append(item)
        self.item_by_id[image_id] = item
        return item

    def _label_for(self, raw: dict[str, Any], location: str, item: Item, results: bool,
                   unknown: set[Any]) -> str | None:
        if "caption" in raw:  # captions need no category
            return self.label_by_id.get(raw.get("category_id"))
        category_id = raw.get("category_id")
        name = self.label_by_id.get(category_id)
        if name is not None:
            return name
        if not _is_id(category_id):
            raise self.error(f"'category_id' must be an integer, got {_kind_of(category_id)}",
                             location + ".category_id", item)
        if not results or self.context.options.get("gt"):
            raise self.error(f"'category_id' {category_id!r} does not match any category",
                             location + ".category_id", item)
        name = str(category_id)  # results without ground truth: name the label by its id
        if name in self.labels:
            raise self.error(f"category id {category_id!r} clashes with a category named {name!r}",
                             location + ".category_id", item)
        self.labels.add(Label(name, id=category_id))
        self.label_by_id[category_id] = name
        self.report.add(Code.LABEL_UNKNOWN, "results file without categories: label named by its "
                        "category id (pass gt=<ground-truth COCO file> for names)", category_id=category_id)
        return name

    def _annotation(self, raw: dict[str, Any], location: str, item: Item, label: str | None) -> list[Any]:
        ann_id = raw.get("id")
        common: dict[str, Any] = {"label": label, "id": ann_id}
        score = raw.get("score")
        if score is not None:
            if not _number(score):
                raise self.error(f"'score' must be a number, got {_kind_of(score)}", location + ".score", item)
            common["score"] = score
        attributes = raw.get("attributes")
        if attributes:
            if not isinstance(attributes, dict):
                raise self.error(f"'attributes' must be an object, got {_kind_of(attributes)}",
                                 location + ".attributes", item)
            common["attributes"] = attributes
        extras = {f"coco:{key}": value for key, value in raw.items() if key not in _ANNOTATION_KEYS}
        if "caption" in raw:
            caption = raw["caption"]
            if not isinstance(caption, str):
                raise self.error(f"'caption' must be a string, got {_kind_of(caption)}", location + ".caption", item)
            if "category_id" in raw:
                extras["coco:category_id"] = raw["category_id"]
            return [Caption(caption, extras=extras, **common)]

        segmentation, bbox, keypoints = raw.get("segmentation"), raw.get("bbox"), raw.get("keypoints")
        iscrowd = raw.get("iscrowd", 0)
        if iscrowd not in (0, 1):  # also accepts True/False
            raise self.error(f"'iscrowd' must be 0 or 1, got {iscrowd!r}", location + ".iscrowd", item)
        xywh = self._bbox(bbox, location, item) if bbox is not None else None
        if xywh is not None:
            extras["coco:bbox"] = bbox
        area = raw.get("area")
        if area is not None and not _number(area):
            raise self.error(f"'area' must be a number, got {_kind_of(area)}", location + ".area", item)
        shape = self._shape(segmentation, xywh, location, item, common, extras, bool(iscrowd))
        out = [shape] if shape is not None else []
        if keypoints is not None and not (keypoints == [] and shape is not None):
            points = self._keypoints(keypoints, location, item, common, label)
            if shape is not None:
                shape.group = points.group = ann_id
            else:
                points.extras = extras
            out.append(points)
        if not out:
            out.append(Tag(extras=extras, iscrowd=bool(iscrowd), **common))
        return out

    def _bbox(self, bbox: Any, location: str, item: Item) -> list[float]:
        if (not isinstance(bbox, list) or len(bbox) != 4 or not all(_number(v) for v in bbox)):
            raise self.error(f"'bbox' must be 4 numbers [x, y, width, height], got {_kind_of(bbox)}",
                             location + ".bbox", item)
        if bbox[2] < 0 or bbox[3] < 0:
            raise self.error(f"'bbox' has a negative width or height: {bbox}", location + ".bbox", item)
        return bbox

    def _shape(self, segmentation: Any, xywh: list[float] | None, location: str, item: Item,
               common: dict[str, Any], extras: dict[str, Any], iscrowd: bool) -> Any:
        where = location + ".segmentation"
        if isinstance(segmentation, dict):
            return self._mask(segmentation, where, item, common, extras, iscrowd)
        if segmentation:
            if not isinstance(segmentation, list):
                raise self.error(f"'segmentation' must be a list of polygons or an RLE object, got "
                                 f"{_kind_of(segmentation)}", where, item)
            if _number(segmentation[0]):  # a single flat polygon without the outer list
                segmentation = [segmentation]
            for part, ring in enumerate(segmentation):
                if not isinstance(ring, list) or len(ring) < 6 or len(ring) % 2:
                    size = len(ring) if isinstance(ring, list) else _kind_of(ring)
                    raise self.error(f"polygon must be a flat list of x, y with an even count >= 6, got {size} "
                                     f"values", f"{where}[{part}]", item)
            try:
                return Polygon([[ring] for ring in segmentation], extras=extras, iscrowd=iscrowd, **common)
            except SchemaError as exc:
                raise self.error(exc.problem, where, item) from None
        if xywh is not None:
            x, y, w, h = xywh
            return Box((x, y, x + w, y + h), extras=extras, iscrowd=iscrowd, **common)
        if segmentation is not None:
            extras["coco:segmentation"] = segmentation
        return None

    def _mask(self, rle: dict[str, Any], where: str, item: Item, common: dict[str, Any],
              extras: dict[str, Any], iscrowd: bool) -> Mask:
        size, counts = rle.get("size"), rle.get("counts")
        if not (isinstance(size, list) and len(size) == 2 and all(isinstance(v, int) for v in size)):
            raise self.error(f"RLE 'size' must be [height, width], got {size!r}", where + ".size", item)
        image_size = item.image.size
        if image_size is not None and tuple(size) != image_size:
            raise self.error(f"RLE size [{size[0]}, {size[1]}] (height, width) disagrees with the image's "
                             f"{image_size[0]} x {image_size[1]}", where + ".size", item)
        if not isinstance(counts, (str, list)):
            raise self.error(f"RLE 'counts' must be a string or a list of integers, got {_kind_of(counts)}",
                             where + ".counts", item)
        if isinstance(counts, list):
            extras["coco:rle_uncompressed"] = True
        try:
            return Mask(counts, size, extras=extras, iscrowd=iscrowd, **common)
        except SchemaError as exc:
            raise self.error(exc.problem, where, item) from None

    def _keypoints(self, raw: Any, location: str, item: Item, common: dict[str, Any],
                   label: str | None) -> Keypoints:
        where = location + ".keypoints"
        if not isinstance(raw, list) or len(raw) % 3 or not all(_number(v) for v in raw):
            raise self.error(f"'keypoints' must be a flat list of x, y, v triples, got {_kind_of(raw)}", where, item)
        names = self.labels[label].keypoints if label is not None else ()
        if names and len(raw) != 3 * len(names):
            raise self.error(f"{len(raw) // 3} keypoints but category {label!r} declares {len(names)}", where, item)
        triples = np.array(raw, dtype=np.float64).reshape(-1, 3)
        try:
            return Keypoints(triples[:, :2], triples[:, 2], **common)
        except SchemaError as exc:
            raise self.error(exc.problem, where, item) from None


def read_coco(path: Path, context: Context) -> Dataset:
    """Read a COCO JSON file (see the module docstring)."""
    return CocoReader(path, context).read()


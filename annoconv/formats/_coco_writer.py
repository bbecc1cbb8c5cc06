"""IR -> COCO JSON.

Every object annotation gets ``id``, ``image_id``, ``category_id``, ``segmentation``, ``area``,
``bbox`` ([x, y, width, height], continuous pixels) and ``iscrowd``. Annotations sharing a
``group`` and label are written as one COCO annotation: several polygons become one
multi-part polygon, an unrotated Box is the ``bbox`` of the polygons or mask of its group (VOC
objects read with their masks), and a Keypoints annotation joins the shape of its group. Values the
reader kept in ``extras`` (the source ``bbox`` and ``area``, unknown fields) are written back
as they were, so COCO -> COCO keeps every field.

- Box: ``bbox``, ``segmentation: []``; a rotated Box: its 4-corner polygon plus the enclosing
  bbox (reported as ``geometry-converted``).
- Polygon: one flat ring per region; a polygon with holes is rasterized into an RLE mask
  (COCO polygons cannot hold holes), reported as ``geometry-converted``.
- Mask: RLE with compressed string counts (uncompressed when the source was), ``iscrowd`` as
  in the source.
- Keypoints: flat [x, y, v] * K with ``num_keypoints``; alone, bbox = the labelled points' bounds.
- Tag: ``{id, image_id, category_id}`` (image-level label); Caption: ``{id, image_id, caption}``;
  both with ``score``/``attributes`` when set and whatever else their source record had.
- Polyline and Point annotations cannot be held and are dropped with ``unsupported-kind``.
- An unrotated Box whose x + width is not exactly x2 in float64 gets a ``precision-reduced``
  info entry (a one-rounding difference, far below a pixel).
- ``"categories"`` is written unless it would be empty and the source had none (COCO's captions
  files; pycocotools cannot load captions beside an empty ``categories``).

Ids: source category, image and annotation ids are kept when they are unique integers;
otherwise all ids of that kind are renumbered from 1 in dataset order (reported as ``id-reassigned``).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np

from .._io import dump_json
from ..ir import (Annotation, Box, Caption, Dataset, Item, Keypoints, Label, Mask, Point, Polygon, Polyline, Tag,
                  geometry, rle)
from ..ir.annotations import group_slots
from ..raster import polygon_mask
from ..report import Code, Severity
from ._base import Context, report_split_groups

# Object annotation keys the writer writes itself; a same-named extra is a source value used in
# its place (bbox, area, num_keypoints, segmentation of a bbox-only record) or a reader's marker.
_COMPUTED = {"id", "image_id", "category_id", "segmentation", "bbox", "area", "iscrowd", "keypoints",
             "num_keypoints", "score", "attributes", "caption", "rle_uncompressed"}
_COMPUTED_EXTRAS = {f"coco:{key}" for key in _COMPUTED}
# Tags and Captions write only these themselves: the rest of their source record passes through
# (a caption without a label keeps its source "category_id", often 0).
_IMAGE_LEVEL_COMPUTED = {"id", "image_id", "category_id", "caption", "iscrowd", "score", "attributes",
                         "rle_uncompressed"}
_CAPTION_SOURCE_KEPT = _IMAGE_LEVEL_COMPUTED - {"category_id"}
_CATEGORY_COMPUTED = {"id", "name", "supercategory", "keypoints", "skeleton", "attributes"}

_DROPPED = (Polyline, Point)  # kinds COCO cannot hold
_GROUPABLE = (Polygon, Box, Mask, Keypoints)
_ABSENT = object()


def _int_ids(values: list[Any]) -> bool:
    """True when every value is an int (not bool) and no two are equal."""
    return all(type(v) is int for v in values) and len(set(values)) == len(values)


def _passthrough(target: dict[str, Any], extras: dict[str, Any], skip: Iterable[str] = _COMPUTED) -> None:
    """Copy the ``coco:`` extras (unknown source fields) into ``target``, except the keys in ``skip``."""
    if skip is _COMPUTED and extras.keys() <= _COMPUTED_EXTRAS:  # the common case: nothing to copy
        return
    for key, value in extras.items():
        if key[:5] == "coco:" and key[5:] not in skip:
            target[key[5:]] = value


class CocoWriter:
    def __init__(self, dataset: Dataset, context: Context) -> None:
        self.dataset = dataset
        self.context = context
        self.report = context.report
        self.captions = False  # any Caption written

    def _assign(self, what: str, source_ids: list[Any]) -> list[Any]:
        if _int_ids(source_ids):
            return source_ids
        if any(v is not None for v in source_ids):
            self.report.add(Code.ID_REASSIGNED, f"{what} ids renumbered from 1 (source ids are not unique integers)")
        return list(range(1, len(source_ids) + 1))

    def build(self) -> dict[str, Any]:
        ds = self.dataset
        out: dict[str, Any] = {}
        _passthrough(out, ds.extras, ("categories",))  # a reader's marker, handled below
        label_ids = self._assign("category", [label.id for label in ds.labels])
        self.category_id = {label.name: cid for label, cid in zip(ds.labels, label_ids)}
        categories = []
        for label, cid in zip(ds.labels, label_ids):
            category: dict[str, Any] = {"id": cid, "name": label.name,
                                        "supercategory": label.parent or label.extras.get("coco:supercategory", "")}
            _keypoint_names(category, label)
            if label.attributes:
                category["attributes"] = label.attributes
            _passthrough(category, label.extras, _CATEGORY_COMPUTED)
            categories.append(category)
        image_ids = self._assign("image", [item.extras.get("coco:id") for item in ds.items])
        images, annotations = [], []
        for item, image_id in zip(ds.items, image_ids):
            images.append(self._image(item, image_id))
            annotations.extend(self._annotations(item, image_id))
            self.context.step()
        source_ids = [a["id"] for a in annotations]
        annotation_ids = self._assign("annotation", source_ids)
        if annotation_ids is not source_ids:
            for annotation, ann_id in zip(annotations, annotation_ids):
                annotation["id"] = ann_id
        out["images"] = images
        out["annotations"] = annotations
        if categories or _empty_categories_written(ds.extras.get("coco:categories", _ABSENT), self.captions):
            out["categories"] = categories
        self.report.stats["items_written"] = len(images)
        self.report.stats["annotations_written"] = len(annotations)
        return out

    def _image(self, item: Item, image_id: Any) -> dict[str, Any]:
        image: dict[str, Any] = {"id": image_id, "file_name": item.image.path}
        for key in ("width", "height"):  # each known one; an unusable source value (0, null) passes through
            if (value := getattr(item.image, key)) is not None:
                image[key] = value
        if any(getattr(item.image, key) is None and f"coco:{key}" not in item.extras for key in ("width", "height")):
            self.report.add(Code.IMAGE_SIZE_MISSING, "image size unknown: 'width'/'height' not written",
                            item=item.id)
        _passthrough(image, item.extras, {"id", "file_name"})
        if item.subset is not None:
            self.context.record_loss("subset", item=item)
        if item.attributes:
            image["attributes"] = item.attributes
        return image

    # --- annotations --------------------------------------------------------------------------
    def _annotations(self, item: Item, image_id: Any) -> list[dict[str, Any]]:
        """The item's COCO annotations in item order; a group is written where its first member is."""
        kept = []
        for ann in item.annotations:
            if ann.z_order:
                self.context.record_loss("z-order", item=item, annotation=ann)
            if type(ann) in _DROPPED:
                self.context.record_loss(ann.kind, item=item, annotation=ann)
            else:
                kept.append(ann)
        out: list[dict[str, Any]] = []
        heads: list[Annotation] = []  # the main annotation of each COCO annotation
        for slot in group_slots(kept, _GROUPABLE):
            for parts in _split_group(slot) if type(slot) is list else [[slot]]:
                out.append(self._object(item, image_id, parts))
                heads.append(parts[0])
        report_split_groups(self.report, item, heads, "separate COCO annotations")
        return out

    def _object(self, item: Item, image_id: Any, parts: list[Annotation]) -> dict[str, Any]:
        """One COCO annotation from one IR annotation, or from a group's shape(s) and keypoints."""
        main = parts[0]
        kind = type(main)
        if kind is Caption or kind is Tag:
            return self._image_level(main, image_id)
        ann: dict[str, Any] = {"id": main.id, "image_id": image_id,
                               "category_id": self.category_id[main.label]}  # type: ignore[index]
        source = main.extras
        points = parts[-1] if type(parts[-1]) is Keypoints else None
        if kind is not Keypoints:
            segmentation, bbox, area = self._geometry(item, main, parts, source)
            box = parts[-2] if points is not None else parts[-1]
            if kind is not Box and type(box) is Box and "coco:bbox" not in source:  # a group's box is its bbox
                bbox = self._box_xywh(box, item)  # type: ignore[arg-type]
        else:
            segmentation, bbox, area = [], source.get("coco:bbox"), source.get("coco:area")
        if points is not None:
            ann["keypoints"] = _keypoint_triples(points)
            ann["num_keypoints"] = points.extras.get("coco:num_keypoints", points.labelled)
            if bbox is None:
                bounds = points.bounds()
                bbox = [0.0, 0.0, 0.0, 0.0] if bounds is None else _xywh(bounds)
            if area is None:
                area = bbox[2] * bbox[3]
        elif "coco:keypoints" in source or "coco:num_keypoints" in source:  # e.g. "keypoints": [] kept
            for key in ("keypoints", "num_keypoints"):
                if "coco:" + key in source:
                    ann[key] = source["coco:" + key]
        ann["segmentation"] = source.get("coco:segmentation", segmentation)
        ann["area"] = area
        ann["bbox"] = bbox
        ann["iscrowd"] = int(main.iscrowd)
        _scored(ann, main)
        _passthrough(ann, source)
        return ann

    def _box_xywh(self, box: Box, item: Item) -> list[float]:
        """COCO's [x, y, width, height] of an unrotated box; reports when x + width is not exactly x2."""
        x1, y1, x2, y2 = box.xyxy.tolist()
        if x1 + (x2 - x1) != x2 or y1 + (y2 - y1) != y2:
            self.report.add(Code.PRECISION_REDUCED, "box corner not exactly representable as x + width "
                            "(off by one float64 rounding)", severity=Severity.INFO, item=item.id,
                            annotation=box.id)
        return [x1, y1, x2 - x1, y2 - y1]

    def _image_level(self, main: Annotation, image_id: Any) -> dict[str, Any]:
        """A Caption or a Tag: ``{id, image_id, caption}`` / ``{id, image_id, category_id}``, plus what
        the source record had around it (kept in extras) and the crowd flag if set."""
        ann: dict[str, Any] = {"id": main.id, "image_id": image_id}
        if type(main) is Caption:
            ann["caption"] = main.text  # type: ignore[attr-defined]
            self.captions = True
        if main.label is not None:
            ann["category_id"] = self.category_id[main.label]
        if main.iscrowd or "coco:iscrowd" in main.extras:
            ann["iscrowd"] = int(main.iscrowd)
        _scored(ann, main)
        _passthrough(ann, main.extras, _IMAGE_LEVEL_COMPUTED if main.label is not None else _CAPTION_SOURCE_KEPT)
        return ann

    def _geometry(self, item: Item, shape: Annotation, parts: list[Annotation],
                  source: dict[str, Any]) -> tuple[Any, Any, Any]:
        """(segmentation, bbox, area); bbox and area are the source's when it gave them."""
        bbox, area = source.get("coco:bbox"), source.get("coco:area")
        if type(shape) is Polygon:
            return self._polygons(item, shape, parts, bbox, area)
        if type(shape) is Mask:
            return (_rle(shape), bbox or [float(v) for v in rle.bbox(shape.counts, shape.size)],
                    area if area is not None else float(shape.area()))
        box: Box = shape  # type: ignore[assignment]
        if area is None:
            area = box.area()
        if not box.rotated:
            return [], bbox or self._box_xywh(box, item), area
        self.context.record_loss("rotated-box", item=item, annotation=box)
        return [box.corners().ravel()], bbox or _xywh(box.bounds()), area

    def _polygons(self, item: Item, shape: Polygon, parts: list[Annotation], bbox: Any,
                  area: Any) -> tuple[Any, Any, Any]:
        """A polygon, or a group's polygons, as one multi-part COCO polygon (an RLE mask when holed)."""
        if len(parts) == 1 or type(parts[1]) is not Polygon:  # the common case: one polygon
            polygons = [shape]
            regions: Any = shape.regions
        else:
            polygons = [p for p in parts if type(p) is Polygon]  # type: ignore[misc]
            regions = [region for polygon in polygons for region in polygon.regions]
        segmentation = [region[0].ravel() for region in regions if len(region) == 1]
        if bbox is None:
            points = regions[0][0] if len(regions) == 1 else np.concatenate([region[0] for region in regions])
            bbox = _xywh(geometry.points_bounds(points))
        if area is None:
            area = sum(polygon.area() for polygon in polygons)
        if len(segmentation) == len(regions):  # no holes
            return segmentation, bbox, area
        size = item.image.size
        if size is None:
            self.report.add(Code.GEOMETRY_CONVERTED, "Polygon holes dropped: the image size is unknown, so the "
                            "polygon cannot be written as an RLE mask", item=item.id, annotation=shape.id)
            return [region[0].ravel() for region in regions], bbox, area
        self.context.record_loss("polygon-holes", item=item, annotation=shape)
        counts = rle.encode(polygon_mask(regions, *size))
        return {"size": list(size), "counts": rle.to_string(counts)}, bbox, area


def _empty_categories_written(source: Any, captions: bool) -> bool:
    """Whether to write ``"categories": []``: as the COCO source did; else not for captions (COCO's
    captions files have no categories, and pycocotools cannot load captions beside the key)."""
    if source is _ABSENT:
        return not captions
    return source is not None


def _keypoint_names(category: dict[str, Any], label: Label) -> None:
    """``keypoints`` and 1-based ``skeleton``; where the IR has none, what the source had (kept in extras:
    a verbatim skeleton the keypoints cannot hold, ``None`` for a skeleton the source did not give)."""
    source_skeleton = label.extras.get("coco:skeleton", _ABSENT)
    if label.keypoints:
        category["keypoints"] = list(label.keypoints)
        if label.skeleton or source_skeleton is _ABSENT:
            category["skeleton"] = [[a + 1, b + 1] for a, b in label.skeleton]
        elif source_skeleton is not None:
            category["skeleton"] = source_skeleton
        return
    if "coco:keypoints" in label.extras:
        category["keypoints"] = label.extras["coco:keypoints"]
    if source_skeleton is not _ABSENT and source_skeleton is not None:
        category["skeleton"] = source_skeleton


def _split_group(members: list[Annotation]) -> list[list[Annotation]]:
    """Parts of one COCO annotation: its segmentation (polygons, or one mask) and/or one unrotated
    box as its bbox, keypoints last; whatever does not fit is written alone."""
    if len(members) == 1:
        return [members]
    polygons = [m for m in members if type(m) is Polygon]
    masks = [m for m in members if type(m) is Mask]
    boxes = [m for m in members if type(m) is Box]
    keypoints = [m for m in members if type(m) is Keypoints]
    shapes: list[Annotation] = polygons if not masks else masks if len(masks) == 1 and not polygons else []
    if len(boxes) > 1 or (boxes and shapes and not _box_joins(boxes[0], shapes[0])) or (masks and not shapes):
        return [[m] for m in members]
    return [shapes + boxes + keypoints[:1]] + [[m] for m in keypoints[1:]]


def _box_joins(box: Annotation, shape: Annotation) -> bool:
    """Whether a box can be the bbox of its group's segmentation without losing anything of its own."""
    return (not box.rotated and box.score == shape.score  # type: ignore[attr-defined]
            and box.attributes == shape.attributes and box.iscrowd == shape.iscrowd
            and not any(key.startswith("coco:") for key in box.extras))


def _xywh(xyxy: np.ndarray) -> list[float]:
    x1, y1, x2, y2 = (float(v) for v in xyxy)
    return [x1, y1, x2 - x1, y2 - y1]


def _keypoint_triples(points: Keypoints) -> list[Any]:
    """Flat [x, y, v, ...] with v an integer."""
    values: list[Any] = [0] * (3 * len(points.visibility))
    values[0::3] = points.xy[:, 0].tolist()
    values[1::3] = points.xy[:, 1].tolist()
    values[2::3] = points.visibility.tolist()
    return values


def _scored(ann: dict[str, Any], source: Annotation) -> None:
    """Write the score and the attributes (an empty source ``attributes`` object too)."""
    if source.score is not None:
        ann["score"] = source.score
    if source.attributes:
        ann["attributes"] = source.attributes
    elif "coco:attributes" in source.extras:
        ann["attributes"] = source.extras["coco:attributes"]


def _rle(mask: Mask) -> dict[str, Any]:
    counts: Any = mask.counts if mask.extras.get("coco:rle_uncompressed") else rle.to_string(mask.counts)
    return {"size": list(mask.size), "counts": counts}


def write_coco(dataset: Dataset, path: Path, context: Context) -> None:
    """Write ``dataset`` as one COCO JSON file (see the module docstring)."""
    data = CocoWriter(dataset, context).build()
    dump_json(data, path, indent=bool(context.options.get("indent")))

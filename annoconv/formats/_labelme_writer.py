"""IR -> labelme JSON files, one per item, in the folder given.

Placement: a file read from labelme goes back to its own relative path (extras ``labelme:json``);
any other item's file is its image path with the extension replaced by ``.json`` (leading ``..``
parts dropped), so the files mirror the image subfolders. ``imagePath`` is the image's path
relative to the JSON file's folder (the source spelling when it still names the same image).
The JSON is written as labelme writes it (2-space indentation, no ASCII escaping, source key
order), so a labelme -> labelme conversion reproduces its input byte for byte.

- Box -> ``rectangle``; a rotated Box -> a 4-point ``polygon`` (``geometry-converted``).
- Polygon -> ``polygon``; a polygon read from a labelme ``circle`` (its vertices still on that
  circle) -> the ``circle`` again; a multi-part polygon -> one ``polygon`` shape per part, sharing
  a ``group_id`` (``geometry-converted``); a polygon with holes -> a ``mask`` shape rasterized
  under the pixel-centre rule (``geometry-converted``).
- Polyline -> ``linestrip`` (``line`` when it was one); Point -> ``point``; Mask -> ``mask`` (the
  PNG crop of its bounding box; the source crop and PNG are reused while the mask is unchanged).
- Keypoints -> one ``point`` shape per labelled keypoint, labelled ``<label>:<keypoint name>``
  (the index when the label names no keypoints), sharing a ``group_id`` (``geometry-converted``:
  they read back as Keypoints only with the read option ``labelme_keypoints``); an occluded
  keypoint (visibility 1) says so in its description; unlabelled ones (visibility 0) are not written.
- Tag -> image-level flag ``true`` (the source's ``false`` flags are kept); item attributes ->
  image-level flags; Caption -> dropped (``unsupported-kind``).
- Boolean attributes -> shape flags; the score, the crowd flag and other attributes -> a JSON
  description (see :mod:`._labelme_shapes`); ``group`` -> ``group_id`` (non-integer groups are
  renumbered, reported as ``id-reassigned``); ``z_order`` -> the shapes' order (labelme draws
  later shapes on top), reported as a conversion.
- ``imageData``: null unless the option ``labelme_embed_images`` is set (then the source's
  embedded image, or the image file under ``labelme_image_root``); source data not written is
  reported. Label definitions have no place in labelme files: colours, parents, keypoint names and
  skeletons, attribute definitions are reported as ``field-dropped`` (predicted from the
  capabilities); ids and unused labels by an info entry naming them.
"""

from __future__ import annotations

import base64
import posixpath
from collections import Counter
from math import ceil
from pathlib import Path
from typing import Any

import numpy as np
import orjson

from .._io import Folders
from ..errors import AnnoconvError, WriteError
from ..image_header import image_size
from ..ir import Annotation, Box, Caption, Dataset, Item, Keypoints, Mask, Point, Polygon, Polyline, Tag
from ..raster import polygon_mask
from ..report import Code, Severity
from ._base import Context, report_unkept_ids
from ._labelme_shapes import (KEYPOINT_SEPARATOR, VERSION, Fields, crop_points, decode_mask, encode_mask,
                              is_absolute, on_circle, resolve_image_path, tight_crop, write_fields)

# Shape keys left out when the source's shapes had none and the value is this default (older versions).
_OPTIONAL_SHAPE_KEYS: dict[str, Any] = {"group_id": None, "description": None, "flags": {}, "mask": None,
                                        "shape_type": "polygon"}


class _Groups:
    """labelme ``group_id`` values of one item: integer groups kept, others mapped to fresh integers."""

    def __init__(self, item: Item) -> None:
        used = [a.group for a in item.annotations if type(a.group) is int]
        self.next = max(used, default=0) + 1
        self.mapped: dict[Any, int] = {}

    def of(self, annotation: Annotation) -> int | None:
        group = annotation.group
        if group is None or type(group) is int:
            return group
        if group not in self.mapped:
            self.mapped[group] = self.fresh()
        return self.mapped[group]

    def fresh(self) -> int:
        self.next += 1
        return self.next - 1


class LabelmeWriter:
    def __init__(self, dataset: Dataset, root: Path, context: Context) -> None:
        self.dataset = dataset
        self.root = root
        self.context = context
        self.report = context.report
        self.embed = bool(context.options.get("labelme_embed_images"))
        image_root = context.options.get("labelme_image_root")
        self.image_root = Path(image_root) if image_root else None
        self.paths: set[str] = set()
        self.shapes = 0

    def write(self) -> None:
        self._label_definitions()
        folders = Folders()
        for item in self.dataset.items:
            relative, document = self._document(item)
            try:
                data = orjson.dumps(document, option=orjson.OPT_INDENT_2 | orjson.OPT_SERIALIZE_NUMPY)
            except TypeError as exc:
                raise WriteError(f"a value is not JSON-serializable: {exc}", file=relative,
                                 item=item.describe()) from None
            folders.write(self.root / relative, data)
            self.context.step()
        self.report.stats["items_written"] = len(self.dataset.items)
        report_unkept_ids(self.dataset, self.report, "labelme")
        self.report.stats["annotations_written"] = self.shapes

    def _label_definitions(self) -> None:
        used = {a.label for _, a in self.dataset.annotations()}
        used.update(name for item in self.dataset.items for name in item.extras.get("labelme:flags") or ())
        unkept = []
        for label in self.dataset.labels:  # colours, parents, skeletons, attributes: recorded by write()
            if label.id is not None or label.name not in used:
                unkept.append(label.name)
        if unkept:
            self.report.add(Code.FIELD_DROPPED, "label definitions not written: labelme files have no label list "
                            "(label ids and unused labels are not kept)", severity=Severity.INFO, labels=unkept)

    # --- one file -------------------------------------------------------------------------------
    def _drawing_order(self, item: Item) -> list[Annotation]:
        """The annotations in the order labelme draws their shapes (later on top): by z-order, then
        as they come."""
        if not any(annotation.z_order for annotation in item.annotations):
            return item.annotations
        for annotation in item.annotations:
            if annotation.z_order:
                self.context.record_loss("z-order", item=item, annotation=annotation)
        return sorted(item.annotations, key=lambda annotation: annotation.z_order)

    def _document(self, item: Item) -> tuple[str, dict[str, Any]]:
        relative, image_path = self._placement(item)
        if item.subset is not None:
            self.context.record_loss("subset", item=item)
        groups = _Groups(item)
        ungrouped = Counter(a.label for a in item.annotations if type(a) is Keypoints and a.group is None)
        shape_keys = item.extras.get("labelme:shape_keys")
        shapes = []
        for annotation in self._drawing_order(item):
            for shape in self._shapes(item, annotation, groups, ungrouped):
                shapes.append(_ordered(shape, shape_keys))
        self.shapes += len(shapes)
        if groups.mapped:
            self.report.add(Code.ID_REASSIGNED, "non-integer groups written as new integer group_id values",
                            item=item.id, groups={str(k): v for k, v in groups.mapped.items()})
        width, height = self._size(item)
        document: dict[str, Any] = {
            "version": item.extras.get("labelme:version", VERSION), "flags": self._image_flags(item),
            "shapes": shapes, "imagePath": image_path, "imageData": self._image_data(item),
            "imageHeight": height, "imageWidth": width}
        other = item.extras.get("labelme:other")
        if isinstance(other, dict):
            for key, value in other.items():
                document.setdefault(key, value)
        keys = item.extras.get("labelme:keys")
        if isinstance(keys, list):  # the source's key order; keys it lacked stay out while they add nothing
            kept = {key: document[key] for key in keys if key in document}
            for key, value in document.items():
                if key not in kept and (key == "shapes" or (key == "flags" and value) or
                                        (key == "imageData" and value is not None)):
                    kept[key] = value
            document = kept
        if any(key in document and document[key] is None for key in ("imageHeight", "imageWidth")):
            self.report.add(Code.IMAGE_SIZE_MISSING, "image size unknown: imageHeight/imageWidth written as null",
                            item=item.id)
        return relative, document

    def _placement(self, item: Item) -> tuple[str, str]:
        """(JSON path relative to the output folder, imagePath relative to the JSON's folder)."""
        image = item.image.path
        source = item.extras.get("labelme:json")
        if isinstance(source, str) and _safe_relative(source):
            relative = source
        else:
            if is_absolute(image):
                stem = posixpath.basename(image)
            else:
                stem = "/".join(part for part in posixpath.normpath(image).split("/") if part not in ("..", "."))
            relative = (posixpath.splitext(stem)[0] or "image") + ".json"
        relative = self._unique(relative, item)
        folder = posixpath.dirname(relative)
        image_path = image if is_absolute(image) else posixpath.relpath(image, folder or ".")
        given = item.extras.get("labelme:imagePath")
        if isinstance(given, str) and given and resolve_image_path(folder, given) == image:
            image_path = given
        return relative, image_path

    def _unique(self, relative: str, item: Item) -> str:
        candidate, number = relative, 1
        while candidate.lower() in self.paths:  # lower: case-insensitive file systems
            number += 1
            candidate = f"{relative[:-5]}_{number}.json"
        if candidate != relative:
            self.report.add(Code.ID_REASSIGNED, "annotation file renamed: another item's file has the same name",
                            item=item.id, file=candidate)
        self.paths.add(candidate.lower())
        return candidate

    def _size(self, item: Item) -> tuple[int | None, int | None]:
        width, height = item.image.width, item.image.height
        if (width is None or height is None) and self.image_root is not None:
            path = self._image_file(item)
            if path is not None:
                try:
                    found = image_size(path)
                    width, height = width or found[0], height or found[1]
                except AnnoconvError:
                    pass  # an unreadable image leaves the size unknown (reported when it is written)
        return width, height

    def _image_file(self, item: Item) -> Path | None:
        path = Path(item.image.path) if is_absolute(item.image.path) else (self.image_root or Path()) / item.image.path
        return path if path.is_file() else None

    def _image_data(self, item: Item) -> str | None:
        kept = item.extras.get("labelme:imageData")
        if not self.embed:
            if isinstance(kept, str) and kept:
                self.report.add(Code.FIELD_DROPPED, "embedded image data (imageData) not written: set the option "
                                "labelme_embed_images to keep it", item=item.id)
            return None
        if isinstance(kept, str) and kept:
            return kept
        if self.image_root is None and not is_absolute(item.image.path):
            self.report.add(Code.FIELD_DROPPED, "image not embedded: give labelme_image_root, the folder the "
                            "image paths are relative to", item=item.id)
            return None
        path = self._image_file(item)
        if path is None:
            self.report.add(Code.FIELD_DROPPED, "image not embedded: image file not found", item=item.id,
                            path=item.image.path)
            return None
        try:
            return base64.b64encode(path.read_bytes()).decode("ascii")
        except OSError as exc:
            raise WriteError(f"cannot read the image to embed: {exc.strerror or exc}", file=path,
                             item=item.describe()) from None

    def _image_flags(self, item: Item) -> dict[str, Any] | None:
        """Tags as true flags, the source's false flags, item attributes; in the source order."""
        tags = [a for a in item.annotations if type(a) is Tag]
        names = dict.fromkeys(tag.label for tag in tags if tag.label is not None)
        for tag in tags:
            if tag.score is not None:
                self.report.add(Code.SCORE_DROPPED, "image-level tag score dropped: labelme image flags are "
                                "true/false", item=item.id, label=tag.label)
            if tag.attributes or tag.iscrowd:
                self.report.add(Code.ATTRIBUTE_DROPPED, "image-level tag attributes dropped: labelme image flags "
                                "are true/false", item=item.id, label=tag.label)
        order = item.extras.get("labelme:flags")
        flags: dict[str, Any] = {}
        for name in order or ():
            flags[name] = True if name in names else item.attributes.get(name, False)
        for name in names:
            flags.setdefault(name, True)
        for key, value in item.attributes.items():
            if key in names:
                self.report.add(Code.ATTRIBUTE_DROPPED, "item attribute dropped: a tag of the same name is the "
                                "image flag", item=item.id, attribute=key)
            flags.setdefault(key, value)
        if not flags and order is None and "labelme:flags" in item.extras:
            return None  # the source's "flags": null
        return flags

    # --- shapes ---------------------------------------------------------------------------------
    def _shapes(self, item: Item, ann: Annotation, groups: _Groups,
                ungrouped: Counter[str | None]) -> list[dict[str, Any]]:
        kind = type(ann)
        if kind is Tag:
            return []  # image-level flags
        if kind is Caption:
            self.context.record_loss("caption", item=item, annotation=ann)
            return []
        if kind is Box:
            return [self._box(item, ann, groups)]  # type: ignore[arg-type]
        if kind is Polygon:
            return self._polygon(item, ann, groups)  # type: ignore[arg-type]
        if kind is Polyline:
            points = ann.points  # type: ignore[attr-defined]
            line = ann.extras.get("labelme:shape_type") == "line" and len(points) == 2
            return [self._shape(item, ann, points.tolist(), "line" if line else "linestrip", groups.of(ann))]
        if kind is Point:
            return [self._shape(item, ann, [ann.xy.tolist()], "point", groups.of(ann))]  # type: ignore[attr-defined]
        if kind is Mask:
            return [self._mask(item, ann, groups)]  # type: ignore[arg-type]
        if kind is Keypoints:
            return self._keypoints(item, ann, groups, ungrouped)  # type: ignore[arg-type]
        self.report.add(Code.UNSUPPORTED_KIND, f"{kind.__name__} annotations dropped: labelme cannot hold them",
                        item=item.id, annotation=ann.id)
        return []

    def _shape(self, item: Item, ann: Annotation, points: list[Any], shape_type: str, group: int | None,
               mask: str | None = None, visibility: int | None = None) -> dict[str, Any]:
        keypoint_part = shape_type == "point" and type(ann) is Keypoints
        fields = Fields(ann.attributes, ann.score, ann.iscrowd, visibility)
        try:
            flags, description = write_fields(fields, ann.extras.get("labelme:description"), keypoint_part)
        except TypeError as exc:
            raise WriteError(str(exc), item=item.describe()) from None
        null_flags = not flags and "labelme:flags" in ann.extras  # the source's "flags": null
        shape = {"label": ann.label, "points": points, "group_id": group, "description": description,
                 "shape_type": shape_type, "flags": None if null_flags else flags, "mask": mask}
        other = ann.extras.get("labelme:other")
        if isinstance(other, dict):
            for key, value in other.items():
                shape.setdefault(key, value)
        return shape

    def _box(self, item: Item, box: Box, groups: _Groups) -> dict[str, Any]:
        if box.rotated:
            self.context.record_loss("rotated-box", item=item, annotation=box)
            return self._shape(item, box, box.corners().tolist(), "polygon", groups.of(box))
        x1, y1, x2, y2 = box.xyxy.tolist()
        points: Any = [[x1, y1], [x2, y2]]
        source = box.extras.get("labelme:points")
        try:
            (a, b), (c, d) = source  # type: ignore[misc]
            if [min(a, c), min(b, d), max(a, c), max(b, d)] == [x1, y1, x2, y2]:
                points = source  # the source's corner order
        except (TypeError, ValueError):
            pass
        return self._shape(item, box, points, "rectangle", groups.of(box))

    def _polygon(self, item: Item, polygon: Polygon, groups: _Groups) -> list[dict[str, Any]]:
        regions = polygon.regions
        if polygon.has_holes:
            self.context.record_loss("polygon-holes", item=item, annotation=polygon)
            if polygon.multipart:
                self.context.record_loss("polygon-multipart", item=item, annotation=polygon)
            return [self._holed(item, polygon, groups)]
        if not polygon.multipart:
            ring = regions[0][0]
            circle = polygon.extras.get("labelme:circle")
            if circle is not None and on_circle(ring, circle):
                return [self._shape(item, polygon, circle, "circle", groups.of(polygon))]
            return [self._shape(item, polygon, ring.tolist(), "polygon", groups.of(polygon))]
        self.context.record_loss("polygon-multipart", item=item, annotation=polygon)
        group = groups.of(polygon)
        group = groups.fresh() if group is None else group
        return [self._shape(item, polygon, region[0].tolist(), "polygon", group) for region in regions]

    def _holed(self, item: Item, polygon: Polygon, groups: _Groups) -> dict[str, Any]:
        """A polygon with holes as a mask shape: pixels whose centres are inside (DESIGN §7)."""
        x1, y1, x2, y2 = polygon.bounds().tolist()
        # pixel c has its centre inside [x1, x2] when ceil(x1 - 0.5) <= c < ceil(x2 - 0.5)
        left, top, right, bottom = ceil(x1 - 0.5), ceil(y1 - 0.5), ceil(x2 - 0.5), ceil(y2 - 0.5)
        size = item.image.size
        height, width = size if size is not None else (bottom, right)
        if left < 0 or top < 0 or right > width or bottom > height:
            self.report.add(Code.COORDINATE_CLIPPED, "polygon with holes written as a mask of its part inside the "
                            "image", item=item.id, annotation=polygon.id)
        left, top = max(left, 0), max(top, 0)
        right, bottom = max(min(right, width), left), max(min(bottom, height), top)
        offset = np.array([left, top], dtype=np.float64)
        regions = [[ring - offset for ring in region] for region in polygon.regions]
        crop = polygon_mask(regions, bottom - top, right - left)
        return self._mask_shape(item, polygon, groups.of(polygon), crop, left, top)

    def _mask(self, item: Item, mask: Mask, groups: _Groups) -> dict[str, Any]:
        """The crop of the mask's bounding box; the source crop and PNG while they still fit the mask."""
        dense = mask.decode()
        height, width = mask.size
        crop, left, top = tight_crop(dense)
        points: Any = crop_points(crop, left, top)
        source, png = mask.extras.get("labelme:points"), mask.extras.get("labelme:mask")
        try:
            (a, b), (c, d) = source  # type: ignore[misc]
            x1, y1, x2, y2 = int(a), int(b), int(c) + 1, int(d) + 1
            fits = 0 <= x1 < x2 <= width and 0 <= y1 < y2 <= height
            if fits and dense.any():  # ... and holds every foreground pixel
                fits = x1 <= left and y1 <= top and left + crop.shape[1] <= x2 and top + crop.shape[0] <= y2
        except (TypeError, ValueError):
            fits = False
        if fits:
            crop, points = dense[y1:y2, x1:x2], source
        try:
            same = isinstance(png, str) and np.array_equal(decode_mask(png), crop.astype(bool))
        except ValueError:
            same = False
        return self._shape(item, mask, points, "mask", groups.of(mask), mask=png if same else encode_mask(crop))

    def _mask_shape(self, item: Item, ann: Annotation, group: int | None, pixels: np.ndarray, left: int,
                    top: int) -> dict[str, Any]:
        """A mask shape of the foreground's bounding box in ``pixels`` placed at (``left``, ``top``)."""
        crop, x, y = tight_crop(pixels)
        return self._shape(item, ann, crop_points(crop, left + x, top + y), "mask", group, mask=encode_mask(crop))

    def _keypoints(self, item: Item, points: Keypoints, groups: _Groups,
                   ungrouped: Counter[str | None]) -> list[dict[str, Any]]:
        self.context.record_loss("keypoints", item=item, annotation=points)
        label = self.dataset.labels.get(points.label) if points.label else None
        count = len(points.visibility)
        names = label.keypoints if label is not None and len(label.keypoints) == count else \
            tuple(str(i) for i in range(count))
        group = groups.of(points)
        if group is None and ungrouped[points.label] > 1:  # tie the parts of each of several objects
            group = groups.fresh()
        shapes, unlabelled = [], 0
        for index, (xy, visibility) in enumerate(zip(points.xy.tolist(), points.visibility.tolist())):
            if visibility == 0:
                unlabelled += xy != [0.0, 0.0]
                continue
            shapes.append(self._shape(item, points, [xy], "point", group,
                                      visibility=1 if visibility == 1 else None))
            shapes[-1]["label"] = f"{points.label}{KEYPOINT_SEPARATOR}{names[index]}"
        if unlabelled:
            self.report.add(Code.FIELD_DROPPED, "coordinates of unlabelled keypoints (visibility 0) dropped: "
                            "labelme has only the labelled ones", item=item.id, annotation=points.id,
                            count=unlabelled)
        return shapes


def _ordered(shape: dict[str, Any], keys: Any) -> dict[str, Any]:
    """The shape's keys in the source order; keys the source shapes lacked are left out at their default."""
    if not isinstance(keys, list):
        return shape
    out = {key: shape[key] for key in keys if key in shape}
    for key, value in shape.items():
        if key not in out and not (key in _OPTIONAL_SHAPE_KEYS and value == _OPTIONAL_SHAPE_KEYS[key]):
            out[key] = value
    return out


def _safe_relative(path: str) -> bool:
    """A relative POSIX path to a .json file inside the output folder."""
    parts = path.split("/")
    return (path.lower().endswith(".json") and not is_absolute(path) and "\\" not in path
            and all(part not in ("", ".", "..") for part in parts))


def write_labelme(dataset: Dataset, path: Path, context: Context) -> None:
    """Write ``dataset`` as labelme JSON files under the folder ``path`` (see the module docstring)."""
    path.mkdir(parents=True, exist_ok=True)
    LabelmeWriter(dataset, path, context).write()


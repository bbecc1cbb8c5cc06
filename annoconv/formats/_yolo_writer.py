"""IR -> YOLO label files (one ``.txt`` per image) and data.yaml / obj.data (see :mod:`._yolo_output`).

Each object is one row ``class v1 v2 ...`` (an object given both as a Box and as a Polygon or
Mask of the same ``group`` and label is written once: by its box in yolo and yolo-obb, by its
outline in yolo-seg); the class index is the label's position in one class
order (``class_order``: the label set's order, alphabetical, or a names file / data.yaml) used for
the label files and data.yaml alike. Coordinates are IR pixels divided by the image size
(width for x, height for y) — a box is written as its centre and size, ``cx = (x1 + x2) / 2 / W``,
``w = (x2 - x1) / W`` — then rounded to ``decimals`` places (``precision-reduced``, INFO while no
coordinate moves by 0.1 px or more) and clipped to [0, 1] (``coordinate-clipped``, counting the
values; box and keypoint corners are clipped before the centre and size are computed). The
image size comes from the ImageRef, else from the image header under ``images_dir``; when it is
unknown the item is an error, or under on_error=skip it is not written (``image-size-missing``).

What each format writes, and what becomes of the rest, follows its Capabilities (``yolo.py``):
every conversion and drop is recorded through ``Context.record_loss`` so that the prediction
matches: conversions and dropped fields counted per item, dropped annotations each by its id.
``yolo-pose`` pairs a Keypoints annotation with the box, polygon or mask of the same
``group`` and label (the box of a polygon or mask is its bounding box); a shape without keypoints
gets K unlabelled points, keypoints without a shape the box of their labelled points (INFO).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import AnnoconvError, OptionError, SchemaError
from ..image_header import image_size
from ..ir import Annotation, Box, Dataset, Item, Keypoints, Mask, Polygon, geometry
from ..ir.annotations import doubled_objects
from ..report import Code, Severity
from ._base import Context, loss_counts, report_split_groups, report_unkept_ids
from ._yolo_geometry import bridge, largest_exterior, min_area_rectangle, open_ring, without_collinear
from ._yolo_files import names_from_file
from ._yolo_output import Output, Placement
from ._yolo_pose import pose_fields, pose_slots
from ._yolo_text import encode, scaled

_SHAPES = (Box, Polygon, Mask)
# The losses recorded per item with their counts: shape conversions and fields of any annotation.
# Annotations of kinds not written at all are recorded one by one.
_COUNTED = frozenset({"box", "rotated-box", "polygon", "polygon-multipart", "polygon-holes", "mask", "score",
                      "attributes", "crowd", "z-order"})
_ROUNDING_WARNS_AT = 0.1  # pixels: a larger rounding error is a warning, a smaller one INFO
_NOISE = 1e-12  # normalized units
_CHUNK = 1024  # items whose rows are computed together (bounds memory on large datasets)
_FORMAT = {"detect": "yolo", "segment": "yolo-seg", "pose": "yolo-pose", "obb": "yolo-obb"}


def parse_class_order(value: Any) -> str:
    """Option type of ``class_order``: ``source``, ``alpha`` or ``file:PATH``."""
    text = str(value).strip()
    if text in ("source", "alpha") or (text.startswith("file:") and len(text) > 5):
        return text
    raise ValueError(value)


def parse_decimals(value: Any) -> int:
    number = int(value)
    if not 1 <= number <= 15:
        raise ValueError(value)
    return number


class _Numbers:
    """Rounding and clipping of normalized coordinates, with what they cost (in pixels).

    Values come flat (one array for many rows); ``rows`` gives each value's row."""

    def __init__(self, decimals: int) -> None:
        self.decimals = decimals
        self.max_error = 0.0
        self.rounded = 0

    def clip(self, values: np.ndarray, rows: np.ndarray, count: int) -> tuple[np.ndarray, np.ndarray]:
        """Values whose rounded form is outside [0, 1] set to 0 or 1, and how many there were per row."""
        rounded = np.round(values, self.decimals)
        low, high = rounded < 0, rounded > 1
        outside = low | high
        if not outside.any():
            return values, np.zeros(count, dtype=np.int64)
        counts = np.bincount(rows[outside], minlength=count)
        return np.where(low, 0.0, np.where(high, 1.0, values)), counts

    def units(self, values: np.ndarray, scale: np.ndarray) -> np.ndarray:
        """Values rounded, as integers in units of the last decimal place (:func:`._yolo_text.scaled`);
        ``scale`` (per value) turns them into pixels for the rounding report."""
        rounded = np.round(values, self.decimals) + 0.0  # + 0.0 turns -0.0 into 0.0
        error = np.abs(rounded - values)
        # Differences below _NOISE are float arithmetic (0.1 + 0.5 != 0.6), not the rounding.
        changed = int(np.count_nonzero(error > _NOISE))
        if changed:
            self.rounded += changed
            self.max_error = max(self.max_error, float(np.max(error * scale)))
        return scaled(rounded, self.decimals)


def _row_of(lengths: np.ndarray) -> np.ndarray:
    """The row of each value when row i has lengths[i] values."""
    return np.repeat(np.arange(len(lengths)), lengths)


class YoloWriter:
    def __init__(self, dataset: Dataset, path: Path, context: Context, task: str) -> None:
        self.dataset = dataset
        self.context = context
        self.report = context.report
        self.task = task
        options = context.options
        self.skip = options.get("on_error") == "skip"
        self.numbers = _Numbers(options.get("decimals", 6))
        self.multipart = options.get("multipart", "bridge")
        self.images_dir = Path(options["images_dir"]) if options.get("images_dir") else None
        self.output = Output(path, context, darknet=options.get("layout") == "darknet")
        self.names = self._class_order(str(options.get("class_order", "source")))
        self.index = {name: i for i, name in enumerate(self.names)}
        self.kpt_count = 0
        if task == "pose":
            self.kpt_count = max([len(label.keypoints) for label in dataset.labels]
                                 + [len(a.xy) for _, a in dataset.annotations() if type(a) is Keypoints] + [0])
        self.objects = 0
        self.derived: dict[int, np.ndarray] = {}  # id(annotation) -> its points, when its row is derived from them

    # --- class order --------------------------------------------------------------------------
    def _class_order(self, order: str) -> list[str]:
        names = [label.name for label in self.dataset.labels]
        if order == "alpha":
            names = sorted(names)
        elif order.startswith("file:"):
            names = self._names_from(Path(order[5:]), names)
        position = {name: i for i, name in enumerate(names)}
        renumbered = sum(1 for label in self.dataset.labels
                         if isinstance(label.id, int) and position.get(label.name, label.id) != label.id)
        if renumbered:
            self.report.add(Code.ID_REASSIGNED, "class indices differ from the source label ids", count=renumbered)
        return names

    def _names_from(self, path: Path, labels: list[str]) -> list[str]:
        """The class order of a names file or data.yaml; every used label must be in it."""
        found = names_from_file(path, "class_order")
        if sorted(found) != list(range(len(found))):
            raise SchemaError("class indices must be 0..n-1 without gaps for a class order", file=path)
        names = [found[i] for i in range(len(found))]
        missing = sorted(self.dataset.used_labels() - set(names))
        if missing:
            raise OptionError(f"class order file {str(path)!r} has no class {', '.join(map(repr, missing))} "
                              f"(used by the dataset)")
        for name in labels:
            if name not in names:
                self.report.add(Code.FIELD_DROPPED, "label not in the class order file: not written (unused)",
                                label=name)
        return names

    # --- dataset level ------------------------------------------------------------------------
    def write(self) -> None:
        self._label_losses()
        items = self.dataset.items
        counts = loss_counts(self.dataset, self.context)
        for start in range(0, len(items), _CHUNK):
            self._chunk(items[start:start + _CHUNK], counts[start:start + _CHUNK])
        self.output.finish(self.names, self._yaml_fields(), _FORMAT[self.task])
        if self.numbers.rounded:
            self.report.add(Code.PRECISION_REDUCED, f"normalized coordinates rounded to {self.numbers.decimals} "
                            f"decimals", count=self.numbers.rounded,
                            severity=Severity.INFO if self.numbers.max_error < _ROUNDING_WARNS_AT else None,
                            max_error_px=self.numbers.max_error)
        self.report.stats["items_written"] = sum(self.output.split_items.values())
        report_unkept_ids(self.dataset, self.report, self.context.format.name)
        self.report.stats["annotations_written"] = self.objects

    def _chunk(self, items: list[Item], counts: list[dict[str, int]]) -> None:
        """Items prepared one by one (losses, rows), their rows' text made together, then written;
        ``counts``: each item's :func:`loss_counts`."""
        entries: list[_Entry] = []
        for item, item_counts in zip(items, counts):
            try:
                entry = self._prepare(item, item_counts)
            except AnnoconvError as exc:
                if not self.skip:
                    raise exc.located(item=item.describe())
                self.report.add(Code.ITEM_SKIPPED, "bad item skipped (on_error=skip)", item=item.id,
                                error=exc.message)
                entry = None
            if entry is not None:
                entries.append(entry)
            else:
                self.context.step()
        for entry, text in zip(entries, self._texts(entries)):
            self.output.commit(entry.item, entry.placement, text, entry.source)
            self.context.step()

    def _label_losses(self) -> None:
        # The other label features are recorded by write() from the capabilities; data.yaml holds
        # parents (annoconv's extension), classes.txt does not.
        for label in self.dataset.labels:
            if label.parent is not None and self.output.darknet:
                self.report.add(Code.FIELD_DROPPED, "label parent (supercategory) dropped: the darknet layout "
                                "cannot hold it", label=label.name)

    def _yaml_fields(self) -> dict[str, Any]:
        fields: dict[str, Any] = {}
        if self.task == "pose":
            fields.update(pose_fields(self.dataset, self.names, self.kpt_count))
        parents = {i: self.dataset.labels[name].parent for i, name in enumerate(self.names)
                   if name in self.dataset.labels and self.dataset.labels[name].parent is not None}
        if parents:
            fields["parents"] = parents  # annoconv's extension: the label's parent (COCO supercategory)
        passthrough = self.dataset.extras.get("yolo:data")
        if isinstance(passthrough, dict):
            for key, value in passthrough.items():
                fields.setdefault(key, value)
        return fields

    # --- items --------------------------------------------------------------------------------
    def _prepare(self, item: Item, counts: dict[str, int]) -> "_Entry | None":
        """Where the item goes and its rows (losses recorded); None when it is not written."""
        placement = self.output.place(item)
        if item.attributes:
            self.context.record_loss("image-attributes", item=item)
        objects = self._objects(item, counts)
        size = self._size(item) if objects else (0, 0)
        if size is None:
            return None  # reported: not written at all
        return _Entry(item, placement, self.output.source_image(item), objects, size)

    def _size(self, item: Item) -> tuple[int, int] | None:
        """(width, height): the ImageRef's, else the image header's under images_dir."""
        if item.image.width is not None and item.image.height is not None:
            return item.image.width, item.image.height
        if self.images_dir is not None:
            try:
                return image_size(self.images_dir / item.image.path)
            except AnnoconvError as exc:
                error: AnnoconvError = exc
        else:
            error = SchemaError("image size unknown: the item has no width/height (give images_dir, the folder "
                                "the image paths are relative to, to read it from the image header)")
        if not self.skip:
            raise error
        self.report.add(Code.IMAGE_SIZE_MISSING, "image size unknown: item not written (YOLO coordinates are "
                        "fractions of it)", severity=Severity.ERROR, item=item.id, error=error.message)
        return None

    def _class(self, annotation: Annotation) -> int:
        index = self.index.get(annotation.label)  # type: ignore[arg-type]
        if index is None:
            raise SchemaError(f"label {annotation.label!r} of annotation {annotation.id!r} is not in the label set")
        return index

    # --- annotations -> objects (IR pixels) ---------------------------------------------------
    def _objects(self, item: Item, counts: dict[str, int]) -> list[tuple[Any, ...]]:
        """(kind, class index, annotation, geometry...) per row to write; every loss recorded:
        the shape conversions and dropped fields once per item and feature, from ``counts``
        (tens of thousands of per-annotation entries cost ~10 % of a large write), the dropped
        kinds one by one."""
        out = self._pose_objects(item) if self.task == "pose" else self._shape_objects(item)
        for feature, count in counts.items():
            if feature in _COUNTED:
                self.context.record_loss(feature, item=item, count=count)
        report_split_groups(self.report, item, [row[2] for row in out], "separate rows")
        return out

    def _twins(self, item: Item) -> set[int]:
        """``id()`` of the annotations not written because their object is written by its other
        geometry: of an object given as a box and its outline, the box is the row (the pose box in
        yolo-pose), except in yolo-seg, where the outline is."""
        boxes, outlines = doubled_objects(item.annotations)
        return boxes if self.task == "segment" else outlines

    def _shape_objects(self, item: Item) -> list[tuple[Any, ...]]:
        out: list[tuple[Any, ...]] = []
        shape_of = {"detect": self._box_of, "segment": self._ring_of, "obb": self._quad_of}[self.task]
        twins = self._twins(item)
        for ann in item.annotations:
            kind = type(ann)
            if kind not in _SHAPES:
                self.context.record_loss(ann.kind, item=item, annotation=ann)
                continue
            if twins and id(ann) in twins:
                continue  # its losses are counted all the same: what writing it on its own would lose
            geometry = shape_of(item, ann)
            if geometry is not None:
                out.append((self.task, self._class(ann), ann, geometry))
        return out

    def _box_of(self, item: Item, ann: Annotation) -> np.ndarray | None:
        """What the axis-aligned box of a detection or pose row is the bounds of: an xyxy (4,),
        or points (N, 2) (bounded for many rows at once in :func:`_bounds`)."""
        kind = type(ann)
        if kind is Box:
            return ann.corners() if ann.rotated else ann.xyxy  # type: ignore[attr-defined]
        if kind is Polygon:
            regions = ann.regions  # type: ignore[attr-defined]
            return regions[0][0] if len(regions) == 1 else np.concatenate([region[0] for region in regions])
        if ann.area() == 0:  # type: ignore[attr-defined]
            self._empty_mask(item, ann)
            return None
        return ann.bounds()

    def _ring_of(self, item: Item, ann: Annotation) -> np.ndarray | None:
        """The one ring a yolo-seg row holds."""
        if type(ann) is Box:
            return ann.corners()  # type: ignore[attr-defined]
        regions = self._regions(item, ann)
        if regions is None:
            return None
        if len(regions) == 1 and len(regions[0]) == 1:
            return regions[0][0]
        return bridge(regions) if self.multipart == "bridge" else largest_exterior(regions)

    def _quad_of(self, item: Item, ann: Annotation) -> np.ndarray | None:
        """The 4 corners a yolo-obb row holds."""
        if type(ann) is Box:
            return ann.corners()  # type: ignore[attr-defined]
        regions = self._regions(item, ann)
        if regions is None:
            return None
        if len(regions) == 1 and len(regions[0]) == 1 and len(open_ring(regions[0][0])) == 4:
            return open_ring(regions[0][0])  # a quadrilateral: its own corners
        points = np.concatenate([region[0] for region in regions])
        self.derived[id(ann)] = points  # the rectangle may stick out of the image where the shape does not
        return min_area_rectangle(points)

    def _regions(self, item: Item, ann: Annotation) -> Any:
        if type(ann) is Polygon:
            return ann.regions  # type: ignore[attr-defined]
        from ..raster.vectorize import mask_to_polygons  # imported when a mask needs it
        regions = mask_to_polygons(ann.decode())  # type: ignore[attr-defined]
        if not regions:
            self._empty_mask(item, ann)
            return None
        return [[without_collinear(ring) for ring in region] for region in regions]

    def _empty_mask(self, item: Item, ann: Annotation) -> None:
        self.report.add(Code.GEOMETRY_CONVERTED, "empty mask (no foreground pixel) dropped", item=item.id,
                        annotation=ann.id)

    def _pose_objects(self, item: Item) -> list[tuple[Any, ...]]:
        out: list[tuple[Any, ...]] = []
        twins = self._twins(item)
        annotations = item.annotations
        for ann in annotations:
            if type(ann) not in _SHAPES and type(ann) is not Keypoints:
                self.context.record_loss(ann.kind, item=item, annotation=ann)
        if twins:
            annotations = [ann for ann in annotations if id(ann) not in twins]
        for shape, points in pose_slots(annotations):
            box = self._box_of(item, shape) if shape is not None else None
            main = shape if shape is not None else points
            assert main is not None  # a slot holds a shape, keypoints or both
            if points is None:
                if box is None:
                    continue
                self.report.add(Code.GEOMETRY_CONVERTED, "pose row of a shape without keypoints written with "
                                "unlabelled keypoints", severity=Severity.INFO, item=item.id, annotation=main.id)
                xy, visibility = np.zeros((self.kpt_count, 2)), np.zeros(self.kpt_count, dtype=np.int64)
            else:
                xy = np.zeros((self.kpt_count, 2))
                visibility = np.zeros(self.kpt_count, dtype=np.int64)
                xy[:len(points.xy)], visibility[:len(points.xy)] = points.xy, points.visibility
                if box is None:
                    box = points.xy[points.visibility > 0]
                    if not len(box):
                        self.report.add(Code.GEOMETRY_CONVERTED, "keypoints without a box and without a labelled "
                                        "point dropped", item=item.id, annotation=points.id)
                        continue
                    if shape is None:
                        self.report.add(Code.GEOMETRY_CONVERTED, "pose box taken from the extent of the labelled "
                                        "keypoints (no box in the source)", severity=Severity.INFO,
                                        item=item.id, annotation=points.id)
            out.append(("pose", self._class(main), main, box, xy, visibility))
        return out

    # --- objects -> rows ----------------------------------------------------------------------
    def _texts(self, entries: list["_Entry"]) -> list[bytes]:
        """The label file text of every entry: all their rows computed together."""
        objects = [obj for entry in entries for obj in entry.objects]
        if not objects:
            return [b""] * len(entries)
        counts = len(objects)
        sizes = np.array([entry.size for entry in entries for _ in entry.objects], dtype=np.float64)
        boxes = self.task in ("detect", "pose")
        if boxes:  # two corners per row
            points, lengths = _bounds([obj[3] for obj in objects]).reshape(-1, 2), np.full(counts, 2)
        else:  # a ring or 4 corners per row
            points = np.concatenate([obj[3] for obj in objects])
            lengths = np.fromiter((len(obj[3]) for obj in objects), dtype=np.int64, count=counts)
        point_sizes = np.repeat(sizes, lengths, axis=0)
        flat, clipped = self.numbers.clip((points / point_sizes).reshape(-1), np.repeat(_row_of(lengths), 2), counts)
        if boxes:  # corners -> centre and size
            x1, y1, x2, y2 = flat.reshape(-1, 4).T
            flat = np.stack([(x1 + x2) / 2, (y1 + y2) / 2, x2 - x1, y2 - y1], axis=1).reshape(-1)
        units = self.numbers.units(flat, point_sizes.reshape(-1))
        if self.task == "pose":
            tokens, is_fraction = self._pose_tokens(objects, sizes, units.reshape(counts, 4), clipped)
            row_lengths = np.full(counts, tokens.shape[1])
            tokens, is_fraction = tokens.reshape(-1), is_fraction.reshape(-1)
        else:
            classes = np.array([obj[1] for obj in objects], dtype=np.int64)
            tokens, is_fraction, row_lengths = _with_classes(classes, units, 2 * lengths)
        self._clipped(entries, objects, clipped, sizes)
        row_ends = np.cumsum(row_lengths) - 1
        row_last = np.zeros(len(tokens), dtype=bool)
        row_last[row_ends] = True
        text, token_ends = encode(tokens, is_fraction, row_last, self.numbers.decimals)
        byte_ends = token_ends[row_ends]
        out, start, row = [], 0, 0
        for entry in entries:
            row += len(entry.objects)
            end = int(byte_ends[row - 1]) if row else 0
            out.append(text[start:end])
            start = end
        self.objects += counts
        return out

    def _pose_tokens(self, objects: list[tuple[Any, ...]], sizes: np.ndarray, box_units: np.ndarray,
                     clipped: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(rows, 5 + 3K) tokens: class, box, then x y v per keypoint; which are fractions."""
        count, k = len(objects), self.kpt_count
        tokens = np.zeros((count, 5 + 3 * k), dtype=np.int64)
        is_fraction = np.zeros(tokens.shape, dtype=bool)
        tokens[:, 0] = [obj[1] for obj in objects]
        tokens[:, 1:5], is_fraction[:, 1:5] = box_units, True
        if k:
            points = np.stack([obj[4] for obj in objects]) / sizes[:, None, :]
            flat, more = self.numbers.clip(points.reshape(-1), np.repeat(np.arange(count), 2 * k), count)
            clipped += more
            units = self.numbers.units(flat, np.repeat(sizes, k, axis=0).reshape(-1)).reshape(count, k, 2)
            keypoints = tokens[:, 5:].reshape(count, k, 3)
            keypoints[:, :, :2] = units
            keypoints[:, :, 2] = np.stack([obj[5] for obj in objects])
            is_fraction[:, 5:].reshape(count, k, 3)[:, :, :2] = True
        return tokens, is_fraction

    def _clipped(self, entries: list["_Entry"], objects: list[tuple[Any, ...]], counts: np.ndarray,
                 sizes: np.ndarray) -> None:
        items = [entry.item for entry in entries for _ in entry.objects]
        for row in np.flatnonzero(counts).tolist():
            obj, item, count = objects[row], items[row], int(counts[row])
            source = self.derived.pop(id(obj[2]), None)
            values = (source / sizes[row]).reshape(-1) if source is not None else None
            if values is not None and not self.numbers.clip(values, np.zeros(len(values), dtype=np.int64), 1)[1].any():
                # The shape lies inside the image; only the rectangle approximating it (reported) does not.
                self.report.add(Code.COORDINATE_CLIPPED, "corners of a rectangle approximating a shape clipped to "
                                "the image (the shape itself lies inside)", severity=Severity.INFO, item=item.id,
                                annotation=obj[2].id, count=count)
            else:
                self.report.add(Code.COORDINATE_CLIPPED, "coordinates outside the image clipped to it (normalized "
                                "to [0, 1])", item=item.id, annotation=obj[2].id, count=count)
        self.derived.clear()


@dataclass
class _Entry:
    """An item to write: where, its image to place, its rows (kind, class, annotation, geometry...)."""

    item: Item
    placement: Placement
    source: Path | None
    objects: list[tuple[Any, ...]]
    size: tuple[int, int]


def _bounds(payloads: list[np.ndarray]) -> np.ndarray:
    """(N, 4) xyxy of payloads that are an xyxy (4,) already or points (M, 2) to bound."""
    out = np.empty((len(payloads), 4))
    flat = [i for i, payload in enumerate(payloads) if payload.ndim == 1]
    if flat:
        out[flat] = np.stack([payloads[i] for i in flat])
    if len(flat) < len(payloads):
        flat_set = set(flat)
        sets = [i for i in range(len(payloads)) if i not in flat_set]
        out[sets] = geometry.many_points_bounds([payloads[i] for i in sets])
    return out


def _with_classes(classes: np.ndarray, units: np.ndarray, lengths: np.ndarray
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Tokens of rows ``class v1 v2 ...`` (row i has lengths[i] values, all fractions), which are
    fractions, and each row's token count."""
    row_lengths = lengths + 1
    starts = np.cumsum(row_lengths) - row_lengths
    tokens = np.empty(int(row_lengths.sum()), dtype=np.int64)
    is_fraction = np.ones(len(tokens), dtype=bool)
    is_fraction[starts] = False
    tokens[starts] = classes
    tokens[is_fraction] = units
    return tokens, is_fraction, row_lengths


def write_yolo(dataset: Dataset, path: Path, context: Context, task: str) -> None:
    """Write ``dataset`` as a YOLO dataset for ``task`` into the folder ``path``."""
    YoloWriter(dataset, path, context, task).write()

"""Pascal VOC segmentation: ``SegmentationClass/<id>.png`` and ``SegmentationObject/<id>.png``
(8-bit index maps, VOC palette, 255 = void) and ``ImageSets/Segmentation/<split>.txt``.

Pixels are whole image pixels: pixel (c, r) of a map covers [c, c+1) x [r, r+1) in IR
coordinates, and shapes are burned by :mod:`annoconv.raster.rasterize` under its pixel-centre
rule (pixel (c, r) belongs to a shape when (c + 0.5, r + 0.5) lies inside it).

Class indices (both ways): the labelmap entries in order. When the first entry is the background
(``background``; labelme's ``_background_``) an entry's index is its 0-based position, otherwise
its position + 1; 0 is the background, 255 void. Reading without ``labelmap.txt`` uses
labelme2voc's ``class_names.txt`` (line k = index k), labelformat's ``class_id_to_name.json``,
or else the 20 VOC classes.

Writing (:class:`SegmentationWriter`, for items with a Polygon or Mask):

- Object k of an item is the k-th ``<object>`` of its XML (1-based). Its shapes are the Polygons
  and Masks the XML writer gave it: an annotation of its own, or those sharing a ``group`` and
  label with a Box (the Box gives ``bndbox``, the shapes the pixels). Boxes are not painted: VOC
  object masks are real segmentations. Parts (``<part>``) are not objects and are not painted.
- ``SegmentationObject`` holds k (VOC palette), ``SegmentationClass`` the class index of the
  object's label (palette: label colours where set, else VOC colours; index 0 black, 255 the VOC
  void colour). Both maps come from one burn, so they agree pixel for pixel. Overlaps: z-order,
  then later wins; an object partly or wholly hidden is reported (``precision-reduced``), as are
  shapes clipped at the image border (``coordinate-clipped``).
- Crowd regions are void (255) in both maps. ``void_borders=N`` paints a band of N pixels along
  every object boundary 255 in both maps, as VOC does (reported when it covers object pixels).
- The XML gets ``<segmented>1</segmented>``; the ids are listed in ``ImageSets/Segmentation``.
- An image with segmentation can hold at most 254 objects and 254 classes (8-bit maps): beyond
  that a WriteError. A shape that cannot be painted (``segmentation=never``, unknown image size,
  a part) keeps only its bndbox (``geometry-converted``).

Reading (:class:`SegmentationReader`), per item with a PNG (ids: the PNG path below its folder
without ``.png``; an id without XML is an item of its own, sized by its PNG):

- object index k -> a Mask (a Polygon tracing pixel edges with ``as_polygons``) with the label of
  the k-th XML object and its ``group`` (set to k if it had none; its parts share it), placed after
  the object's boxes. Without such an object the label is the class the SegmentationClass map
  gives those pixels (the most frequent one if several; reported). A class map disagreeing with
  the XML label is reported; the XML label is kept.
- a SegmentationClass map without a SegmentationObject map -> one Mask per class present.
- palette and grey PNGs give indices; RGB PNGs (datumaro) are mapped through the class colours
  (labelmap colours, else VOC colours) or, for object maps, the VOC palette.
- 255 is void: not an annotation (``skipped-content``). An index or colour nothing explains, a PNG
  of another size than the image, an unreadable or 16-bit PNG: SchemaError/ParseError naming the
  file (and pixel x, y), or ``item-skipped`` with ``on_error="skip"``.
"""

from __future__ import annotations

import posixpath
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from .._io import Folders
from ..errors import AnnoconvError, ParseError, SchemaError, WriteError
from ..image_header import find_image, image_size
from ..ir import Annotation, Box, Dataset, ImageRef, Item, Mask, Polygon, Tag, rle
from ..raster.palette import label_palette, voc_palette
from ..raster.png import encode_png, framed_map, read_index_png
from ..raster.rasterize import HIDDEN, Plan, burn, paint_notes
from ..raster.spans import Spans
from ..raster.vectorize import mask_to_polygons
from ..report import Code
from . import _voc_layout as layout_
from ._base import Context
from ._voc_layout import VOID, class_table, png_ids, voc_colors

# --- reading ---------------------------------------------------------------------------------------

Objects = list["list[Box] | None"]  # per XML <object> (1-based k at k - 1): its boxes, None if skipped


class SegmentationReader:
    """Reads the segmentation PNGs of a VOC root into the items read from its XML files."""

    def __init__(self, layout: layout_.Layout, context: Context, entries: Sequence[layout_.LabelmapEntry],
                 add_label: Callable[[str], None]) -> None:
        self.layout = layout
        self.context = context
        self.report = context.report
        self.skip = context.options.get("on_error") == "skip"
        self.as_polygons = bool(context.options.get("as_polygons"))
        self.add_label = add_label
        self.classes = png_ids(layout.segmentation_class)
        self.objects = png_ids(layout.segmentation_object)
        self.table = class_table(layout.root, entries)
        self._class_lookup: dict[int, int] | None = None
        self._object_lookup: dict[int, int] | None = None
        for name in self.table.declared:
            add_label(name)

    def ids(self) -> set[str]:
        return self.classes.keys() | self.objects.keys()

    def png(self, item_id: str) -> Path | None:
        """A segmentation PNG of the item (its size is the image's), if any."""
        return self.objects.get(item_id) or self.classes.get(item_id)

    def read(self, items: dict[str, Item], objects: dict[str, Objects]) -> None:
        """Add the segmentation of every item with a PNG (items are created for PNG-only ids)."""
        for item_id in sorted(self.ids()):
            item = items.get(item_id)
            try:
                if item is None:
                    item = items[item_id] = self._new_item(item_id)
                self._read_item(item, objects.get(item_id, []))
            except AnnoconvError as exc:
                exc.located(file=self.png(item_id), item=item_id)
                if not self.skip:
                    raise
                items.pop(item_id, None)
                self.report.add(Code.ITEM_SKIPPED, "bad input skipped (on_error=skip)", item=item_id,
                                error=exc.message)
            self.context.step()

    def _new_item(self, item_id: str) -> Item:
        """An item known only from its PNG: the image found in JPEGImages/ (else ``<id>.jpg``)."""
        reldir, stem = posixpath.split(item_id)
        found = find_image(self.layout.images / reldir, stem)
        width, height = image_size(self.png(item_id))  # type: ignore[arg-type]
        return Item(item_id, ImageRef(posixpath.join(reldir, found.name if found else stem + ".jpg"), width, height))

    def _read_item(self, item: Item, heads: Objects) -> None:
        class_path, object_path = self.classes.get(item.id), self.objects.get(item.id)
        classes = self._load(class_path, "class") if class_path is not None else None
        instances = self._load(object_path, "object") if object_path is not None else None
        if classes is not None and instances is not None and classes.shape != instances.shape:
            raise SchemaError(f"SegmentationClass is {classes.shape[1]}x{classes.shape[0]} pixels but "
                              f"SegmentationObject {instances.shape[1]}x{instances.shape[0]}", file=object_path)
        shape = (instances if instances is not None else classes).shape  # type: ignore[union-attr]
        if item.image.size is None:
            item.image.height, item.image.width = shape
        elif item.image.size != shape:
            raise SchemaError(f"the PNG is {shape[1]}x{shape[0]} pixels but the image is "
                              f"{item.image.width}x{item.image.height}", file=object_path or class_path)
        placed: list[tuple[Any, Annotation]] = []
        if classes is not None and class_path is not None:
            self._check_classes(classes, class_path)
            if instances is None:  # one mask per class
                placed = [(None, self._shape(classes == index, self.table.names[index], None))
                          for index in _present(classes)]
        if instances is not None and object_path is not None:
            placed = self._objects(item, instances, classes, heads, object_path)
        _place(item, placed)
        void = sum(int(np.count_nonzero(values == VOID)) for values in (classes, instances) if values is not None)
        if void:
            self.report.add(Code.SKIPPED_CONTENT, "void (255) pixels of the VOC segmentation PNGs are not read as "
                            "annotations", item=item.id, pixels=void)
        if item.extras.get("voc:segmented") == "1":
            del item.extras["voc:segmented"]  # implied by the PNGs; the writer sets it again

    def _load(self, path: Path, kind: str) -> np.ndarray:
        """The (h, w) uint8 indices of a class or object map (RGB maps mapped through colours)."""
        values, _, mode = read_index_png(path)
        if values.ndim == 3:
            return self._rgb_indices(values, path, kind)
        if values.dtype != np.uint8:
            raise ParseError(f"{mode} PNG: VOC segmentation maps are 8-bit (palette, grey or RGB)", file=path)
        return values

    def _rgb_indices(self, rgb: np.ndarray, path: Path, kind: str) -> np.ndarray:
        if kind == "class":
            if self._class_lookup is None:
                self._class_lookup = self.table.lookup()
            lookup = self._class_lookup
        else:
            if self._object_lookup is None:
                self._object_lookup = {(r << 16) | (g << 8) | b: index for index, (r, g, b) in
                                       reversed(list(enumerate(voc_colors())))}
            lookup = self._object_lookup
        packed = (rgb[..., 0].astype(np.uint32) << 16) | (rgb[..., 1].astype(np.uint32) << 8) | rgb[..., 2]
        colors, inverse = np.unique(packed, return_inverse=True)
        indices = np.empty(len(colors), dtype=np.uint8)
        for k, color in enumerate(colors.tolist()):
            if color not in lookup:
                y, x = np.argwhere(packed == color)[0]
                what = f"a colour of {self.table.source}" if kind == "class" else "a VOC palette colour"
                raise SchemaError(f"RGB {kind} map: colour {(color >> 16, (color >> 8) & 255, color & 255)} at "
                                  f"x={x}, y={y} is not {what}", file=path)
            indices[k] = lookup[color]
        return indices[inverse.reshape(-1)].reshape(packed.shape)

    def _check_classes(self, classes: np.ndarray, path: Path) -> None:
        for index in _present(classes):
            if index not in self.table.names:
                y, x = np.argwhere(classes == index)[0]
                raise SchemaError(f"class index {index} at x={x}, y={y} is not a class of {self.table.source}",
                                  file=path)

    def _objects(self, item: Item, instances: np.ndarray, classes: np.ndarray | None, heads: Objects,
                 path: Path) -> list[tuple[Any, Annotation]]:
        """(the object's last box or None, its shape) per object index present."""
        pairs = None
        if classes is not None:  # (object, class) pixel counts, for labels and consistency
            labelled = (classes != 0) & (classes != VOID)
            joint = instances[labelled].astype(np.int32) * 256 + classes[labelled]
            pairs = np.bincount(joint, minlength=65536).reshape(256, 256)
            outside = int(pairs[0].sum())
            if outside:
                self.report.add(Code.SKIPPED_CONTENT, "SegmentationClass pixels outside every SegmentationObject "
                                "object are not read", item=item.id, pixels=outside)
        placed: list[tuple[Any, Annotation]] = []
        disagree: list[int] = []
        for k in _present(instances):
            boxes = heads[k - 1] if k <= len(heads) else None
            found = {int(c): int(pairs[k, c]) for c in np.flatnonzero(pairs[k])} if pairs is not None else {}
            if boxes is not None:
                head = boxes[0]
                if any(self.table.names.get(c) != head.label for c in found):
                    disagree.append(k)
                group = head.group if head.group is not None else k
                for box in boxes:
                    box.group = group
                placed.append((boxes[-1], self._shape(instances == k, head.label, group)))  # type: ignore[arg-type]
                continue
            if k <= len(heads):  # the XML object was bad and skipped (on_error="skip")
                self.report.add(Code.ANNOTATION_SKIPPED, "segmentation of a skipped XML object not read",
                                item=item.id, annotation=k)
                continue
            if not found:
                y, x = np.argwhere(instances == k)[0]
                raise SchemaError(f"object index {k} at x={x}, y={y}: the XML has no <object> {k} and no "
                                  "SegmentationClass class covers it", file=path)
            index = max(found, key=lambda c: (found[c], -c))
            if len(found) > 1:
                self.report.add(Code.SKIPPED_CONTENT, "object covers several SegmentationClass classes: the most "
                                "frequent is its label", item=item.id, annotation=k, classes=found)
            self.add_label(self.table.names[index])
            placed.append((None, self._shape(instances == k, self.table.names[index], None)))
        if disagree:
            self.report.add(Code.SKIPPED_CONTENT, "SegmentationClass disagrees with the XML object labels: the "
                            "XML labels are kept", item=item.id, objects=disagree)
        return placed

    def _shape(self, pixels: np.ndarray, label: str, group: Any) -> Annotation:
        self.add_label(label)
        if self.as_polygons:
            return Polygon(mask_to_polygons(pixels), label=label, group=group)
        return Mask(rle.encode(pixels), pixels.shape, label=label, group=group)


def _present(values: np.ndarray | None) -> list[int]:
    """Indices other than background and void present in a uint8 map, ascending."""
    if values is None:
        return []
    # OpenCV's histogram is ~10x faster than bincount on uint8; its float32 counts only say "present".
    counts = cv2.calcHist([values], [0], None, [256], [0, 256]).ravel()
    counts[0] = counts[VOID] = 0
    return np.flatnonzero(counts).tolist()


def _place(item: Item, placed: list[tuple[Any, Annotation]]) -> None:
    """Each shape after its object's last box; shapes of no XML object after all objects, Tags last."""
    after: dict[int, list[Annotation]] = {}
    loose: list[Annotation] = []
    for box, shape in placed:
        if box is None:
            loose.append(shape)
        else:
            after.setdefault(id(box), []).append(shape)
    out: list[Annotation] = []
    tags: list[Annotation] = []
    for annotation in item.annotations:
        if type(annotation) is Tag:
            tags.append(annotation)
            continue
        out.append(annotation)
        out.extend(after.get(id(annotation), ()))
    item.annotations[:] = out + loose + tags


# --- writing ---------------------------------------------------------------------------------------

CHUNK = 48  # items per vectorized burn (as annoconv.raster.render)
PARTLY_HIDDEN = (Code.PRECISION_REDUCED, "object partly hidden under later shapes: those pixels show the later one")


def record_unpainted(context: Context, item: Item, shape: Annotation, reason: str) -> None:
    """A Polygon or Mask written as its bndbox only (no pixels in the segmentation PNGs)."""
    context.report.add(Code.GEOMETRY_CONVERTED, f"{type(shape).__name__} written as its enclosing box only: not in "
                       "the segmentation PNGs", item=item.id, annotation=shape.id, reason=reason)


@dataclass
class _Pending:
    plan: Plan
    voc_id: str
    classes: np.ndarray  # object index -> class index (256 entries)
    painted: list[tuple[int, list[Annotation]]]  # (object index, its shapes)


class SegmentationWriter:
    """Writes the segmentation PNGs and lists of the items the VOC writer hands it (see the module
    docstring). ``class_index`` maps label names to class indices (from the written labelmap)."""

    def __init__(self, dataset: Dataset, root: Path, context: Context, class_index: dict[str, int]) -> None:
        self.dataset = dataset
        self.root = root
        self.context = context
        self.report = context.report
        self.class_index = class_index
        self.void_borders = int(context.options.get("void_borders") or 0)  # >= 0: checked by the option
        colors = {index: label.color for label in dataset.labels
                  if (index := class_index.get(label.name)) is not None and index < VOID}
        self.class_palette = label_palette(colors)
        self.object_palette = voc_palette()
        self.pending: list[_Pending] = []
        self.written = 0

    def add(self, item: Item, voc_id: str, objects: Sequence[Any]) -> bool:
        """Queue the maps of ``item`` (objects: the XML writer's, in <object> order, each with
        ``annotation`` and ``shapes``); False when there is nothing to paint."""
        painted = [(k, list(entry.shapes)) for k, entry in enumerate(objects, 1) if entry.shapes]
        if not painted:
            return False
        if item.image.size is None:
            for _, shapes in painted:
                for shape in shapes:
                    record_unpainted(self.context, item, shape, "image size unknown")
            return False
        if painted[-1][0] >= VOID:
            raise WriteError(f"object {painted[-1][0]} has a segmentation, but 8-bit VOC maps hold at most 254 "
                             "objects per image", file=self.context.source, item=item.describe())
        classes = np.zeros(256, dtype=np.uint8)
        classes[VOID] = VOID
        for k, _ in painted:
            classes[k] = self._class(item, objects[k - 1].annotation.label)
        position = {id(annotation): n for n, annotation in enumerate(item.annotations)}
        steps = [(shape, VOID if shape.iscrowd else k) for k, shapes in painted for shape in shapes]
        steps.sort(key=lambda step: (step[0].z_order or 0, position.get(id(step[0]), 0)))
        plan = Plan(item, steps, 0, np.uint8, instances=True,
                    ignore=VOID if any(shape.iscrowd for shape, _ in steps) else None, keep_spans=True)
        self.pending.append(_Pending(plan, voc_id, classes, painted))
        if len(self.pending) >= CHUNK:
            self._flush()
        return True

    def _class(self, item: Item, label: str) -> int:
        index = self.class_index.get(label)
        if index is None:
            self.report.add(Code.FIELD_DROPPED, "label without a labelmap.txt entry (not in the label set, or a "
                            "name with ':'): its objects are background in SegmentationClass", item=item.id,
                            label=label)
            return 0
        if index >= VOID:
            raise WriteError(f"label {label!r} would be class index {index}, but 8-bit VOC maps hold at most 254 "
                             "classes", file=self.context.source, item=item.describe())
        return index

    def finish(self, splits: dict[str, list[str]]) -> None:
        """Write what is queued and ``ImageSets/Segmentation/<split>.txt`` (split -> ids)."""
        self._flush()
        if not splits:
            return
        folder = self.root / "ImageSets" / "Segmentation"
        folder.mkdir(parents=True, exist_ok=True)
        if "train" in splits and "val" in splits and "trainval" not in splits:
            splits = {**splits, "trainval": splits["train"] + splits["val"]}
        for split, ids in splits.items():
            layout_.write_lines(folder / f"{split}.txt", ids)

    def _flush(self) -> None:
        if not self.pending:
            return
        arrays = burn([pending.plan for pending in self.pending], framed=True)
        folders = Folders()
        for pending, objects in zip(self.pending, arrays):
            item = pending.plan.item
            for code, message, annotation_id in paint_notes(pending.plan, objects):
                self.report.add(code, message, item=item.id, annotation=annotation_id)
            present = cv2.calcHist([objects], [0], None, [256], [0, 256]).ravel()  # pixels per value
            self._hidden(pending, present)
            if self.void_borders:
                self._void_borders(item, objects)
                present = cv2.calcHist([objects], [0], None, [256], [0, 256]).ravel()
            # the class of each object index, through OpenCV's table lookup (~6x numpy's fancy indexing)
            classes = cv2.LUT(objects, pending.classes, dst=framed_map(*objects.shape, 0))
            used = np.flatnonzero(present)  # the largest value of each map, for its palette, without a scan
            for folder, values, palette, top in (
                    ("SegmentationClass", classes, self.class_palette, int(pending.classes[used].max())),
                    ("SegmentationObject", objects, self.object_palette, int(used[-1]))):
                folders.write(self.root / folder / f"{pending.voc_id}.png",
                              encode_png(values, palette, top=top, framed=True))
            self.written += 1
        self.pending = []

    def _hidden(self, pending: _Pending, visible: np.ndarray) -> None:
        """Report objects partly hidden under later shapes (wholly hidden single shapes are in
        paint_notes): own pixels (the spans burn() kept, mask pixels) minus the pixels showing the
        object (``visible``: the object map's pixel count of each value). Only objects whose
        extent meets another's are counted."""
        plan = pending.plan
        steps = plan.steps
        if len(steps) < 2:
            return
        bounds = np.array([plan.bounds(step) for step in range(len(steps))])
        values = np.array([value for _, value in steps])
        meets = ((bounds[:, None, 0] < bounds[None, :, 2]) & (bounds[None, :, 0] < bounds[:, None, 2])
                 & (bounds[:, None, 1] < bounds[None, :, 3]) & (bounds[None, :, 1] < bounds[:, None, 3])
                 & (values[:, None] != values[None, :]))
        candidates = {int(values[n]) for n in np.flatnonzero(meets.any(axis=1))} - {VOID}
        if not candidates:
            return
        step_of = {id(shape): step for step, (shape, _) in enumerate(steps)}
        shapes_of = dict(pending.painted)
        height, width = plan.size
        for k in sorted(candidates):
            shapes = [shape for shape in shapes_of[k] if not shape.iscrowd]
            masks = [shape for shape in shapes if type(shape) is Mask]
            spans = [plan.spans[step_of[id(shape)]] for shape in shapes if step_of[id(shape)] in plan.spans]
            hidden = _union(spans, masks, height, width) - int(visible[k])  # its own pixels, minus those showing
            if hidden and (visible[k] or len(shapes_of[k]) > 1):  # wholly hidden single shapes: paint_notes
                code, message = PARTLY_HIDDEN if visible[k] else HIDDEN
                self.report.add(code, message, item=plan.item.id, annotation=shapes_of[k][0].id, pixels=hidden)

    def _void_borders(self, item: Item, objects: np.ndarray) -> None:
        """Paint 255 where a (N+1) x (N+1) window around a pixel holds two different values: a band
        N pixels wide along every boundary between objects, background and void (not the image edge)."""
        kernel = np.ones((self.void_borders + 1, self.void_borders + 1), dtype=np.uint8)
        band = cv2.dilate(objects, kernel) != cv2.erode(objects, kernel)
        covered = int(np.count_nonzero(band & (objects != 0) & (objects != VOID)))
        objects[band] = VOID
        if covered:
            self.report.add(Code.GEOMETRY_CONVERTED, "object boundary pixels painted void (void_borders): they read "
                            "back as no object", item=item.id, pixels=covered, width=self.void_borders)


def _union(spans: Sequence[Spans], masks: Sequence[Annotation], height: int, width: int) -> int:
    """Pixels covered by the spans (of several regions, which may overlap) and the masks together."""
    row = np.concatenate([part.row for part in spans]) if spans else np.zeros(0, dtype=np.int64)
    start = np.concatenate([part.start for part in spans]) if spans else row
    stop = np.concatenate([part.stop for part in spans]) if spans else row
    if masks:
        covered = np.zeros((height, width), dtype=bool)
        for r, a, b in zip(row.tolist(), start.tolist(), stop.tolist()):
            covered[r, a:b] = True
        for mask in masks:
            covered |= mask.decode().view(bool)  # type: ignore[attr-defined]
        return int(np.count_nonzero(covered))
    if not len(row):
        return 0
    if len(spans) == 1 and spans[0].shape[0] == spans[0].shape[-1]:
        return int((stop - start).sum())  # one region: its spans never overlap
    # Intervals on one line: row r's columns shifted by r * (width + 1) never reach another row's.
    order = np.lexsort((start, row))
    low = start[order] + row[order] * (width + 1)
    high = stop[order] + row[order] * (width + 1)
    reach = np.maximum.accumulate(high)
    first = np.flatnonzero(np.concatenate(([True], low[1:] > reach[:-1])))  # each merged run's first span
    ends = np.append(first[1:], len(low)) - 1
    return int((reach[ends] - low[first]).sum())

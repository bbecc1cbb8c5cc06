"""Pascal VOC detection -> IR.

One item per annotation XML (id = its path below ``Annotations/`` or the input folder, without
``.xml``), plus one per id that ``ImageSets/Main`` lists without an XML (an image without
annotations). Items are sorted by id. Coordinates: see :mod:`._voc_xml` (``x1 = xmin - 1``, ...).

Per file:

- ``filename`` -> ``ImageRef.path`` relative to the image folder (``JPEGImages/`` of a VOC root, the
  input folder otherwise); a bare file name is taken to be beside the XML's sub-folder, a name with
  a ``/`` as relative to the image folder. Missing: the image found for the id, else ``<id>.jpg``.
- ``size`` width/height -> ``ImageRef``; 0 or missing: read from the image header (JPEGImages/ or
  beside the XML), reported as ``image-size-missing`` (info when found, warning when not).
  Its other children (``depth``) -> extras ``voc:size``.
- ``object`` -> Box with label ``name``; ``pose`` (except the default ``Unspecified``),
  ``truncated``/``difficult`` (except the default 0) and ``occluded`` -> attributes (flags as bool);
  ``actions`` children -> bool attributes (their names in extras ``voc:actions``); CVAT's
  ``attributes/attribute(name, value)`` -> string attributes; ``part`` -> Boxes with the object's
  ``group`` (its 1-based position), parsed like objects.
- every other element (``folder``, ``path``, ``source``, ``segmented``, unknown ones; a flag whose
  value is not 0/1) -> extras ``voc:<tag>`` (text, or a dict for nested elements), written back
  by the VOC writer.

Dataset level: ``labelmap.txt`` gives label order, colours (``Label.color``), parts and actions
(``Label.extras`` ``voc:parts``/``voc:actions``); labels it does not declare are added after it
(``label-unknown``, info). ``ImageSets/Main/<split>.txt`` -> ``Item.subset`` (``default`` -> None;
an item in ``train`` or ``val`` and also in ``trainval`` is in ``train``/``val``; other double
listings keep the first split, reported). ``<label>_<split>.txt`` entries that the item's objects
do not already imply become Tags (``1`` where no object has the label; ``0`` = only difficult
ones: Tag with ``difficult: True``); entries contradicting the objects (``-1`` for a label an
object has) and lists disagreeing with each other are reported as ``skipped-content`` (the
objects win; then the entry that differs from them). Other ImageSets task lists are not read
(reported when they list something ``Main`` does not).

Segmentation (``SegmentationClass/``, ``SegmentationObject/``): see :mod:`._voc_segmentation` —
object masks join their XML objects (shared ``group``), ids with PNGs but no XML are items too,
``ImageSets/Segmentation`` gives the subsets of the items ``Main`` does not list, and a first
labelmap entry ``background`` is class index 0, not a label.

Errors: a malformed file is a ParseError (file, line, column); a bad element a SchemaError (file,
element path and line, item). With ``on_error="skip"`` a bad file is skipped (``item-skipped``) and
a bad object (``annotation-skipped``); the rest is read.
"""

from __future__ import annotations

import posixpath
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import AnnoconvError, SchemaError
from ..image_header import find_image, image_size
from ..ir import Box, Dataset, ImageRef, Item, Label, LabelSet, Tag
from ..report import Code, Severity
from . import _voc_layout as layout_
from . import _voc_xml as xml
from ._base import Context
from ._voc_segmentation import Objects, SegmentationReader

_FLAGS = ("truncated", "difficult", "occluded")
_DEFAULTS = {"pose": "Unspecified", "truncated": False, "difficult": False}  # written always, read as absent
_OBJECT_SINGLETONS = {"name", "pose", "bndbox", "actions", "attributes", *_FLAGS}
_ITEM_SINGLETONS = {"filename", "size", "attributes"}


class VocReader:
    def __init__(self, path: Path, context: Context) -> None:
        self.context = context
        self.report = context.report
        self.skip = context.options.get("on_error") == "skip"
        self.layout = layout_.find_layout(path)
        self.labels = LabelSet()
        self.labelmap = False  # whether labelmap.txt declared the labels
        self.labelmap_entries: list[layout_.LabelmapEntry] = []
        self.background: str | None = None  # the labelmap entry that is class index 0, not a label
        self.segmentation: SegmentationReader | None = None
        self.objects: dict[str, Objects] = {}  # item id -> per XML <object>: its boxes (None: skipped)

    # --- steps -------------------------------------------------------------------------------------
    def read(self) -> Dataset:
        self._read_labelmap()
        if self.layout.segmentation_class is not None or self.layout.segmentation_object is not None:
            self.segmentation = SegmentationReader(self.layout, self.context, self.labelmap_entries, self._label)
        items: dict[str, Item] = {}
        for path in self.layout.files:
            item_id = self.layout.item_id(path)
            try:
                item = self._read_file(path, item_id)
            except AnnoconvError as exc:
                self._skipped(exc.located(file=path, item=item_id), Code.ITEM_SKIPPED, item_id)
            else:
                items[item.id] = item
            self.context.step()
        if self.layout.voc_root:
            self._read_image_sets(items)
        if self.segmentation is not None:
            self.segmentation.read(items, self.objects)
        dataset = Dataset(self.labels, [items[key] for key in sorted(items)])
        self.report.stats["items_read"] = self.report.stats.get("items_read", 0) + len(dataset.items)
        self.report.stats["annotations_read"] = (self.report.stats.get("annotations_read", 0)
                                                 + sum(len(item.annotations) for item in dataset.items))
        return dataset

    def _skipped(self, exc: AnnoconvError, code: Code, item: str | None, annotation: Any = None) -> None:
        if not self.skip:
            raise exc
        self.report.add(code, "bad input skipped (on_error=skip)", item=item, annotation=annotation,
                        error=exc.message)

    def _label(self, name: str) -> None:
        if name not in self.labels:
            self.labels.add(Label(name))
            if self.labelmap:
                self.report.add(Code.LABEL_UNKNOWN, "label not declared in labelmap.txt: added after its labels",
                                severity=Severity.INFO, label=name)

    def _read_labelmap(self) -> None:
        path = self.layout.root / "labelmap.txt"
        if not path.is_file():
            return
        entries = self.labelmap_entries = layout_.read_labelmap(path)
        if entries and entries[0].name.lower() in layout_.BACKGROUND_NAMES and (
                self.layout.segmentation_class is not None or self.layout.segmentation_object is not None):
            self.background, entries = entries[0].name, entries[1:]  # class index 0 of the maps, not a label
        for entry in entries:
            extras: dict[str, Any] = {}
            if entry.parts:
                extras["voc:parts"] = entry.parts
            if entry.actions:
                extras["voc:actions"] = entry.actions
            self.labels.add(Label(entry.name, color=entry.color, extras=extras))
        for entry in entries:  # part names are labels too (of the part boxes)
            for part in entry.parts:
                if part not in self.labels:
                    self.labels.add(Label(part))
        self.labelmap = True

    # --- one file ----------------------------------------------------------------------------------
    def _read_file(self, path: Path, item_id: str) -> Item:
        root = xml.parse_xml(path)
        if root.tag != "annotation":
            raise xml.error(root, f"root element is <{root.tag}>, expected <annotation> (is this a VOC file?)")
        singletons: dict[str, Any] = {}  # filename, size, attributes: the elements read into IR fields
        objects: list[Any] = []
        extras: dict[str, Any] = {}
        for child in root:
            tag = child.tag
            if tag == "object":
                objects.append(child)
            elif tag in _ITEM_SINGLETONS:
                if tag in singletons:
                    raise xml.error(child, f"more than one <{tag}>")
                singletons[tag] = child
            else:
                xml.add_value(extras, f"voc:{tag}", xml.element_value(child))
        reldir = posixpath.dirname(item_id)
        filename = singletons.get("filename")
        image_path = self._image_path(xml.text(filename) if filename is not None else "", item_id, path)
        width, height = self._size(singletons.get("size"), extras)
        attributes = _attributes(singletons["attributes"]) if "attributes" in singletons else {}
        item = Item(item_id, ImageRef(image_path, width, height), [], attributes=attributes, extras=extras)
        if width is None or height is None:
            self._fill_size(item, path.parent, reldir)
        heads: Objects = []
        self.objects[item_id] = heads
        for index, element in enumerate(objects, 1):
            try:
                boxes = _object(element, index)
            except SchemaError as exc:
                self._skipped(exc.located(file=path, item=item_id), Code.ANNOTATION_SKIPPED, item_id, index)
                heads.append(None)
                continue
            heads.append(boxes)
            for box in boxes:
                self._label(box.label)  # type: ignore[arg-type]
            item.annotations.extend(boxes)
        return item

    def _image_path(self, filename: str, item_id: str, xml_path: Path) -> str:
        """The image path relative to the image folder (see the module docstring)."""
        reldir = posixpath.dirname(item_id)
        filename = filename.replace("\\", "/")
        if filename:
            if "/" in filename:
                return filename[2:] if filename.startswith("./") else filename
            return posixpath.join(reldir, filename)
        stem = posixpath.basename(item_id)
        found = (find_image(self.layout.images / reldir, stem) if self.layout.voc_root else None) \
            or find_image(xml_path.parent, stem)
        return posixpath.join(reldir, found.name if found else stem + ".jpg")

    def _size(self, size: Any, extras: dict[str, Any]) -> tuple[int | None, int | None]:
        if size is None:
            return None, None
        values: dict[str, int | None] = {}
        others: dict[str, Any] = {}
        for child in size:
            if child.tag in ("width", "height"):
                if child.tag in values:
                    raise xml.error(child, f"<size> has more than one <{child.tag}>")
                values[child.tag] = xml.size_value(child)
            else:
                xml.add_value(others, child.tag, xml.element_value(child))
        if others:
            extras["voc:size"] = others
        return values.get("width"), values.get("height")

    def _fill_size(self, item: Item, xml_dir: Path, reldir: str) -> None:
        """Width and height from the image header when the XML does not give them (reported)."""
        candidates = [self.layout.images / item.image.path, xml_dir / posixpath.basename(item.image.path)]
        stem = posixpath.splitext(posixpath.basename(item.image.path))[0]
        found = next((p for p in candidates if p.is_file()), None) or find_image(self.layout.images / reldir, stem) \
            or find_image(xml_dir, stem)
        png = self.segmentation.png(item.id) if self.segmentation is not None else None
        if found is None and png is not None:  # a segmentation map has the image's size
            found = png
        if found is None:
            self.report.add(Code.IMAGE_SIZE_MISSING, "image size missing (or 0) in the XML and the image was not "
                            "found: size unknown", item=item.id, image=item.image.path)
            return
        try:
            width, height = image_size(found)
        except AnnoconvError as exc:
            self.report.add(Code.IMAGE_SIZE_MISSING, "image size missing (or 0) in the XML and the image header "
                            "could not be read: size unknown", item=item.id, error=exc.message)
            return
        item.image.width, item.image.height = width, height
        self.report.add(Code.IMAGE_SIZE_MISSING, "image size missing (or 0) in the XML: read from the image header",
                        severity=Severity.INFO, item=item.id, image=str(found))

    # --- ImageSets -----------------------------------------------------------------------------------
    def _read_image_sets(self, items: dict[str, Item]) -> None:
        sets = layout_.read_image_sets(self.layout.main)
        for bad in sets.bad_lines:
            if not self.skip:
                raise bad
            self.report.add(Code.SKIPPED_CONTENT, "bad per-class list line skipped (on_error=skip)",
                            error=bad.message)
        membership: dict[str, list[str]] = {}  # id -> splits, in the order met
        for split, ids in sets.splits.items():
            for item_id in ids:
                splits = membership.setdefault(item_id, [])
                if not splits or splits[-1] != split:  # an id repeated in one list is listed once
                    splits.append(split)
        listed_in = {split: set(ids) for split, ids in sets.splits.items()}
        for class_list in sets.class_lists:  # a per-class list names its split's items (usually all listed)
            listed = listed_in.get(class_list.split, set())
            for item_id, _, _ in class_list.entries:
                if item_id not in listed:
                    splits = membership.setdefault(item_id, [])
                    if class_list.split not in splits:
                        splits.append(class_list.split)
        if self.segmentation is not None:
            self._segmentation_lists(membership)
        for item_id, splits in membership.items():
            item = items.get(item_id)
            if item is None:
                item = items[item_id] = self._listed_item(item_id)
            item.subset = self._subset(item_id, splits)
        self._class_lists([c for c in sets.class_lists if c.label != self.background], items)
        self._other_task_lists(membership)

    def _segmentation_lists(self, membership: dict[str, list[str]]) -> None:
        """ImageSets/Segmentation: the splits of the items ImageSets/Main does not list; a split that
        differs from Main's is reported (Main wins)."""
        main = {item_id: set(splits) for item_id, splits in membership.items()}
        lists = layout_.task_list_ids(self.layout.main.parent / "Segmentation")
        for split in sorted(lists):
            for item_id in sorted(lists[split]):
                if item_id not in main:
                    membership.setdefault(item_id, []).append(split)
                elif split not in main[item_id] and not (split == "trainval" and main[item_id] & {"train", "val"}):
                    self.report.add(Code.SKIPPED_CONTENT, "ImageSets/Segmentation puts an item in another split than "
                                    "ImageSets/Main: Main's is kept", item=item_id, split=split)

    def _listed_item(self, item_id: str) -> Item:
        """An id ImageSets lists without an annotation file: an item without annotations."""
        reldir, stem = posixpath.split(item_id)
        found = find_image(self.layout.images / reldir, stem)
        item = Item(item_id, ImageRef(posixpath.join(reldir, found.name if found else stem + ".jpg")))
        self._fill_size(item, self.layout.images / reldir, reldir)
        return item

    def _subset(self, item_id: str, splits: list[str]) -> str | None:
        if len(splits) > 1 and "trainval" in splits and {"train", "val"} & set(splits):
            splits = [split for split in splits if split != "trainval"]  # trainval = train + val
        if len(splits) > 1:
            self.report.add(Code.SKIPPED_CONTENT, "item listed in several ImageSets/Main splits: kept in the first",
                            item=item_id, splits=splits)
        return layout_.subset_name(splits[0])

    def _class_lists(self, class_lists: list[layout_.ClassList], items: dict[str, Item]) -> None:
        """Tags for the per-class list entries the objects do not imply; contradictions reported."""
        implied: dict[str, dict[str, int]] = {}  # id -> label -> value its objects imply (computed once)
        differing: dict[tuple[str, str], tuple[int, layout_.ClassList, int]] = {}  # entries the objects do not imply
        for class_list in class_lists:
            label = class_list.label
            for item_id, value, line in class_list.entries:
                values = implied.get(item_id)
                if values is None:
                    values = implied[item_id] = implied_values(items[item_id].annotations)
                if value == values.get(label, -1):
                    continue  # the common case: what the objects say
                key = (item_id, label)
                if key in differing:
                    if differing[key][0] != value:
                        self._disagree(item_id, label, class_list, line)
                    continue
                differing[key] = (value, class_list, line)
        if differing:  # an entry that agrees with the objects where another list does not (rare)
            for class_list in class_lists:
                label = class_list.label
                for item_id, value, line in class_list.entries:
                    if (item_id, label) in differing and value == implied[item_id].get(label, -1):
                        self._disagree(item_id, label, class_list, line)
        for (item_id, label), (value, class_list, line) in differing.items():
            objects = implied[item_id].get(label, -1)
            if value > objects:
                self._label(label)
                items[item_id].annotations.append(Tag(label=label, attributes={"difficult": True} if value == 0
                                                      else None))
            else:
                self.report.add(Code.SKIPPED_CONTENT, "per-class list entry contradicts the item's objects: the "
                                "objects are kept", item=item_id, label=label, file=str(class_list.path), line=line,
                                entry=value, objects=objects)
        order = {name: index for index, name in enumerate(self.labels.names())}
        for item in items.values():  # Tags after the objects, in label order whatever the file order was
            tags = [a for a in item.annotations if type(a) is Tag]
            if len(tags) > 1:
                tags.sort(key=lambda tag: order[tag.label])  # type: ignore[index]
                item.annotations[len(item.annotations) - len(tags):] = tags
        for class_list in class_lists:  # a list declares its label even when nothing is present
            self._label(class_list.label)

    def _disagree(self, item_id: str, label: str, class_list: layout_.ClassList, line: int) -> None:
        self.report.add(Code.SKIPPED_CONTENT, "per-class lists disagree about an item: the entry that differs from "
                        "its objects is kept", item=item_id, label=label, file=str(class_list.path), line=line)

    def _other_task_lists(self, membership: dict[str, list[str]]) -> None:
        """ImageSets/{Segmentation,Action,Layout,...}: reported when they list what Main does not."""
        folder = self.layout.main.parent
        if not folder.is_dir():
            return
        read = {"Main", "Segmentation"} if self.segmentation is not None else {"Main"}
        for task in sorted(path for path in folder.iterdir() if path.is_dir() and path.name not in read):
            for split, ids in layout_.task_list_ids(task).items():
                missing = sorted(i for i in ids if split not in membership.get(i, ()))
                if missing:
                    self.report.add(Code.SKIPPED_CONTENT, "ImageSets list of another task lists items that "
                                    "ImageSets/Main does not: subsets are read from ImageSets/Main only",
                                    count=len(missing), file=str(task / f"{split}.txt"), items=missing[:20])


def implied_values(annotations: list[Any]) -> dict[str, int]:
    """label -> the class-list value the objects imply: 1 (a non-difficult object), 0 (only
    difficult ones). Parts (boxes after the first of their group) are not objects."""
    out: dict[str, int] = {}
    heads: set[Any] = set()
    for annotation in annotations:
        if type(annotation) is not Box:
            continue
        if annotation.group is not None:
            if annotation.group in heads:
                continue
            heads.add(annotation.group)
        label: str = annotation.label  # type: ignore[assignment]  # a Box always has one
        value = 0 if annotation.attributes.get("difficult") is True else 1
        out[label] = max(out.get(label, -1), value)
    return out


def _attributes(element: Any) -> dict[str, str]:
    """CVAT's ``<attributes><attribute><name/><value/></attribute>...</attributes>`` as strings."""
    out: dict[str, str] = {}
    for child in element:
        if child.tag != "attribute":
            raise xml.error(child, f"unexpected <{child.tag}> in <attributes> (expected <attribute>)")
        name = child.find("name")
        value = child.find("value")
        if name is None or not xml.text(name):
            raise xml.error(child, "<attribute> without a <name>")
        key = xml.text(name)
        if key in out:
            raise xml.error(child, f"attribute {key!r} given twice")
        out[key] = (value.text or "") if value is not None else ""
    return out


def _object(element: Any, index: int, group: Any = None) -> list[Box]:
    """The Box of an ``<object>`` (or ``<part>``) and its parts' Boxes; raises SchemaError."""
    name = box = None
    attributes: dict[str, Any] = {}  # from VOC's own elements
    listed: dict[str, str] = {}  # from CVAT's <attributes>
    listed_at = None
    extras: dict[str, Any] = {}
    parts: list[Any] = []
    seen: set[str] = set()
    for child in element:
        tag = child.tag
        if tag in _OBJECT_SINGLETONS:
            if tag in seen:
                raise xml.error(child, f"<{element.tag}> has more than one <{tag}>")
            seen.add(tag)
        if tag == "name":
            name = xml.text(child)
            if not name:
                raise xml.error(child, "<name> is empty: the object has no label")
        elif tag == "bndbox":
            box, others = xml.read_box(child)
            if others:
                extras["voc:bndbox"] = others
        elif tag == "part":
            parts.append(child)
        elif tag in _FLAGS:
            value = xml.flag(child)
            if value is None:
                extras[f"voc:{tag}"] = xml.element_value(child)
            elif value is not _DEFAULTS.get(tag):
                attributes[tag] = value
        elif tag == "pose":
            pose = xml.element_value(child)
            if not isinstance(pose, str) or not pose:
                extras["voc:pose"] = pose
            elif pose != _DEFAULTS["pose"]:
                attributes["pose"] = pose
        elif tag == "actions":
            _actions(child, attributes, extras)
        elif tag == "attributes":
            listed, listed_at = _attributes(child), child
        else:
            xml.add_value(extras, f"voc:{tag}", xml.element_value(child))
    if name is None:
        raise xml.error(element, f"<{element.tag}> has no <name>")
    if box is None:
        raise xml.error(element, f"<{element.tag}> has no <bndbox>")
    clash = sorted(attributes.keys() & listed.keys())
    if clash:
        raise xml.error(listed_at, f"attribute {clash[0]!r} is given both by <attributes> and by its own element")
    attributes.update(listed)
    if parts and group is None:
        group = index
    xyxy = np.array(box, dtype=np.float64)  # read_box checked: finite, x1 <= x2, y1 <= y2
    xyxy.flags.writeable = False
    head = Box._prevalidated((xyxy, 0.0), name, None, None, False, attributes, extras)
    head.group = group
    boxes = [head]
    for part in parts:
        boxes.extend(_object(part, index, group))
    return boxes


def _actions(element: Any, attributes: dict[str, Any], extras: dict[str, Any]) -> None:
    """``<actions><jumping>1</jumping>...`` -> bool attributes (names kept in order in extras
    ``voc:actions``); anything that is not such a flag list is kept verbatim instead."""
    values: dict[str, bool] = {}
    for child in element:
        value = xml.flag(child) if len(child) == 0 and not child.attrib else None
        if value is None or child.tag in values or child.tag in _OBJECT_SINGLETONS or child.tag == "part":
            extras["voc:actions"] = xml.element_value(element)
            return
        values[child.tag] = value
    attributes.update(values)
    extras["voc:actions"] = list(values)


def read_voc(path: Path, context: Context) -> Dataset:
    """Read a Pascal VOC detection dataset (see the module docstring)."""
    return VocReader(path, context).read()

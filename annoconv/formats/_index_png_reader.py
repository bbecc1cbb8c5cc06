"""Reading ``semantic-png`` and ``instance-png`` folders.

Labels come from, in order: the ``labels`` option (a ``labels.json`` written by annoconv, or a
``labels.txt`` with one class name per line, line k = index k; labelme's ``__ignore__`` first
line means index 255 and shifts the others down by one; 255 is the void value unless a line
names it), ``labels.json`` / ``labels.txt`` in the folder, or else the PNG palette (classes named
``class_<index>`` with the palette colour; 255 is void). 16-bit maps without a sidecar use 65535
as void. Void pixels are not read as annotations (reported as skipped content).
"P" and grey PNGs give indices directly; RGB PNGs are mapped through the classes' colours (or
the VOC palette). Each class (semantic) or instance index present becomes one Mask, or with
``as_polygons`` one Polygon tracing its pixel edges (exact; see raster.vectorize).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .._io import load_json
from ..errors import InputPathError, ParseError, SchemaError
from ..ir import Annotation, Dataset, ImageRef, Item, Label, LabelSet, Mask, Polygon
from ..ir import rle
from ..raster.palette import named_palette
from ..raster.png import read_index_png
from ..raster.vectorize import mask_to_polygons
from ..report import Code
from ._base import Context
from ._index_png_writer import SIDECAR


@dataclass
class Legend:
    """What the indices of the maps mean."""

    names: dict[int, str] = field(default_factory=dict)       # class index -> label name
    colors: dict[int, tuple[int, int, int]] = field(default_factory=dict)
    labels: LabelSet = field(default_factory=LabelSet)
    background: int = 0
    ignore: int | None = 255
    images: list[dict[str, Any]] | None = None                 # sidecar entries, when written by annoconv
    palette: str = "voc"                                       # the named palette the maps use
    source: Path | None = None


def read_legend(root: Path, option: str | None) -> Legend:
    path = Path(option) if option else next((root / name for name in (SIDECAR, "labels.txt")
                                             if (root / name).is_file()), None)
    if path is None:
        return Legend()
    if not path.is_file():
        raise InputPathError("labels file not found", file=path)
    return _legend_txt(path) if path.suffix == ".txt" else _legend_json(path)


def _legend_json(path: Path) -> Legend:
    data = load_json(path, "a labels.json sidecar")
    if not isinstance(data, dict) or not isinstance(data.get("classes"), list):
        raise SchemaError("expected an object with a 'classes' list", file=path, location="$")
    palette = str(data["palette"]) if data.get("palette") in ("voc", "fastlabel") else "voc"
    legend = Legend(background=int(data.get("background", 0)), ignore=data.get("ignore"), source=path,
                    palette=palette)
    for k, entry in enumerate(data["classes"]):
        try:
            index, name = int(entry["index"]), str(entry["name"])
            color = tuple(int(c) for c in entry["color"]) if entry.get("color") is not None else None
        except (KeyError, TypeError, ValueError) as exc:
            raise SchemaError(f"a class needs 'index', 'name' and an optional 'color' ({exc})", file=path,
                              location=f"$.classes[{k}]") from None
        legend.names[index] = name
        if color is not None:
            legend.colors[index] = color  # type: ignore[assignment]
        if name not in legend.labels:
            legend.labels.add(_label(name, entry, path, f"$.classes[{k}]"))
    others = data.get("labels_without_index") or []
    if not isinstance(others, list):
        raise SchemaError("'labels_without_index' must be a list", file=path, location="$.labels_without_index")
    for k, entry in enumerate(others):
        where = f"$.labels_without_index[{k}]"
        if not isinstance(entry, dict) or not isinstance(entry.get("name"), str) or not entry["name"]:
            raise SchemaError("a label needs a 'name'", file=path, location=where)
        if entry["name"] not in legend.labels:
            legend.labels.add(_label(entry["name"], entry, path, where))
    order = data.get("label_order")
    if isinstance(order, list):
        rank = {name: k for k, name in enumerate(order)}
        legend.labels = LabelSet(sorted(legend.labels, key=lambda label: rank.get(label.name, len(rank))))
    images = data.get("images")
    legend.images = images if isinstance(images, list) else None
    return legend


def _label(name: str, entry: dict[str, Any], path: Path, where: str) -> Label:
    """The Label a labels.json entry defines (id, parent, colour, keypoints, skeleton, attributes)."""
    label_color = entry.get("label_color")
    attributes = entry.get("attributes") or {}
    if not isinstance(attributes, dict):
        raise SchemaError("a label's 'attributes' must be an object", file=path, location=f"{where}.attributes")
    try:
        return Label(name, id=entry.get("id"), parent=entry.get("parent"),
                     color=tuple(label_color) if label_color else None, keypoints=entry.get("keypoints") or (),
                     skeleton=entry.get("skeleton") or (), attributes=attributes)
    except (SchemaError, TypeError, ValueError) as exc:
        raise SchemaError(f"not a valid label definition: {exc}", file=path, location=where) from None


def _legend_txt(path: Path) -> Legend:
    try:
        lines = [line.strip() for line in path.read_text(encoding="utf-8").splitlines()]
    except (OSError, UnicodeDecodeError) as exc:
        raise InputPathError(f"cannot read labels file: {exc}", file=path) from None
    names = [line for line in lines if line]
    if names and names[0] == "__ignore__":  # labelme: __ignore__ = -1 (255 in a uint8 map)
        names = names[1:]
    # 255 is the void value of VOC and labelme maps (labelme's class_names.txt omits __ignore__),
    # unless the file names a class for it.
    legend = Legend(source=path, ignore=255 if len(names) <= 255 else None)
    for index, name in enumerate(names):
        if name == "_background_" and index == 0:
            continue
        legend.names[index] = name
        if name not in legend.labels:
            legend.labels.add(Label(name))
    return legend


def read_index_pngs(root: Path, context: Context, mode: str) -> Dataset:
    if not root.is_dir():
        raise InputPathError(f"expected a folder of {mode} PNG masks", file=root)
    options = context.options
    legend = read_legend(root, options["labels"])
    if legend.images is not None:
        entries = legend.images
        listed = {entry.get("mask") for entry in entries}
        extra = [p for p in root.rglob("*.png") if p.relative_to(root).as_posix() not in listed]
        if extra:
            context.report.add(Code.SKIPPED_CONTENT, f"PNG files not listed in {SIDECAR} were not read",
                               count=len(extra), files=[p.relative_to(root).as_posix() for p in extra[:20]])
    else:
        entries = [{"mask": p.relative_to(root).as_posix()} for p in sorted(root.rglob("*.png"))]
    items: list[Item] = []
    for k, entry in enumerate(entries):
        mask = entry.get("mask") if isinstance(entry, dict) else None
        if not isinstance(mask, str):
            raise SchemaError("an image entry needs a 'mask' path", file=legend.source, location=f"$.images[{k}]")
        try:
            items.append(_read_item(root / mask, entry, legend, context, mode))
        except (SchemaError, ParseError, InputPathError) as exc:
            if options["on_error"] == "fail":
                raise exc.located(file=root / mask)
            context.report.add(Code.ITEM_SKIPPED, f"unreadable {mode} mask skipped", item=mask, reason=str(exc))
        context.step()
    labels = legend.labels
    for item in items:  # labels named from the palette, or found only in the maps
        for annotation in item.annotations:
            name = str(annotation.label)  # every annotation read here has a label
            if name not in labels:
                index = _index_of(legend, name)
                labels.add(Label(name, color=legend.colors.get(index) if index is not None else None))
    return Dataset(labels, items)


def _index_of(legend: Legend, name: str | None) -> int | None:
    return next((index for index, label in legend.names.items() if label == name), None)


def _read_item(path: Path, entry: dict[str, Any], legend: Legend, context: Context, mode: str) -> Item:
    values, palette, image_mode = read_index_png(path)
    if values.ndim == 3:
        values = _colors_to_indices(values, legend, path)
    height, width = values.shape
    expected = (entry.get("width"), entry.get("height"))
    if expected != (None, None) and expected != (width, height):
        raise SchemaError(f"the mask is {width} x {height} pixels but the sidecar says {expected[0]} x "
                          f"{expected[1]}", file=path)
    image = ImageRef(str(entry.get("image") or entry["mask"]), width, height)
    attributes = entry.get("attributes") or {}
    if not isinstance(attributes, dict):
        raise SchemaError("the sidecar's image 'attributes' must be an object", file=path)
    item = Item(str(entry.get("id") or image.path), image, subset=entry.get("subset"), attributes=attributes)
    present = np.flatnonzero(np.bincount(values.ravel(), minlength=1))
    instances = _instance_table(entry, path)
    ignore = entry["ignore"] if "ignore" in entry else legend.ignore
    if legend.source is None and values.dtype == np.uint16 and ignore == 255:
        ignore = 65535  # a 16-bit map: 255 is an ordinary index, the void value is the largest one
    skipped_ignore = False
    for index in present.tolist():
        if index == legend.background:
            continue
        if ignore is not None and index == ignore and index not in instances:
            skipped_ignore = True
            continue
        label, common = _meaning(index, mode, legend, instances, palette, path, context, item)
        pixels = values == index
        item.annotations.append(_shape(pixels, label, common, context.options["as_polygons"]))
    if skipped_ignore:
        context.report.add(Code.SKIPPED_CONTENT, "ignore (void) pixels are not read as annotations", item=item.id)
    return item


def _instance_table(entry: dict[str, Any], path: Path) -> dict[int, dict[str, Any]]:
    rows = entry.get("instances", [])
    table: dict[int, dict[str, Any]] = {}
    for k, row in enumerate(rows if isinstance(rows, list) else [rows]):
        if not isinstance(row, dict) or not isinstance(row.get("index"), int) or not isinstance(row.get("label"), str):
            raise SchemaError("an instance needs an integer 'index' and a 'label' name", file=path,
                              location=f"instances[{k}]")
        table[row["index"]] = row
    return table


def _meaning(index: int, mode: str, legend: Legend, instances: dict[int, dict[str, Any]],
             palette: np.ndarray | None, path: Path, context: Context, item: Item) -> tuple[str, dict[str, Any]]:
    if mode == "instance":
        row = instances.get(index)
        if row is not None:
            return str(row["label"]), {"id": row.get("id"), "iscrowd": bool(row.get("iscrowd", False))}
        if legend.images is not None:
            raise SchemaError(f"instance index {index} is not listed in the sidecar", file=path, item=item.id)
        context.report.add(Code.LABEL_UNKNOWN, "instance maps without a sidecar carry no labels: "
                           "instances labelled 'object'", item=item.id)
        return "object", {"id": index}
    name = legend.names.get(index)
    if name is not None:
        return name, {}
    if legend.source is not None:
        raise SchemaError(f"index {index} is not a class of {legend.source.name}", file=path, item=item.id)
    if palette is not None and index >= len(palette):
        raise SchemaError(f"index {index} is beyond the PNG palette ({len(palette)} colours)", file=path,
                          item=item.id)
    if palette is not None:
        legend.colors.setdefault(index, tuple(int(c) for c in palette[index]))  # type: ignore[arg-type]
    legend.names[index] = f"class_{index}"
    context.report.add(Code.LABEL_UNKNOWN, "no labels file: classes named class_<index> after their palette index",
                       item=item.id)
    return legend.names[index], {}


def _shape(pixels: np.ndarray, label: str, common: dict[str, Any], as_polygons: bool) -> Annotation:
    if as_polygons:
        return Polygon(mask_to_polygons(pixels), label=label, **common)
    return Mask(rle.encode(pixels), pixels.shape, label=label, **common)


def _colors_to_indices(rgb: np.ndarray, legend: Legend, path: Path) -> np.ndarray:
    """Map an (h, w, 3) colour image to indices through the legend's colours and palette."""
    lookup: dict[int, int] = {}
    # The palette the maps were written with gives the background, void and unnamed indices (the
    # lower index wins where it repeats a colour); the classes' own colours take precedence.
    for index, (r, g, b) in enumerate(named_palette(legend.palette).tolist()):
        lookup.setdefault((r << 16) | (g << 8) | b, index)
    for index, (r, g, b) in legend.colors.items():
        lookup[(r << 16) | (g << 8) | b] = index
    packed = (rgb[..., 0].astype(np.uint32) << 16) | (rgb[..., 1].astype(np.uint32) << 8) | rgb[..., 2]
    colors, inverse = np.unique(packed, return_inverse=True)
    indices = np.empty(len(colors), dtype=np.int64)
    for k, color in enumerate(colors.tolist()):
        if color not in lookup:
            where = np.argwhere(packed == color)[0]
            raise SchemaError(f"colour {(color >> 16, (color >> 8) & 255, color & 255)} at x={where[1]}, y={where[0]} "
                              "is not a class colour", file=path)
        indices[k] = lookup[color]
    dtype = np.uint8 if indices.max(initial=0) <= 255 else np.uint16
    return indices[inverse].reshape(packed.shape).astype(dtype)

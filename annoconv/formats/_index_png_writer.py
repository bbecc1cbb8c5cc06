"""Writing ``semantic-png`` and ``instance-png``: one index-map PNG per item plus ``labels.json``.

Masks mirror the image paths with a ``.png`` suffix (``images/a.jpg`` -> ``images/a.png``; when
two images would share a mask name the image's own suffix is kept: ``a.jpg.png``). The sidecar
records, for every mask, the image it belongs to (path, size, subset) and, for instance maps,
which label, annotation id and crowd flag each instance index has, so reading back is lossless
for labels and instances. Rendering is in :mod:`annoconv.raster.render`.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np

from .._io import dump_json
from ..errors import OptionError, SchemaError
from ..ir import Dataset, Item, Label
from ..raster.palette import label_palette, named_palette
from ..raster.rasterize import LINE_KINDS, drawable, paintable
from ..raster.render import RenderJob, instance_table, render_items
from ..report import Code
from ._base import Context, loss_counts, report_split_groups, report_unkept_ids
from ._paths import inside, without_suffix

SIDECAR = "labels.json"
SIDECAR_VERSION = 1


def mask_paths(items: list[Item]) -> list[str]:
    """Mask path of each item, relative to the output root (POSIX), always inside it: absolute
    image paths lose their root and ``..`` parts are dropped."""
    images = [inside(item.image.path) for item in items]
    stems = [without_suffix(path) + ".png" for path in images]
    taken = Counter(stems)
    paths = [stem if taken[stem] == 1 else path + ".png" for stem, path in zip(stems, images)]
    taken = Counter(paths)  # still shared: the same image path in several items
    return [path if taken[path] == 1 else f"{path[:-4]}.{k}.png" for k, path in enumerate(paths)]


def drawable_labels(dataset: Dataset, line_width: float | None) -> list[str]:
    """Labels that get a class index: those with at least one paintable annotation, or none at all
    (declared classes keep their index), in label order; keypoint-only or tag-only labels get none."""
    used: dict[str, bool] = {}
    for item in dataset.items:
        for annotation in item.annotations:
            if annotation.label is not None:
                used[annotation.label] = used.get(annotation.label, False) or drawable(annotation, line_width)
    names = [name for name in dataset.labels.names() if used.get(name, True)]
    return names + [name for name, paintable in used.items() if paintable and name not in dataset.labels]


def record_losses(dataset: Dataset, context: Context) -> None:
    """Record, per item, every feature the format does not hold as it is (counts per annotation)."""
    for item, item_counts in zip(dataset.items, loss_counts(dataset, context)):
        for feature, count in item_counts.items():
            context.record_loss(feature, item=item, count=count)


def write_index_pngs(dataset: Dataset, root: Path, context: Context, mode: str) -> None:
    options = context.options
    line_width = options["line_width"]
    background = options.get("background", 0)
    names = drawable_labels(dataset, line_width)
    start = options.get("start_index", 1)
    class_index = {name: start + i for i, name in enumerate(names)}
    ignore = options.get("ignore_value", 255) if options["crowd"] == "ignore" else None
    if mode == "semantic":
        _check_semantic_indices(class_index, background, ignore)
    palette = _palette(dataset, options["palette"], class_index if mode == "semantic" else {})
    record_losses(dataset, context)
    items = dataset.items
    relative = mask_paths(items)
    job = RenderJob(mode=mode, root=root, masks=relative, class_index=class_index, background=background,
                    crowd=options["crowd"], ignore_value=ignore, line_width=line_width, palette=palette,
                    compression=options["png_compression"], on_error=options["on_error"])
    results = render_items(items, job, workers=options["workers"], progress=context.step)
    images: list[dict[str, Any]] = []
    for item, mask, result in zip(items, relative, results):
        if isinstance(result, str):  # the item could not be rendered and was skipped
            context.report.add(Code.ITEM_SKIPPED, result, item=item.id)
            continue
        for code, message, annotation_id in result.notes:
            context.report.add(code, message, item=item.id, annotation=annotation_id)
        _record_crowd(item, options["crowd"], mode, context)
        if mode == "instance":
            report_split_groups(context.report, item, paintable(item, line_width, None), "separate instances")
        entry: dict[str, Any] = {"mask": mask, "image": item.image.path, "id": item.id,
                                 "width": item.image.width, "height": item.image.height}
        if item.subset is not None:
            entry["subset"] = item.subset
        if item.attributes:
            entry["attributes"] = item.attributes
        if mode == "instance":
            entry["instances"] = instance_table(item, result.instances)
            if result.ignore is not None:
                entry["ignore"] = result.ignore
        images.append(entry)
    classes = [_class_entry(dataset, name, index, palette) for name, index in class_index.items()]
    sidecar = {"annoconv": f"{mode}-png", "version": SIDECAR_VERSION, "mode": mode, "background": background,
               "ignore": ignore, "palette": options["palette"], "classes": classes, "images": images}
    # Labels with no index (only tags or keypoints, nothing paintable) are listed too, and the label
    # order: reading the folder back gives the whole label set, in its order.
    unindexed = [{"name": label.name, **_label_fields(label)} for label in dataset.labels
                 if label.name not in class_index]
    if unindexed:
        sidecar["labels_without_index"] = unindexed
        sidecar["label_order"] = dataset.labels.names()
    dump_json(sidecar, root / SIDECAR, indent=True)
    if mode == "semantic":  # instance maps keep them in the sidecar
        report_unkept_ids(dataset, context.report, context.format.name)


def _record_crowd(item: Item, crowd: str, mode: str, context: Context) -> None:
    """Crowd regions not written as their class or instance (the capabilities assume the default)."""
    if crowd in ("class", "instance") or (crowd == "ignore" and mode == "semantic"):
        return  # the default of each mode: covered by the capability check
    for annotation in item.annotations:
        if annotation.iscrowd and drawable(annotation, context.options["line_width"]):
            if crowd == "skip":
                context.report.add(Code.SKIPPED_CONTENT, "crowd region left out (crowd=skip)", item=item.id,
                                   annotation=annotation.id)
            else:
                context.report.add(Code.FIELD_DROPPED, "crowd region painted with the ignore value (crowd=ignore): "
                                   "its label and id are not kept", item=item.id, annotation=annotation.id)


def _check_semantic_indices(class_index: dict[str, int], background: int, ignore: int | None) -> None:
    top = max(class_index.values(), default=0)
    if top > 255:
        raise SchemaError(f"{len(class_index)} drawable labels do not fit an 8-bit palette PNG (indices up to "
                          f"{top}; at most 255, with the background and ignore values reserved)")
    reserved = {background} | ({ignore} if ignore is not None else set())
    clash = [name for name, index in class_index.items() if index in reserved]
    if clash:
        raise OptionError(f"class {clash[0]!r} would get index {class_index[clash[0]]}, which is the background or "
                          "ignore value; choose --start-index 1, or another --background/--ignore-value")


def _palette(dataset: Dataset, name: str, class_index: dict[str, int]) -> np.ndarray:
    if name != "labels":
        return named_palette(name)
    colors = {index: dataset.labels[label].color for label, index in class_index.items() if label in dataset.labels}
    return label_palette(colors)


def _class_entry(dataset: Dataset, name: str, index: int, palette: np.ndarray) -> dict[str, Any]:
    label = dataset.labels.get(name)
    entry: dict[str, Any] = {"index": index, "name": name}
    if index < len(palette):  # instance maps list their classes too, possibly more than 256
        entry["color"] = palette[index].tolist()
    if label is not None:
        entry.update(_label_fields(label))
    return entry


def _label_fields(label: Label) -> dict[str, Any]:
    """A label's definition beyond its name, as labels.json holds it."""
    fields: dict[str, Any] = {key: getattr(label, key) for key in ("id", "parent") if getattr(label, key) is not None}
    if label.color is not None:
        fields["label_color"] = list(label.color)
    if label.keypoints:
        fields["keypoints"] = list(label.keypoints)
    if label.skeleton:
        fields["skeleton"] = [list(edge) for edge in label.skeleton]
    if label.attributes:
        fields["attributes"] = label.attributes
    return fields


__all__ = ["LINE_KINDS", "SIDECAR", "drawable_labels", "mask_paths", "record_losses", "write_index_pngs"]

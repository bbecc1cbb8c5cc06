"""The ``annoconv`` format: the IR as JSON, lossless, with a format version.

Layout (version 1.x)::

    {"format": "annoconv", "version": "1.0",
     "labels": [{"name", "id", "color", "parent", "keypoints", "skeleton", "attributes", "extras"}],
     "items": [{"id", "image": {"path", "width", "height"}, "subset", "attributes", "extras",
                "annotations": [{"kind": "box", "xyxy": [...], "angle": 0.0, "label": ..., ...}]}],
     "extras": {...}}

Coordinates are the IR's (float64 absolute pixels, pixel-corner origin) written with the
shortest repr that reads back to the same float, so nothing is rounded. Fields at their
default value are omitted. A file whose major version differs from this module's is refused.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .._io import dump_json, load_json
from ..errors import AnnoconvError, ParseError, SchemaError
from ..ir import KINDS, Annotation, Dataset, ImageRef, Item, Label, LabelSet
from ._base import FEATURES, Capabilities, Context, Format, Option, boolean

VERSION = "1.0"
_COMMON_DEFAULTS: dict[str, Any] = {"id": None, "group": None, "z_order": 0, "score": None, "iscrowd": False,
                                    "attributes": {}, "extras": {}}


def _annotation_to_json(annotation: Annotation) -> dict[str, Any]:
    out: dict[str, Any] = {"kind": annotation.kind, "label": annotation.label}
    for key, value in annotation._geometry().items():
        out[key] = [list(region) for region in value] if key == "regions" else value
    for key, default in _COMMON_DEFAULTS.items():
        value = getattr(annotation, key)
        if value != default:
            out[key] = value
    return out


def _label_to_json(label: Label) -> dict[str, Any]:
    out: dict[str, Any] = {"name": label.name}
    for key in ("id", "color", "parent", "keypoints", "skeleton", "attributes", "extras"):
        value = getattr(label, key)
        if value not in (None, (), {}):
            out[key] = value
    return out


def _item_to_json(item: Item) -> dict[str, Any]:
    image: dict[str, Any] = {"path": item.image.path}
    if item.image.width is not None:
        image["width"] = item.image.width
    if item.image.height is not None:
        image["height"] = item.image.height
    out: dict[str, Any] = {"id": item.id, "image": image,
                           "annotations": [_annotation_to_json(a) for a in item.annotations]}
    if item.subset is not None:
        out["subset"] = item.subset
    if item.attributes:
        out["attributes"] = item.attributes
    if item.extras:
        out["extras"] = item.extras
    return out


def write_native(dataset: Dataset, path: Path, context: Context) -> None:
    items = []
    for item in dataset.items:
        items.append(_item_to_json(item))
        context.step()
    data = {"format": "annoconv", "version": VERSION, "labels": [_label_to_json(l) for l in dataset.labels],
            "items": items, "extras": dataset.extras}
    context.report.stats["items_written"] = len(items)
    dump_json(data, path, indent=bool(context.options.get("indent")))


def read_native(path: Path, context: Context) -> Dataset:
    data = load_json(path, "an annoconv JSON file")
    if not isinstance(data, dict) or data.get("format") != "annoconv":
        raise ParseError("not an annoconv file: expected an object with \"format\": \"annoconv\"", file=path,
                         location="$.format")
    version = str(data.get("version", ""))
    if version.split(".")[0] != VERSION.split(".")[0]:
        raise SchemaError(f"annoconv format version {version!r} is not supported by this annoconv "
                          f"(reads {VERSION.split('.')[0]}.x); convert it with a matching annoconv version",
                          file=path, location="$.version")
    location = "$.labels"
    try:
        labels = LabelSet()
        for index, raw in enumerate(data.get("labels", [])):
            location = f"$.labels[{index}]"
            labels.add(Label(**raw))
        items = []
        for index, raw in enumerate(data.get("items", [])):
            location = f"$.items[{index}]"
            items.append(_item_from_json(raw))
            context.step()
        dataset = Dataset(labels, items, data.get("extras", {}))
    except AnnoconvError as exc:
        raise exc.located(file=path, location=location) from None
    except (TypeError, KeyError, ValueError, AttributeError) as exc:
        raise SchemaError(f"malformed entry: {exc}", file=path, location=location) from None
    try:
        dataset.validate()
    except AnnoconvError as exc:
        raise exc.located(file=path) from None
    context.report.stats["items_read"] = len(items)
    return dataset


def _item_from_json(raw: dict[str, Any]) -> Item:
    image = ImageRef(**raw["image"])
    annotations = []
    for entry in raw.get("annotations", []):
        fields = dict(entry)
        kind = fields.pop("kind")
        if kind not in KINDS:
            raise SchemaError(f"unknown annotation kind {kind!r} (known: {', '.join(KINDS)})")
        annotations.append(KINDS[kind](**fields))
    return Item(raw["id"], image, annotations, raw.get("subset"), raw.get("attributes", {}), raw.get("extras", {}))


FORMAT = Format(
    name="annoconv",
    summary="annoconv's native JSON: the IR itself, lossless, versioned",
    spec_url="README.md#the-native-format",
    capabilities=Capabilities(native=frozenset(FEATURES)),  # the IR itself: everything
    reader=read_native,
    writer=write_native,
    write_options=(Option("indent", boolean, False, "pretty-print the JSON with 2-space indentation"),),
    extensions=(".json",),
)

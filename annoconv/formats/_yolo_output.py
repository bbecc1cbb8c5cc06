"""Where the YOLO writers put label files and images, and the dataset description they write.

Ultralytics layout (default)::

    data.yaml                 train/val/test: images/<split> (no 'path' key: Ultralytics then
                              resolves them from the data.yaml folder), nc, names {index: name}
    images/<split>/<rel>      the images (copied, symlinked, or left for the user to put there)
    labels/<split>/<rel>.txt  one label file per image, empty when it has no objects

Darknet layout (``layout=darknet``, CVAT's "YOLO 1.1")::

    obj.data                  classes, train/valid = data/<split>.txt, names = data/obj.names
    obj.names                 one class name per line, in index order
    <split>.txt               one line per image: data/obj_<split>_data/<rel>
    obj_<split>_data/<rel>    images with their label files beside them

``<split>`` is the item's subset (``split`` option when it has none). ``<rel>`` is the image path
without a leading ``images/<subset>/``, ``<subset>/images/``, ``obj_<subset>_data/`` or
``images/`` (the folders a YOLO reader puts there), so that a YOLO dataset is written back
where it was. Ultralytics needs ``train`` and ``val``: a missing one points at the other's images
(with a comment in data.yaml saying so).
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from .._io import Folders
from ..errors import InputPathError, OptionError, SchemaError
from ..ir import Item
from ..report import Code, Report
from ._base import Context
from ._paths import without_suffix
from ._yolo_layout import SPLIT_KEYS


class _Flow(list):  # type: ignore[type-arg]
    """A list written in YAML flow style: ``kpt_shape: [17, 3]``."""


class _Dumper(yaml.SafeDumper):
    pass


_Dumper.add_representer(_Flow, lambda dumper, data: dumper.represent_sequence(
    "tag:yaml.org,2002:seq", data, flow_style=True))


def flow(values: Any) -> _Flow:
    return _Flow(values)


def yaml_key(split: str) -> str:
    """The data.yaml key of a split folder: train, val, test or minival (by its name's meaning)."""
    name = split.lower()
    if name in SPLIT_KEYS:
        return name
    if name in ("valid", "validation", "dev") or name.startswith("val"):
        return "val"
    return "test" if name.startswith("test") else "train"


def darknet_key(split: str) -> str:
    """obj.data's name of a split: darknet calls the validation list ``valid``."""
    return "valid" if split == "val" else split


@dataclass
class Placement:
    split: str
    label: str  # where the label file goes, relative to the root (POSIX)
    image: str  # where the image goes (or is expected), relative to the root
    listed: str  # the darknet image-list line


class Output:
    """The files of one written dataset under ``root``."""

    def __init__(self, root: Path, context: Context, darknet: bool) -> None:
        options = context.options
        self.root = root
        self.report: Report = context.report
        self.darknet = darknet
        self.default_split = _folder_name(str(options.get("split") or "train"))
        self.copy = options.get("copy_images") or "none"
        images_dir = options.get("images_dir")
        self.images_dir = Path(images_dir) if images_dir else None
        if self.copy != "none" and self.images_dir is None:
            raise OptionError(f"copy_images={self.copy} needs images_dir (the folder the image paths are "
                              f"relative to)")
        self.splits: dict[str, list[str]] = {}  # split -> darknet list lines, in item order
        self.split_items: dict[str, int] = {}
        self.renamed: dict[str, tuple[str, int]] = {}  # subset -> (yaml key, items)
        self.used: dict[str, str] = {}  # label file -> item id
        self.folders = Folders()

    def split_of(self, item: Item) -> str:
        if item.subset is None or not _folder_name(item.subset):
            return self.default_split
        return _folder_name(item.subset)

    def place(self, item: Item) -> Placement:
        """Where ``item``'s files go; a second item with the same label file is an error."""
        split = self.split_of(item)
        rel = _relative(item.image.path, item.subset, split)
        stem = without_suffix(rel)
        if self.darknet:
            folder = f"obj_{darknet_key(split)}_data"
            placement = Placement(split, f"{folder}/{stem}.txt", f"{folder}/{rel}", f"data/{folder}/{rel}")
        else:
            placement = Placement(split, f"labels/{split}/{stem}.txt", f"images/{split}/{rel}",
                                  f"images/{split}/{rel}")
        other = self.used.get(placement.label)
        if other is not None:
            raise SchemaError(f"its label file {placement.label} is also the label file of item {other!r} (same "
                              f"image name without extension, same folder)", item=item.id)
        self.used[placement.label] = item.id
        return placement

    def source_image(self, item: Item) -> Path | None:
        """The source image to copy or link (None when images are not placed); must exist."""
        if self.copy == "none":
            return None
        source = self.images_dir / item.image.path  # type: ignore[operator]
        if not source.is_file():
            raise InputPathError(f"image not found (needed for copy_images={self.copy})", file=source, item=item.id)
        return source

    def commit(self, item: Item, placement: Placement, text: bytes, source: Path | None) -> None:
        """Write the label file, place the image, remember the split."""
        self.folders.write(os.path.join(self.root, placement.label), text)
        if source is not None:
            image = self.folders.ready(os.path.join(self.root, placement.image))
            if self.copy == "copy":
                shutil.copy2(source, image)
            else:
                os.symlink(source.resolve(), image)
        self.splits.setdefault(placement.split, []).append(placement.listed)
        self.split_items[placement.split] = self.split_items.get(placement.split, 0) + 1
        if item.subset is not None and not self.darknet and yaml_key(placement.split) != placement.split:
            key, count = self.renamed.get(item.subset, (yaml_key(placement.split), 0))
            self.renamed[item.subset] = (key, count + 1)

    # --- the description ----------------------------------------------------------------------
    def finish(self, names: list[str], fields: dict[str, Any], tool: str) -> None:
        """Write data.yaml (Ultralytics) or obj.data, obj.names and the lists (darknet)."""
        if not self.splits:
            self.splits[self.default_split] = []
        for subset, (key, count) in self.renamed.items():
            self.report.add(Code.FIELD_DROPPED, "subset name kept only as the image folder name (Ultralytics "
                            "knows train, val, test)", count=count, subset=subset, key=key)
        if self.darknet:
            self._darknet(names)
        else:
            self._data_yaml(names, fields, tool)

    def _data_yaml(self, names: list[str], fields: dict[str, Any], tool: str) -> None:
        folders: dict[str, list[str]] = {}
        for split in self.splits:
            folders.setdefault(yaml_key(split), []).append(f"images/{split}")
            if self.copy == "none":  # where the user is to put the images
                (self.root / "images" / split).mkdir(parents=True, exist_ok=True)
        notes = [f"Written by annoconv ({tool}). Paths are relative to this file's folder (no 'path' key)."]
        if self.copy == "none":
            notes.append("Images were not copied: put them under images/<split>/ as listed below.")
        for missing, other in (("train", "val"), ("val", "train")):
            if missing not in folders:
                source = other if other in folders else next(iter(folders))
                folders[missing] = folders[source]
                notes.append(f"The source has no '{missing}' subset: '{missing}' points at the '{source}' images.")
        doc: dict[str, Any] = {}
        for key in SPLIT_KEYS:
            if key in folders:
                doc[key] = folders[key][0] if len(folders[key]) == 1 else folders[key]
        doc["nc"] = len(names)
        doc["names"] = dict(enumerate(names))
        for key, value in fields.items():
            doc.setdefault(key, value)
        header = "".join(f"# {note}\n" for note in notes)
        body = yaml.dump(doc, Dumper=_Dumper, allow_unicode=True, sort_keys=False, default_flow_style=False,
                         width=120)
        (self.root / "data.yaml").write_text(header + body, encoding="utf-8")

    def _darknet(self, names: list[str]) -> None:
        (self.root / "obj.names").write_text("".join(f"{name}\n" for name in names), encoding="utf-8")
        lines = [f"classes = {len(names)}"]
        for split, listed in self.splits.items():
            key = darknet_key(split)
            (self.root / f"{key}.txt").write_text("".join(f"{line}\n" for line in listed), encoding="utf-8")
            lines.append(f"{key} = data/{key}.txt")
            (self.root / f"obj_{key}_data").mkdir(exist_ok=True)
        lines += ["names = data/obj.names", "backup = backup/"]
        (self.root / "obj.data").write_text("".join(f"{line}\n" for line in lines), encoding="utf-8")


def _folder_name(name: str) -> str:
    return name.replace("/", "_").replace("\\", "_").strip().strip(".")


def _relative(path: str, subset: str | None, split: str) -> str:
    """The image path below its split folder (see the module docstring); never absolute, no ``..``."""
    parts = [p for p in path.replace("\\", "/").split("/") if p not in (".", "..", "")]
    lowered = [p.lower() for p in parts]
    prefixes = [["images", split.lower()], [split.lower(), "images"], [f"obj_{split.lower()}_data"]]
    if subset is not None:
        prefixes += [["images", subset.lower()], [subset.lower(), "images"], [f"obj_{subset.lower()}_data"]]
    if split == "val":
        prefixes.append(["obj_valid_data"])
    prefixes.append(["images"])
    for prefix in prefixes:
        if lowered[:len(prefix)] == prefix and len(parts) > len(prefix):
            return "/".join(parts[len(prefix):])
    return "/".join(parts)

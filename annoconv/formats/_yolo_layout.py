"""Where a YOLO dataset keeps its images, label files and class names (reading side).

Accepted inputs (``discover``):

- an Ultralytics ``data.yaml`` (or the folder holding it): ``path`` (the root; relative to the
  YAML's folder, which is also the fallback when it does not exist), ``train`` / ``val`` /
  ``test`` / ``minival`` each a folder, an image file, an image-list ``.txt`` or a list of those
  (a ``../x`` that does not exist is retried as ``x``, as Ultralytics does), ``names`` (list or
  ``{index: name}``), ``nc``. A label file is found from its image path by Ultralytics' rule:
  the last ``/images/`` component becomes ``/labels/`` and the extension ``.txt``; an image path
  without an ``images`` component has its label file beside it.
- a darknet ``obj.data`` (or its folder): ``names``, ``classes`` and one image-list file per
  subset (``train``, ``valid``, ...); paths with CVAT's ``data/`` prefix are tried without it.
  Darknet's ``valid`` (key or ``obj_valid_data/``) is the subset ``val``.
- a bare folder: a names file (``classes.txt``, ``obj.names`` or one ``*.names``) and either
  ``obj_<subset>_data/`` folders, ``images/`` + ``labels/`` (or ``Images/`` + ``Annotations/``)
  with optional split subfolders, ``<split>/images`` + ``<split>/labels`` (Roboflow), or images
  with their label files beside them.

Subsets are the split keys (``train``, ``val``, ...) or folder names; item paths are POSIX paths
relative to the dataset root. A split folder whose ``labels`` counterpart is missing, or a split
path that does not exist, is an error (on_error=skip: reported, its images read without
annotations / the split not read). Nothing here reads a label file; ``Layout.orphans`` lists the
text files in label folders that belong to no image, ``Layout.stray_names`` the classes.txt among them.
"""

from __future__ import annotations

import os
import posixpath
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import AnnoconvError, InputPathError, ParseError, SchemaError
from ..report import Code, Severity
from ._base import Context
from ._yolo_files import kind_of, load_yaml, read_names_file, read_text, yaml_names

# The image types Ultralytics trains on (ultralytics.data.utils.IMG_FORMATS); other files are not images.
IMAGE_SUFFIXES = frozenset({".avif", ".bmp", ".dng", ".heic", ".heif", ".jp2", ".jpeg", ".jpg", ".mpo", ".png",
                            ".tif", ".tiff", ".webp"})
SPLIT_KEYS = ("train", "val", "test", "minival")
NAMES_FILES = ("classes.txt", "obj.names")
_PREFERRED_YAML = ("data.yaml", "data.yml", "dataset.yaml", "dataset.yml")
# data.yaml keys read here; the reader handles the keypoint ones, everything else is passed through.
LAYOUT_KEYS = frozenset({"path", "names", "nc", "validation", *SPLIT_KEYS})
_DARKNET_SETTINGS = frozenset({"classes", "names", "backup", "eval", "results", "map"})


@dataclass
class Entry:
    """One image: ``ref`` (POSIX, relative to the root) is its ImageRef path and item id."""

    image: Path
    label: Path
    ref: str
    subset: str | None
    origin: str  # where it was listed, for messages


@dataclass
class Layout:
    root: Path
    description: Path  # data.yaml, obj.data or the folder: what error messages name
    names: dict[int, str] | None = None  # class index -> name (None: no names anywhere)
    names_origin: Path | None = None
    class_count: int | None = None  # ``nc`` / ``classes`` when given without names
    entries: list[Entry] = field(default_factory=list)
    orphans: list[Path] = field(default_factory=list)
    stray_names: list[Path] = field(default_factory=list)  # classes.txt found among label files
    settings: dict[str, Any] = field(default_factory=dict)  # data.yaml keys not about the layout


class _Discovery:
    def __init__(self, context: Context) -> None:
        self.report = context.report
        self.skip = context.options.get("on_error") == "skip"
        self.label_dirs: set[Path] = set()  # scanned for orphans, non-recursively
        self.label_trees: set[Path] = set()  # scanned recursively
        self.not_labels: set[Path] = set()  # names and list files: never orphans
        self.missing: set[Path] = set()  # labels folders already reported missing

    # --- policy -------------------------------------------------------------------------------
    def fail(self, exc: AnnoconvError, consequence: str) -> None:
        """Raise ``exc``, or under on_error=skip report it with what was done instead."""
        if not self.skip:
            raise exc
        self.report.add(Code.SKIPPED_CONTENT, f"bad dataset structure: {consequence} (on_error=skip)",
                        severity=Severity.ERROR, error=exc.message)

    # --- entry points -------------------------------------------------------------------------
    def discover(self, path: Path) -> Layout:
        if not path.exists():
            raise InputPathError("no such file or folder (expected a YOLO dataset folder, its data.yaml or "
                                 "obj.data)", file=path)
        if path.is_file():
            suffix = path.suffix.lower()
            if suffix in (".yaml", ".yml"):
                layout = self.ultralytics(path)
            elif suffix == ".data":
                layout = self.darknet(path)
            else:
                raise InputPathError("expected a YOLO dataset folder, a data.yaml or a darknet obj.data file",
                                     file=path)
        elif (description := self._description_file(path)) is not None:
            layout = self.ultralytics(description) if description.suffix != ".data" else self.darknet(description)
        else:
            layout = self.folder(path)
        self._finish(layout)
        return layout

    def _description_file(self, folder: Path) -> Path | None:
        """The folder's data.yaml (or its one YAML file), else its obj.data, else None."""
        yamls = sorted(p for p in folder.iterdir() if p.suffix.lower() in (".yaml", ".yml") and p.is_file())
        if len(yamls) > 1:
            preferred = [p for p in yamls if p.name.lower() in _PREFERRED_YAML or p.stem == folder.name]
            if len(preferred) != 1:
                raise InputPathError(f"several YAML files ({', '.join(p.name for p in yamls)}): give the dataset "
                                     f"YAML file itself as the input", file=folder)
            yamls = preferred
        if yamls:
            return yamls[0]
        datas = sorted(p for p in folder.iterdir() if p.suffix.lower() == ".data" and p.is_file())
        return datas[0] if len(datas) == 1 else None

    # --- Ultralytics data.yaml ----------------------------------------------------------------
    def ultralytics(self, path: Path) -> Layout:
        raw = load_yaml(path)
        if not isinstance(raw, dict):
            raise SchemaError(f"expected a mapping with 'train', 'val' and 'names' keys, got {kind_of(raw)}", file=path)
        layout = Layout(root=self._root(raw.get("path"), path), description=path)
        layout.names, layout.class_count = yaml_names(raw, path)
        layout.names_origin = path if layout.names is not None else None
        if layout.names is None and (names_file := _names_file_in(path.parent)) is not None:
            self._names_file(layout, names_file)
        layout.settings = {key: value for key, value in raw.items() if key not in LAYOUT_KEYS}
        splits = [(key, raw[key]) for key in SPLIT_KEYS if raw.get(key)]
        if not raw.get("val") and raw.get("validation"):  # Ultralytics renames it too
            splits.insert(1, ("val", raw["validation"]))
        if not splits:
            raise SchemaError("no 'train', 'val' or 'test' key: nothing says where the images are", file=path,
                              location="key 'train'")
        for key, value in splits:
            sources = value if isinstance(value, list) else [value]
            for index, source in enumerate(sources):
                location = f"key '{key}'" + (f"[{index}]" if isinstance(value, list) else "")
                if not isinstance(source, str):
                    raise SchemaError(f"expected a path (string), got {kind_of(source)}", file=path, location=location)
                self._source(layout, key, source, location)
        return layout

    def _root(self, value: Any, yaml_path: Path) -> Path:
        base = yaml_path.parent
        if value is None or value == "":
            return base
        if not isinstance(value, str):
            raise SchemaError(f"expected a folder path (string), got {kind_of(value)}", file=yaml_path,
                              location="key 'path'")
        candidate = Path(value) if Path(value).is_absolute() else base / value
        if candidate.is_dir():
            return candidate
        # 'path' is often relative to Ultralytics' datasets folder or from another machine.
        self.report.add(Code.SKIPPED_CONTENT, "data.yaml 'path' is not a folder here: paths are resolved from the "
                        "data.yaml folder", severity=Severity.INFO, file=str(yaml_path), path=value)
        return base

    def _source(self, layout: Layout, subset: str, value: str, location: str) -> None:
        """Add the images of one split source (folder, image, or image-list file)."""
        where = f"{layout.description.name} {location}"
        resolved = _existing([Path(value) if Path(value).is_absolute() else layout.root / value]
                             + ([layout.root / value[3:]] if value.startswith("../") else []))
        if resolved is None:
            self.fail(InputPathError(f"{value!r} does not exist (resolved from {_show(layout.root)})",
                                     file=layout.description, location=location),
                      f"split '{subset}' not read")
            return
        if resolved.is_dir():
            images = _images_in(resolved)
            if images:
                self._check_label_dir(layout, resolved, subset, location)
            layout.entries.extend(self._entry(layout, image, subset, where) for image in images)
        elif resolved.suffix.lower() in IMAGE_SUFFIXES:
            layout.entries.append(self._entry(layout, resolved, subset, where))
        else:
            self._list_file(layout, resolved, subset)

    def _check_label_dir(self, layout: Layout, image_dir: Path, subset: str, location: str) -> None:
        label_dir = label_path_for(image_dir / "x.x").parent
        if label_dir == image_dir:
            return
        if label_dir.is_dir():
            self.label_trees.add(label_dir)
            return
        hint = ""
        dota = image_dir.parent / "labelTxt"
        if dota.is_dir():
            hint = f"; {_show(dota, layout.root)} holds DOTA-style labelTxt files, which are not YOLO labels"
        self.fail(InputPathError(f"no labels folder {_show(label_dir, layout.root)} for the images in "
                                 f"{_show(image_dir, layout.root)}{hint}", file=layout.description, location=location),
                  f"the images of split '{subset}' read without annotations")

    def _list_file(self, layout: Layout, list_file: Path, subset: str) -> None:
        self.not_labels.add(list_file)
        for number, line in enumerate(read_text(list_file).splitlines(), 1):
            line = line.strip()
            if not line:
                continue
            image = _listed_image(line, list_file, layout.root)
            if image.suffix.lower() not in IMAGE_SUFFIXES:
                self.report.add(Code.SKIPPED_CONTENT, "image list entry is not an image file: not read",
                                file=str(list_file), line=number, entry=line)
                continue
            label_root = label_path_for(image).parent
            if label_root != image.parent:
                self._label_root_exists(layout, image, list_file, number)
            layout.entries.append(self._entry(layout, image, subset, f"{list_file.name} line {number}"))

    def _label_root_exists(self, layout: Layout, image: Path, list_file: Path, number: int) -> None:
        """For listed images under an ``images`` folder: the matching ``labels`` folder must exist."""
        text = image.as_posix()
        labels_root = Path(text[:text.rfind("/images/")] + "/labels")
        if labels_root.is_dir() or not image.exists() or labels_root in self.missing:
            return
        self.missing.add(labels_root)  # report once per folder
        self.fail(InputPathError(f"no labels folder {_show(labels_root, layout.root)} for the listed image "
                                 f"{_show(image, layout.root)}", file=list_file, location=f"line {number}"),
                  "its images read without annotations")

    # --- darknet obj.data ---------------------------------------------------------------------
    def darknet(self, path: Path) -> Layout:
        layout = Layout(root=path.parent, description=path)
        names_value: tuple[str, int] | None = None
        for number, line in enumerate(read_text(path).splitlines(), 1):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            key, sep, value = (part.strip() for part in line.partition("="))
            if not sep or not key:
                raise ParseError(f"expected 'key = value', got {line!r}", file=path, location=f"line {number}")
            if key == "classes":
                try:
                    layout.class_count = int(value)
                except ValueError:
                    raise SchemaError(f"'classes' must be an integer, got {value!r}", file=path,
                                      location=f"line {number}") from None
            elif key == "names":
                names_value = (value, number)
            elif key not in _DARKNET_SETTINGS:
                list_file = _existing(_data_candidates(value, path.parent))
                if list_file is None or not list_file.is_file():
                    self.fail(InputPathError(f"image list {value!r} of subset '{key}' does not exist", file=path,
                                             location=f"line {number}"), f"subset '{key}' not read")
                    continue
                self._list_file(layout, list_file, "val" if key == "valid" else key)
        if names_value is not None:
            names_file = _existing(_data_candidates(names_value[0], path.parent))
            if names_file is None:
                raise InputPathError(f"names file {names_value[0]!r} does not exist", file=path,
                                     location=f"line {names_value[1]}")
            self._names_file(layout, names_file)
        if layout.names is not None and layout.class_count is not None and layout.class_count != len(layout.names):
            raise SchemaError(f"'classes = {layout.class_count}' but {layout.names_origin} has "
                              f"{len(layout.names)} names", file=path, location="key 'classes'")
        return layout

    # --- bare folders -------------------------------------------------------------------------
    def folder(self, root: Path) -> Layout:
        layout = Layout(root=root, description=root)
        names_file = _names_file_in(root)
        if names_file is not None:
            self._names_file(layout, names_file)
        darknet = sorted(d for d in root.iterdir() if d.is_dir() and re.fullmatch(r"obj_(.+)_data", d.name))
        images_dir, labels_dir = _child(root, "images"), _child(root, "labels", "annotations")
        split_dirs = [d for d in sorted(root.iterdir()) if d.is_dir() and _child(d, "images") and _child(d, "labels")]
        if darknet:
            for folder in darknet:
                subset = re.fullmatch(r"obj_(.+)_data", folder.name).group(1)  # type: ignore[union-attr]
                subset = "val" if subset == "valid" else subset  # darknet's name for it
                self._beside(layout, folder, subset)
        elif images_dir is not None and labels_dir is not None:
            direct = sorted(p for p in images_dir.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES)
            self._paired(layout, images_dir, labels_dir, None, direct)
            for split in sorted(d for d in images_dir.iterdir() if d.is_dir()):
                self._paired(layout, split, labels_dir / split.name, split.name, _images_in(split))
        elif split_dirs:
            for split in split_dirs:
                images = _child(split, "images")
                self._paired(layout, images, _child(split, "labels"), split.name,  # type: ignore[arg-type]
                             _images_in(images))  # type: ignore[arg-type]
        else:
            self._beside(layout, root, None)
        return layout

    def _beside(self, layout: Layout, folder: Path, subset: str | None) -> None:
        """Images of ``folder`` (recursively) with their label files beside them."""
        for image in _images_in(folder):
            layout.entries.append(Entry(image, image.with_suffix(".txt"), _ref(image, layout.root), subset,
                                        _show(folder, layout.root)))
        self.label_trees.add(folder)

    def _paired(self, layout: Layout, images_dir: Path, labels_dir: Path, subset: str | None,
                images: list[Path]) -> None:
        """Images under ``images_dir`` with label files at the same relative path under ``labels_dir``."""
        if not images:
            return
        if not labels_dir.is_dir():
            self.fail(InputPathError(f"no labels folder {_show(labels_dir, layout.root)} for the images in "
                                     f"{_show(images_dir, layout.root)}", file=layout.root),
                      f"the images in {_show(images_dir, layout.root)} read without annotations")
        elif subset is None:  # images directly in images/: only the top of labels/ is theirs
            self.label_dirs.add(labels_dir)
        else:
            self.label_trees.add(labels_dir)
        for image in images:
            label = labels_dir / image.relative_to(images_dir).with_suffix(".txt")
            layout.entries.append(Entry(image, label, _ref(image, layout.root), subset, _show(images_dir, layout.root)))

    # --- names --------------------------------------------------------------------------------
    def _names_file(self, layout: Layout, path: Path) -> None:
        layout.names = read_names_file(path)
        layout.names_origin = path
        self.not_labels.add(path)

    # --- entries and orphans ------------------------------------------------------------------
    def _entry(self, layout: Layout, image: Path, subset: str, origin: str) -> Entry:
        return Entry(image, label_path_for(image), _ref(image, layout.root), subset, origin)

    def _finish(self, layout: Layout) -> None:
        for entry in layout.entries:
            if entry.label.parent != entry.image.parent:
                continue
            self.label_dirs.add(entry.label.parent)  # labels beside images: that folder holds labels
        expected = {entry.label for entry in layout.entries}
        candidates: set[Path] = set()
        for folder in self.label_dirs:
            if folder.is_dir():
                candidates.update(p for p in folder.iterdir() if p.suffix.lower() == ".txt" and p.is_file())
        for tree in self.label_trees:
            candidates.update(_files_under(tree, (".txt",)))
        for path in sorted(candidates - expected - self.not_labels, key=_path_order):
            if path.name.lower() in NAMES_FILES:
                layout.stray_names.append(path)
            else:
                layout.orphans.append(path)
        if not layout.entries:
            found = f" ({len(layout.orphans)} label files without images)" if layout.orphans else ""
            raise InputPathError(f"no images found{found}: YOLO coordinates are fractions of the image size, so "
                                 f"the images are needed", file=layout.description)


def discover(path: Path, context: Context) -> Layout:
    """Find the images, label files and class names of the YOLO dataset at ``path``."""
    return _Discovery(context).discover(path)


# --- helpers shared with the reader -------------------------------------------------------------

def label_path_for(image: Path) -> Path:
    """Ultralytics' rule: the last ``/images/`` path component becomes ``/labels/``, the suffix ``.txt``."""
    text = image.as_posix()
    head, sep, tail = text.rpartition("/images/")
    if sep:
        text = f"{head}/labels/{tail}"
    return Path(posixpath.splitext(text)[0] + ".txt")  # with_suffix, without a second Path


def _images_in(folder: Path) -> list[Path]:
    """The image files under ``folder``, in path order."""
    return _files_under(folder, IMAGE_SUFFIXES)


def _files_under(folder: Path, suffixes: Iterable[str]) -> list[Path]:
    """Files (or links to files) under ``folder`` whose suffix, lower-cased, is one of ``suffixes``,
    sorted as paths sort. Walked with os.scandir: its entries know their type without a stat per
    file, which Path.rglob + is_file pay (~0.1 s per 5,000 files here)."""
    wanted = frozenset(suffixes)
    found: list[Path] = []
    folders = [str(folder)]
    while folders:
        try:
            with os.scandir(folders.pop()) as entries:
                for entry in entries:
                    if entry.is_dir(follow_symlinks=False):
                        folders.append(entry.path)
                    elif os.path.splitext(entry.name)[1].lower() in wanted and entry.is_file():
                        found.append(Path(entry.path))
        except OSError:
            continue  # unreadable folder: as rglob, pass over it
    return sorted(found, key=_path_order)


def _path_order(path: Path) -> tuple[str, ...]:
    return path.parts  # Path's own order on POSIX, without its slow __lt__


def _existing(candidates: list[Path]) -> Path | None:
    return next((p for p in candidates if p.exists()), None)


def _data_candidates(value: str, base: Path) -> list[Path]:
    """A path from obj.data or an image list: as given, then without CVAT's ``data/`` prefix."""
    path = Path(value)
    if path.is_absolute():
        return [path]
    out = [base / value]
    if value.startswith("data/"):
        out.append(base / value[5:])
    return out


def _listed_image(line: str, list_file: Path, root: Path) -> Path:
    """An image-list entry: ``./x`` is relative to the list file (Ultralytics); otherwise the dataset root,
    the list's folder and the path without ``data/`` are tried in that order."""
    if line.startswith("./"):
        return list_file.parent / line[2:]
    candidates = _data_candidates(line, root) + _data_candidates(line, list_file.parent)
    return _existing(candidates) or candidates[0]


def _names_file_in(folder: Path) -> Path | None:
    for name in NAMES_FILES:
        candidate = folder / name
        if candidate.is_file():
            return candidate
    others = sorted(p for p in folder.glob("*.names") if p.is_file())
    return others[0] if len(others) == 1 else None


def _child(folder: Path, *names: str) -> Path | None:
    """The subfolder of ``folder`` with one of ``names``, compared case-insensitively."""
    for child in sorted(folder.iterdir()):
        if child.is_dir() and child.name.lower() in names:
            return child
    return None


def _ref(image: Path, root: Path) -> str:
    """The POSIX path of ``image`` relative to ``root`` (with ``..`` when outside it)."""
    text, prefix = str(image), str(root) + os.sep
    if text.startswith(prefix) and os.sep + ".." + os.sep not in text and os.sep + "." + os.sep not in text:
        return text[len(prefix):].replace(os.sep, "/")  # the usual case, without relpath's work
    return Path(os.path.relpath(image, root)).as_posix()


def _show(path: Path, root: Path | None = None) -> str:
    if root is not None:
        try:
            return repr(path.relative_to(root).as_posix() or ".")
        except ValueError:
            pass
    return repr(str(path))

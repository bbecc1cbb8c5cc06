"""Pascal VOC directory layout: where the annotation files and images are, ``labelmap.txt``, and the
``ImageSets/<task>/*.txt`` lists. Shared by the reader and the writer (and by any later
directory-level step such as segmentation PNGs).

Layouts read:

- a VOC root: ``Annotations/**/*.xml`` (item id = path below ``Annotations`` without ``.xml``),
  images in ``JPEGImages/`` (or ``images/``; folder names matched case-insensitively), lists in
  ``ImageSets/Main``, optional ``labelmap.txt``;
- a folder of XML files (labelformat, Roboflow, "relaxed" exports): every ``*.xml`` below it, images
  beside them, optional ``labelmap.txt``; or one XML file.

``labelmap.txt`` is datumaro's ``name:r,g,b:part,part:action,action`` (``#`` comments).
``ImageSets/Main/<split>.txt`` lists the ids of a split, one per line; ``<label>_<split>.txt`` lists
every id of the split with ``1`` (present), ``0`` (only difficult objects) or ``-1`` (absent).
The split named ``default`` is "no subset" (the name CVAT and datumaro use for it).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .._io import input_file, read_bytes
from ..errors import InputPathError, ParseError, SchemaError

DEFAULT_SPLIT = "default"


@dataclass
class Layout:
    """Where a VOC dataset's files are. ``root`` holds ``labelmap.txt`` (and ``ImageSets`` for a VOC root)."""

    root: Path
    voc_root: bool  # True: Annotations/ + JPEGImages/ + ImageSets/; False: XML files beside images
    annotations: Path  # the folder item ids are relative to
    images: Path  # the folder image paths are relative to
    files: list[Path] = field(default_factory=list)

    def item_id(self, xml: Path) -> str:
        return xml.relative_to(self.annotations).with_suffix("").as_posix()

    @property
    def main(self) -> Path:
        return self.root / "ImageSets" / "Main"


def _child_dir(folder: Path, *names: str) -> Path | None:
    """The sub-folder of ``folder`` named like one of ``names`` (exact name first, then any case)."""
    for name in names:
        if (folder / name).is_dir():
            return folder / name
    wanted = {name.lower() for name in names}
    for child in sorted(folder.iterdir()):
        if child.is_dir() and child.name.lower() in wanted:
            return child
    return None


def _xml_files(folder: Path) -> list[Path]:
    return sorted(path for path in folder.rglob("*") if path.suffix.lower() == ".xml" and path.is_file())


def find_layout(path: Path) -> Layout:
    """The layout at ``path`` (see the module docstring); InputPathError when there is nothing to read."""
    if not path.exists():
        raise InputPathError("no such file or folder (expected a VOC dataset folder or an annotation XML file)",
                             file=path)
    if path.is_file():
        if path.suffix.lower() != ".xml":
            raise InputPathError("expected a VOC dataset folder, a folder of XML files, or an .xml file", file=path)
        return Layout(path.parent, False, path.parent, path.parent, [path])
    annotations = _child_dir(path, "Annotations")
    if annotations is not None:
        images = _child_dir(path, "JPEGImages", "images") or path / "JPEGImages"
        layout = Layout(path, True, annotations, images, _xml_files(annotations))
        if layout.files or layout.main.is_dir():
            return layout
    files = _xml_files(path)
    if not files:
        hint = " (VOC segmentation PNGs without Annotations/ are not read yet)" if (
            _child_dir(path, "SegmentationClass", "SegmentationObject")) else ""
        raise InputPathError(f"no VOC annotation files: neither Annotations/*.xml nor *.xml found{hint}", file=path)
    return Layout(path, False, path, path, files)


# --- labelmap.txt -----------------------------------------------------------------------------------

@dataclass
class LabelmapEntry:
    name: str
    color: tuple[int, int, int] | None
    parts: list[str]
    actions: list[str]


def read_labelmap(path: Path) -> list[LabelmapEntry]:
    """The entries of a datumaro ``labelmap.txt`` in file order."""
    text = _text(path, "a VOC labelmap.txt")
    entries: list[LabelmapEntry] = []
    seen: set[str] = set()
    for number, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        fields = line.split(":")
        name = fields[0].strip()
        location = f"line {number}"
        if not name:
            raise SchemaError("empty label name (expected name:r,g,b:parts:actions)", file=path, location=location)
        if name in seen:
            raise SchemaError(f"label {name!r} is defined twice", file=path, location=location)
        seen.add(name)
        color: tuple[int, int, int] | None = None
        if len(fields) > 1 and fields[1].strip():
            try:
                rgb = tuple(int(value) for value in fields[1].split(","))
            except ValueError:
                rgb = ()
            if len(rgb) != 3 or not all(0 <= value <= 255 for value in rgb):
                raise SchemaError(f"label {name!r}: colour must be r,g,b in 0..255, got {fields[1]!r}", file=path,
                                  location=location)
            color = (rgb[0], rgb[1], rgb[2])
        entries.append(LabelmapEntry(name, color, _names(fields, 2), _names(fields, 3)))
    return entries


def _names(fields: list[str], index: int) -> list[str]:
    if len(fields) <= index:
        return []
    return [name.strip() for name in fields[index].split(",") if name.strip()]


def labelmap_line(name: str, color: tuple[int, int, int] | None, parts: list[str], actions: list[str]) -> str:
    return ":".join((name, ",".join(map(str, color)) if color else "", ",".join(parts), ",".join(actions)))


def _text(path: Path, what: str) -> str:
    data = read_bytes(input_file(path, what))
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ParseError(f"not UTF-8 text: {exc.reason} at byte {exc.start}", file=path) from None


# --- ImageSets ----------------------------------------------------------------------------------------

@dataclass
class ClassList:
    """``<label>_<split>.txt``: (id, value, line number) entries, value in {1, 0, -1}."""

    label: str
    split: str
    path: Path
    entries: list[tuple[str, int, int]]


@dataclass
class ImageSets:
    splits: dict[str, list[str]] = field(default_factory=dict)  # split -> ids in file order
    class_lists: list[ClassList] = field(default_factory=list)
    bad_lines: list[SchemaError] = field(default_factory=list)  # class-list lines that are not "id value"


def _lines(path: Path) -> list[tuple[int, str]]:
    """Non-empty, non-comment lines with their 1-based numbers (surrounding whitespace removed)."""
    out = []
    for number, line in enumerate(_text(path, "an ImageSets list").splitlines(), 1):
        line = line.strip()
        if line and line[0] != "#":
            out.append((number, line))
    return out


def _entry(line: str) -> tuple[str, int] | None:
    """``(id, value)`` of a per-class list line ``<id> <integer>`` (ids may hold spaces), else None."""
    parts = line.rsplit(None, 1)
    if len(parts) != 2:
        return None
    if parts[1] == "-1":  # the common case, without int()
        return parts[0], -1
    try:
        return parts[0], int(parts[1])
    except ValueError:
        return None


def _class_list_name(stem: str, splits: set[str], entries: list[tuple[str, int] | None]) -> tuple[str, str] | None:
    """(label, split) when a list named ``stem`` is a per-class list, else None: its name is
    ``<label>_<split>`` with ``<split>.txt`` beside it (or any ``_``), and every line ends in a number."""
    if "_" not in stem or None in entries:
        return None
    for split in sorted(splits, key=len, reverse=True):  # the longest split name that fits
        if stem.endswith("_" + split) and len(stem) > len(split) + 1:
            return stem[:-len(split) - 1], split
    if not entries:
        return None
    label, _, split = stem.rpartition("_")
    return (label, split) if label and split else None


def read_image_sets(folder: Path) -> ImageSets:
    """The split lists and per-class lists of ``ImageSets/<task>`` (empty when the folder is absent)."""
    sets = ImageSets()
    if not folder.is_dir():
        return sets
    files = sorted(path for path in folder.iterdir() if path.suffix == ".txt" and path.is_file())
    stems = {path.stem for path in files}
    for path in files:
        lines = _lines(path)
        parsed = [_entry(line) for _, line in lines] if "_" in path.stem else []
        named = _class_list_name(path.stem, stems, parsed)
        if named is None:
            sets.splits[path.stem] = [line for _, line in lines]
            continue
        entries = []
        for (number, line), (item_id, value) in zip(lines, parsed):  # type: ignore[misc]  # None not in parsed
            if value not in (-1, 0, 1):
                sets.bad_lines.append(SchemaError(f"expected '<image id> <1|0|-1>', got {line!r}", file=path,
                                                  location=f"line {number}"))
                continue
            entries.append((item_id, value, number))
        sets.class_lists.append(ClassList(named[0], named[1], path, entries))
    return sets


def subset_name(split: str) -> str | None:
    return None if split == DEFAULT_SPLIT else split


def split_name(subset: str | None) -> str:
    return DEFAULT_SPLIT if subset is None else subset


def task_list_ids(folder: Path) -> dict[str, set[str]]:
    """For an ImageSets task folder other than Main: split -> the ids its plain lists give (first
    token of each line: Layout and Action lists add an object index); per-class lists are left out."""
    out: dict[str, set[str]] = {}
    if not folder.is_dir():
        return out
    files = sorted(path for path in folder.iterdir() if path.suffix == ".txt" and path.is_file())
    stems = {path.stem for path in files}
    for path in files:
        if any(path.stem.endswith("_" + split) and path.stem != split for split in stems):
            continue  # <class>_<split>.txt: derived from the XML (actions, parts)
        out[path.stem] = {line.split()[0] for _, line in _lines(path)}
    return out


def write_lines(path: Path, lines: list[str]) -> None:
    path.write_text("\n".join(lines) + "\n" if lines else "", encoding="utf-8")

"""Pascal VOC directory layout: where the annotation files and images are, ``labelmap.txt``, and the
``ImageSets/<task>/*.txt`` lists. Shared by the reader and the writer (and by any later
directory-level step such as segmentation PNGs).

Layouts read:

- a VOC root: ``Annotations/**/*.xml`` (item id = path below ``Annotations`` without ``.xml``),
  images in ``JPEGImages/`` (or ``images/``; folder names matched case-insensitively), lists in
  ``ImageSets/Main``, optional ``labelmap.txt``, segmentation PNGs in ``SegmentationClass/`` and
  ``SegmentationObject/`` (or labelme2voc's ``SegmentationClassPNG/``, ``SegmentationObjectPNG/``;
  a root may hold only those);
- a folder of XML files (labelformat, Roboflow, "relaxed" exports): every ``*.xml`` below it, images
  beside them, optional ``labelmap.txt``; or one XML file.

``labelmap.txt`` is datumaro's ``name:r,g,b:part,part:action,action`` (``#`` comments).
``ImageSets/Main/<split>.txt`` lists the ids of a split, one per line; ``<label>_<split>.txt`` lists
every id of the split with ``1`` (present), ``0`` (only difficult objects) or ``-1`` (absent).
The split named ``default`` is "no subset" (the name CVAT and datumaro use for it).
A first labelmap entry named ``background`` (labelme: ``_background_``) is class index 0 of the
segmentation maps; otherwise the entries are classes 1, 2, ... Without ``labelmap.txt`` the class
table comes from labelme2voc's ``class_names.txt``, labelformat's ``class_id_to_name.json``, or the
20 VOC classes (:func:`class_table`; how the maps are read: :mod:`._voc_segmentation`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from .._io import input_file, load_json, read_bytes
from ..errors import InputPathError, ParseError, SchemaError
from ..raster.palette import voc_palette

DEFAULT_SPLIT = "default"
BACKGROUND_NAMES = ("background", "_background_")  # a first labelmap entry so named is class index 0
SEGMENTATION_CLASS = ("SegmentationClass", "SegmentationClassPNG")  # VOC's name, then labelme2voc's
SEGMENTATION_OBJECT = ("SegmentationObject", "SegmentationObjectPNG")


@dataclass
class Layout:
    """Where a VOC dataset's files are. ``root`` holds ``labelmap.txt`` (and ``ImageSets`` for a VOC root)."""

    root: Path
    voc_root: bool  # True: Annotations/ + JPEGImages/ + ImageSets/; False: XML files beside images
    annotations: Path  # the folder item ids are relative to
    images: Path  # the folder image paths are relative to
    files: list[Path] = field(default_factory=list)
    segmentation_class: Path | None = None  # SegmentationClass/ (VOC root only, when it holds PNGs)
    segmentation_object: Path | None = None  # SegmentationObject/

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


def _png_dir(folder: Path, names: tuple[str, ...]) -> Path | None:
    """The first of the sub-folders ``names`` that holds PNG files (labelme2voc once wrote .npy
    files into ``SegmentationClass/`` and the PNGs into ``SegmentationClassPNG/``)."""
    for name in names:
        found = _child_dir(folder, name)
        if found is not None and next(found.rglob("*.png"), None) is not None:
            return found
    return None


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
    classes, objects = _png_dir(path, SEGMENTATION_CLASS), _png_dir(path, SEGMENTATION_OBJECT)
    if annotations is not None or classes is not None or objects is not None:
        images = _child_dir(path, "JPEGImages", "images") or path / "JPEGImages"
        files = _xml_files(annotations) if annotations is not None else []
        layout = Layout(path, True, annotations or path / "Annotations", images, files, classes, objects)
        if layout.files or layout.main.is_dir() or classes is not None or objects is not None:
            return layout
    files = _xml_files(path)
    if not files:
        raise InputPathError("no VOC annotation files: neither Annotations/*.xml, segmentation PNGs "
                             "(SegmentationClass/, SegmentationObject/) nor *.xml found", file=path)
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


def labelmap_writable(name: str) -> bool:
    """Whether a label name can be a labelmap.txt entry (no ':' separator, no control character)."""
    return ":" not in name and not any(ord(c) < 32 for c in name)


def class_indices(names: list[str]) -> dict[str, int]:
    """Segmentation class index of each labelmap entry: its 0-based position when the first entry
    is the background (``background``, ``_background_``), else its position + 1 (0 = background)."""
    start = 0 if names and names[0].lower() in BACKGROUND_NAMES else 1
    out: dict[str, int] = {}
    for position, name in enumerate(names):
        out.setdefault(name, start + position)
    return out


def labelmap_line(name: str, color: tuple[int, int, int] | None, parts: list[str], actions: list[str]) -> str:
    return ":".join((name, ",".join(map(str, color)) if color else "", ",".join(parts), ",".join(actions)))


def read_text(path: Path, what: str) -> str:
    """The UTF-8 text of a small dataset file (a BOM is dropped); ParseError when it is not UTF-8."""
    return _text(path, what)


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


# --- segmentation class tables and PNG folders ------------------------------------------------------

VOID = 255
VOC_CLASSES = ("aeroplane", "bicycle", "bird", "boat", "bottle", "bus", "car", "cat", "chair", "cow",
               "diningtable", "dog", "horse", "motorbike", "person", "pottedplant", "sheep", "sofa", "train",
               "tvmonitor")
Color = tuple[int, int, int]


def voc_colors() -> list[Color]:
    return [(int(r), int(g), int(b)) for r, g, b in voc_palette().tolist()]


@dataclass
class ClassTable:
    """What the class indices of a dataset mean: index -> label name (1..254) and the colour of
    every index an RGB class map may use (0 and 255 included)."""

    names: dict[int, str]
    colors: dict[int, Color]
    source: str  # names it in error messages
    declared: list[str] = field(default_factory=list)  # labels to declare in index order

    def lookup(self) -> dict[int, int]:
        """Packed 0xRRGGBB -> index; background and void first, so no class colour overrides them."""
        out: dict[int, int] = {}
        for index in (0, VOID, *sorted(self.colors)):
            r, g, b = self.colors[index]
            out.setdefault((r << 16) | (g << 8) | b, index)
        return out


def class_table(root: Path, entries: Sequence[LabelmapEntry]) -> ClassTable:
    """The class table of a VOC root (see the module docstring for the order of sources)."""
    voc = voc_colors()
    colors: dict[int, Color] = {0: voc[0], VOID: voc[VOID]}
    if entries:
        indices = class_indices([entry.name for entry in entries])
        names = {}
        for entry in entries:
            index = indices[entry.name]
            if index < VOID and entry.color is not None:
                colors[index] = entry.color
            if 0 < index < VOID:
                names[index] = entry.name
        return _with_colors(ClassTable(names, colors, "labelmap.txt"), voc)
    path = root / "class_names.txt"
    if path.is_file():
        lines = [line.strip() for line in read_text(path, "labelme2voc class_names.txt").splitlines()]
        lines = [line for line in lines if line and line != "__ignore__"]
        indices = class_indices(lines)
        names = {index: name for name, index in indices.items() if 0 < index < VOID}
        return _with_colors(ClassTable(names, colors, path.name, list(names.values())), voc)
    path = root / "class_id_to_name.json"
    if path.is_file():
        return _with_colors(_json_table(path, colors), voc)
    return _with_colors(ClassTable(dict(enumerate(VOC_CLASSES, 1)), colors, "the 20 VOC classes"), voc)


def _with_colors(table: ClassTable, voc: list[Color]) -> ClassTable:
    for index in table.names:
        table.colors.setdefault(index, voc[index])
    return table


def _json_table(path: Path, colors: dict[int, Color]) -> ClassTable:
    data = load_json(path, "a class_id_to_name.json")
    if not isinstance(data, dict):
        raise SchemaError("expected an object of class index -> name", file=path, location="$")
    names: dict[int, str] = {}
    for key, name in data.items():
        try:
            index = int(key)
        except ValueError:
            raise SchemaError(f"class index must be an integer, got {key!r}", file=path, location=f"$[{key!r}]") \
                from None
        if not isinstance(name, str) or not name or not 0 <= index <= VOID:
            raise SchemaError(f"expected a class name for an index in 0..255, got {name!r}", file=path,
                              location=f"$[{key!r}]")
        if 0 < index < VOID:  # 0 is the background and 255 void, whatever they are called
            names[index] = name
    names = dict(sorted(names.items()))
    return ClassTable(names, colors, path.name, list(names.values()))


def png_ids(folder: Path | None) -> dict[str, Path]:
    """Item id (PNG path below ``folder`` without ``.png``) -> PNG path."""
    if folder is None:
        return {}
    return {path.relative_to(folder).with_suffix("").as_posix(): path
            for path in sorted(folder.rglob("*")) if path.suffix.lower() == ".png" and path.is_file()}

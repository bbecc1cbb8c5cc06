"""YOLO label files -> IR (the layout is found by :mod:`._yolo_layout`).

Rows are whitespace-separated (CRLF, blank lines, trailing spaces and a byte-order mark are
fine); the class index comes first. Coordinates are fractions of the image size as displayed
(EXIF orientation applied), read from the image header, with the origin at the top-left image
corner, so ``x_pixels = x * width`` and ``y_pixels = y * height``:

- ``yolo``: ``class cx cy w h`` -> ``Box((cx - w/2) W, (cy - h/2) H, (cx + w/2) W, (cy + h/2) H)``.
- ``yolo-seg``: ``class x1 y1 x2 y2 ...`` (3+ points) -> a one-ring ``Polygon``.
- ``yolo-pose``: a box row followed by K keypoints of ``kpt_shape`` [K, 3] (``x y v``, v in 0/1/2)
  or [K, 2] (``x y``; a point at (0, 0) or with a negative coordinate is unlabelled, v=0, else
  v=2) -> a ``Box`` and a ``Keypoints`` sharing ``group``. Keypoint names come from data.yaml
  ``kpt_names`` (else ``kpt_<i>``), the skeleton from ``skeleton`` (annoconv's extension),
  ``flip_idx`` is kept in ``Dataset.extras["yolo:flip_idx"]``.
- ``yolo-obb``: ``class x1 y1 ... x4 y4`` -> a rotated ``Box`` when the corners are a rectangle
  within 1e-5 of the image size, else the exact 4-vertex ``Polygon`` (reported, INFO).

Annotations get ``id`` = their 1-based object number within the label file. Labels are the
class names in index order with ``Label.id`` = the class index; without names anywhere they
are named ``class_<index>`` (Ultralytics' own fallback) and that is reported. Unknown data.yaml
keys are kept in ``Dataset.extras["yolo:data"]`` for the YOLO writers.
"""

from __future__ import annotations

import os

from pathlib import Path
from typing import Any

import numpy as np

from ..errors import AnnoconvError, SchemaError
from ..image_header import image_size
from ..ir import Annotation, Box, Dataset, ImageRef, Item, Keypoints, Label, LabelSet, Polygon
from ..report import Code, Severity
from ._base import Context
from ._yolo_geometry import fit_rotated_box
from ._yolo_files import names_from_file, read_names_file, read_text
from ._yolo_layout import Entry, Layout, discover

_BATCH = 1024  # detection label files whose rows are parsed together
OBB_TOLERANCE = 1e-5  # corners within this fraction of the image size of a rectangle make a rotated Box
POSE_KEYS = frozenset({"kpt_shape", "flip_idx", "kpt_names", "skeleton"})
_FIELDS = {"detect": "class x_center y_center width height", "segment": "class x1 y1 x2 y2 ... (3+ points)",
           "obb": "class x1 y1 x2 y2 x3 y3 x4 y4"}


def parse_kpt_shape(value: Any) -> tuple[int, int]:
    """``kpt_shape`` [K, D] (D = 2 or 3) from a list or a "K,D" string; ValueError otherwise."""
    parts = value.replace("x", ",").split(",") if isinstance(value, str) else value
    if not isinstance(parts, (list, tuple)) or len(parts) != 2:
        raise ValueError(f"expected [K, D], got {value!r}")
    try:
        count, dims = (int(str(p).strip()) for p in parts)
    except ValueError:
        raise ValueError(f"expected two integers [K, D], got {value!r}") from None
    if count < 0 or dims not in (2, 3):
        raise ValueError(f"expected K >= 0 keypoints of D = 2 or 3 values, got {value!r}")
    return count, dims


class YoloReader:
    def __init__(self, layout: Layout, context: Context, task: str) -> None:
        self.layout = layout
        self.context = context
        self.report = context.report
        self.task = task
        self.skip = context.options.get("on_error") == "skip"
        self.names = layout.names
        self.names_origin = layout.names_origin
        self.max_class = -1
        self.current: str | None = None  # the item being read, for reports
        self.pending: list[tuple[Item, Entry, list[tuple[int, list[str]]]]] = []  # detection files to parse
        self.settings = dict(layout.settings)
        self.kpt_shape = self._kpt_shape() if task == "pose" else (0, 0)

    # --- setup --------------------------------------------------------------------------------
    def _kpt_shape(self) -> tuple[int, int]:
        given = self.context.options.get("kpt_shape")
        if given is not None:
            return given  # already parsed by the option
        if "kpt_shape" not in self.settings:
            raise SchemaError("no 'kpt_shape' [K, D]: the number of keypoints per row is unknown (give the "
                              "kpt_shape option, e.g. kpt_shape=17,3)", file=self.layout.description,
                              location="key 'kpt_shape'")
        try:
            return parse_kpt_shape(self.settings["kpt_shape"])
        except ValueError as exc:
            raise SchemaError(str(exc), file=self.layout.description, location="key 'kpt_shape'") from None

    def _names_option(self) -> None:
        path = self.context.options.get("names_file")
        if not path:
            return
        path = Path(path)
        self.names, self.names_origin = names_from_file(path, "names_file"), path

    # --- reading ------------------------------------------------------------------------------
    def build(self) -> Dataset:
        self._names_option()
        self._stray_names()
        items: list[Item] = []
        seen: dict[str, str | None] = {}
        for entry in self.layout.entries:
            key = os.path.abspath(entry.image)  # the same path listed twice (lists name images as given)
            if key in seen:
                self.report.add(Code.SKIPPED_CONTENT, "image listed in more than one split: read once, in the "
                                "first", severity=Severity.INFO, item=entry.ref, subsets=[seen[key], entry.subset])
                continue
            seen[key] = entry.subset
            try:
                item = self._item(entry)
            except AnnoconvError as exc:
                if not self.skip:
                    raise
                self.report.add(Code.ITEM_SKIPPED, "bad input skipped (on_error=skip)", item=entry.ref,
                                error=exc.message)
                continue
            items.append(item)
            self.context.step()
        self._flush()
        for orphan in self.layout.orphans:
            self.report.add(Code.SKIPPED_CONTENT, "label file without an image: not read", file=str(orphan))
        labels = self._labels(any(item.annotations for item in items))
        self.report.stats["items_read"] = self.report.stats.get("items_read", 0) + len(items)
        return Dataset(labels, items, self._extras())

    def _stray_names(self) -> None:
        """classes.txt files among the label files: the names when there are none, else compared."""
        for path in self.layout.stray_names:
            names = read_names_file(path)
            if self.names is None:
                self.names, self.names_origin = names, path
            elif names != self.names:
                self.report.add(Code.SKIPPED_CONTENT, "classes.txt among the label files differs from the class "
                                "names used: ignored", severity=Severity.INFO, file=str(path),
                                names_from=str(self.names_origin))

    def _item(self, entry: Entry) -> Item:
        rows: list[tuple[int, list[str]]] = []
        text = read_text(entry.label, missing_ok=True)  # an image without a label file: no objects
        for number, line in enumerate(text.splitlines(), 1):
            fields = line.split()
            if fields:
                rows.append((number, fields))
        width, height = self._size(entry, needed=bool(rows))
        item = Item(entry.ref, ImageRef(entry.ref, width, height), subset=entry.subset)
        if self.task == "detect" and rows and width is not None and height is not None:
            self.pending.append((item, entry, rows))  # parsed with other files' rows at once
            if len(self.pending) >= _BATCH:
                self._flush()
            return item
        self._fill(item, entry, rows)
        return item

    def _flush(self) -> None:
        """The boxes of the pending detection files, parsed and checked together; when any row is
        off, file by file (and a bad file row by row, which says what is wrong)."""
        pending, self.pending = self.pending, []
        if not pending:
            return
        counts = [len(rows) for _, _, rows in pending]
        sizes = np.repeat([[item.image.width, item.image.height] for item, _, _ in pending], counts, axis=0)
        boxes = self._boxes([row for _, _, rows in pending for row in rows], sizes, counts)
        if boxes is not None:
            start = 0
            for item, _, rows in pending:
                item.annotations.extend(boxes[start:start + len(rows)])
                start += len(rows)
            return
        for item, entry, rows in pending:
            boxes = self._boxes(rows, np.array([[item.image.width, item.image.height]]), [len(rows)])
            if boxes is not None:
                item.annotations.extend(boxes)
            else:
                self._fill(item, entry, rows)

    def _fill(self, item: Item, entry: Entry, rows: list[tuple[int, list[str]]]) -> None:
        """The annotations of ``rows`` one by one (errors located at their line)."""
        self.current = entry.ref
        width, height = item.image.width, item.image.height
        ordinal = 0
        for number, fields in rows:
            try:
                annotations = self._row(fields, number, width, height, ordinal + 1)  # type: ignore[arg-type]
            except AnnoconvError as exc:
                exc.located(file=entry.label, location=f"line {number}", item=entry.ref)
                if not self.skip:
                    raise
                self.report.add(Code.ANNOTATION_SKIPPED, "bad input skipped (on_error=skip)", item=entry.ref,
                                error=exc.message)
                continue
            ordinal += 1
            item.annotations.extend(annotations)

    def _size(self, entry: Entry, needed: bool) -> tuple[int | None, int | None]:
        """(width, height) from the image header; a missing or unreadable image is an error when the
        label file has rows (their coordinates need the size), else reported."""
        try:
            return image_size(entry.image)
        except AnnoconvError as exc:
            if needed:  # the rows' coordinates are fractions of the size
                raise type(exc)(f"cannot get the size of the image {exc.file}: {exc.problem}", file=entry.label,
                                item=entry.ref) from None
            self.report.add(Code.IMAGE_SIZE_MISSING, "image missing or unreadable: item kept without a size",
                            item=entry.ref, error=exc.message)
            return None, None

    # --- rows ---------------------------------------------------------------------------------
    def _row(self, fields: list[str], number: int, width: int, height: int, ordinal: int) -> list[Annotation]:
        self._check_count(len(fields), number)
        label = self._label(fields[0], number)
        values = _numbers(fields[1:], number)
        scale = np.array([width, height], dtype=np.float64)
        if self.task in ("detect", "pose"):
            cx, cy, w, h = values[:4]
            for field, value, what in ((4, w, "width"), (5, h, "height")):
                if value < 0:
                    raise SchemaError(f"negative box {what} {fields[field - 1]}", location=f"line {number}, "
                                      f"field {field}")
            box = Box(((cx - w / 2) * width, (cy - h / 2) * height, (cx + w / 2) * width, (cy + h / 2) * height),
                      label=label, id=ordinal, group=ordinal if self.task == "pose" else None)
            if self.task == "detect":
                return [box]
            return [box, self._keypoints(values[4:], scale, number, label, ordinal)]
        points = values.reshape(-1, 2) * scale
        if self.task == "segment":
            return [Polygon.from_rings(points, label=label, id=ordinal)]
        fitted = fit_rotated_box(points, OBB_TOLERANCE * scale)
        if fitted is not None:
            return [Box(fitted[0], angle=fitted[1], label=label, id=ordinal)]
        self.report.add(Code.GEOMETRY_CONVERTED, "oriented box corners that are not a rectangle read as an exact "
                        "4-vertex Polygon", severity=Severity.INFO, item=self.current, annotation=ordinal, line=number)
        return [Polygon.from_rings(points, label=label, id=ordinal)]

    def _boxes(self, rows: list[tuple[int, list[str]]], sizes: np.ndarray, counts: list[int]) -> list[Box] | None:
        """Boxes of the detection rows of one or more files (``counts`` rows each; ``sizes``: (R, 2)
        image width, height per row), ids numbered from 1 in each file, when all rows are
        well-formed (None sends them through :meth:`_row` one by one, which says what is wrong)."""
        if any(len(fields) != 5 for _, fields in rows):
            return None
        try:
            values = np.array([fields for _, fields in rows], dtype=np.float64)
        except ValueError:
            return None
        classes, (cx, cy, w, h) = values[:, 0], values[:, 1:].T
        if not np.isfinite(values).all() or (w < 0).any() or (h < 0).any() or (classes < 0).any() \
                or (classes != np.round(classes)).any():
            return None
        if self.names is None:
            self.max_class = max(self.max_class, int(classes.max()))
            labels = [f"class_{index}" for index in classes.astype(np.int64).tolist()]
        else:
            labels = [self.names.get(index) for index in classes.astype(np.int64).tolist()]
            if None in labels:
                return None
        width, height = sizes[:, 0], sizes[:, 1]
        xyxy = np.stack([(cx - w / 2) * width, (cy - h / 2) * height, (cx + w / 2) * width, (cy + h / 2) * height],
                        axis=1)
        if not np.isfinite(xyxy).all():
            return None
        xyxy.flags.writeable = False
        ordinals = (np.arange(len(rows)) - np.repeat(np.cumsum(counts) - counts, counts) + 1).tolist()
        return [Box._prevalidated((corners, 0.0), label, ordinal)
                for ordinal, corners, label in zip(ordinals, xyxy, labels)]

    def _keypoints(self, values: np.ndarray, scale: np.ndarray, number: int, label: str,
                   ordinal: int) -> Keypoints:
        count, dims = self.kpt_shape
        points = values.reshape(count, dims)
        xy = points[:, :2] * scale
        if dims == 3:
            visibility = points[:, 2]
            bad = np.flatnonzero(~np.isin(visibility, (0.0, 1.0, 2.0)))
            if bad.size:
                k = int(bad[0])
                raise SchemaError(f"keypoint {k} visibility must be 0, 1 or 2, got {visibility[k]:g}",
                                  location=f"line {number}, field {6 + 3 * k + 2}")
        else:
            x, y = points[:, 0], points[:, 1]
            visibility = np.where((x < 0) | (y < 0) | ((x == 0) & (y == 0)), 0, 2)
        return Keypoints(xy, visibility, label=label, id=ordinal, group=ordinal)

    def _check_count(self, count: int, number: int) -> None:
        if self.task == "detect":
            ok, expected = count == 5, f"5 fields ({_FIELDS['detect']})"
        elif self.task == "obb":
            ok, expected = count == 9, f"9 fields ({_FIELDS['obb']})"
        elif self.task == "segment":
            ok, expected = count >= 7 and count % 2 == 1, f"an odd number of fields, at least 7 ({_FIELDS['segment']})"
        else:
            k, d = self.kpt_shape
            ok = count == 5 + k * d
            expected = f"{5 + k * d} fields (class, box, {k} keypoints of {d} values: kpt_shape [{k}, {d}])"
        if not ok:
            raise SchemaError(f"expected {expected}, got {count}{self._hint(count)}", location=f"line {number}")

    def _hint(self, count: int) -> str:
        """Which format a row of ``count`` fields probably belongs to."""
        if self.task != "obb" and count == 9:
            return " (an oriented box? read it as yolo-obb)"
        if self.task != "detect" and count == 5:
            return " (a box? read it as yolo)"
        if self.task != "segment" and count >= 7 and count % 2 == 1:
            return " (a polygon? read it as yolo-seg)"
        return ""

    def _label(self, token: str, number: int) -> str:
        index = _class_index(token)
        if index is None:
            raise SchemaError(f"class index must be a non-negative integer, got {token!r}",
                              location=f"line {number}, field 1")
        if self.names is None:
            self.max_class = max(self.max_class, index)
            return f"class_{index}"
        name = self.names.get(index)
        if name is None:
            known = f"{min(self.names)}..{max(self.names)}" if self.names else "none"
            raise SchemaError(f"class index {index} is not in the class names (indices {known}, from "
                              f"{self.names_origin})", location=f"line {number}, field 1")
        return name

    # --- labels and extras --------------------------------------------------------------------
    def _labels(self, annotated: bool) -> LabelSet:
        names = self.names
        if names is None:
            count = max(self.max_class + 1, self.layout.class_count or 0)
            names = {index: f"class_{index}" for index in range(count)}
            if names or annotated:
                self.report.add(Code.LABEL_UNKNOWN, "no class names (data.yaml names, classes.txt, obj.names): "
                                "classes named class_<index>", count=len(names))
        parents = self._per_class("parents", str)
        keypoint_names = self._per_class("kpt_names", list) if self.task == "pose" else {}
        skeletons = self._skeletons() if self.task == "pose" else {}
        count = self.kpt_shape[0]
        labels = LabelSet()
        for index in sorted(names):
            points: tuple[str, ...] = ()
            if self.task == "pose":
                points = tuple(str(n) for n in keypoint_names.get(index, [f"kpt_{k}" for k in range(count)]))
                if len(points) != count:
                    raise SchemaError(f"class {index}: {len(points)} keypoint names for kpt_shape K = {count}",
                                      file=self.layout.description, location=f"key 'kpt_names'.{index}")
            try:
                labels.add(Label(names[index], id=index, parent=parents.get(index), keypoints=points,
                                 skeleton=skeletons.get(index, skeletons.get(-1, ()))))
            except SchemaError as exc:
                raise exc.located(file=self.layout.description, location="key 'skeleton'") from None
        return labels

    def _per_class(self, key: str, kind: type) -> dict[int, Any]:
        value = self.settings.get(key)
        if value is None:
            return {}
        if not isinstance(value, dict) or not all(isinstance(v, kind) and _class_index(str(k)) is not None
                                                  for k, v in value.items()):
            raise SchemaError(f"expected a mapping class index: {kind.__name__}", file=self.layout.description,
                              location=f"key '{key}'")
        return {int(k): v for k, v in value.items()}

    def _skeletons(self) -> dict[int, tuple[tuple[int, int], ...]]:
        """``skeleton``: 0-based [i, j] pairs for every class, or a mapping class index: pairs (-1 = all)."""
        value = self.settings.get("skeleton")
        if value is None:
            return {}
        per_class = value if isinstance(value, dict) else {-1: value}
        out: dict[int, tuple[tuple[int, int], ...]] = {}
        for key, pairs in per_class.items():
            try:
                out[int(key)] = tuple((int(a), int(b)) for a, b in pairs)
            except (TypeError, ValueError):
                raise SchemaError("expected [i, j] pairs of 0-based keypoint indices (a list, or a mapping "
                                  "class index: list)", file=self.layout.description,
                                  location="key 'skeleton'") from None
        return out

    def _extras(self) -> dict[str, Any]:
        handled = POSE_KEYS if self.task == "pose" else frozenset()
        passthrough = {k: v for k, v in self.settings.items() if k not in handled and k != "parents"}
        extras: dict[str, Any] = {}
        if passthrough:
            extras["yolo:data"] = passthrough
        flip = self.settings.get("flip_idx") if self.task == "pose" else None
        if flip is not None:
            if not isinstance(flip, list) or len(flip) != self.kpt_shape[0] or not all(
                    _class_index(str(i)) is not None and int(i) < len(flip) for i in flip):
                raise SchemaError(f"expected a list of {self.kpt_shape[0]} keypoint indices",
                                  file=self.layout.description, location="key 'flip_idx'")
            extras["yolo:flip_idx"] = [int(i) for i in flip]
        return extras


def _class_index(token: str) -> int | None:
    """A class index: "3", or an integral float "3.0" (which Ultralytics accepts); None otherwise."""
    try:
        index = int(token)
    except ValueError:
        try:
            value = float(token)
        except ValueError:
            return None
        if not value.is_integer():
            return None
        index = int(value)
    return index if index >= 0 else None


def _numbers(fields: list[str], number: int) -> np.ndarray:
    """The coordinate fields as float64; a bad one is named by its 1-based field number."""
    try:
        values = np.array(fields, dtype=np.float64)
    except ValueError:
        for k, text in enumerate(fields):
            try:
                float(text)
            except ValueError:
                raise SchemaError(f"expected a number, got {text!r}",
                                  location=f"line {number}, field {k + 2}") from None
        raise  # unreachable: one of the fields failed above
    finite = np.isfinite(values)
    if not finite.all():
        k = int(np.flatnonzero(~finite)[0])
        raise SchemaError(f"expected a finite number, got {fields[k]!r}", location=f"line {number}, field {k + 2}")
    return values


def read_yolo(path: Path, context: Context, task: str) -> Dataset:
    """Read the YOLO dataset at ``path`` (folder, data.yaml or obj.data) for ``task``."""
    return YoloReader(discover(path, context), context, task).build()

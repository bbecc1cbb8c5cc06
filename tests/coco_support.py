"""Helpers shared by the COCO test files: fixture cases, read/write shortcuts, interop discovery."""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path
from typing import Any

import annoconv
from annoconv import Dataset, Report
from conftest import FIXTURES, INTEROP, interop_files

GOLDEN = FIXTURES / "coco"
# Cases whose input.json is read and written back; expected.json (if present, else input.json) is
# what the writer must produce.
ROUND_TRIP_CASES = ("images", "categories", "bbox_only", "multipart_polygon", "rle", "keypoints", "attributes",
                    "top_level", "tags", "captions")

# Keys every written object annotation has (writer docstring); Tags and Captions have fewer.
OBJECT_KEYS = frozenset({"id", "image_id", "category_id", "segmentation", "area", "bbox", "iscrowd"})
TAG_KEYS = frozenset({"id", "image_id", "category_id"})
CAPTION_KEYS = frozenset({"id", "image_id", "caption"})


def golden_input(case: str) -> Path:
    """The input.json of a golden case."""
    return GOLDEN / case / "input.json"


def golden_expected(case: str) -> Path:
    """The expected output of a golden case: expected.json, or the input itself when the writer must reproduce it."""
    expected = GOLDEN / case / "expected.json"
    return expected if expected.exists() else golden_input(case)


def load(path: Path) -> Any:
    """Parsed JSON of ``path``."""
    return json.loads(Path(path).read_text(encoding="utf-8"))


def read_coco(path: Path, **options: Any) -> tuple[Dataset, Report]:
    """annoconv.read("coco") and its report."""
    report = Report()
    return annoconv.read("coco", path, report=report, **options), report


def write_coco(dataset: Dataset, path: Path, **options: Any) -> tuple[Any, Report]:
    """annoconv.write("coco") to ``path``; the parsed output and the report."""
    report = annoconv.write(dataset, "coco", path, overwrite=True, **options)
    return load(path), report


def write_source(data: Any, path: Path) -> Path:
    """Dump hand-written COCO ``data`` to ``path`` (tests with inline inputs)."""
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def kind_counts(dataset: Dataset) -> dict[str, int]:
    """How many annotations of each kind ``dataset`` has."""
    counts: dict[str, int] = {}
    for _, annotation in dataset.annotations():
        counts[annotation.kind] = counts.get(annotation.kind, 0) + 1
    return counts


def assert_complete(doc: dict[str, Any], dataset: Dataset) -> None:
    """Every written annotation has the keys the writer docstring promises: object annotations
    ``OBJECT_KEYS``; image-level Tags ``{id, image_id, category_id}``; Captions ``{id, image_id, caption}``.
    The number of tag-like and caption annotations must match the Tags and Captions of ``dataset``."""
    kinds = kind_counts(dataset)
    tags = captions = 0
    for ann in doc["annotations"]:
        if "caption" in ann:
            captions += 1
            missing = CAPTION_KEYS - set(ann)
        elif not ({"segmentation", "bbox", "keypoints", "area"} & set(ann)):
            tags += 1
            missing = TAG_KEYS - set(ann)
        else:
            missing = OBJECT_KEYS - set(ann)
        assert not missing, f"written annotation {ann.get('id')!r} lacks {sorted(missing)}: {ann}"
        assert isinstance(ann["id"], int) and not isinstance(ann["id"], bool), ann
    assert (tags, captions) == (kinds.get("tag", 0), kinds.get("caption", 0))
    ids = [ann["id"] for ann in doc["annotations"]]
    assert len(ids) == len(set(ids)), f"duplicate annotation ids written: {ids}"


def json_diff(expected: Any, got: Any, path: str = "$") -> list[str]:
    """Differences between two parsed JSON values as "path: ..." lines (numbers compared with ==)."""
    if isinstance(expected, dict) and isinstance(got, dict):
        out = [f"{path}.{key}: missing (expected {expected[key]!r:.80})" for key in expected if key not in got]
        out += [f"{path}.{key}: unexpected (got {got[key]!r:.80})" for key in got if key not in expected]
        for key in expected:
            if key in got:
                out += json_diff(expected[key], got[key], f"{path}.{key}")
        return out
    if isinstance(expected, list) and isinstance(got, list):
        if len(expected) != len(got):
            return [f"{path}: expected {len(expected)} elements, got {len(got)}: {got!r:.120}"]
        return [line for i, (a, b) in enumerate(zip(expected, got)) for line in json_diff(a, b, f"{path}[{i}]")]
    if type(expected) in (dict, list) or type(got) in (dict, list) or expected != got:
        return [f"{path}: expected {expected!r:.80}, got {got!r:.80}"]
    return []


def assert_same_json(got: Any, expected: Any) -> None:
    """``got == expected`` as parsed JSON, failing with every differing JSON path."""
    differences = json_diff(expected, got)
    assert not differences, "written COCO differs from the expected:\n  " + "\n  ".join(differences)


def quiet_coco(path: Path) -> Any:
    """pycocotools.coco.COCO(path) without its progress prints."""
    from pycocotools.coco import COCO

    with contextlib.redirect_stdout(io.StringIO()):
        return COCO(str(path))


# --- the interop corpus ------------------------------------------------------------------------

def _classify(path: Path) -> str | None:
    """'instances' (a COCO object), 'panoptic', 'results' (a bare list of annotations),
    'not-coco' (an object with 'images' that are not COCO images), or None (something else)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        return None
    if isinstance(data, list):
        if data and all(isinstance(a, dict) and "image_id" in a for a in data):
            return "results"
        return None
    if not isinstance(data, dict) or not isinstance(data.get("images"), list):
        return None
    if not all(isinstance(i, dict) and "id" in i and "file_name" in i for i in data["images"]):
        return "not-coco"
    if any(isinstance(a, dict) and "segments_info" in a for a in data.get("annotations") or []):
        return "panoptic"
    return "instances"


def interop_coco_files() -> dict[str, list[Path]]:
    """Every JSON file of the interop corpus by :func:`_classify` kind (empty lists when absent)."""
    found: dict[str, list[Path]] = {"instances": [], "panoptic": [], "results": [], "not-coco": []}
    for path in interop_files("**/*.json"):
        kind = _classify(path)
        if kind is not None:
            found[kind].append(path)
    return found


def interop_id(path: Path) -> str:
    """A short test id: the path inside the corpus."""
    return path.relative_to(INTEROP).as_posix()

"""COCO -> IR -> COCO over every COCO file of the interop corpus (real files written by other tools).

Each file is read with annoconv, written as COCO into tmp_path, and both are compared as parsed
JSON: every image, category and annotation (matched by id; the writer groups annotations by
image, so order may differ) with every field equal, every top-level key carried. The writer may
only add what COCO requires where the source lacked it (:data:`ALLOWED_ADDED`). The corpus lives
outside the repository (env ANNOCONV_INTEROP); these tests skip when it is absent.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from annoconv import Code, SchemaError
from coco_support import OBJECT_KEYS, interop_coco_files, interop_id, json_diff, load, read_coco, write_coco
from conftest import INTEROP

FILES = interop_coco_files()


def _params(paths: list[Path]) -> list[Any]:
    """pytest params named by corpus path; one skipped param when there is nothing to test."""
    if not paths:
        return [pytest.param(None, marks=pytest.mark.skip(reason=f"no such files in the interop corpus at {INTEROP} "
                                                                  "(absent? set ANNOCONV_INTEROP)"))]
    return [pytest.param(path, id=interop_id(path)) for path in paths]


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _bbox(value: Any) -> bool:
    return isinstance(value, list) and len(value) == 4 and all(_is_number(v) for v in value) and min(value[2:]) >= 0


# Fields the writer may add to an annotation that lacked them, with what the added value must be.
# ``segmentation: []`` only for a bbox-only annotation (the writer docstring: a Box is written with
# an empty segmentation).
ALLOWED_ADDED = {
    "area": lambda value, source: _is_number(value) and value >= 0,
    "iscrowd": lambda value, source: value == 0,
    "bbox": lambda value, source: _bbox(value),
    "segmentation": lambda value, source: value == [] and "bbox" in source,
}


def annotation_diff(source: dict[str, Any], written: dict[str, Any], where: str,
                    allowed: dict[str, Any] = ALLOWED_ADDED) -> list[str]:
    """Differences of one written annotation from its source, additions checked against ``allowed``."""
    out: list[str] = []
    for key in source:
        if key not in written:
            out.append(f"{where}.{key}: missing (source {source[key]!r:.80})")
        else:
            out += json_diff(source[key], written[key], f"{where}.{key}")
    for key in written.keys() - source.keys():
        check = allowed.get(key)
        if check is None or not check(written[key], source):
            out.append(f"{where}.{key}: added {written[key]!r:.80} (source had no {key!r})")
    return out


def by_id(records: list[dict[str, Any]], what: str) -> dict[Any, dict[str, Any]]:
    """``records`` by their "id"; the corpus files used here have unique ids (checked)."""
    ids = Counter(record["id"] for record in records)
    duplicates = [i for i, n in ids.items() if n > 1]
    assert not duplicates, f"source has duplicate {what} ids {duplicates}: compare by id impossible"
    return {record["id"]: record for record in records}


def compare_documents(source: dict[str, Any], written: dict[str, Any]) -> list[str]:
    """Every difference between a source COCO document and annoconv's rewrite of it."""
    out = [f"top-level key {key!r} missing" for key in source if key not in written]
    out += [f"top-level key {key!r} added" for key in written if key not in source]
    for key in source.keys() - {"images", "annotations", "categories"}:
        out += json_diff(source[key], written.get(key), f"$.{key}")
    for what in ("images", "categories"):
        src, dst = by_id(source.get(what, []), what), by_id(written.get(what, []), what)
        out += [f"{what} ids lost: {sorted(src.keys() - dst.keys(), key=str)}"] if src.keys() - dst.keys() else []
        out += [f"{what} ids added: {sorted(dst.keys() - src.keys(), key=str)}"] if dst.keys() - src.keys() else []
        for record_id in src.keys() & dst.keys():
            out += json_diff(src[record_id], dst[record_id], f"$.{what}[id={record_id}]")
    src, dst = by_id(source.get("annotations", []), "annotation"), by_id(written["annotations"], "annotation")
    out += [f"annotation ids lost: {sorted(src.keys() - dst.keys(), key=str)}"] if src.keys() - dst.keys() else []
    out += [f"annotation ids added: {sorted(dst.keys() - src.keys(), key=str)}"] if dst.keys() - src.keys() else []
    for ann_id in sorted(src.keys() & dst.keys(), key=str):
        out += annotation_diff(src[ann_id], dst[ann_id], f"$.annotations[id={ann_id}]")
    return out


@pytest.mark.parametrize("path", _params(FILES["instances"]))
def test_round_trip_keeps_every_field(path: Path, tmp_path) -> None:
    """COCO -> IR -> COCO keeps every image, category, annotation field and top-level key."""
    source = load(path)
    dataset, _ = read_coco(path)
    written, report = write_coco(dataset, tmp_path / "out.json")
    differences = compare_documents(source, written)
    assert not differences, f"{interop_id(path)}: rewrite differs from the source:\n  " + "\n  ".join(differences)
    assert not report.has_warnings, [issue.to_dict() for issue in report]
    for ann in written["annotations"]:  # what the writer promises on top of the source's fields
        if "caption" not in ann and {"segmentation", "bbox", "keypoints", "area"} & set(ann):
            assert OBJECT_KEYS <= set(ann), ann


@pytest.mark.parametrize("path", _params(FILES["results"]))
def test_results_round_trip(path: Path, tmp_path) -> None:
    """A results list (no ids, no images, no categories) becomes a full COCO document: one image per
    image_id, one category per category_id, and each source annotation with all its fields
    (the writer adds ``id`` and what COCO requires)."""
    source = load(path)
    dataset, read_report = read_coco(path)
    written, _ = write_coco(dataset, tmp_path / "out.json")
    assert read_report.codes() == {Code.LABEL_UNKNOWN.value}  # no gt= given: labels named by category id
    assert sorted(image["id"] for image in written["images"]) == sorted({a["image_id"] for a in source})
    assert sorted(c["id"] for c in written["categories"]) == sorted({a["category_id"] for a in source})
    ids = [ann["id"] for ann in written["annotations"]]
    assert len(ids) == len(set(ids)) == len(source)
    allowed = {**ALLOWED_ADDED, "id": lambda value, src: isinstance(value, int)}
    unmatched = list(written["annotations"])
    differences: list[str] = []
    for index, ann in enumerate(source):  # match on the source's own fields
        candidates = [w for w in unmatched if not json_diff({k: ann[k] for k in ann}, {k: w.get(k) for k in ann})]
        if not candidates:
            differences.append(f"$[{index}]: no written annotation has all its fields: {ann}")
            continue
        unmatched.remove(candidates[0])
        differences += annotation_diff(ann, candidates[0], f"$[{index}]", allowed)
    assert not differences, "\n  ".join(differences)


@pytest.mark.parametrize("path", _params(FILES["panoptic"]))
def test_panoptic_read_reports_skipped_content(path: Path, tmp_path) -> None:
    """Panoptic segments live in PNGs: reading succeeds, reports skipped-content per annotation,
    and keeps images and categories (the rewrite carries them exactly)."""
    source = load(path)
    dataset, report = read_coco(path)
    skipped = report.by_code(Code.SKIPPED_CONTENT)
    assert len(skipped) == len(source["annotations"])
    assert sum(issue.detail["segments"] for issue in skipped) == sum(
        len(a["segments_info"]) for a in source["annotations"])
    assert [item.extras["coco:id"] for item in dataset.items] == [image["id"] for image in source["images"]]
    written, _ = write_coco(dataset, tmp_path / "out.json")
    assert written["images"] == source["images"]
    assert written["categories"] == source["categories"]


@pytest.mark.parametrize("path", _params(FILES["not-coco"]))
def test_non_coco_images_refused(path: Path) -> None:
    """A JSON object with an "images" list that is not COCO is refused with a SchemaError naming the place."""
    with pytest.raises(SchemaError, match=r"\$\.images\[0\]"):
        read_coco(path)


def test_corpus_discovery(interop: Path) -> None:
    """The corpus is present: discovery must find its COCO files (guards against silently testing nothing)."""
    assert len(FILES["instances"]) >= 20
    assert FILES["panoptic"] and FILES["results"]
    names = {interop_id(p) for p in FILES["instances"]}
    assert "mmpose/coco/test_coco.json" in names
    assert "labelme/instance_segmentation/data_dataset_coco/annotations.json" in names


def test_comparison_detects_changes() -> None:
    """The comparison itself (no corpus needed): each kind of change is found, allowed additions are not."""
    source = {"info": {"v": 1}, "images": [{"id": 1, "file_name": "a.jpg", "width": 4, "height": 4}],
              "categories": [{"id": 2, "name": "x", "supercategory": ""}],
              "annotations": [{"id": 3, "image_id": 1, "category_id": 2, "bbox": [0, 0, 1, 1], "note": "n"}]}
    ok = {**source, "annotations": [{**source["annotations"][0], "segmentation": [], "area": 1.0, "iscrowd": 0}]}
    assert compare_documents(source, ok) == []
    changed = [
        {**ok, "info": {"v": 2}},
        {key: value for key, value in ok.items() if key != "info"},
        {**ok, "images": [{"id": 1, "file_name": "a.jpg", "width": 4}]},
        {**ok, "categories": [{"id": 2, "name": "x", "supercategory": "", "keypoints": []}]},
        {**ok, "annotations": [{**ok["annotations"][0], "iscrowd": 1}]},
        {**ok, "annotations": [{**ok["annotations"][0], "note": "m"}]},
        {**ok, "annotations": [{**ok["annotations"][0], "num_keypoints": 0}]},
        {**ok, "annotations": [{**ok["annotations"][0], "id": 4}]},
    ]
    assert all(compare_documents(source, doc) for doc in changed)

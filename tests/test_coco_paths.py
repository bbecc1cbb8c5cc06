"""The COCO reader's fast paths give exactly what its general path gives.

Large files are read through msgspec's typed decoding (when the file fits the regular schema)
and with all coordinates converted in bulk; the general path decodes generically and converts
one annotation at a time. All three combinations must build equal datasets and reports.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from builders import detection_dataset, lossy_dataset
from conftest import FIXTURES, interop_files

import annoconv
from annoconv._io import gc_paused, load_json
from annoconv.formats import get_format
from annoconv.formats._base import Context
from annoconv.formats._coco_reader import TYPED_DECODER, CocoReader
from annoconv.formats._coco_typed import TypedFile
from annoconv.report import Report


def _read(path: Path, typed: bool, bulk: bool) -> tuple[annoconv.Dataset, Report]:
    report = Report()
    context = Context(get_format("coco"), get_format("coco").resolve_options({}, writing=False), report)
    data = load_json(path, typed=TYPED_DECODER if typed else None)
    with gc_paused():
        return CocoReader(path, context, bulk=bulk).build(data), report


def _coco_files(tmp_path: Path) -> list[Path]:
    written = []
    for build in (detection_dataset, lossy_dataset):
        path = tmp_path / f"{build.__name__}.json"
        annoconv.write(build(), "coco", path)
        written.append(path)
    return written + sorted(FIXTURES.glob("coco/**/*.json")) + [
        p for p in interop_files("**/*.json") if "coco" in str(p).lower()]


def test_fast_paths_build_what_the_general_path_builds(tmp_path: Path) -> None:
    compared = typed_files = 0
    for path in _coco_files(tmp_path):
        try:
            general, general_report = _read(path, typed=False, bulk=False)
        except annoconv.AnnoconvError:
            continue  # not a readable COCO file (the bad-input fixtures): covered elsewhere
        if isinstance(load_json(path, typed=TYPED_DECODER), TypedFile):
            typed_files += 1
        for typed, bulk in ((True, True), (False, True), (True, False)):
            dataset, report = _read(path, typed, bulk)
            assert dataset == general, f"{path}: typed={typed} bulk={bulk}"
            assert [i.to_dict() for i in report.issues] == [i.to_dict() for i in general_report.issues]
        compared += 1
    assert compared >= 4 and typed_files >= 2


@pytest.mark.parametrize("bad_value", ['"12.5"', "null", "true", "[1, 2]"])
def test_a_bad_coordinate_deep_in_a_file_is_located_exactly(bad_value: str, tmp_path: Path) -> None:
    ring = "[0, 0, 10, 0, 10, 10, 0, 10]"
    annotations = [f'{{"id": {i}, "image_id": 1, "category_id": 1, "segmentation": [{ring}]}}' for i in range(300)]
    annotations[257] = annotations[257].replace("10, 10", f"10, {bad_value}", 1)
    path = tmp_path / "bad.json"
    path.write_text('{"images": [{"id": 1, "file_name": "a.jpg", "width": 20, "height": 20}], '
                    '"categories": [{"id": 1, "name": "a"}], "annotations": [' + ",\n".join(annotations) + "]}")
    with pytest.raises(annoconv.SchemaError, match=r"\$\.annotations\[257\]\.segmentation"):
        annoconv.read("coco", path)
    report = Report()
    dataset = annoconv.read("coco", path, on_error="skip", report=report)
    assert len(dataset.items[0].annotations) == 299
    assert [(i.code.value, i.item) for i in report.issues] == [("annotation-skipped", "a.jpg")]


def test_an_empty_bbox_means_no_box_and_round_trips(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The FastLabel SDK writes "bbox": [] for keypoint-only annotations: read as no box, kept as it was."""
    source = {"images": [{"id": 1, "file_name": "a.jpg", "width": 20, "height": 20}],
              "categories": [{"id": 1, "name": "person", "keypoints": ["a", "b"], "skeleton": [[1, 2]]}],
              "annotations": [{"id": 5, "image_id": 1, "category_id": 1, "bbox": [], "keypoints": [1, 2, 2, 3, 4, 2],
                               "num_keypoints": 2, "iscrowd": 0, "area": 0, "segmentation": []}]}
    (tmp_path / "in.json").write_text(json.dumps(source))
    (points,) = annoconv.read("coco", tmp_path / "in.json").items[0].annotations
    assert points.kind == "keypoints" and points.extras["coco:bbox"] == []
    annoconv.convert("coco", "coco", tmp_path / "in.json", tmp_path / "out.json")
    assert json.loads((tmp_path / "out.json").read_text())["annotations"][0]["bbox"] == []


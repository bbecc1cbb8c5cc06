"""The native ``annoconv`` format: lossless for everything the IR holds, versioned."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from builders import detection_dataset, lossy_dataset

import annoconv
from annoconv import Dataset, ImageRef, Item, Label, LabelSet, Polygon, SchemaError
from annoconv.formats.native import VERSION


def _round_trip(dataset: Dataset, path: Path) -> tuple[Dataset, annoconv.Report]:
    report = annoconv.write(dataset, "annoconv", path)
    return annoconv.read("annoconv", path), report


@pytest.mark.parametrize("build", [detection_dataset, lossy_dataset])
def test_round_trip_is_exact_and_reports_nothing(build, tmp_path: Path) -> None:
    dataset = build()
    back, report = _round_trip(dataset, tmp_path / "d.json")
    assert back == dataset
    assert not report.issues and not report.predicted


def test_everything_the_ir_holds_survives(tmp_path: Path) -> None:
    labels = LabelSet([Label("a", id="x7", color=(1, 2, 3), attributes={"kind": "thing"}, extras={"fl:id": 9})])
    polygon = Polygon([[[[0.1, 0.2], [1 / 3, 0], [2, 2]], [[0.5, 0.5], [0.6, 0.5], [0.6, 0.6]]]], label="a",
                      id="p1", group=4, z_order=-2, score=0.125, attributes={"flags": ["a", "b"], "n": 3},
                      extras={"coco:area": 1.5})
    item = Item("train/1.png", ImageRef("1.png", 7, 5), [polygon], subset="train",
                attributes={"weather": "rain"}, extras={"coco:id": 12})
    dataset = Dataset(labels, [item], {"coco:info": {"year": 2026}})
    back, _ = _round_trip(dataset, tmp_path / "d.json")
    assert back == dataset
    assert back.items[0].annotations[0].regions[0][0][1, 0] == 1 / 3  # shortest repr reads back exactly


def test_file_declares_format_and_version(tmp_path: Path) -> None:
    annoconv.write(detection_dataset(), "annoconv", tmp_path / "d.json")
    data = json.loads((tmp_path / "d.json").read_text())
    assert data["format"] == "annoconv" and data["version"] == VERSION


def test_other_major_version_is_refused_by_name(tmp_path: Path) -> None:
    path = tmp_path / "d.json"
    annoconv.write(detection_dataset(), "annoconv", path)
    data = json.loads(path.read_text())
    major = int(VERSION.split(".")[0])
    data["version"] = f"{major + 1}.0"
    path.write_text(json.dumps(data))
    with pytest.raises(SchemaError) as info:
        annoconv.read("annoconv", path)
    message = str(info.value)
    assert f"'{major + 1}.0'" in message and f"{major}.x" in message and str(path) in message
    data["version"] = f"{major}.9"  # a newer minor version of the same major is read
    path.write_text(json.dumps(data))
    assert annoconv.read("annoconv", path) == detection_dataset()


def test_malformed_native_entries_are_located(tmp_path: Path) -> None:
    path = tmp_path / "d.json"
    annoconv.write(detection_dataset(), "annoconv", path)
    data = json.loads(path.read_text())
    data["items"][1]["annotations"][0]["xyxy"] = [5, 5, 1, 1]
    path.write_text(json.dumps(data))
    with pytest.raises(SchemaError, match=r"\$\.items\[1\].*x1 <= x2"):
        annoconv.read("annoconv", path)
    path.write_text(json.dumps({"format": "other"}))
    with pytest.raises(ValueError, match="not an annoconv file"):
        annoconv.read("annoconv", path)

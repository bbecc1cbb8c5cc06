"""The offline ``fastlabel`` format: reading and writing task files, round trips, the CLI, bad input."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

import annoconv
from annoconv import Code, Report, SchemaError, Severity
from annoconv.cli import main
from conftest import FIXTURES, SAMPLE

ALL_TYPES = FIXTURES / "fastlabel" / "all_types" / "tasks.json"
EXIT_OK, EXIT_READ = 0, 5


def load(path: Path) -> Any:
    return json.loads(Path(path).read_text(encoding="utf-8"))


def dump(tmp_path: Path, data: Any, name: str = "tasks.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def test_registered_with_its_capabilities() -> None:
    fmt = annoconv.get_format("fastlabel")
    assert fmt.reader is not None and fmt.writer is not None
    caps = fmt.capabilities
    assert caps.native >= {"box", "rotated-box", "polygon", "polygon-multipart", "polygon-holes", "polyline", "point",
                           "keypoints", "tag", "attributes", "score", "label-color"}
    assert set(caps.converted) == {"mask", "z-order"}
    assert {"caption", "crowd", "subset", "label-parent"}.isdisjoint(caps.native)


def test_round_trip_of_every_type_is_exact(tmp_path: Path) -> None:
    """fastlabel -> IR -> fastlabel gives back the same document (tasks and classes) for every type;
    the only report entry is the circle held as a polygon while in the IR."""
    report = Report()
    dataset = annoconv.read("fastlabel", ALL_TYPES, report=report)
    written = annoconv.write(dataset, "fastlabel", tmp_path / "out.json")
    assert load(tmp_path / "out.json") == load(ALL_TYPES)
    assert [(i.code, i.annotation) for i in report] == [(Code.GEOMETRY_CONVERTED, "a-7")]
    assert not [i for i in written if i.severity is not Severity.INFO] and not written.predicted


def test_round_trip_of_the_bare_list_form(tmp_path: Path) -> None:
    tasks = load(ALL_TYPES)["tasks"]
    for task in tasks:  # tasks as get_image_tasks returns them, without the classes
        task["annotations"] = [a for a in task["annotations"] if a["type"] != "circle"]
    source = dump(tmp_path, tasks)
    annoconv.convert("fastlabel", "fastlabel", source, tmp_path / "out.json", tasks_only=True)
    assert load(tmp_path / "out.json") == tasks
    annoconv.convert("fastlabel", "fastlabel", source, tmp_path / "full.json")
    written = load(tmp_path / "full.json")
    assert written["tasks"] == tasks
    assert [c["value"] for c in written["annotations"]] == ["car", "face", "sign", "road", "light", "lane", "person",
                                                            "weather"]


def test_other_top_level_keys_pass_through(tmp_path: Path) -> None:
    source = dump(tmp_path, {"tasks": [], "annotations": [], "project": {"slug": "p"}})
    annoconv.convert("fastlabel", "fastlabel", source, tmp_path / "out.json")
    assert load(tmp_path / "out.json") == {"tasks": [], "annotations": [], "project": {"slug": "p"}}


def test_through_coco_and_back(tmp_path: Path) -> None:
    """fastlabel -> coco -> fastlabel keeps what COCO holds: boxes, polygons, pose keypoints, scores, attributes."""
    annoconv.convert("fastlabel", "coco", ALL_TYPES, tmp_path / "coco.json")
    annoconv.convert("coco", "fastlabel", tmp_path / "coco.json", tmp_path / "back.json")
    back = load(tmp_path / "back.json")["tasks"][0]["annotations"]
    by_type: dict[str, list[Any]] = {}
    for annotation in back:
        by_type.setdefault(annotation["type"], []).append(annotation)
    car = next(a for a in by_type["polygon"] if a["value"] == "car")  # COCO holds a rotated box as a polygon
    assert car["confidenceScore"] == 0.75 and {a["key"]: a["value"] for a in car["attributes"]}["damage"] == [
        "dent", "scratch"]
    # COCO gives a lone pose a bbox (D19): it comes back as a bbox with keypoints
    person = next(a for a in by_type["bbox"] if a["value"] == "person")
    assert person["points"] == [160, 40, 170, 60]
    assert [k["value"] for k in person["keypoints"]] == [[170, 40, 1], [160, 60, 0], []]


def test_cli_both_directions(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["convert", "fastlabel", "coco", str(ALL_TYPES), str(tmp_path / "out.json")]) == EXIT_OK
    assert len(load(tmp_path / "out.json")["images"]) == 2
    assert main(["convert", "coco", "fastlabel", str(SAMPLE), str(tmp_path / "tasks.json"), "--indent"]) == EXIT_OK
    written = load(tmp_path / "tasks.json")
    assert written["tasks"][0]["name"] == "street/0001.jpg"
    assert (tmp_path / "tasks.json").read_text().startswith("{\n  ")
    capsys.readouterr()


def test_cli_bad_input_exit_code(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = dump(tmp_path, [{"name": "a.jpg", "annotations": [{"type": "bbox", "value": "x", "points": [1]}]}])
    assert main(["convert", "fastlabel", "coco", str(source), str(tmp_path / "out.json")]) == EXIT_READ
    err = capsys.readouterr().err
    assert str(source) in err and "$[0].annotations[0].points" in err and "'a.jpg'" in err
    assert not (tmp_path / "out.json").exists()


# --- bad input ----------------------------------------------------------------------------------

@pytest.mark.parametrize("data, location, fragment", [
    ("just a string", "$", "expected a list of FastLabel image tasks"),
    ({"images": []}, "$", "an object with 'tasks'"),
    ({"tasks": {"a": 1}}, "$.tasks", "must be a list"),
    ([{"id": "t9", "annotations": []}], "$[0].name", "'name' must be a non-empty string"),
    ([{"name": "a.jpg", "annotations": [{"type": "bbox", "value": "x", "points": [1, 2, 3]}]}],
     "$[0].annotations[0].points", "4 numbers"),
    ([{"name": "a.jpg", "annotations": [{"type": "keypoint", "value": "x", "points": [1, 2, 3, 4]}]}],
     "$[0].annotations[0].points", "2 numbers"),
    ({"tasks": [{"name": "a.jpg", "annotations": [{"type": "cuboid", "value": "x"}]}]},
     "$.tasks[0].annotations[0].type", "unknown annotation type 'cuboid'"),
    ({"tasks": [], "annotations": [{"type": "bbox"}]}, "$.annotations[0].value", "class 'value'"),
    ([{"name": "a.jpg", "annotations": "none"}], "$[0].annotations", "must be a list"),
])
def test_bad_input_is_a_schema_error_naming_file_place_and_task(tmp_path: Path, data: Any, location: str,
                                                               fragment: str) -> None:
    source = dump(tmp_path, data)
    with pytest.raises(SchemaError) as info:
        annoconv.read("fastlabel", source)
    error = info.value
    assert isinstance(error, ValueError)
    assert error.file == str(source) and error.location == location
    assert fragment in str(error) and str(error).startswith(f"{source}: {location}")
    if location.startswith("$[0].annotations"):
        assert error.item == "task 'a.jpg'"
    if "t9" in json.dumps(data):
        assert error.item == "task 't9'"


def test_malformed_and_missing_files(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("[{", encoding="utf-8")
    with pytest.raises(annoconv.ParseError, match="line 1"):
        annoconv.read("fastlabel", bad)
    with pytest.raises(annoconv.InputPathError):
        annoconv.read("fastlabel", tmp_path / "missing.json")


def test_skip_reads_the_rest_and_names_the_file(tmp_path: Path) -> None:
    source = dump(tmp_path, [
        {"name": "a.jpg", "width": 10, "height": 10, "annotations": [
            {"type": "bbox", "value": "x", "points": [1, 2, 3, 4]},
            {"type": "bbox", "value": "x", "points": [1, 2, 3, None]}]},
        {"name": "", "annotations": []},
        {"name": "b.jpg", "annotations": []}])
    report = Report()
    dataset = annoconv.read("fastlabel", source, report=report, on_error="skip")
    assert [item.id for item in dataset.items] == ["a.jpg", "b.jpg"]
    assert len(dataset.items[0].annotations) == 1
    assert sorted(i.code.value for i in report) == ["annotation-skipped", "item-skipped"]
    assert all(str(source) in i.detail["error"] for i in report)
    assert any("$[0].annotations[1].points[3]" in i.detail["error"] for i in report)


# --- the FastLabel README's own examples (interop corpus, by path) --------------------------------

def _readme_json(interop: Path, name: str) -> Any:
    """A README example block; ``.jsonc.txt`` ones carry ``# comments`` (and Python quotes) as documented."""
    text = (interop / "vendor-doc-examples" / "fastlabel" / name).read_text(encoding="utf-8")
    if name.endswith(".jsonc.txt"):
        text = re.sub(r"\s+#\s.*$", "", text, flags=re.M).replace("'", '"')
        text = re.sub(r",(\s*[}\]])", r"\1", text)
    return json.loads(text)


def test_readme_examples_read_and_round_trip(interop: Path, tmp_path: Path) -> None:
    """The SDK README's task objects (bbox; pose with Japanese keypoint names) and annotation classes
    (attribute options; keypoint edges by id) read, and come back unchanged."""
    pose_class = _readme_json(interop, "fastlabel-sdk_README_L2748-2791.json")
    bbox_class = _readme_json(interop, "fastlabel-sdk_README_L2709-2742.json")
    tasks = [_readme_json(interop, "fastlabel-sdk_README_L302-336.jsonc.txt"),
             _readme_json(interop, "fastlabel-sdk_README_L342-406.jsonc.txt")]
    data = {"tasks": tasks, "annotations": [bbox_class, pose_class]}
    dataset = annoconv.read("fastlabel", dump(tmp_path, data))
    label = dataset.labels["jesture"]
    assert label.keypoints == ("head", "right_shoulder", "left_shoulder") and label.skeleton == ((0, 1), (0, 2))
    assert [d["name"] for d in label.extras["fastlabel:keypoints"]] == ["頭", "右肩", "左肩"]
    assert dataset.labels["cat"].attributes["size"]["options"][0] == {"title": "Large", "value": "large"}
    cat, jesture = dataset.items[0].annotations[0], dataset.items[1].annotations[0]
    assert cat.xyxy.tolist() == [100, 100, 200, 200] and cat.attributes == {"kind": "Scottish field"}
    assert jesture.visibility.tolist() == [2, 2, 2] and jesture.xy.tolist()[0] == [102.59, 23.04]
    annoconv.write(dataset, "fastlabel", tmp_path / "out.json")
    assert load(tmp_path / "out.json") == data


def test_no_score_sentinel_is_not_a_score(tmp_path: Path) -> None:
    """``confidenceScore: -1`` (the README's dataset object) means no score: none in the IR, -1 written back."""
    task = {"name": "a.jpg", "width": 9, "height": 9, "annotations": [
        {"type": "bbox", "value": "dog", "points": [0, 0, 5, 5], "rotation": 0, "attributes": [],
         "confidenceScore": -1}]}
    dataset = annoconv.read("fastlabel", dump(tmp_path, [task]))
    assert dataset.items[0].annotations[0].score is None
    annoconv.write(dataset, "fastlabel", tmp_path / "out.json", tasks_only=True)
    assert load(tmp_path / "out.json")[0]["annotations"][0]["confidenceScore"] == -1

"""Bad labelme input: a clear AnnoconvError naming the file, the JSON path and the item; nothing
written; with on_error="skip" the bad shape or file is skipped and reported."""

from __future__ import annotations

import base64
import io
import json
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

import annoconv
from annoconv import AnnoconvError, Code, InputPathError, ParseError, Report, SchemaError


def good() -> dict[str, Any]:
    """A valid labelme document: four shapes on a 10 x 8 image."""
    return {"version": "5.7.0", "flags": {}, "shapes": [
        {"label": "a", "points": [[1, 1], [4, 4]], "group_id": None, "shape_type": "rectangle", "flags": {}},
        {"label": "b", "points": [[1, 1], [5, 1], [5, 5]], "group_id": None, "shape_type": "polygon", "flags": {}},
        {"label": "c", "points": [[2, 2]], "group_id": None, "shape_type": "point", "flags": {}},
        {"label": "d", "points": [[0, 0], [3, 3]], "group_id": None, "shape_type": "line", "flags": {}},
    ], "imagePath": "img.jpg", "imageData": None, "imageHeight": 8, "imageWidth": 10}


def png(mode: str = "L", size: tuple[int, int] = (2, 2)) -> str:
    buffer = io.BytesIO()
    Image.new(mode, size).save(buffer, format="PNG")
    return base64.b64encode(buffer.getvalue()).decode()


def write_json(folder: Path, data: Any, name: str = "f.json") -> Path:
    path = folder / name
    path.write_text(json.dumps(data) if not isinstance(data, str) else data, encoding="utf-8")
    return path


def read_error(path: Path, cls: type[AnnoconvError] = SchemaError, **options: Any) -> AnnoconvError:
    with pytest.raises(cls) as info:
        annoconv.read("labelme", path, **options)
    assert isinstance(info.value, ValueError if cls is not InputPathError else OSError)
    assert str(path) in str(info.value), str(info.value)
    return info.value


def shape_error(tmp_path: Path, shape: dict[str, Any], location: str, *fragments: str) -> None:
    """Shape 3 replaced by ``shape``: an error at ``location`` naming the item, with ``fragments``."""
    data = good()
    data["shapes"][3] = shape
    error = read_error(write_json(tmp_path, data))
    assert error.location == location, str(error)
    assert "(item 'img.jpg')" in str(error)
    for fragment in fragments:
        assert fragment in str(error), str(error)


def test_json_without_shapes(tmp_path: Path) -> None:
    data = good()
    del data["shapes"]
    error = read_error(write_json(tmp_path, data))
    assert error.location == "$" and "missing required key 'shapes'" in str(error)


@pytest.mark.parametrize("key, value, location", [
    ("shapes", {"a": 1}, "$.shapes"), ("flags", [1], "$.flags"), ("imagePath", 3, "$.imagePath"),
    ("imageHeight", -4, "$.imageHeight"), ("imageWidth", "10", "$.imageWidth"),
])
def test_bad_top_level_values(tmp_path: Path, key: str, value: Any, location: str) -> None:
    data = good()
    data[key] = value
    assert read_error(write_json(tmp_path, data)).location == location


def test_not_an_object_and_malformed_json(tmp_path: Path) -> None:
    assert read_error(write_json(tmp_path, [1, 2])).location == "$"
    error = read_error(write_json(tmp_path, '{"shapes": [\n  {"label": }]}'), ParseError)
    assert error.location == "line 2, column 13"


def test_unknown_shape_type(tmp_path: Path) -> None:
    shape_error(tmp_path, {"label": "x", "points": [[1, 1], [2, 2]], "shape_type": "ellipse"},
                "$.shapes[3].shape_type", "unknown shape_type 'ellipse'", "rectangle")


@pytest.mark.parametrize("shape_type, points, rule", [
    ("rectangle", [[1, 1], [2, 2], [3, 3]], "exactly 2 points, got 3"),
    ("circle", [[1, 1]], "exactly 2 points, got 1"),
    ("polygon", [[1, 1], [2, 2]], "at least 3 points, got 2"),
    ("point", [[1, 1], [2, 2]], "exactly 1 point, got 2"),
    ("linestrip", [[1, 1]], "at least 2 points, got 1"),
    ("line", [], "exactly 2 points, got 0"),
])
def test_wrong_point_count(tmp_path: Path, shape_type: str, points: list[Any], rule: str) -> None:
    shape_error(tmp_path, {"label": "x", "points": points, "shape_type": shape_type}, "$.shapes[3].points",
                f"a {shape_type} shape needs {rule}")


@pytest.mark.parametrize("points, location", [
    ("1,2", "$.shapes[3].points"), ([[1, 2], [3]], "$.shapes[3].points[1]"),
    ([[1, 2], ["3", 4]], "$.shapes[3].points[1]"), ([[1, 2], [True, 4]], "$.shapes[3].points[1]"),
])
def test_malformed_points(tmp_path: Path, points: Any, location: str) -> None:
    shape_error(tmp_path, {"label": "x", "points": points, "shape_type": "line"}, location)


@pytest.mark.parametrize("field, value, location", [
    ("label", "", "$.shapes[3].label"), ("label", None, "$.shapes[3].label"),
    ("group_id", [1], "$.shapes[3].group_id"), ("flags", "yes", "$.shapes[3].flags"),
    ("description", 3, "$.shapes[3].description"), ("mask", png(), "$.shapes[3].mask"),
])
def test_bad_shape_fields(tmp_path: Path, field: str, value: Any, location: str) -> None:
    shape = {"label": "x", "points": [[1, 1], [2, 2]], "shape_type": "line", field: value}
    shape_error(tmp_path, shape, location)


@pytest.mark.parametrize("mask, problem", [
    ("%%%not-base64%%%", "not valid base64"),
    (base64.b64encode(b"GIF89a not a png").decode(), "not a PNG image"),
    (base64.b64encode(b"\x89PNG\r\n\x1a\n" + b"\x00" * 20).decode(), "broken PNG"),
    (png("RGB"), "mask PNG must have one channel"),
    (None, "expected a base64 PNG string, got null"),
])
def test_bad_mask_shape(tmp_path: Path, mask: Any, problem: str) -> None:
    shape_error(tmp_path, {"label": "m", "points": [[1, 1], [2, 2]], "shape_type": "mask", "mask": mask},
                "$.shapes[3].mask", "mask shape: " + problem)


def test_mask_shape_without_image_size(tmp_path: Path) -> None:
    data = good()
    data["imageHeight"] = data["imageWidth"] = None
    data["shapes"][3] = {"label": "m", "points": [[1, 1], [2, 2]], "shape_type": "mask", "mask": png()}
    error = read_error(write_json(tmp_path, data))
    assert error.location == "$.shapes[3]" and "needs the image size" in str(error)


def test_keypoint_given_twice(tmp_path: Path) -> None:
    (tmp_path / "kp.yaml").write_text("p: [head, tail]\n")
    data = good()
    data["shapes"][2:] = [{"label": "p:head", "points": [[1, 1]], "shape_type": "point", "group_id": 4}] * 2
    path = write_json(tmp_path, data)
    error = read_error(path, labelme_keypoints=str(tmp_path / "kp.yaml"))
    assert error.location == "$.shapes[3].label" and "'head' of 'p' given twice" in str(error)


@pytest.mark.parametrize("text", ["p: [head\n", "- a\n- b\n", "p: 3\n", "p: {keypoints: [a], skeleton: [[0, 5]]}\n"])
def test_bad_keypoint_declaration(tmp_path: Path, text: str) -> None:
    declaration = tmp_path / "kp.yaml"
    declaration.write_text(text)
    with pytest.raises(SchemaError) as info:
        annoconv.read("labelme", write_json(tmp_path, good()), labelme_keypoints=str(declaration))
    assert str(declaration) in str(info.value)


def test_missing_input_and_empty_folder(tmp_path: Path) -> None:
    read_error(tmp_path / "nope", InputPathError)
    (tmp_path / "empty").mkdir()
    assert "no labelme JSON files" in str(read_error(tmp_path / "empty", InputPathError))


def test_skip_bad_shapes_and_files(tmp_path: Path) -> None:
    data = good()
    data["shapes"][1]["shape_type"] = "ellipse"
    write_json(tmp_path, data, "a.json")
    write_json(tmp_path, {"no": "shapes"}, "b.json")
    write_json(tmp_path, good(), "c.json")
    report = Report()
    dataset = annoconv.read("labelme", tmp_path, report=report, on_error="skip")
    assert [len(item.annotations) for item in dataset.items] == [3, 4]
    (shape,) = report.by_code(Code.ANNOTATION_SKIPPED)
    assert shape.item == "img.jpg" and shape.detail["shape"] == 1 and "$.shapes[1].shape_type" in shape.detail["error"]
    (item,) = report.by_code(Code.ITEM_SKIPPED)
    assert item.item == "b.json" and "missing required key 'shapes'" in item.detail["error"]
    assert dataset.labels.names() == ["a", "c", "d", "b"]  # "b" from c.json: the skipped shape declared nothing


def test_failed_conversion_writes_nothing(tmp_path: Path) -> None:
    data = good()
    data["shapes"][3]["points"] = [[1, 1]]
    write_json(tmp_path, data)
    with pytest.raises(SchemaError):
        annoconv.convert("labelme", "coco", tmp_path / "f.json", tmp_path / "out.json")
    with pytest.raises(SchemaError):
        annoconv.convert("labelme", "labelme", tmp_path / "f.json", tmp_path / "out")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["f.json"]


def test_cli_names_the_place_and_writes_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from annoconv.cli import main
    data = good()
    data["shapes"][3]["shape_type"] = "ellipse"
    path = write_json(tmp_path, data)
    assert main(["convert", "labelme", "coco", str(path), str(tmp_path / "out.json")]) == 5  # read error
    err = capsys.readouterr().err
    assert "Traceback" not in err and f"{path}: $.shapes[3].shape_type (item 'img.jpg'): unknown shape_type" in err
    assert not (tmp_path / "out.json").exists()

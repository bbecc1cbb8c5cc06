"""Bad input: every malformed, inconsistent or unreadable COCO / native file is refused with
the right AnnoconvError subclass (also the builtin a caller would catch) and a message that
names the file, the place (JSON path, or line and column) and the problem. With
``on_error="skip"`` bad images and annotations are skipped, reported, and the rest is read.
"""

from __future__ import annotations

import copy
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import annoconv
from annoconv import AnnoconvError, InputPathError, ParseError, Report, SchemaError
from annoconv.report import Code
from builders import detection_dataset

Mutation = Callable[[dict[str, Any]], None]


# --- helpers ------------------------------------------------------------------------------------

def good_coco() -> dict[str, Any]:
    """A small valid COCO file: image 1 (100x80) with a box and a polygon, image 2 (50x40) without
    annotations, one category."""
    return {
        "images": [
            {"id": 1, "file_name": "a.jpg", "width": 100, "height": 80},
            {"id": 2, "file_name": "b.jpg", "width": 50, "height": 40},
        ],
        "categories": [{"id": 1, "name": "cat"}],
        "annotations": [
            {"id": 10, "image_id": 1, "category_id": 1, "bbox": [1, 2, 3, 4]},
            {"id": 11, "image_id": 1, "category_id": 1, "segmentation": [[0, 0, 10, 0, 10, 10]]},
        ],
    }


def write_json(tmp_path: Path, data: Any, name: str = "in.json") -> Path:
    """``data`` serialized to ``tmp_path / name``; returns the path."""
    path = tmp_path / name
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def write_text(tmp_path: Path, text: str | bytes, name: str = "in.json") -> Path:
    """Raw text or bytes written to ``tmp_path / name``; returns the path."""
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def read_error(fmt: str, path: Path, cls: type[AnnoconvError], builtin: type[BaseException],
               **options: Any) -> AnnoconvError:
    """Read ``path`` expecting ``cls`` (also an instance of ``builtin``) naming the file; return it."""
    with pytest.raises(cls) as info:
        annoconv.read(fmt, path, **options)
    error = info.value
    assert isinstance(error, builtin), f"{type(error).__name__} is not a {builtin.__name__}"
    assert isinstance(error, AnnoconvError)
    assert str(path) in str(error), f"the message does not name the file: {error}"
    assert error.file == str(path)
    return error


def assert_located(error: AnnoconvError, location: str, *problem: str) -> None:
    """The message contains ``location`` (exactly, as ``: <location>``) and each ``problem`` fragment."""
    message = str(error)
    assert error.location == location, f"location {error.location!r} != {location!r} in: {message}"
    assert f": {location}" in message, message
    for fragment in problem:
        assert fragment.lower() in message.lower(), f"{fragment!r} not in: {message}"


def mutate(change: Mutation) -> dict[str, Any]:
    """``good_coco()`` with ``change`` applied."""
    data = good_coco()
    change(data)
    return data


def ann(data: dict[str, Any], index: int = 1) -> dict[str, Any]:
    return data["annotations"][index]


def img(data: dict[str, Any], index: int = 1) -> dict[str, Any]:
    return data["images"][index]


# --- malformed JSON: exact line and column ------------------------------------------------------

@pytest.mark.parametrize("text, line, column", [
    pytest.param('{"images": [\n  {"id": 1,, }\n]}', 2, 12, id="double-comma"),
    pytest.param('{\n"images": [],\n"annotations": [1 2]\n}', 3, 19, id="missing-comma"),
    pytest.param('{"images": []', 1, 14, id="truncated"),
    pytest.param('{"images": [], "x": tru}', 1, 21, id="bad-literal"),
    pytest.param('{"images": []}\n{}', 2, 1, id="trailing-document"),
    pytest.param('{"images": [],\n "name": "été",, }', 2, 16, id="column-counts-characters"),
])
def test_malformed_json_names_line_and_column(tmp_path: Path, text: str, line: int, column: int) -> None:
    path = write_text(tmp_path, text)
    error = read_error("coco", path, ParseError, ValueError)
    assert_located(error, f"line {line}, column {column}", "malformed JSON")


@pytest.mark.parametrize("text", ["", "  \n\t \r\n "], ids=["empty", "whitespace"])
def test_empty_file(tmp_path: Path, text: str) -> None:
    error = read_error("coco", write_text(tmp_path, text), ParseError, ValueError)
    assert "empty" in str(error)


def test_not_utf8_is_a_parse_error(tmp_path: Path) -> None:
    """A Latin-1 file (common from Windows tools) is malformed input, not an internal error."""
    data = '{"images": [{"id": 1, "file_name": "café.jpg"}], "annotations": [], "categories": []}'
    path = write_text(tmp_path, data.encode("latin-1"))
    error = read_error("coco", path, ParseError, ValueError)
    assert "utf-8" in str(error).lower()


def test_deeply_nested_json_is_a_parse_error(tmp_path: Path) -> None:
    """Nesting beyond the parser's depth limit is refused as malformed input (not a RecursionError)."""
    path = write_text(tmp_path, b'{"images": ' + b"[" * 5000 + b"]" * 5000 + b"}")
    read_error("coco", path, ParseError, ValueError)


# --- numbers JSON cannot hold as finite floats --------------------------------------------------

@pytest.mark.parametrize("where", ["bbox", "polygon", "image-width"])
def test_number_too_large_is_refused_at_its_position(tmp_path: Path, where: str) -> None:
    data = good_coco()
    marker = 123456789  # replaced by 1e999 in the text
    if where == "bbox":
        ann(data, 0)["bbox"][2] = marker
    elif where == "polygon":
        ann(data)["segmentation"][0][3] = marker
    else:
        img(data)["width"] = marker
    text = json.dumps(data)
    column = text.index(str(marker)) + 1
    path = write_text(tmp_path, text.replace(str(marker), "1e999"))
    error = read_error("coco", path, ParseError, ValueError)
    assert_located(error, f"line 1, column {column}", "infinity")


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity"])
def test_nan_and_infinity_literals_are_malformed(tmp_path: Path, literal: str) -> None:
    text = json.dumps(good_coco()).replace('"bbox": [1, 2, 3, 4]', f'"bbox": [1, 2, {literal}, 4]')
    column = text.index(literal.lstrip("-")) + 1  # after a minus sign, the parser stops at the letter
    error = read_error("coco", write_text(tmp_path, text), ParseError, ValueError)
    assert_located(error, f"line 1, column {column}", "malformed JSON")


def test_bbox_overflowing_to_infinity_is_refused(tmp_path: Path) -> None:
    """x + width overflows float64: the box would have an infinite corner."""
    data = mutate(lambda d: ann(d, 0).update(bbox=[1e308, 2, 1e308, 4]))
    error = read_error("coco", write_json(tmp_path, data), SchemaError, ValueError)
    assert_located(error, "$.annotations[0].bbox", "finite")


# --- schema errors ------------------------------------------------------------------------------

# (mutation, JSON path, problem fragments, skip code under on_error="skip")
SCHEMA_CASES: dict[str, tuple[Mutation, str, tuple[str, ...], Code]] = {
    "no-images": (lambda d: d.pop("images"), "$", ("missing", "'images'"), Code.ITEM_SKIPPED),
    "image-without-file_name": (lambda d: img(d).pop("file_name"), "$.images[1].file_name",
                                ("file_name",), Code.ITEM_SKIPPED),
    "annotation-without-image_id": (lambda d: ann(d).pop("image_id"), "$.annotations[1].image_id",
                                    ("image_id",), Code.ANNOTATION_SKIPPED),
    "string-bbox": (lambda d: ann(d, 0).update(bbox="1,2,3,4"), "$.annotations[0].bbox",
                    ("bbox", "string"), Code.ANNOTATION_SKIPPED),
    "bbox-of-3": (lambda d: ann(d, 0).update(bbox=[1, 2, 3]), "$.annotations[0].bbox",
                  ("bbox", "4 numbers"), Code.ANNOTATION_SKIPPED),
    "boolean-bbox": (lambda d: ann(d, 0).update(bbox=[True, 2, 3, 4]), "$.annotations[0].bbox",
                     ("bbox",), Code.ANNOTATION_SKIPPED),
    "negative-bbox-width": (lambda d: ann(d, 0).update(bbox=[1, 2, -3, 4]), "$.annotations[0].bbox",
                            ("negative",), Code.ANNOTATION_SKIPPED),
    "odd-polygon": (lambda d: ann(d).update(segmentation=[[0, 0, 10, 0, 10, 10, 5]]),
                    "$.annotations[1].segmentation[0]", ("even", "7"), Code.ANNOTATION_SKIPPED),
    "polygon-of-2-points": (lambda d: ann(d).update(segmentation=[[0, 0, 10, 0]]),
                            "$.annotations[1].segmentation[0]", (">= 6", "4"), Code.ANNOTATION_SKIPPED),
    "second-part-bad": (lambda d: ann(d).update(segmentation=[[0, 0, 10, 0, 10, 10], [1, 1, 2, 2]]),
                        "$.annotations[1].segmentation[1]", ("4",), Code.ANNOTATION_SKIPPED),
    "string-coordinate": (lambda d: ann(d).update(segmentation=[[0, 0, 10, 0, 10, "12.5"]]),
                          "$.annotations[1].segmentation[0][5]", ("string",), Code.ANNOTATION_SKIPPED),
    "null-coordinate": (lambda d: ann(d).update(segmentation=[[0, 0, 10, 0, 10, None]]),
                        "$.annotations[1].segmentation[0][5]", ("null",), Code.ANNOTATION_SKIPPED),
    "boolean-coordinate": (lambda d: ann(d).update(segmentation=[[0, 0, 10, 0, 10, True]]),
                           "$.annotations[1].segmentation[0][5]", ("boolean",), Code.ANNOTATION_SKIPPED),
    "string-keypoint": (lambda d: ann(d).update(keypoints=[1, 2, "2"]), "$.annotations[1].keypoints",
                        ("keypoints",), Code.ANNOTATION_SKIPPED),
    "negative-image-width": (lambda d: img(d).update(width=-5), "$.images[1].width", ("width", "-5"),
                             Code.ITEM_SKIPPED),
    "string-image-width": (lambda d: img(d).update(width="50"), "$.images[1].width", ("width",),
                           Code.ITEM_SKIPPED),
    "unknown-image_id": (lambda d: ann(d).update(image_id=99), "$.annotations[1].image_id",
                         ("99", "does not match any image"), Code.ANNOTATION_SKIPPED),
    "boolean-image_id": (lambda d: ann(d).update(image_id=True), "$.annotations[1].image_id",
                         ("image_id",), Code.ANNOTATION_SKIPPED),
    "unknown-category_id": (lambda d: ann(d).update(category_id=99), "$.annotations[1].category_id",
                            ("99", "does not match any category"), Code.ANNOTATION_SKIPPED),
    "boolean-category_id": (lambda d: ann(d).update(category_id=True), "$.annotations[1].category_id",
                            ("category_id",), Code.ANNOTATION_SKIPPED),
    "duplicate-image-id": (lambda d: img(d).update(id=1), "$.images[1].id", ("duplicate", "1"),
                           Code.ITEM_SKIPPED),
    "rle-size-disagrees": (lambda d: ann(d).update(segmentation={"size": [10, 10], "counts": [100]}),
                           "$.annotations[1].segmentation.size", ("[10, 10]", "80 x 100", "disagrees"),
                           Code.ANNOTATION_SKIPPED),
}

# Cases that are about one image or annotation (skippable); the others concern the whole file.
SKIPPABLE = [name for name in SCHEMA_CASES if name != "no-images"]


@pytest.mark.parametrize("case", list(SCHEMA_CASES))
def test_schema_error_names_file_place_and_problem(tmp_path: Path, case: str) -> None:
    change, location, problem, _ = SCHEMA_CASES[case]
    path = write_json(tmp_path, mutate(change))
    error = read_error("coco", path, SchemaError, ValueError)
    assert_located(error, location, *problem)


@pytest.mark.parametrize("case", SKIPPABLE)
def test_on_error_skip_reads_the_rest_and_reports(tmp_path: Path, case: str) -> None:
    change, location, _, code = SCHEMA_CASES[case]
    data = mutate(change)
    path = write_json(tmp_path, data)
    report = Report()
    dataset = annoconv.read("coco", path, on_error="skip", report=report)

    skipped = [issue for issue in report.issues if issue.code in (Code.ITEM_SKIPPED, Code.ANNOTATION_SKIPPED)]
    assert [issue.code for issue in skipped] == [code], report.to_json()
    error = skipped[0].detail["error"]
    assert str(path) in error and location in error, error

    if code is Code.ITEM_SKIPPED:  # image 2 dropped; image 1 keeps both annotations
        assert [item.image.path for item in dataset.items] == ["a.jpg"]
        assert len(dataset.items[0].annotations) == 2
    else:  # annotation dropped; the other annotation and both images read
        assert [item.id for item in dataset.items] == ["a.jpg", "b.jpg"]
        assert len(dataset.items[0].annotations) == 1
        if "image_id" not in location:
            assert skipped[0].item == "a.jpg"


def test_on_error_skip_names_the_skipped_annotation(tmp_path: Path) -> None:
    """An annotation-skipped issue says which annotation (its COCO id), not only which image."""
    data = mutate(lambda d: ann(d).update(image_id=99))
    report = Report()
    annoconv.read("coco", write_json(tmp_path, data), on_error="skip", report=report)
    (issue,) = report.by_code(Code.ANNOTATION_SKIPPED)
    assert issue.annotation == 11, issue.to_dict()


def test_on_error_skip_image_without_file_name_is_named(tmp_path: Path) -> None:
    """An image skipped for lacking a file_name is still identified (by its id), never as 'None'."""
    data = mutate(lambda d: img(d).pop("file_name"))
    report = Report()
    annoconv.read("coco", write_json(tmp_path, data), on_error="skip", report=report)
    (issue,) = report.by_code(Code.ITEM_SKIPPED)
    assert issue.item not in (None, "None"), issue.to_dict()


@pytest.mark.parametrize("text, cls", [
    ('{"images": [', ParseError),
    ("", ParseError),
    ('{"annotations": []}', SchemaError),
    ('{"images": [], "categories": [{"id": 1}]}', SchemaError),
], ids=["malformed", "empty", "no-images", "bad-category"])
def test_on_error_skip_does_not_hide_file_level_errors(tmp_path: Path, text: str, cls: type) -> None:
    read_error("coco", write_text(tmp_path, text), cls, ValueError, on_error="skip")


def test_bad_on_error_value_is_an_option_error(tmp_path: Path) -> None:
    with pytest.raises(annoconv.OptionError, match="on_error"):
        annoconv.read("coco", write_json(tmp_path, good_coco()), on_error="ignore")


# --- the bulk coordinate path and its per-annotation fallback -----------------------------------

GOOD = 2000  # annotations: enough for the bulk path to matter
BAD = 1500   # index of the bad one


def many_polygons() -> dict[str, Any]:
    """3 images, ``GOOD`` polygon annotations (some multi-part, some with keypoints) with
    distinct coordinates, round-robin over the images."""
    annotations = []
    for i in range(GOOD):
        ring = [i, 0.5, i + 10, 0, i + 10, 10.25, i, 10]
        segmentation = [ring, [i, 20, i + 5, 20, i + 5, 25]] if i % 7 == 0 else [ring]
        annotation = {"id": i + 1, "image_id": 1 + i % 3, "category_id": 1 + (i % 5 == 0),
                      "segmentation": segmentation, "bbox": [i, 0, 10, 10.25], "area": 100.0}
        if i % 5 == 0:
            annotation["keypoints"] = [i + 1, 2, 2, i + 3, 4, 1]
        annotations.append(annotation)
    return {
        "images": [{"id": k, "file_name": f"{k}.jpg", "width": 5000, "height": 50} for k in (1, 2, 3)],
        "categories": [{"id": 1, "name": "c"}, {"id": 2, "name": "p", "keypoints": ["a", "b"]}],
        "annotations": annotations,
    }


def break_polygon(data: dict[str, Any], how: str) -> tuple[str, str]:
    """Make annotation ``BAD`` invalid in the way ``how``; returns (JSON path, problem fragment)."""
    raw = data["annotations"][BAD]
    where = f"$.annotations[{BAD}]"
    if how == "string":
        raw["segmentation"][0][3] = "12.5"
        return f"{where}.segmentation[0][3]", "string"
    if how == "odd":
        raw["segmentation"][0].append(3)
        return f"{where}.segmentation[0]", "even"
    if how == "two-points":
        raw["segmentation"].append([1, 2, 3, 4])
        return f"{where}.segmentation[{len(raw['segmentation']) - 1}]", ">= 6"
    if how == "keypoint-visibility":
        raw["category_id"] = 2
        raw["keypoints"] = [1, 2, 2, 3, 4, 7]
        return f"{where}.keypoints", "visibility"
    raise AssertionError(how)


HOWS = ["string", "odd", "two-points", "keypoint-visibility"]


@pytest.mark.parametrize("how", HOWS)
def test_bulk_fallback_locates_the_exact_annotation(tmp_path: Path, how: str) -> None:
    data = many_polygons()
    location, problem = break_polygon(data, how)
    error = read_error("coco", write_json(tmp_path, data), SchemaError, ValueError)
    assert_located(error, location, problem)


def expected_regions(raw: dict[str, Any]) -> list[np.ndarray]:
    """The (N, 2) rings of a COCO polygon annotation."""
    return [np.asarray(ring, dtype=np.float64).reshape(-1, 2) for ring in raw["segmentation"]]


# An annotation skipped before the fallback: one the typed decoder refuses (the whole file then takes
# the general path), and one it accepts (the file stays on the typed path).
EARLY = {"string-bbox": ("bbox", "oops"), "dangling-image_id": ("image_id", 99)}


@pytest.mark.parametrize("early", list(EARLY))
@pytest.mark.parametrize("how", HOWS)
def test_bulk_fallback_with_skip_reads_good_polygons_and_reports_once(tmp_path: Path, how: str,
                                                                      early: str) -> None:
    data = many_polygons()
    data["categories"].append({"id": 3, "name": "s", "keypoints": ["a"], "skeleton": [[1, 9]]})  # a pre-fallback issue
    key, value = EARLY[early]
    data["annotations"][7][key] = value
    location, _ = break_polygon(data, how)
    source = copy.deepcopy(data)
    report = Report()
    dataset = annoconv.read("coco", write_json(tmp_path, data), on_error="skip", report=report)

    skipped = report.by_code(Code.ANNOTATION_SKIPPED)
    assert len(skipped) == 2, report.to_json()
    assert f"$.annotations[7].{key}" in skipped[0].detail["error"]
    assert location in skipped[1].detail["error"]
    assert len(report.by_code(Code.SKIPPED_CONTENT)) == 1, "issues of the first (bulk) pass were duplicated"
    assert len(report.issues) == 3, report.to_json()
    assert report.stats["items_read"] == 3

    polygons = {a.id: a for item in dataset.items for a in item.annotations if a.kind == "polygon"}
    assert len(polygons) == GOOD - 2
    for index, raw in enumerate(source["annotations"]):
        if index in (7, BAD):
            assert raw["id"] not in polygons
            continue
        regions = polygons[raw["id"]].regions
        expected = expected_regions(raw)
        assert len(regions) == len(expected)
        for region, ring in zip(regions, expected):
            assert len(region) == 1
            np.testing.assert_array_equal(region[0], ring)
            assert region[0].dtype == np.float64
    keypoints = {a.id: a for item in dataset.items for a in item.annotations if a.kind == "keypoints"}
    expected = [a for i, a in enumerate(source["annotations"]) if "keypoints" in a and i not in (7, BAD)]
    assert len(keypoints) == len(expected)
    np.testing.assert_array_equal(keypoints[1].xy, [[1, 2], [3, 4]])
    np.testing.assert_array_equal(keypoints[1].visibility, [2, 1])


def test_bulk_path_without_errors_reads_everything(tmp_path: Path) -> None:
    data = many_polygons()
    report = Report()
    dataset = annoconv.read("coco", write_json(tmp_path, data), report=report)
    assert report.issues == []
    assert sum(len(item.annotations) for item in dataset.items) == GOOD + GOOD // 5
    first = dataset.items[0].annotations[0]
    np.testing.assert_array_equal(first.regions[0][0], expected_regions(data["annotations"][0])[0])


# --- paths ---------------------------------------------------------------------------------------

def test_directory_instead_of_file(tmp_path: Path) -> None:
    error = read_error("coco", tmp_path, InputPathError, OSError)
    assert "directory" in str(error)


def test_missing_file(tmp_path: Path) -> None:
    error = read_error("coco", tmp_path / "nope.json", InputPathError, OSError)
    assert "no such file" in str(error)
    assert isinstance(error, InputPathError)


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root can read a chmod 000 file")
def test_unreadable_file(tmp_path: Path) -> None:
    path = write_json(tmp_path, good_coco())
    path.chmod(0)
    try:
        error = read_error("coco", path, InputPathError, OSError)
    finally:
        path.chmod(0o644)
    assert "permission" in str(error).lower() or "readable" in str(error).lower()


# --- native format --------------------------------------------------------------------------------

@pytest.fixture
def native_file(tmp_path: Path) -> Path:
    """``detection_dataset()`` written in the native format."""
    path = tmp_path / "ds.annoconv.json"
    annoconv.write(detection_dataset(), "annoconv", path)
    return path


def edit_native(path: Path, change: Mutation) -> Path:
    """Apply ``change`` to the native JSON at ``path`` in place; returns the path."""
    data = json.loads(path.read_text())
    change(data)
    path.write_text(json.dumps(data))
    return path


@pytest.mark.parametrize("version", ["2.0", "0.9", "10.1"])
def test_native_other_major_version_is_refused(native_file: Path, version: str) -> None:
    edit_native(native_file, lambda d: d.update(version=version))
    error = read_error("annoconv", native_file, SchemaError, ValueError)
    assert_located(error, "$.version", repr(version), "1.x", "not supported")


def test_native_same_major_newer_minor_is_read(native_file: Path) -> None:
    edit_native(native_file, lambda d: d.update(version="1.9"))
    assert len(annoconv.read("annoconv", native_file).items) == 3


def test_native_round_trip_of_the_untouched_file(native_file: Path) -> None:
    assert annoconv.read("annoconv", native_file) == detection_dataset()


def test_coco_file_read_as_native_is_refused(tmp_path: Path) -> None:
    error = read_error("annoconv", write_json(tmp_path, good_coco()), ParseError, ValueError)
    assert_located(error, "$.format", "not an annoconv file")


def test_native_malformed_json(tmp_path: Path) -> None:
    path = write_text(tmp_path, '{"format": "annoconv",\n "version": "1.0" "items": []}')
    error = read_error("annoconv", path, ParseError, ValueError)
    assert_located(error, "line 2, column 19", "malformed JSON")


def test_native_unknown_annotation_kind(native_file: Path) -> None:
    edit_native(native_file, lambda d: d["items"][0]["annotations"][0].update(kind="blob"))
    error = read_error("annoconv", native_file, SchemaError, ValueError)
    assert_located(error, "$.items[0]", "'blob'", "unknown annotation kind")


def test_native_bad_geometry(native_file: Path) -> None:
    edit_native(native_file, lambda d: d["items"][0]["annotations"][0].update(xyxy="1,2,3,4"))
    error = read_error("annoconv", native_file, SchemaError, ValueError)
    assert_located(error, "$.items[0]", "Box", "string")


def test_native_missing_key_says_it_is_missing(native_file: Path) -> None:
    """A missing required key is reported as missing, not as a bare KeyError repr (``'image'``)."""
    edit_native(native_file, lambda d: d["items"][1].pop("image"))
    error = read_error("annoconv", native_file, SchemaError, ValueError)
    assert error.location is not None and error.location.startswith("$.items[1]"), str(error)
    assert "image" in str(error) and "missing" in str(error).lower(), str(error)


def test_native_undeclared_label_names_the_file(native_file: Path) -> None:
    """Dataset-level checks (every label declared) still name the file."""
    edit_native(native_file, lambda d: d["items"][0]["annotations"][0].update(label="zebra"))
    error = read_error("annoconv", native_file, SchemaError, ValueError)
    assert "zebra" in str(error)


@pytest.mark.parametrize("fmt, name", [("coco", "out.json"), ("annoconv", "out.json"), ("fastlabel", "out.json"),
                                       ("semantic-png", "out"), ("labelme", "out")])
def test_a_value_json_cannot_hold_is_a_write_error(fmt: str, name: str, tmp_path: Path) -> None:
    """Attributes set by a library user to a non-JSON value (here a set): a WriteError naming the
    file, and nothing written."""
    dataset = detection_dataset()
    dataset.labels["cat"].attributes = {"sizes": {1, 2}}
    dataset.items[0].annotations[0].attributes = {"seen": {1, 2}}
    with pytest.raises(annoconv.WriteError, match="not JSON-serializable|not a JSON value"):
        annoconv.write(dataset, fmt, tmp_path / name)
    assert list(tmp_path.iterdir()) == []

"""FastLabel SDK 0.26.0 golden outputs (shared/fastlabel/sdk-golden, read by path, never copied):
annoconv agrees with the SDK where the SDK is right, and gets right every defect of API.md §3.3
that concerns mapping or export (each test asserts the property the SDK's output violates).

The golden task set (3 tasks, with the project's classes) is converted with ``annoconv.convert``
from the ``fastlabel`` format to each format by name. A format not registered is skipped.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml
from PIL import Image

import annoconv
from annoconv import Code, Report, SchemaError
from annoconv.ir import rle
from conftest import REPO

SDK_GOLDEN = Path(os.environ.get("ANNOCONV_SDK_GOLDEN", REPO.parent / "shared" / "fastlabel" / "sdk-golden"))
ROTATED_BOUNDS = (67.67949192431122, 1.3397459621556145, 112.32050807568878, 38.66025403784439)  # car #2, 30°
FASTLABEL_TYPES = {"bbox", "polygon", "keypoint", "line", "circle", "segmentation", "classification",
                   "pose_estimation"}

pytestmark = pytest.mark.skipif(not SDK_GOLDEN.is_dir(), reason=f"SDK golden files not found at {SDK_GOLDEN} "
                                "(set ANNOCONV_SDK_GOLDEN)")


def load(path: Path) -> Any:
    return json.loads(Path(path).read_text(encoding="utf-8"))


def need(fmt: str) -> None:
    if fmt not in annoconv.available_formats():
        pytest.skip(f"format {fmt!r} is not registered")


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The golden tasks with the project's classes, as one fastlabel file (in a temporary folder)."""
    path = tmp_path_factory.mktemp("sdk") / "tasks.json"
    path.write_text(json.dumps({"tasks": load(SDK_GOLDEN / "input_tasks.json"),
                                "annotations": load(SDK_GOLDEN / "input_annotation_classes.json")}))
    return path


_CONVERTED: dict[tuple[str, str], tuple[Path, Report]] = {}


@pytest.fixture(scope="module")
def out(source: Path, tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """out(fmt, **options) -> (output path, report): the golden tasks converted once per format and options."""
    root = tmp_path_factory.mktemp("converted")

    def convert(fmt: str, **options: Any) -> tuple[Path, Report]:
        need(fmt)
        key = (fmt, json.dumps(options, sort_keys=True))
        if key not in _CONVERTED:
            target = root / f"{fmt}-{len(_CONVERTED)}"
            if fmt in ("coco", "fastlabel"):
                target = target.with_suffix(".json")
            _CONVERTED[key] = (target, annoconv.convert("fastlabel", fmt, source, target, **options))
        return _CONVERTED[key]
    yield convert
    _CONVERTED.clear()


def coco_objects(doc: dict[str, Any]) -> list[dict[str, Any]]:
    """COCO annotations with 'file' and 'name' (image file name, category name) added."""
    files = {image["id"]: image["file_name"] for image in doc["images"]}
    names = {category["id"]: category["name"] for category in doc["categories"]}
    return [{**a, "file": files[a["image_id"]], "name": names[a["category_id"]]} for a in doc["annotations"]]


def find(objects: list[dict[str, Any]], **match: Any) -> dict[str, Any]:
    found = [o for o in objects if all(o.get(k) == v for k, v in match.items())]
    assert len(found) == 1, (match, found)
    return found[0]


def png(path: Path) -> np.ndarray:
    with Image.open(path) as image:
        return np.array(image)


def issues(report: Report, code: Code, *words: str) -> list[Any]:
    return [i for i in report if i.code is code and all(w in i.message.lower() for w in words)]


def voc_boxes(path: Path) -> list[tuple[str, list[float]]]:
    root = ET.parse(path).getroot()
    return [(o.findtext("name"), [float(o.findtext(f"bndbox/{k}")) for k in ("xmin", "ymin", "xmax", "ymax")])
            for o in root.iter("object")]


def yolo_rows(folder: Path, name: str) -> tuple[list[str], list[tuple[str, list[float]]]]:
    """(class names, rows as (class name, numbers)) of one label file of a written YOLO dataset."""
    names_map = yaml.safe_load((folder / "data.yaml").read_text())["names"]
    names = [names_map[i] for i in range(len(names_map))] if isinstance(names_map, dict) else list(names_map)
    rows = []
    for line in (folder / "labels" / "train" / name).read_text().splitlines():
        tokens = line.split()
        rows.append((names[int(tokens[0])], [float(t) for t in tokens[1:]]))
    return names, rows


# --- where the SDK is right, annoconv agrees ------------------------------------------------------

def test_coco_agrees_with_the_sdk_where_it_is_right(out) -> None:  # type: ignore[no-untyped-def]
    """Axis-aligned boxes, polygons, outer rings without holes, the attributes dict, pose keypoint
    order and visibility, the image list and the pose skeleton are what the SDK wrote."""
    path, _ = out("coco")
    mine, sdk = load(path), load(SDK_GOLDEN / "coco_with_classes" / "annotations.json")
    assert [(i["file_name"], i["width"], i["height"]) for i in mine["images"]] == [
        (i["file_name"], i["width"], i["height"]) for i in sdk["images"]]
    ours, theirs = coco_objects(mine), coco_objects(sdk)
    compared = 0
    for expected in theirs:
        if expected.get("rotation") or (expected["name"] == "road" and expected["file"] == "scene_a.jpg"):
            continue  # the rotated box (D1) and the holed road (D2) are SDK defects, tested below
        if expected["name"] == "person":
            got = find(ours, file=expected["file"], name="person")
            assert got["keypoints"] == expected["keypoints"] and got["num_keypoints"] == expected["num_keypoints"]
        else:
            got = find(ours, file=expected["file"], name=expected["name"], bbox=expected["bbox"])
            assert got["area"] == expected["area"]
            if got["segmentation"]:  # a polygon: the same rings (annoconv writes a box as a bbox only)
                assert got["segmentation"] == expected["segmentation"]
        assert got.get("attributes", {}) == expected["attributes"]
        compared += 1
    assert compared == 6  # and the SDK lost sidewalk (D13)
    person = next(c for c in mine["categories"] if c["name"] == "person")
    expected_person = next(c for c in sdk["categories"] if c["name"] == "person")
    assert (person["keypoints"], person["skeleton"]) == (expected_person["keypoints"], expected_person["skeleton"])


def test_yolo_boxes_agree_with_the_sdk_where_it_is_right(out) -> None:  # type: ignore[no-untyped-def]
    """The SDK's detection rows (but the rotated car, D1) are annoconv's, to within the SDK's 7-decimal
    truncation; annoconv also keeps the sub-pixel bike the SDK silently dropped."""
    path, _ = out("yolo")
    sdk_names = (SDK_GOLDEN / "yolo_auto" / "classes.txt").read_text().split()
    for name in ("scene_a.txt", "sub/scene_b.txt"):
        _, mine = yolo_rows(path, name)
        theirs = []
        for line in (SDK_GOLDEN / "yolo_auto" / "annotations" / name).read_text().splitlines():
            tokens = line.split()
            theirs.append((sdk_names[int(tokens[0])], [float(t) for t in tokens[1:]]))
        for label, numbers in theirs:
            if label == "car" and numbers[:2] == [0.703125, 0.2083333]:
                continue  # the rotated car, exported unrotated by the SDK (D1)
            assert any(l == label and np.allclose(n, numbers, atol=1.1e-6) for l, n in mine), (label, numbers)
        assert len(mine) == len(theirs) + (1 if name == "scene_a.txt" else 0)  # + the sub-pixel bike


def test_voc_agrees_with_the_sdk_for_integer_boxes(out) -> None:  # type: ignore[no-untyped-def]
    """Integer boxes are the SDK's, shifted to VOC's 1-based convention (D17): xmin = x1 + 1, ymin = y1 + 1."""
    path, _ = out("voc")
    for name in ("scene_a.xml", "sub/scene_b.xml"):
        mine = voc_boxes(path / "Annotations" / name)
        for label, (x1, y1, x2, y2) in voc_boxes(SDK_GOLDEN / "pascalvoc" / "annotations" / name):
            if label == "bike" or (label == "car" and x1 == 70):
                continue  # fractional (D12) and rotated (D1) boxes
            assert (label, [x1 + 1, y1 + 1, x2, y2]) in mine
    sdk_car = ET.parse(SDK_GOLDEN / "pascalvoc" / "annotations" / "scene_a.xml").getroot().find("object")
    my_car = ET.parse(path / "Annotations" / "scene_a.xml").getroot().find("object")
    assert my_car.findtext("truncated") == sdk_car.findtext("truncated") == "1"  # from the switch attribute


def test_labelme_agrees_with_the_sdk_for_boxes_polygons_and_points(out) -> None:  # type: ignore[no-untyped-def]
    path, _ = out("labelme")
    for name in ("scene_a.json", "sub/scene_b.json"):
        mine = [(s["label"], s["shape_type"], s["points"]) for s in load(path / name)["shapes"]]
        for shape in load(SDK_GOLDEN / "labelme" / name)["shapes"]:
            if shape["shape_type"] in ("rectangle", "point") or (shape["shape_type"] == "polygon"
                                                                and shape["label"] == "sign"):
                if shape["points"] == [[70, 10], [110, 30]]:
                    continue  # the rotated car (D1)
                assert (shape["label"], shape["shape_type"], shape["points"]) in mine


def test_pixels_agree_with_the_sdk_for_axis_aligned_shapes_and_holes(out) -> None:  # type: ignore[no-untyped-def]
    """Instance PNG: the unrotated car box and the holed road are the SDK's pixels exactly; the hole
    pixel (20, 70) is background and (8, 60) is road."""
    path, _ = out("instance-png")
    mine, sdk = png(path / "scene_a.png"), png(SDK_GOLDEN / "instance_segmentation" / "scene_a.png")
    for instance in (1, 6):  # car [10, 12, 50, 40]; road with its hole (the same order in both)
        assert np.array_equal(mine == instance, sdk == instance)
    assert mine[70, 20] == 0 and mine[60, 8] == 6


# --- defects (API.md §3.3): each test fails on the SDK's output ------------------------------------

def test_d1_rotation_honoured_in_coco(out) -> None:  # type: ignore[no-untyped-def]
    path, report = out("coco")
    car = find(coco_objects(load(path)), file="scene_a.jpg", name="car", iscrowd=0, area=800.0)
    x1, y1, x2, y2 = ROTATED_BOUNDS
    assert np.allclose(car["bbox"], [x1, y1, x2 - x1, y2 - y1])  # the SDK wrote [70, 10, 40, 20]
    corners = np.array(car["segmentation"][0]).reshape(-1, 2)
    assert len(corners) == 4 and np.allclose(corners.min(axis=0), [x1, y1])
    assert np.allclose(corners.max(axis=0), [x2, y2])
    assert issues(report, Code.GEOMETRY_CONVERTED, "rotated")


@pytest.mark.parametrize("fmt", ["yolo", "yolo-obb", "yolo-seg", "voc", "labelme", "instance-png", "fastlabel"])
def test_d1_rotation_honoured_in_every_export(out, fmt: str) -> None:  # type: ignore[no-untyped-def]
    path, _ = out(fmt)
    x1, y1, x2, y2 = ROTATED_BOUNDS
    if fmt.startswith("yolo"):
        _, rows = yolo_rows(path, "scene_a.txt")
        cars = [n for label, n in rows if label == "car"]
        points = [np.array(n).reshape(-1, 2) * [128, 96] for n in cars if len(n) > 4]
        boxes = [n for n in cars if len(n) == 4]
        if fmt == "yolo":
            assert any(np.allclose([b[2] * 128, b[3] * 96], [x2 - x1, y2 - y1], atol=1e-3) for b in boxes)
        else:
            assert any(np.allclose(p.min(axis=0), [x1, y1], atol=1e-3) and np.allclose(p.max(axis=0), [x2, y2],
                                                                                      atol=1e-3) for p in points)
    elif fmt == "voc":
        boxes = [b for label, b in voc_boxes(path / "Annotations" / "scene_a.xml") if label == "car"]
        # 1-based, rounded to whole pixels (reported): within half a pixel of the rotated box's bounds
        assert any(np.allclose([b[0] - 1, b[1] - 1, b[2], b[3]], ROTATED_BOUNDS, atol=0.5) for b in boxes)
    elif fmt == "labelme":
        shapes = [s for s in load(path / "scene_a.json")["shapes"] if s["label"] == "car"]
        polygons = [np.array(s["points"]) for s in shapes if s["shape_type"] == "polygon"]
        assert any(np.allclose(p.min(axis=0), [x1, y1]) and np.allclose(p.max(axis=0), [x2, y2]) for p in polygons)
    elif fmt == "instance-png":
        ys, xs = np.nonzero(png(path / "scene_a.png") == 2)
        assert abs(len(xs) - 800) <= 8  # area 800; the SDK: the unrotated x 70..109, y 10..29
        assert (xs.min(), xs.max(), ys.min(), ys.max()) == (68, 111, 2, 37)  # pixel centres in the rotated box
    else:
        car = load(path)["tasks"][0]["annotations"][1]
        assert (car["points"], car["rotation"]) == ([70, 10, 110, 30], 30)


def test_d2_d14_holes_kept_or_reported(out) -> None:  # type: ignore[no-untyped-def]
    """COCO: the holed road becomes an RLE mask with the hole and the true area 1350 (the SDK wrote
    the outer ring, area 1575); formats that cannot hold holes report it, and VOC keeps it in its
    segmentation PNGs."""
    path, report = out("coco")
    road = find(coco_objects(load(path)), file="scene_a.jpg", name="road")
    assert road["area"] == 1350
    mask = rle.decode(rle.from_string(road["segmentation"]["counts"]), tuple(road["segmentation"]["size"]))
    assert mask[70, 20] == 0 and mask[60, 8] == 1 and int(mask.sum()) == 1350
    assert issues(report, Code.GEOMETRY_CONVERTED, "holes")
    for fmt in ("yolo", "yolo-seg", "labelme"):
        need(fmt)
        assert issues(out(fmt)[1], Code.GEOMETRY_CONVERTED, "holes"), fmt
    path, _ = out("voc")
    objects = np.asarray(Image.open(path / "SegmentationObject" / "scene_a.png"))
    assert len(np.unique(objects)) > 1 and (path / "SegmentationClass" / "scene_a.png").is_file()


def test_d3_yolo_class_ids_match_the_class_list(out, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """With an unsorted class order the ids still index the written names (the SDK sorted the file only)."""
    order = tmp_path / "classes.txt"
    order.write_text("sign\ncar\nroad\nbike\nsidewalk\nnose\nlane\nperson\n")
    for options in ({}, {"class_order": "alpha"}, {"class_order": f"file:{order}"}):
        path, _ = out("yolo-seg", **options)
        names, rows = yolo_rows(path, "scene_a.txt")
        if "class_order" in options and options["class_order"].startswith("file:"):
            assert names == order.read_text().split()
        sign = [label for label, numbers in rows if np.allclose(numbers[:2], [0.46875, 0.520833], atol=1e-6)]
        assert sign == ["sign"], (options, names, rows)


def test_d4_one_yolo_line_per_polygon(out) -> None:  # type: ignore[no-untyped-def]
    """Each object is one line 'class x1 y1 ...' with whole x, y pairs in [0, 1]: no ring concatenated
    with another behind a repeated class id (the SDK's 21-token road line)."""
    path, _ = out("yolo-seg")
    for name, objects in (("scene_a.txt", 6), ("sub/scene_b.txt", 3)):
        lines = (path / "labels" / "train" / name).read_text().splitlines()
        assert len(lines) == objects
        for line in lines:
            tokens = line.split()
            assert tokens[0].isdigit() and len(tokens) % 2 == 1 and len(tokens) >= 7
            assert all("." in t or t in ("0", "1") for t in tokens[1:])
            assert all(0 <= float(t) <= 1 for t in tokens[1:])


def test_d5_d19_pose_exported_with_bbox_and_area(out) -> None:  # type: ignore[no-untyped-def]
    path, _ = out("coco")
    person = find(coco_objects(load(path)), name="person")
    assert person["bbox"] == [92, 50, 18, 20] and person["area"] == 360  # the SDK: bbox [], area 0
    _, report = out("yolo")  # the SDK's export_yolo crashed on the pose (IndexError)
    assert issues(report, Code.UNSUPPORTED_KIND, "keypoints")
    path, _ = out("yolo-pose")
    _, rows = yolo_rows(path, "scene_a.txt")
    (pose,) = [n for label, n in rows if label == "person"]
    assert np.allclose(np.array(pose[:4]) * [128, 96, 128, 96], [101, 60, 18, 20], atol=1e-3)


def test_d6_coco_import_reads_bbox_all_parts_and_rle(tmp_path: Path) -> None:
    need("coco")
    third = SDK_GOLDEN / "third_party_inputs"
    written = {}
    for name in ("coco_bbox_only", "coco_multipolygon", "coco_rle"):
        report = annoconv.convert("coco", "fastlabel", third / f"{name}.json", tmp_path / f"{name}.json")
        written[name] = (load(tmp_path / f"{name}.json")["tasks"][0]["annotations"], report)
    (box,), _ = written["coco_bbox_only"]
    assert (box["type"], box["points"]) == ("bbox", [10, 20, 40, 60])  # the SDK: IndexError
    (parts,), _ = written["coco_multipolygon"]
    assert parts["type"] == "segmentation" and parts["points"] == [[[0, 0, 10, 0, 10, 10, 0, 10, 0, 0]],
                                                                   [[50, 50, 60, 50, 60, 60, 50, 60, 50, 50]]]
    (blob,), report = written["coco_rle"]  # the SDK: KeyError: 0
    assert blob["type"] == "segmentation" and blob["points"] == [[[0, 0, 2, 0, 2, 2, 0, 2, 0, 0]]]
    # traced; crowd flag dropped; COCO's numeric category ids are not FastLabel class ids
    assert {i.code.value for i in report} == {"geometry-converted", "field-dropped", "id-reassigned"}
    # the SDK's own COCO export (without pose): the two-region road of scene_b keeps both regions
    annoconv.convert("coco", "fastlabel", SDK_GOLDEN / "coco_nopose" / "annotations.json", tmp_path / "own.json")
    scene_b = load(tmp_path / "own.json")["tasks"][1]["annotations"]
    road = next(a for a in scene_b if a["value"] == "road")
    assert road["type"] == "segmentation" and len(road["points"]) == 2
    # ... and its export with pose, whose keypoint annotations carry "bbox": [] (no box)
    annoconv.convert("coco", "fastlabel", SDK_GOLDEN / "coco" / "annotations.json", tmp_path / "pose.json")
    types = {a["type"] for task in load(tmp_path / "pose.json")["tasks"] for a in task["annotations"]}
    assert "pose_estimation" in types


def test_d7_voc_import_by_tag_name_and_floats(tmp_path: Path) -> None:
    need("voc")
    third = SDK_GOLDEN / "third_party_inputs"
    boxes = {}
    for name in ("voc_minmax_order", "voc_float", "voc_no_object"):
        annoconv.convert("voc", "fastlabel", third / name, tmp_path / f"{name}.json")
        boxes[name] = [a["points"] for t in load(tmp_path / f"{name}.json")["tasks"] for a in t["annotations"]]
    # VOC's 1-based inclusive pixels -> corners: x1 = xmin - 1 (the SDK read [10, 50, 20, 60] by element order)
    assert boxes["voc_minmax_order"] == [[9, 19, 50, 60]]
    assert boxes["voc_float"] == [[9.5, 19, 50, 60]]  # the SDK: ValueError
    assert boxes["voc_no_object"] == []  # the SDK: KeyError for the whole folder


def test_d8_overlaps_resolved_by_z_order_not_or(out) -> None:  # type: ignore[no-untyped-def]
    """Where shapes overlap the later one wins; no index that is not a class or instance appears (the
    SDK's semantic scene_b had 150 px of road|sign = 14, its instance overlap 1|2 = the sign's 3)."""
    path, _ = out("semantic-png")
    classes = {c["name"]: c["index"] for c in load(path / "labels.json")["classes"]}
    scene_b = png(path / "sub" / "scene_b.png")
    assert set(np.unique(scene_b).tolist()) <= {0, *classes.values()}
    assert scene_b[15, 15] == classes["sidewalk"] and scene_b[40, 50] == classes["sign"]
    path, _ = out("instance-png")
    instances = png(path / "sub" / "scene_b.png")
    assert instances[15, 15] == 2 and int((instances == 3).sum()) == 204  # sidewalk over road; the sign alone


def test_d9_semantic_indices_only_for_drawn_classes(out) -> None:  # type: ignore[no-untyped-def]
    path, _ = out("semantic-png")
    classes = [(c["index"], c["name"]) for c in load(path / "labels.json")["classes"]]
    assert classes == [(1, "car"), (2, "bike"), (3, "sign"), (4, "road"), (5, "sidewalk")]  # no gaps for nose, lane


def _square_tasks(tmp_path: Path, rings: list[list[int]]) -> Path:
    annotations = [{"type": "polygon", "value": f"s{i}", "points": ring} for i, ring in enumerate(rings)]
    path = tmp_path / "squares.json"
    path.write_text(json.dumps([{"name": f"{i}.png", "width": 40, "height": 40, "annotations": [a]}
                                for i, a in enumerate(annotations)]))
    return path


def test_d10_rasterization_independent_of_orientation(tmp_path: Path) -> None:
    need("instance-png")
    clockwise = [10, 10, 20, 10, 20, 20, 10, 20]
    counter = [10, 10, 10, 20, 20, 20, 20, 10]
    annoconv.convert("fastlabel", "instance-png", _square_tasks(tmp_path, [clockwise, counter]), tmp_path / "png")
    for name in ("0.png", "1.png"):
        ys, xs = np.nonzero(png(tmp_path / "png" / name))
        assert len(xs) == 100 and (xs.min(), xs.max(), ys.min(), ys.max()) == (10, 19, 10, 19)  # SDK ccw: 132 px


def test_d11_more_than_255_instances(tmp_path: Path) -> None:
    need("instance-png")
    boxes = [{"type": "bbox", "value": "b", "points": [x, y, x + 1, y + 1]} for y in range(15) for x in range(20)]
    source = tmp_path / "many.json"
    source.write_text(json.dumps([{"name": "m.png", "width": 20, "height": 15, "annotations": boxes}]))
    annoconv.convert("fastlabel", "instance-png", source, tmp_path / "png")
    values = png(tmp_path / "png" / "m.png")
    assert values.max() == 300 and len(np.unique(values)) == 300  # the SDK saturated at 255


def test_d12_rounding_is_explicit(out) -> None:  # type: ignore[no-untyped-def]
    """Fractional coordinates: VOC rounds to whole pixels and says so (keep_floats keeps them); YOLO
    rounds (not truncates) and says so; COCO keeps the floats; pixels follow the centre rule."""
    path, report = out("voc")
    assert issues(report, Code.PRECISION_REDUCED)
    path, report = out("voc", keep_floats=True)
    boxes = [b for label, b in voc_boxes(path / "Annotations" / "scene_a.xml") if label == "bike"]
    assert [31.6, 45.4, 45.5, 52.7] in [[round(v, 9) for v in b] for b in boxes] and not issues(
        report, Code.PRECISION_REDUCED, "rounded")
    path, report = out("yolo")
    assert issues(report, Code.PRECISION_REDUCED)
    _, rows = yolo_rows(path, "scene_a.txt")
    bike = next(n for label, n in rows if label == "bike" and n[2] > 0.1)
    x1, y1 = (bike[0] - bike[2] / 2) * 128, (bike[1] - bike[3] / 2) * 96
    assert abs(x1 - 30.6) <= 0.5e-6 * 128 * 2 and abs(y1 - 44.4) <= 0.5e-6 * 96 * 2
    path, _ = out("coco")
    bike = find(coco_objects(load(path)), name="bike", area=123.67000000000006)
    assert bike["bbox"][:2] == [30.6, 44.4]
    path, _ = out("instance-png")
    assert int((png(path / "scene_a.png") == 3).sum()) == 14 * 9  # pixel centres inside [30.6, 45.5) x [44.4, 52.7)


def test_d13_categories_keep_every_class_and_colours_are_not_invented(out) -> None:  # type: ignore[no-untyped-def]
    path, report = out("coco")
    names = [c["name"] for c in load(path)["categories"]]
    assert "sidewalk" in names and names[:5] == ["car", "bike", "sign", "road", "person"]  # class order first
    assert all("color" not in c for c in load(path)["categories"])  # the SDK gave all the last annotation's colour
    assert issues(report, Code.FIELD_DROPPED, "colour")
    path, _ = out("fastlabel")
    colours = {c["value"]: c.get("color") for c in load(path)["annotations"]}
    assert colours == {"car": "#e41a1c", "bike": "#ff7f00", "sign": "#377eb8", "road": "#4daf4a",
                       "person": "#10c414", "nose": "#984ea3", "lane": "#ffff33", "sidewalk": "#a65628"}


def test_d14_labelme_export_keeps_regions_and_linestrips(out) -> None:  # type: ignore[no-untyped-def]
    path, report = out("labelme")
    shapes = load(path / "sub" / "scene_b.json")["shapes"]
    roads = [s for s in shapes if s["label"] == "road"]
    assert len(roads) == 2 and roads[0]["group_id"] is not None and roads[0]["group_id"] == roads[1]["group_id"]
    lane = next(s for s in load(path / "scene_a.json")["shapes"] if s["label"] == "lane")
    assert lane["shape_type"] == "linestrip" and len(lane["points"]) == 3
    assert issues(report, Code.GEOMETRY_CONVERTED, "keypoints")  # pose: not silently dropped


def test_d15_labelme_import_circle_linestrip_reversed_rectangle(tmp_path: Path) -> None:
    need("labelme")
    report = annoconv.convert("labelme", "fastlabel", SDK_GOLDEN / "third_party_inputs" / "labelme_misc",
                              tmp_path / "out.json")
    (task,) = load(tmp_path / "out.json")["tasks"]
    by_value = {a["value"]: a for a in task["annotations"]}
    assert {a["type"] for a in task["annotations"]} <= FASTLABEL_TYPES  # the SDK wrote type None
    assert (by_value["car"]["type"], by_value["car"]["points"]) == ("bbox", [10, 5, 40, 30])
    assert by_value["lane"]["type"] == "line" and by_value["lane"]["points"] == [0, 0, 10, 10, 20, 5]
    ball = np.array(by_value["ball"]["points"]).reshape(-1, 2)
    assert np.allclose(np.hypot(ball[:, 0] - 20, ball[:, 1] - 20), 5)
    assert issues(report, Code.GEOMETRY_CONVERTED, "circle")
    with pytest.raises(SchemaError, match="label"):  # the SDK: TypeError
        annoconv.read("labelme", SDK_GOLDEN / "third_party_inputs" / "labelme_emptylabel")


def test_d16_yolo_import_with_classes_txt_inside(tmp_path: Path) -> None:
    """The SDK's own YOLO export (classes.txt beside the label files) reads; the SDK's importer crashed."""
    need("yolo")
    dataset = tmp_path / "yolo"
    (dataset / "sub").mkdir(parents=True)
    for name in ("scene_a", "sub/scene_b"):
        image = next((SDK_GOLDEN / "input_images").glob(f"{name}.*"))
        shutil.copy(image, dataset / image.relative_to(SDK_GOLDEN / "input_images"))
        shutil.copy(SDK_GOLDEN / "yolo_auto" / "annotations" / f"{name}.txt", dataset / f"{name}.txt")
    shutil.copy(SDK_GOLDEN / "yolo_auto" / "classes.txt", dataset / "classes.txt")
    read = annoconv.read("yolo", dataset)
    assert read.labels.names() == ["bike", "car", "road", "sidewalk", "sign"]
    assert sorted((item.image.path, len(item.annotations)) for item in read.items) == [("scene_a.jpg", 5),
                                                                                       ("sub/scene_b.png", 3)]


def test_d17_voc_exports_segmentation_in_one_based_pixels(out) -> None:  # type: ignore[no-untyped-def]
    path, report = out("voc")
    names = [label for label, _ in voc_boxes(path / "Annotations" / "sub" / "scene_b.xml")]
    assert sorted(names) == ["road", "sidewalk", "sign"]  # the SDK wrote only the sign
    assert ("sidewalk", [11, 11, 30, 25]) in voc_boxes(path / "Annotations" / "sub" / "scene_b.xml")
    assert issues(report, Code.GEOMETRY_CONVERTED, "polygon")


def test_sub_pixel_boxes_are_not_dropped(out) -> None:  # type: ignore[no-untyped-def]
    """The SDK's COCO and VOC exports silently dropped the bike [20.2, 5, 20.9, 9] (int(x1) == int(x2))."""
    path, _ = out("coco")
    bikes = [a["bbox"] for a in coco_objects(load(path)) if a["name"] == "bike"]
    assert len(bikes) == 2 and any(math.isclose(b[0], 20.2) and math.isclose(b[2], 0.7) for b in bikes)
    path, _ = out("voc")
    assert len([b for label, b in voc_boxes(path / "Annotations" / "scene_a.xml") if label == "bike"]) == 2


def test_fastlabel_round_trip_of_the_golden_tasks(out) -> None:  # type: ignore[no-untyped-def]
    path, _ = out("fastlabel")
    assert load(path)["tasks"] == load(SDK_GOLDEN / "input_tasks.json")

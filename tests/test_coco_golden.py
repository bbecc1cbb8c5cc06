"""COCO golden tests.

Hand-written fixtures under tests/fixtures/coco/<case>/ are read, checked in the IR, written back
and compared (as parsed JSON) with the expected output; the canonical IR builders are written
and compared with tests/fixtures/coco/builders/*.json. Inline inputs cover single-field fidelity
cases (a source field must come back exactly as it was) and id handling.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

import builders
import pycocotools.mask as mask_utils
from annoconv import (Box, Caption, Code, Dataset, ImageRef, Item, Keypoints, Label, LabelSet, Mask, Polygon,
                      Severity, Tag)
from annoconv.ir import rle
from coco_support import (GOLDEN, ROUND_TRIP_CASES, assert_complete, assert_same_json, golden_expected, golden_input,
                          load, read_coco, write_coco, write_source)

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning:pycocotools")


def by_id(dataset: Dataset) -> dict[Any, list[Any]]:
    """Annotations of ``dataset`` grouped by source id, in reading order."""
    out: dict[Any, list[Any]] = {}
    for _, annotation in dataset.annotations():
        out.setdefault(annotation.id, []).append(annotation)
    return out


def f64(values: Any) -> np.ndarray:
    return np.asarray(values, dtype=np.float64)


def assert_f64(array: np.ndarray, expected: Any) -> None:
    """``array`` is float64 and exactly equal to ``expected``."""
    assert array.dtype == np.float64
    assert np.array_equal(array, f64(expected)), (array, expected)


# --- fixture round trips ------------------------------------------------------------------------

@pytest.mark.parametrize("case", ROUND_TRIP_CASES)
def test_golden_round_trip(case: str, tmp_path) -> None:
    """COCO -> IR -> COCO gives exactly the expected document, and nothing is reported."""
    dataset, read_report = read_coco(golden_input(case))
    doc, report = write_coco(dataset, tmp_path / "out.json")
    assert_same_json(doc, load(golden_expected(case)))
    assert [i.to_dict() for i in read_report] == []
    assert [i.to_dict() for i in report] == []
    assert report.predicted == []
    assert_complete(doc, dataset)


@pytest.mark.parametrize("case", ROUND_TRIP_CASES)
def test_golden_write_is_deterministic(case: str, tmp_path) -> None:
    dataset, _ = read_coco(golden_input(case))
    write_coco(dataset, tmp_path / "a.json")
    write_coco(read_coco(golden_input(case))[0], tmp_path / "b.json")
    assert (tmp_path / "a.json").read_bytes() == (tmp_path / "b.json").read_bytes()


def test_images_read() -> None:
    """Subfolder file names become item ids and paths; sizes are read; extra fields go to extras;
    an image without annotations is kept."""
    dataset, _ = read_coco(golden_input("images"))
    assert [item.id for item in dataset.items] == ["train/sub dir/a.b.jpg", "train/b.png", "empty.jpg"]
    assert [item.image for item in dataset.items] == [
        ImageRef("train/sub dir/a.b.jpg", 8, 6), ImageRef("train/b.png", 4, 4), ImageRef("empty.jpg", 5, 7)]
    assert [item.extras["coco:id"] for item in dataset.items] == [3, 1, 2]
    assert dataset.items[0].extras["coco:camera"] == {"side": "left", "tags": ["x", "y"]}
    assert dataset.items[0].extras["coco:date_captured"] == "2026-11-01 10:00:00"
    assert dataset.items[1].extras["coco:date_captured"] == 0
    assert dataset.items[2].annotations == []
    assert [len(item.annotations) for item in dataset.items] == [1, 1, 0]


def test_categories_read() -> None:
    """Non-contiguous ids (with 0) kept; supercategory -> parent; COCO 1-based skeleton -> 0-based."""
    dataset, _ = read_coco(golden_input("categories"))
    assert [(label.name, label.id, label.parent) for label in dataset.labels] == [
        ("_background_", 0, "none"), ("person", 5, "human"), ("cat", 17, "animal"), ("dog", 2, None)]
    person = dataset.labels["person"]
    assert person.keypoints == ("nose", "left_eye", "right_eye", "left_ear")
    assert person.skeleton == ((0, 1), (0, 2), (1, 3))
    assert dataset.labels["dog"].extras.get("coco:supercategory") == ""
    labels = {ann_id: {a.label for a in anns} for ann_id, anns in by_id(dataset).items()}
    assert labels == {1: {"_background_"}, 2: {"cat"}, 3: {"dog"}, 4: {"person"}}


def test_skeleton_written_one_based(tmp_path) -> None:
    """IR skeleton edges are 0-based; COCO's are 1-based."""
    labels = LabelSet([Label("hand", id=4, keypoints=("a", "b", "c", "d"), skeleton=((0, 3), (3, 1), (2, 0)))])
    doc, _ = write_coco(Dataset(labels, [Item("x.jpg", ImageRef("x.jpg", 4, 4))]), tmp_path / "o.json")
    assert doc["categories"] == [{"id": 4, "name": "hand", "supercategory": "", "keypoints": ["a", "b", "c", "d"],
                                  "skeleton": [[1, 4], [4, 2], [3, 1]]}]
    back, _ = read_coco(tmp_path / "o.json")
    assert back.labels["hand"].skeleton == ((0, 3), (3, 1), (2, 0))


def test_bbox_only_read() -> None:
    """An annotation with a bbox and no (or empty) segmentation is an axis-aligned Box, xywh -> xyxy."""
    dataset, _ = read_coco(golden_input("bbox_only"))
    anns = by_id(dataset)
    assert {ann_id: [type(a) for a in group] for ann_id, group in anns.items()} == {1: [Box], 2: [Box], 3: [Box]}
    assert_f64(anns[1][0].xyxy, [2.5, 3, 6.5, 8.25])
    assert_f64(anns[2][0].xyxy, [0, 0, 2, 3])
    assert_f64(anns[3][0].xyxy, [1, 1, 2, 2])
    assert all(a.angle == 0.0 and a.iscrowd is False for group in anns.values() for a in group)


def test_multipart_polygon_read() -> None:
    """Each polygon part is one region (exterior only), vertices exactly as given."""
    dataset, _ = read_coco(golden_input("multipart_polygon"))
    anns = by_id(dataset)
    (multi,), (single,) = anns[7], anns[8]
    assert type(multi) is Polygon and type(single) is Polygon
    assert [len(region) for region in multi.regions] == [1, 1]
    assert_f64(multi.regions[0][0], [[0, 0], [4, 0], [4, 4], [0, 4]])
    assert_f64(multi.regions[1][0], [[6, 6], [9, 6], [9, 9.5]])
    assert len(single.regions) == 1
    assert_f64(single.regions[0][0], [[1.25, 7.5], [3.75, 7.5], [2.5, 11.125]])


def test_rle_read() -> None:
    """Compressed and uncompressed RLE are Masks with the source iscrowd, decoding like pycocotools."""
    dataset, _ = read_coco(golden_input("rle"))
    source = {ann["id"]: ann for ann in load(golden_input("rle"))["annotations"]}
    anns = by_id(dataset)
    assert {ann_id: [type(a) for a in group] for ann_id, group in anns.items()} == {i: [Mask] for i in (1, 2, 3, 4)}
    assert {ann_id: group[0].iscrowd for ann_id, group in anns.items()} == {1: True, 2: False, 3: False, 4: True}
    for ann_id, (mask,) in anns.items():
        segmentation = source[ann_id]["segmentation"]
        height, width = segmentation["size"]
        reference = mask_utils.frPyObjects(segmentation, height, width) if isinstance(
            segmentation["counts"], list) else segmentation
        assert mask.size == (4, 5)
        assert np.array_equal(mask.decode(), mask_utils.decode(reference)), ann_id


def test_rle_written_as_in_source(tmp_path) -> None:
    """Uncompressed counts stay uncompressed, compressed stay compressed; iscrowd is never changed."""
    dataset, _ = read_coco(golden_input("rle"))
    doc, _ = write_coco(dataset, tmp_path / "o.json")
    written = {ann["id"]: ann for ann in doc["annotations"]}
    assert {i: type(a["segmentation"]["counts"]).__name__ for i, a in written.items()} == {
        1: "str", 2: "str", 3: "list", 4: "list"}
    assert {i: a["iscrowd"] for i, a in written.items()} == {1: 1, 2: 0, 3: 0, 4: 1}


def test_keypoints_read() -> None:
    """Keypoints join their shape by group = COCO id; visibility 0/1/2 and coordinates exact."""
    dataset, _ = read_coco(golden_input("keypoints"))
    anns = by_id(dataset)
    assert {ann_id: [type(a) for a in group] for ann_id, group in anns.items()} == {
        1: [Polygon, Keypoints], 2: [Box, Keypoints], 3: [Polygon, Keypoints]}
    expected = {1: ([[1, 2], [3.5, 4], [0, 0]], [2, 1, 0]),
                2: ([[5, 5], [6, 6], [7, 7]], [2, 2, 2]),
                3: ([[0, 0], [0, 0], [0, 0]], [0, 0, 0])}
    num_keypoints = {ann["id"]: ann["num_keypoints"] for ann in load(golden_input("keypoints"))["annotations"]}
    for ann_id, (shape, points) in anns.items():
        assert shape.group == points.group == ann_id
        assert points.label == "person"
        assert_f64(points.xy, expected[ann_id][0])
        assert points.visibility.tolist() == expected[ann_id][1]
        assert points.labelled == num_keypoints[ann_id]
    assert dataset.labels["person"].skeleton == ((0, 1), (1, 2))


def test_attributes_read() -> None:
    """Attribute values keep their JSON types (bool stays bool, int stays int)."""
    dataset, _ = read_coco(golden_input("attributes"))
    anns = by_id(dataset)
    attributes = anns[1][0].attributes
    assert attributes == {"occluded": True, "truncated": False, "color": "red", "count": 3, "ratio": 0.25,
                          "tags": ["a", "b"]}
    assert {k: type(v) for k, v in attributes.items()} == {
        "occluded": bool, "truncated": bool, "color": str, "count": int, "ratio": float, "tags": list}
    assert anns[2][0].attributes == {"occluded": False}



def test_image_attributes_are_the_items_attributes(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A non-empty image "attributes" object is the item's attributes, and is written back there;
    any other value (an empty object, a string) is kept verbatim as an extra."""
    source = write_source({"images": [
        {"id": 1, "file_name": "a.jpg", "width": 4, "height": 4, "attributes": {"weather": "fog", "night": True}},
        {"id": 2, "file_name": "b.jpg", "width": 4, "height": 4, "attributes": {}},
        {"id": 3, "file_name": "c.jpg", "width": 4, "height": 4, "attributes": "n/a"}],
        "annotations": [], "categories": []}, tmp_path / "in.json")
    dataset, _ = read_coco(source)
    assert [item.attributes for item in dataset.items] == [{"weather": "fog", "night": True}, {}, {}]
    assert [item.extras.get("coco:attributes") for item in dataset.items] == [None, {}, "n/a"]
    written, report = write_coco(dataset, tmp_path / "out.json")
    assert [image["attributes"] for image in written["images"]] == [{"weather": "fog", "night": True}, {}, "n/a"]
    assert not report.issues


def test_unknown_keys_in_extras() -> None:
    """info, licenses and unknown keys at every level are kept as "coco:<key>" extras."""
    dataset, _ = read_coco(golden_input("top_level"))
    source = load(golden_input("top_level"))
    assert dataset.extras == {f"coco:{k}": source[k] for k in ("info", "licenses", "type", "tool")}
    (item,) = dataset.items
    assert item.extras["coco:license"] == 1 and item.extras["coco:scene"] == "street"
    (box,) = item.annotations
    assert {k: box.extras[k] for k in ("coco:track_id", "coco:note", "coco:source")} == {
        "coco:track_id": 4, "coco:note": None, "coco:source": {"annotator": "a", "reviewed": True}}
    assert dataset.labels["car"].extras["coco:isthing"] == 1


def test_tags_read() -> None:
    """An annotation with only a category is an image-level Tag."""
    dataset, _ = read_coco(golden_input("tags"))
    assert [[(type(a), a.label, a.id) for a in item.annotations] for item in dataset.items] == [
        [(Tag, "indoor", 1), (Tag, "night", 2)], [(Tag, "night", 3)]]


def test_captions_read() -> None:
    dataset, _ = read_coco(golden_input("captions"))
    assert [[(type(a), a.text, a.label, a.id) for a in item.annotations] for item in dataset.items] == [
        [(Caption, "A cat on a mat.", None, 1), (Caption, "Un chat \u00e9tendu.", None, 5)], [(Caption, "", None, 3)]]


# --- results files ------------------------------------------------------------------------------

RESULTS = GOLDEN / "results"


@pytest.mark.parametrize("with_gt", [False, True], ids=["without-gt", "with-gt"])
def test_results_golden(with_gt: bool, tmp_path) -> None:
    """A bare results list (with scores) becomes a full COCO file; with gt= the images and
    categories come from the ground truth, without it they are named by their ids."""
    options = {"gt": str(RESULTS / "gt.json")} if with_gt else {}
    dataset, read_report = read_coco(RESULTS / "results.json", **options)
    doc, report = write_coco(dataset, tmp_path / "out.json")
    assert_same_json(doc, load(RESULTS / ("expected_gt.json" if with_gt else "expected.json")))
    assert_complete(doc, dataset)
    if with_gt:
        assert read_report.codes() == set() and report.codes() == set()
        assert [item.id for item in dataset.items] == ["x.jpg", "y.jpg", "z.jpg"]
        assert dataset.labels.names() == ["cat", "dog"]
    else:
        assert read_report.codes() == {Code.LABEL_UNKNOWN.value}
        assert report.codes() == {Code.IMAGE_SIZE_MISSING.value}
        assert [item.id for item in dataset.items] == ["9", "7"]
        assert dataset.labels.names() == ["3"]
    scores = sorted((type(a).__name__, a.score) for _, a in dataset.annotations())
    assert scores == [("Box", 0.25), ("Box", 0.5), ("Mask", 0.75)]


# --- writer goldens from the canonical IR builders ----------------------------------------------

BUILDERS = GOLDEN / "builders"


def test_detection_dataset_golden(tmp_path) -> None:
    """Everything COCO holds natively: written exactly as the golden, with no issue and no predicted loss."""
    dataset = builders.detection_dataset()
    doc, report = write_coco(dataset, tmp_path / "out.json")
    assert_same_json(doc, load(BUILDERS / "detection.json"))
    assert not report.has_warnings
    assert [i.to_dict() for i in report] == []
    assert report.predicted == []
    assert_complete(doc, dataset)
    assert [a["id"] for a in doc["annotations"]] == [1, 2, 3, 4, 10, 11]  # source ids kept
    assert [c["id"] for c in doc["categories"]] == [1, 3, 7]


def _rotated_corners(xyxy: tuple[float, ...], degrees: float) -> list[float]:
    """Corners TL, TR, BR, BL of a box turned ``degrees`` clockwise on screen (y down), flattened."""
    x1, y1, x2, y2 = xyxy
    cx, cy, c, s = (x1 + x2) / 2, (y1 + y2) / 2, math.cos(math.radians(degrees)), math.sin(math.radians(degrees))
    out: list[float] = []
    for x, y in ((x1, y1), (x2, y1), (x2, y2), (x1, y2)):
        out += [cx + (x - cx) * c - (y - cy) * s, cy + (x - cx) * s + (y - cy) * c]
    return out


def test_lossy_dataset_golden(tmp_path) -> None:
    """Rotated box -> 4-corner polygon + enclosing bbox; polygon with a hole -> RLE; polyline and
    point dropped; caption kept. Trigonometry is compared to 1e-12, the rest exactly."""
    dataset = builders.lossy_dataset()
    doc, _ = write_coco(dataset, tmp_path / "out.json")
    expected = load(BUILDERS / "lossy.json")
    rotated, golden_rotated = doc["annotations"][0], expected["annotations"][0]
    assert rotated["id"] == 1
    corners = _rotated_corners((5, 5, 15, 10), 30.0)
    assert rotated["segmentation"] == [pytest.approx(corners, abs=1e-12)]
    xs, ys = corners[0::2], corners[1::2]
    assert rotated["bbox"] == pytest.approx([min(xs), min(ys), max(xs) - min(xs), max(ys) - min(ys)], abs=1e-12)
    for key in ("segmentation", "bbox"):
        rotated[key] = golden_rotated[key]
    assert_same_json(doc, expected)
    assert_complete(doc, dataset)


def test_lossy_hole_polygon_mask(tmp_path) -> None:
    """The RLE written for the polygon with a hole is the 20x20 square minus the 5x5 hole
    (pixel-centre rule), so the hole is really cleared."""
    doc, _ = write_coco(builders.lossy_dataset(), tmp_path / "out.json")
    (written,) = [a for a in doc["annotations"] if a["id"] == 2]
    expected = np.zeros((30, 40), dtype=np.uint8)
    expected[0:20, 0:20] = 1
    expected[5:10, 5:10] = 0
    assert written["segmentation"]["size"] == [30, 40]
    assert np.array_equal(rle.decode(written["segmentation"]["counts"], (30, 40)), expected)
    assert written["iscrowd"] == 0


def test_lossy_dataset_report(tmp_path) -> None:
    """Each loss is reported once, on its annotation, with its stable code."""
    _, report = write_coco(builders.lossy_dataset(), tmp_path / "out.json")
    assert sorted((i.code.value, i.annotation) for i in report) == [
        ("geometry-converted", 1), ("geometry-converted", 2), ("unsupported-kind", 3), ("unsupported-kind", 4)]
    assert all(i.severity is Severity.WARNING and i.item == "c.jpg" for i in report)
    messages = {i.annotation: i.message.lower() for i in report}
    assert "rotated" in messages[1] and "hole" in messages[2]
    assert "polyline" in messages[3] and "point" in messages[4]


def test_lossy_predicted_matches_actual(tmp_path) -> None:
    """Predicted losses (capability check) and recorded losses agree: same codes, same messages, same counts."""
    _, report = write_coco(builders.lossy_dataset(), tmp_path / "out.json")
    predicted = {i.code.value for i in report.predicted}
    actual = report.codes()
    assert predicted <= actual and actual <= predicted
    assert {(s.code, s.message, s.count) for s in report.summary(predicted=True)} == {
        (s.code, s.message, s.count) for s in report.summary()}


@pytest.mark.parametrize("build", [builders.detection_dataset, builders.lossy_dataset], ids=["detection", "lossy"])
def test_builder_write_is_deterministic(build: Any, tmp_path) -> None:
    """Writing the same dataset twice gives identical bytes (ids included)."""
    write_coco(build(), tmp_path / "a.json")
    write_coco(build(), tmp_path / "b.json")
    assert (tmp_path / "a.json").read_bytes() == (tmp_path / "b.json").read_bytes()


# --- ids ----------------------------------------------------------------------------------------

def test_ids_renumbered_when_not_unique_ints(tmp_path) -> None:
    """String category, image and annotation ids are renumbered from 1 (id-reassigned, info) and
    every reference follows the renumbering."""
    labels = LabelSet([Label("cat", id="c-cat"), Label("dog", id="c-dog")])
    items = [
        Item("a.jpg", ImageRef("a.jpg", 8, 8), [Box((0, 0, 1, 1), label="dog", id="x"),
                                                Box((1, 1, 2, 2), label="cat", id="y")], extras={"coco:id": "img-a"}),
        Item("b.jpg", ImageRef("b.jpg", 8, 8), [Box((2, 2, 3, 3), label="dog", id="z")], extras={"coco:id": "img-b"}),
    ]
    doc, report = write_coco(Dataset(labels, items), tmp_path / "o.json")
    reassigned = report.by_code(Code.ID_REASSIGNED)
    assert sorted(i.message.split()[0] for i in reassigned) == ["annotation", "category", "image"]
    assert all(i.severity is Severity.INFO for i in reassigned) and not report.has_warnings
    assert [(c["id"], c["name"]) for c in doc["categories"]] == [(1, "cat"), (2, "dog")]
    assert [(i["id"], i["file_name"]) for i in doc["images"]] == [(1, "a.jpg"), (2, "b.jpg")]
    assert [(a["id"], a["image_id"], a["category_id"], a["bbox"]) for a in doc["annotations"]] == [
        (1, 1, 2, [0, 0, 1, 1]), (2, 1, 1, [1, 1, 1, 1]), (3, 2, 2, [2, 2, 1, 1])]


def test_duplicate_annotation_ids_renumbered(tmp_path) -> None:
    """Duplicate integer annotation ids are renumbered (reported); image and category ids are kept."""
    source = {
        "images": [{"id": 4, "file_name": "a.jpg", "width": 8, "height": 8}],
        "annotations": [
            {"id": 5, "image_id": 4, "category_id": 9, "segmentation": [], "area": 1, "bbox": [0, 0, 1, 1],
             "iscrowd": 0},
            {"id": 5, "image_id": 4, "category_id": 9, "segmentation": [], "area": 1, "bbox": [2, 2, 1, 1],
             "iscrowd": 0},
        ],
        "categories": [{"id": 9, "name": "x", "supercategory": ""}],
    }
    dataset, _ = read_coco(write_source(source, tmp_path / "in.json"))
    doc, report = write_coco(dataset, tmp_path / "o.json")
    assert [i.message.split()[0] for i in report.by_code(Code.ID_REASSIGNED)] == ["annotation"]
    assert [(a["id"], a["image_id"], a["category_id"], a["bbox"]) for a in doc["annotations"]] == [
        (1, 4, 9, [0, 0, 1, 1]), (2, 4, 9, [2, 2, 1, 1])]


def test_duplicate_ids_with_keypoints_stay_separate(tmp_path) -> None:
    """Two persons that share a (duplicate) COCO id in one image are still two objects: their
    polygons must not merge into one multi-part polygon, nor the second keypoints lose their shape."""
    keypoints = [1, 1, 2, 2, 2, 2]
    source = {
        "images": [{"id": 1, "file_name": "a.jpg", "width": 10, "height": 10}],
        "annotations": [
            {"id": 5, "image_id": 1, "category_id": 1, "segmentation": [[0, 0, 1, 0, 1, 1]], "area": 0.5,
             "bbox": [0, 0, 1, 1], "iscrowd": 0, "keypoints": keypoints, "num_keypoints": 2},
            {"id": 5, "image_id": 1, "category_id": 1, "segmentation": [[5, 5, 6, 5, 6, 6]], "area": 0.5,
             "bbox": [5, 5, 1, 1], "iscrowd": 0, "keypoints": keypoints, "num_keypoints": 2},
        ],
        "categories": [{"id": 1, "name": "p", "supercategory": "", "keypoints": ["u", "v"], "skeleton": [[1, 2]]}],
    }
    dataset, _ = read_coco(write_source(source, tmp_path / "in.json"))
    doc, _ = write_coco(dataset, tmp_path / "o.json")
    written = [(a["segmentation"], a["bbox"], a["keypoints"]) for a in doc["annotations"]]
    assert written == [(ann["segmentation"], ann["bbox"], keypoints) for ann in source["annotations"]]


# --- single-field fidelity: COCO -> COCO keeps each source field exactly ------------------------

def _doc(annotations: list[dict[str, Any]], categories: list[dict[str, Any]] | None = None,
         images: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """A one-image COCO document around ``annotations``."""
    return {"images": images or [{"id": 1, "file_name": "a.jpg", "width": 10, "height": 10}],
            "annotations": annotations,
            "categories": categories or [{"id": 1, "name": "a", "supercategory": ""}]}


_TRIANGLE = {"segmentation": [[0, 0, 2, 0, 2, 2]], "area": 2.0, "bbox": [0, 0, 2, 2], "iscrowd": 0}

FIDELITY = {
    "empty-attributes": _doc([{"id": 1, "image_id": 1, "category_id": 1, **_TRIANGLE, "attributes": {}}]),
    "category-empty-keypoints": _doc([], [{"id": 1, "name": "a", "supercategory": "", "keypoints": [],
                                            "skeleton": []}]),
    "category-keypoints-without-skeleton": _doc([], [{"id": 1, "name": "a", "supercategory": "",
                                                       "keypoints": ["u", "v"]}]),
    "tag-with-crowd-area-segmentation": _doc([{"id": 1, "image_id": 1, "category_id": 1, "iscrowd": 0,
                                               "area": 0.0, "segmentation": []}]),
    "empty-keypoints-list": _doc([{"id": 1, "image_id": 1, "category_id": 1, **_TRIANGLE, "keypoints": [],
                                   "num_keypoints": 0}]),
    "num-keypoints-as-in-source": _doc(  # CrowdPose-style: num_keypoints not the count of v > 0
        [{"id": 1, "image_id": 1, "category_id": 1, **_TRIANGLE, "keypoints": [1, 1, 2, 2, 2, 2],
          "num_keypoints": 1}],
        [{"id": 1, "name": "a", "supercategory": "", "keypoints": ["u", "v"], "skeleton": [[1, 2]]}]),
    "image-with-height-only": _doc([], images=[{"id": 1, "file_name": "a.jpg", "height": 10},
                                              {"id": 2, "file_name": "b.jpg", "width": 0, "height": 10}]),
    "captions-file-without-categories": {  # the layout of COCO's own captions_*.json
        "info": {"year": 2017}, "licenses": [],
        "images": [{"id": 1, "file_name": "a.jpg", "width": 10, "height": 10}],
        "annotations": [{"id": 1, "image_id": 1, "caption": "A cat."}]},
}


@pytest.mark.parametrize("case", FIDELITY)
def test_source_field_kept(case: str, tmp_path) -> None:
    """Each input is complete COCO; writing it back must give it exactly (nothing dropped, nothing added)."""
    source = FIDELITY[case]
    dataset, _ = read_coco(write_source(source, tmp_path / "in.json"))
    doc, _ = write_coco(dataset, tmp_path / "out.json")
    assert_same_json(doc, source)


# --- IR -> COCO: what COCO can hold must not be lost silently -----------------------------------

def test_tag_and_caption_score_and_attributes_kept(tmp_path) -> None:
    """COCO declares scores and attributes native, so a Tag's or Caption's score and attributes
    must survive IR -> COCO -> IR (or at least be reported)."""
    labels = LabelSet([Label("cat", id=1)])
    item = Item("a.jpg", ImageRef("a.jpg", 4, 4), [
        Tag(label="cat", id=1, score=0.5, attributes={"source": "model"}),
        Caption("a cat", id=2, score=0.25, attributes={"lang": "en"}),
    ])
    _, report = write_coco(Dataset(labels, [item]), tmp_path / "o.json")
    back, _ = read_coco(tmp_path / "o.json")
    got = [(type(a).__name__, a.score, a.attributes) for a in back.items[0].annotations]
    assert got == [("Tag", 0.5, {"source": "model"}), ("Caption", 0.25, {"lang": "en"})] or report.has_warnings


def test_classification_results_keep_score(tmp_path) -> None:
    """An image-level result (category + score, no geometry) keeps its score through COCO -> COCO."""
    results = [{"image_id": 1, "category_id": 1, "score": 0.3}]
    dataset, _ = read_coco(write_source(results, tmp_path / "res.json"))
    doc, _ = write_coco(dataset, tmp_path / "o.json")
    assert [a.get("score") for a in doc["annotations"]] == [0.3]


def test_label_attributes_kept_or_reported(tmp_path) -> None:
    """Label attributes have no COCO field: they must be carried or reported, never dropped silently."""
    labels = LabelSet([Label("cat", id=1, attributes={"difficulty": "hard"})])
    _, report = write_coco(Dataset(labels, [Item("a.jpg", ImageRef("a.jpg", 4, 4))]), tmp_path / "o.json")
    back, _ = read_coco(tmp_path / "o.json")
    assert back.labels["cat"].attributes == {"difficulty": "hard"} or report.has_warnings


def test_box_float_round_trip_exact_or_reported(tmp_path) -> None:
    """COCO stores width/height: x1 + (x2 - x1) is not always x2 in float64 (17.3 + (54.88 - 17.3)
    = 54.879999999999995). Such a box must come back exactly, or the approximation be reported."""
    xyxy = (17.3, 10.95, 54.88, 62.48)
    labels = LabelSet([Label("cat", id=1)])
    dataset = Dataset(labels, [Item("a.jpg", ImageRef("a.jpg", 100, 100), [Box(xyxy, label="cat", id=1)])])
    _, report = write_coco(dataset, tmp_path / "o.json")
    back, _ = read_coco(tmp_path / "o.json")
    (box,) = back.items[0].annotations
    assert np.array_equal(box.xyxy, f64(xyxy)) or Code.PRECISION_REDUCED.value in report.codes(), box.xyxy.tolist()


def test_a_group_that_is_several_coco_annotations_is_reported(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Two boxes of one object (a group) become two COCO annotations: the link is reported; a box
    with its polygon stays one annotation and is not."""
    item = Item("a.jpg", ImageRef("a.jpg", 20, 20), [
        Box((1, 1, 5, 5), label="cat", id=1, group=7), Box((6, 6, 9, 9), label="cat", id=2, group=7),
        Box((10, 10, 15, 15), label="cat", id=3, group=8),
        Polygon.from_rings([[10, 10], [15, 10], [15, 15]], label="cat", id=3, group=8)])
    written, report = write_coco(Dataset(LabelSet([Label("cat")]), [item]), tmp_path / "out.json")
    assert len(written["annotations"]) == 3
    assert [(i.code, i.count) for i in report if i.message.startswith("group of annotations")] == [
        (Code.FIELD_DROPPED, 1)]

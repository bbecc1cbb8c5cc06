"""Pascal VOC: the coordinate rule both ways, reading hand-written fixtures into the exact IR,
writing the golden tree byte for byte, round trips, and every lossy conversion reported
(and predicted).

Fixtures: tests/fixtures/voc/basic (a VOC root with labelmap.txt, ImageSets/Main lists, parts,
actions, CVAT attributes, unknown elements, a size read from the image header, an id listed
without an XML), tests/fixtures/voc/basic_written (what the writer makes of it with keep_floats),
tests/fixtures/voc/flat (single-line XML files beside images, in sub-folders).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from lxml import etree

import builders
import annoconv
from annoconv import (Box, Code, Dataset, ImageRef, Item, Keypoints, Label, LabelSet, Mask, Point, Polygon, Polyline,
                      Report, Severity, Tag)
from conftest import FIXTURES

VOC = FIXTURES / "voc"


def read(path: Path, **options: Any) -> tuple[Dataset, Report]:
    report = Report()
    return annoconv.read("voc", path, report=report, **options), report


def write(dataset: Dataset, path: Path, **options: Any) -> Report:
    return annoconv.write(dataset, "voc", path, **options)


def xml_of(path: Path) -> Any:
    return etree.parse(str(path)).getroot()


def bndbox(root: Any, index: int = 0) -> list[str]:
    box = root.findall("object")[index].find("bndbox")
    return [box.findtext(key) for key in ("xmin", "ymin", "xmax", "ymax")]


def one_box_dataset(xyxy: Any, **fields: Any) -> Dataset:
    item = Item("a", ImageRef("a.jpg", 100, 80), [Box(xyxy, label="cat", **fields)])
    return Dataset(LabelSet([Label("cat")]), [item])


def codes(report: Report, severity: Severity | None = None) -> list[tuple[str, str]]:
    return sorted((i.code.value, i.message) for i in report if severity is None or i.severity is severity)


# --- the coordinate rule ------------------------------------------------------------------------

@pytest.mark.parametrize("voc, ir", [
    pytest.param(("1", "1", "10", "10"), (0, 0, 10, 10), id="first-ten-pixels"),
    pytest.param(("1", "1", "1", "1"), (0, 0, 1, 1), id="one-pixel"),
    pytest.param(("5.5", "6", "7.5", "8.25"), (4.5, 5, 7.5, 8.25), id="floats"),
    pytest.param(("0", "0", "3", "4"), (-1, -1, 3, 4), id="zero-based-source"),
    pytest.param(("4", "5", "3", "4"), (3, 4, 3, 4), id="empty-box"),
])
def test_voc_indices_to_ir_corners(tmp_path: Path, voc: tuple[str, ...], ir: tuple[float, ...]) -> None:
    """x1 = xmin - 1, y1 = ymin - 1, x2 = xmax, y2 = ymax; tags in any order; floats accepted."""
    xmin, ymin, xmax, ymax = voc
    (tmp_path / "a.xml").write_text(
        f"<annotation><filename>a.jpg</filename><size><width>20</width><height>20</height></size><object>"
        f"<name>cat</name><bndbox><ymax>{ymax}</ymax><xmax>{xmax}</xmax><ymin>{ymin}</ymin><xmin>{xmin}</xmin>"
        f"</bndbox></object></annotation>")
    dataset, _ = read(tmp_path)
    box = dataset.items[0].annotations[0]
    assert box.xyxy.dtype == np.float64 and box.xyxy.tolist() == list(ir)


@pytest.mark.parametrize("ir, voc, rounded", [
    pytest.param((0, 0, 10, 10), ["1", "1", "10", "10"], False, id="integral"),
    pytest.param((10, 12, 50, 40), ["11", "13", "50", "40"], False, id="builders-box"),
    pytest.param((0.4, 0.5, 9.5, 9.49), ["1", "2", "10", "9"], True, id="halves-up"),
    pytest.param((-1, -1, 3, 4), ["0", "0", "3", "4"], False, id="negative"),
])
def test_ir_corners_to_voc_indices(tmp_path: Path, ir: Any, voc: list[str], rounded: bool) -> None:
    """xmin = x1 + 1, ..., rounded to whole pixels (halves up) with precision-reduced when not integral."""
    report = write(one_box_dataset(ir), tmp_path / "out")
    assert bndbox(xml_of(tmp_path / "out" / "Annotations" / "a.xml")) == voc
    assert [i.code for i in report.by_code(Code.PRECISION_REDUCED)] == ([Code.PRECISION_REDUCED] if rounded else [])


def test_keep_floats_writes_exact_values(tmp_path: Path) -> None:
    dataset = one_box_dataset((0.5, 2, 9.25, 1e-3 + 7))
    report = write(dataset, tmp_path / "out", keep_floats=True)
    assert bndbox(xml_of(tmp_path / "out" / "Annotations" / "a.xml")) == ["1.5", "3", "9.25", repr(1e-3 + 7)]
    assert report.issues == []
    back, _ = read(tmp_path / "out")
    assert back.items[0].annotations[0].xyxy.tolist() == [0.5, 2, 9.25, 1e-3 + 7]


def test_keep_floats_reports_an_inexact_plus_one(tmp_path: Path) -> None:
    """0.1 + 1 - 1 != 0.1 in float64: written as exactly as possible, with an info entry."""
    report = write(one_box_dataset((0.1, 0, 5, 5)), tmp_path / "out", keep_floats=True)
    assert [(i.code, i.severity) for i in report] == [(Code.PRECISION_REDUCED, Severity.INFO)]


# --- reading ------------------------------------------------------------------------------------

def test_basic_labels_from_labelmap() -> None:
    """labelmap.txt order and colours, parts and actions; part names become labels after it."""
    dataset, _ = read(VOC / "basic")
    assert [(label.name, label.color) for label in dataset.labels] == [
        ("background", (0, 0, 0)), ("dog", (64, 0, 128)), ("person", (192, 128, 128)), ("cat", (64, 0, 0)),
        ("head", None)]
    assert dataset.labels["person"].extras == {"voc:parts": ["head"], "voc:actions": ["jumping", "phoning"]}
    assert dataset.labels["dog"].extras == {}


def test_basic_items_subsets_and_sizes() -> None:
    """Items sorted by id (subfolder ids kept); subsets from ImageSets/Main (train/val win over
    trainval); an id listed without an XML is an empty item; sizes of 0 come from image headers."""
    dataset, report = read(VOC / "basic")
    assert [(item.id, item.image, item.subset) for item in dataset.items] == [
        ("000001", ImageRef("000001.jpg", 64, 48), "train"),
        ("000002", ImageRef("000002.png", 7, 5), "train"),
        ("000004", ImageRef("000004.png", 3, 2), "val"),
        ("sub/000003", ImageRef("sub/000003.jpg", 10, 10), "val"),
    ]
    assert [(i.code, i.severity, i.item) for i in report] == [
        (Code.IMAGE_SIZE_MISSING, Severity.INFO, "000002"), (Code.IMAGE_SIZE_MISSING, Severity.INFO, "000004")]
    assert report.stats == {"items_read": 4, "annotations_read": 5}


def test_basic_objects() -> None:
    """Flags as bool (defaults left out), pose, actions, CVAT attributes, a part grouped with its
    object, unknown elements in extras."""
    dataset, _ = read(VOC / "basic")
    dog, person, head = dataset.items[0].annotations
    assert (dog.label, dog.xyxy.tolist(), dog.group) == ("dog", [10, 12, 50, 40], None)
    assert dog.attributes == {"pose": "Left", "truncated": True}
    assert (person.label, person.xyxy.tolist(), person.group) == ("person", [1.5, 2, 20.25, 30], 2)
    assert person.attributes == {"occluded": True, "difficult": True, "jumping": False, "phoning": True,
                                 "clothes": "red coat"}
    assert person.extras == {"voc:actions": ["jumping", "phoning"], "voc:point": {"x": "10", "y": "12"}}
    assert (head.label, head.xyxy.tolist(), head.group, head.attributes) == ("head", [4, 3, 9, 8], 2, {})
    assert dataset.items[0].extras == {
        "voc:folder": "VOC2012", "voc:source": {"database": "The VOC2007 Database", "annotation": "PASCAL VOC2007"},
        "voc:owner": {"name": "annoconv"}, "voc:segmented": "0", "voc:size": {"depth": "3"}}
    cat = dataset.items[3].annotations[0]
    assert (cat.label, cat.xyxy.tolist(), cat.attributes) == ("cat", [0, 0, 10, 10], {"difficult": True})


def test_class_lists_give_tags_only_where_objects_do_not() -> None:
    """cat_train.txt says 000002 has a cat (no object does): a Tag; the entries the objects imply
    (dog 1, person 0 = only difficult, cat 0 for the difficult cat) add nothing."""
    dataset, report = read(VOC / "basic")
    tags = [(item.id, a.label, a.attributes) for item in dataset.items for a in item.annotations if type(a) is Tag]
    assert tags == [("000002", "cat", {})]
    assert report.by_code(Code.SKIPPED_CONTENT) == []


def test_flat_folder_of_xml_files() -> None:
    """Single-line XML beside images, sub-folders kept in ids and image paths, no labelmap."""
    dataset, report = read(VOC / "flat")
    assert [(item.id, item.image) for item in dataset.items] == [
        ("my image", ImageRef("my image.jpg", 640, 480)), ("nested/b", ImageRef("nested/b.png", 5, 4))]
    assert [label.name for label in dataset.labels] == ["bicycle with space", "dog"]
    assert dataset.items[0].annotations[0].xyxy.tolist() == [74, 197, 81, 213]
    assert [(i.code, i.severity, i.item) for i in report] == [(Code.IMAGE_SIZE_MISSING, Severity.INFO, "nested/b")]


def test_single_xml_file() -> None:
    dataset, _ = read(VOC / "flat" / "nested" / "b.xml")
    assert [(item.id, item.image) for item in dataset.items] == [("b", ImageRef("b.png", 5, 4))]


def test_missing_size_without_image_is_a_warning(tmp_path: Path) -> None:
    (tmp_path / "x.xml").write_text("<annotation><filename>x.jpg</filename></annotation>")
    dataset, report = read(tmp_path)
    assert dataset.items[0].image == ImageRef("x.jpg") and dataset.items[0].annotations == []
    assert [(i.code, i.severity) for i in report] == [(Code.IMAGE_SIZE_MISSING, Severity.WARNING)]


# --- writing ------------------------------------------------------------------------------------

def tree(folder: Path) -> dict[str, bytes]:
    return {path.relative_to(folder).as_posix(): path.read_bytes() for path in sorted(folder.rglob("*"))
            if path.is_file()}


def test_golden_tree(tmp_path: Path) -> None:
    """VOC -> IR -> VOC (keep_floats) writes exactly tests/fixtures/voc/basic_written: per-item XML,
    split and per-class lists (train + val + trainval), labelmap.txt."""
    dataset, _ = read(VOC / "basic")
    report = write(dataset, tmp_path / "out", keep_floats=True)
    assert tree(tmp_path / "out") == tree(VOC / "basic_written")
    assert report.issues == [] and report.predicted == []
    assert report.stats == {"items_written": 4, "annotations_written": 3 + 1}  # objects + the part


def test_round_trip_is_the_same_ir(tmp_path: Path) -> None:
    dataset, _ = read(VOC / "basic")
    write(dataset, tmp_path / "out", keep_floats=True)
    back, report = read(tmp_path / "out")
    assert back == dataset
    assert report.issues == []  # the sizes are in the XML now


def test_round_trip_with_rounding_reports_it(tmp_path: Path) -> None:
    dataset, _ = read(VOC / "basic")
    report = write(dataset, tmp_path / "out")
    assert [(i.code, i.item, i.detail["xyxy"]) for i in report] == [
        (Code.PRECISION_REDUCED, "000001", [1.5, 2, 20.25, 30])]
    assert bndbox(xml_of(tmp_path / "out" / "Annotations" / "000001.xml"), 1) == ["3", "3", "20", "30"]
    back, _ = read(tmp_path / "out")
    assert back.items[0].annotations[1].xyxy.tolist() == [2, 2, 20, 30]
    back.items[0].annotations[1] = dataset.items[0].annotations[1]
    assert back == dataset  # nothing else changed


def test_flat_round_trip(tmp_path: Path) -> None:
    dataset, _ = read(VOC / "flat")
    write(dataset, tmp_path / "out")
    back, _ = read(tmp_path / "out")
    assert back == dataset
    assert (tmp_path / "out" / "Annotations" / "nested" / "b.xml").is_file()
    assert (tmp_path / "out" / "ImageSets" / "Main" / "default.txt").read_text() == "my image\nnested/b\n"


def test_builders_detection(tmp_path: Path) -> None:
    """COCO-like IR: ids from image paths without the extension; polygons and the mask as enclosing
    boxes plus segmentation PNGs (the crowd mask as void); keypoints, scores, label parents and the
    keypoint names dropped; the tag in cat_default.txt; what was recorded is what was predicted."""
    dataset = builders.detection_dataset()
    report = write(dataset, tmp_path / "out")
    predicted = {(s.code, s.message): s.count for s in report.summary(predicted=True)}
    recorded = {(s.code, s.message): s.count for s in report.summary() if s.severity is not Severity.INFO}
    assert predicted == recorded == {
        (Code.GEOMETRY_CONVERTED, "Polygon written as its enclosing box + pixels in the segmentation PNGs (voc)"): 2,
        (Code.UNSUPPORTED_KIND, "Keypoints annotations dropped: voc cannot hold them"): 1,
        (Code.SCORE_DROPPED, "Score dropped: voc cannot hold it"): 2,
        (Code.FIELD_DROPPED, "Crowd flag written as void (255) in the segmentation PNGs (boxes: dropped) (voc)"): 1,
        (Code.FIELD_DROPPED, "Label parents (supercategories) dropped: voc cannot hold it"): 3,
        (Code.FIELD_DROPPED, "Label keypoint names and skeletons dropped: voc cannot hold it"): 1,
    }
    assert [i.detail["labels"] for i in report if "Label parents" in i.message] == [["cat", "dog", "person"]]
    back, _ = read(tmp_path / "out")
    assert [(item.id, item.image.path, item.subset) for item in back.items] == [
        ("images/a", "images/a.jpg", None), ("images/empty", "images/empty.jpg", None),
        ("images/sub/b", "images/sub/b.png", None)]
    boxes = {(a.label, tuple(a.xyxy.tolist())) for a in back.items[0].annotations if a.kind == "box"}
    assert boxes == {("cat", (10, 12, 50, 40)), ("dog", (1, 1, 20, 15)), ("dog", (30, 5, 60, 40)),
                     ("cat", (5, 20, 13, 28))}
    assert [(a.kind, a.label, a.group) for a in back.items[0].annotations if a.kind == "mask"] == [
        ("mask", "dog", 2), ("mask", "dog", 3)]  # the crowd mask is void
    assert back.items[0].annotations[0].attributes == {"occluded": False, "color": "grey"}
    assert [(a.kind, a.label) for a in back.items[2].annotations] == [("box", "person"), ("tag", "cat")]
    assert (tmp_path / "out" / "ImageSets" / "Main" / "cat_default.txt").read_text() == (
        "images/a  1\nimages/sub/b  1\nimages/empty -1\n")  # in dataset order


def test_builders_lossy(tmp_path: Path) -> None:
    """Rotated box -> enclosing box; polygon with a hole -> its box and pixels; polyline, point,
    caption dropped."""
    report = write(builders.lossy_dataset(), tmp_path / "out")
    predicted = {(s.code, s.message): s.count for s in report.summary(predicted=True)}
    recorded = {(s.code, s.message): s.count for s in report.summary() if s.severity is not Severity.INFO}
    assert predicted == recorded
    assert {message for _, message in recorded} == {
        "Rotated box written as its enclosing axis-aligned box (voc)",
        "Polygon written as its enclosing box + pixels in the segmentation PNGs (voc)",
        "Polyline annotations dropped: voc cannot hold them",
        "Point annotations dropped: voc cannot hold them", "Caption annotations dropped: voc cannot hold them",
        "Label parents (supercategories) dropped: voc cannot hold it",
        "Label keypoint names and skeletons dropped: voc cannot hold it"}
    back, _ = read(tmp_path / "out")
    rotated = builders.lossy_dataset().items[0].annotations[0].bounds()
    assert [tuple(a.xyxy.tolist()) for a in back.items[0].annotations if a.kind == "box"] == [
        tuple(float(np.floor(v + 0.5)) for v in rotated), (0, 0, 20, 20)]


def test_parts_by_group_and_label(tmp_path: Path) -> None:
    """In a group the first box is the object; later boxes of other labels are its parts, later
    boxes of the same label separate objects (reported)."""
    item = Item("p", ImageRef("p.jpg", 50, 50), [
        Box((0, 0, 30, 30), label="person", group="g"), Box((1, 1, 5, 5), label="hand", group="g"),
        Box((10, 10, 20, 20), label="person", group="g"),
        Polygon.from_rings([[2, 2], [8, 2], [8, 9]], label="hand", group="g")])
    dataset = Dataset(LabelSet([Label("person"), Label("hand")]), [item])
    report = write(dataset, tmp_path / "out")
    root = xml_of(tmp_path / "out" / "Annotations" / "p.xml")
    assert [o.findtext("name") for o in root.findall("object")] == ["person", "person"]
    assert [p.findtext("name") for p in root.find("object").findall("part")] == ["hand", "hand"]
    assert [i.message for i in report.by_code(Code.FIELD_DROPPED)] == [
        "group of same-label annotations written as separate objects (VOC groups only an object and its parts)"]
    back, _ = read(tmp_path / "out")
    assert [(a.label, a.group) for a in back.items[0].annotations] == [
        ("person", 1), ("hand", 1), ("hand", 1), ("person", None)]


def test_attributes_and_actions_written(tmp_path: Path) -> None:
    """Label actions (from labelmap) go to <actions>; typed values to <attributes> as text (reported);
    non-bool flags go to <attributes> too and read back as text."""
    labels = LabelSet([Label("person", extras={"voc:actions": ["running", "jumping"]})])
    box = Box((0, 0, 4, 4), label="person", attributes={
        "running": True, "jumping": False, "count": 3, "tags": ["a", "b"], "truncated": "maybe", "pose": "Rear"})
    report = write(Dataset(labels, [Item("a", ImageRef("a.jpg", 9, 9), [box])]), tmp_path / "out")
    obj = xml_of(tmp_path / "out" / "Annotations" / "a.xml").find("object")
    assert [(c.tag, c.text) for c in obj.find("actions")] == [("running", "1"), ("jumping", "0")]
    assert (obj.findtext("pose"), obj.findtext("truncated"), obj.findtext("difficult")) == ("Rear", "0", "0")
    listed = {a.findtext("name"): a.findtext("value") for a in obj.find("attributes")}
    assert listed == {"count": "3", "tags": "a,b", "truncated": "maybe"}
    assert [(i.code, i.detail["attributes"]) for i in report.by_code(Code.ATTRIBUTE_DROPPED)] == [
        (Code.ATTRIBUTE_DROPPED, ["count", "tags"])]
    back, _ = read(tmp_path / "out")
    assert back.items[0].annotations[0].attributes == {
        "pose": "Rear", "running": True, "jumping": False, "count": "3", "tags": "a,b", "truncated": "maybe"}


def test_item_attributes_round_trip(tmp_path: Path) -> None:
    item = Item("a", ImageRef("a.jpg", 9, 9), [], attributes={"weather": "rain"})
    write(Dataset(LabelSet(), [item]), tmp_path / "out")
    back, _ = read(tmp_path / "out")
    assert back.items[0].attributes == {"weather": "rain"}


def test_ids_unique_and_safe(tmp_path: Path) -> None:
    """a.jpg and a.png both want the id 'a'; '..' cannot be a path part; an ImageSets line cannot
    start with '#' (a comment) or end in a space; the image path of x.jpg is kept ('./x.jpg')."""
    items = [Item("a.jpg", ImageRef("a.jpg", 4, 4)), Item("a.png", ImageRef("a.png", 4, 4)),
             Item("../x", ImageRef("x.jpg", 4, 4)), Item("#y ", ImageRef("y.jpg", 4, 4), subset="s")]
    report = write(Dataset(LabelSet(), items), tmp_path / "out")
    assert sorted(tree(tmp_path / "out" / "Annotations")) == ["_#y_.xml", "_/x.xml", "a.xml", "a_1.xml"]
    assert [(i.item, i.detail["voc_id"]) for i in report.by_code(Code.ID_REASSIGNED)] == [
        ("a.png", "a_1"), ("../x", "_/x"), ("#y ", "_#y_")]
    back, _ = read(tmp_path / "out")
    assert [(item.id, item.image.path, item.subset) for item in back.items] == [
        ("_#y_", "y.jpg", "s"), ("_/x", "x.jpg", None), ("a", "a.jpg", None), ("a_1", "a.png", None)]


def test_tags_and_subsets(tmp_path: Path) -> None:
    """Tags are per-class list entries (0 when difficult); a Tag the objects imply is an info entry;
    'default' is no subset; trainval is written as train + val."""
    labels = LabelSet([Label("cat"), Label("dog")])
    items = [
        Item("t1", ImageRef("t1.jpg", 9, 9), [Box((0, 0, 2, 2), label="cat"), Tag(label="cat"),
                                              Tag(label="dog", attributes={"difficult": True})], subset="train"),
        Item("v1", ImageRef("v1.jpg", 9, 9), [Tag(label="dog", attributes={"source": "x"})], subset="val"),
        Item("d1", ImageRef("d1.jpg", 9, 9), [], subset="default"),
    ]
    report = write(Dataset(labels, items), tmp_path / "out")
    main = tmp_path / "out" / "ImageSets" / "Main"
    assert (main / "dog_train.txt").read_text() == "t1  0\n"
    assert (main / "dog_trainval.txt").read_text() == "t1  0\nv1  1\n"
    assert (main / "cat_train.txt").read_text() == "t1  1\n"
    assert (main / "default.txt").read_text() == "d1\n"
    assert sorted((i.code.value, i.severity.value, i.item) for i in report) == [
        ("attribute-dropped", "warning", "v1"), ("field-dropped", "info", "d1"), ("field-dropped", "info", "t1")]
    back, _ = read(tmp_path / "out")
    assert [(item.id, item.subset, [(a.kind, a.label, a.attributes) for a in item.annotations])
            for item in back.items] == [
        ("d1", None, []),
        ("t1", "train", [("box", "cat", {}), ("tag", "dog", {"difficult": True})]),
        ("v1", "val", [("tag", "dog", {})])]


def test_extras_and_unknown_elements_pass_through(tmp_path: Path) -> None:
    """Unknown elements (nested, repeated, with XML attributes) come back as they were."""
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a.xml").write_text(
        '<annotation><filename>a.jpg</filename><size><width>9</width><height>9</height></size>'
        '<meta source="cam"><tag>x</tag><tag>y</tag></meta><object><name>cat</name><truncated/>'
        '<bndbox><xmin>1</xmin><ymin>1</ymin><xmax>2</xmax><ymax>2</ymax><zmin>3</zmin></bndbox>'
        '<actions><custom>yes</custom></actions><extra>1</extra><extra>2</extra></object></annotation>')
    dataset, _ = read(tmp_path / "in")
    assert dataset.items[0].extras == {"voc:meta": {"@source": "cam", "tag": ["x", "y"]}}
    assert dataset.items[0].annotations[0].extras == {
        "voc:truncated": "", "voc:bndbox": {"zmin": "3"}, "voc:actions": {"custom": "yes"}, "voc:extra": ["1", "2"]}
    write(dataset, tmp_path / "out")
    back, _ = read(tmp_path / "out")
    assert back == dataset
    written = xml_of(tmp_path / "out" / "Annotations" / "a.xml")
    assert written.find("meta").get("source") == "cam"
    assert written.find("object").findtext("truncated") == ""


def test_kinds_without_a_box(tmp_path: Path) -> None:
    """Point, Polyline and Keypoints are dropped, not boxed; a Mask becomes its bounding box and
    its pixels."""
    mask = np.zeros((10, 10), dtype=np.uint8)
    mask[2:5, 3:9] = 1
    item = Item("k", ImageRef("k.jpg", 10, 10), [
        Point((1, 1), label="a"), Polyline([[0, 0], [3, 3]], label="a"), Keypoints([[1, 1]], label="a"),
        Mask.from_array(mask, label="a")])
    report = write(Dataset(LabelSet([Label("a")]), [item]), tmp_path / "out")
    assert sorted(i.message for i in report) == [
        "Keypoints annotations dropped: voc cannot hold them",
        "Point annotations dropped: voc cannot hold them", "Polyline annotations dropped: voc cannot hold them"]
    back, _ = read(tmp_path / "out")
    assert [a.xyxy.tolist() for a in back.items[0].annotations if a.kind == "box"] == [[3, 2, 9, 5]]
    assert np.array_equal(back.items[0].annotations[1].decode(), mask)


def test_unknown_size_is_reported_on_write(tmp_path: Path) -> None:
    report = write(Dataset(LabelSet(), [Item("a", ImageRef("a.jpg"))]), tmp_path / "out")
    assert codes(report) == [("image-size-missing", "image size unknown: <size> width/height not written")]
    assert xml_of(tmp_path / "out" / "Annotations" / "a.xml").find("size") is None


def test_convert_from_coco_through_the_cli_api(tmp_path: Path) -> None:
    report = annoconv.convert("coco", "voc", FIXTURES / "coco" / "sample" / "instances.json", tmp_path / "voc")
    back, _ = read(tmp_path / "voc")
    assert len(back.items) == report.stats["items_written"] > 0
    assert (tmp_path / "voc" / "labelmap.txt").read_text().startswith("# label:color_rgb:parts:actions\n")


def test_image_sets_edge_cases(tmp_path: Path) -> None:
    """Double listings, per-class lists that contradict the objects or each other, another task's
    list naming an unknown id, a label labelmap.txt does not declare: all read, all reported."""
    files = {
        "Annotations/a.xml": "<annotation><filename>a.jpg</filename><size><width>9</width><height>9</height></size>"
                             "<object><name>cat</name><bndbox><xmin>1</xmin><ymin>1</ymin><xmax>2</xmax><ymax>2</ymax>"
                             "</bndbox></object><object><name>dog</name><bndbox><xmin>1</xmin><ymin>1</ymin>"
                             "<xmax>2</xmax><ymax>2</ymax></bndbox></object></annotation>",
        "Annotations/b.xml": "<annotation><filename>b.jpg</filename><size><width>9</width><height>9</height></size>"
                             "</annotation>",
        "ImageSets/Main/train.txt": "a\na\nb\n",
        "ImageSets/Main/val.txt": "b\n",
        "ImageSets/Main/trainval.txt": "a\nb\n",
        "ImageSets/Main/cat_train.txt": "a -1\nb  1\n",
        "ImageSets/Main/cat_trainval.txt": "a  1\nb -1\n",
        "ImageSets/Segmentation/train.txt": "a\nc\n",
        "labelmap.txt": "cat:::\n",
    }
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    dataset, report = read(tmp_path)
    assert [(item.id, item.subset) for item in dataset.items] == [("a", "train"), ("b", "train")]
    assert [(a.kind, a.label) for a in dataset.items[1].annotations] == [("tag", "cat")]
    assert [label.name for label in dataset.labels] == ["cat", "dog"]
    found = sorted((i.code.value, i.severity.value, i.item or "", i.message.split(":")[0]) for i in report)
    assert found == [
        ("label-unknown", "info", "", "label not declared in labelmap.txt"),
        ("skipped-content", "warning", "", "ImageSets list of another task lists items that ImageSets/Main does not"),
        ("skipped-content", "warning", "a", "per-class list entry contradicts the item's objects"),
        ("skipped-content", "warning", "a", "per-class lists disagree about an item"),
        ("skipped-content", "warning", "b", "item listed in several ImageSets/Main splits"),
        ("skipped-content", "warning", "b", "per-class lists disagree about an item"),
    ]
    assert next(i for i in report if i.item is None and i.code is Code.SKIPPED_CONTENT).detail["items"] == ["c"]


def test_cli_convert_with_a_format_option(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from annoconv.cli import main
    code = main(["convert", "voc", "voc", str(VOC / "basic"), str(tmp_path / "out"), "--keep-floats"])
    assert code == 0, capsys.readouterr()
    assert tree(tmp_path / "out") == tree(VOC / "basic_written")


def test_extras_xml_cannot_hold_are_reported(tmp_path: Path) -> None:
    item = Item("a", ImageRef("a.jpg", 4, 4), extras={"voc:bad name": "x", "voc:meta": {"ok": "1", "1bad": "2"},
                                                      "voc:fine": {"k": ["1", "2"]}})
    report = write(Dataset(LabelSet(), [item]), tmp_path / "out")
    assert sorted(i.detail["key"] for i in report.by_code(Code.FIELD_DROPPED)) == ["bad name", "meta"]
    root = xml_of(tmp_path / "out" / "Annotations" / "a.xml")
    assert root.find("meta") is None and [e.text for e in root.find("fine")] == ["1", "2"]

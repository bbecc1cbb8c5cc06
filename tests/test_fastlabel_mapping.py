"""annoconv_fastlabel.mapping: FastLabel tasks and classes <-> IR, type by type, both ways.

Reading checks the IR objects each FastLabel type becomes; writing checks the task dicts each IR
kind becomes (ring orientation, closing, visibility mapping, circles, traced masks); then the
class mapping, the API payload, what is reported, and that nothing the caller passes is mutated
or shared with what is returned.
"""

from __future__ import annotations

import copy
import json
from typing import Any

import numpy as np
import pytest

from annoconv import (Box, Caption, Code, Dataset, ImageRef, Item, Keypoints, Label, LabelSet, Mask, Point, Polygon,
                      OptionError, Polyline, Report, SchemaError, Severity, Tag)
from annoconv.raster import polygon_mask
from annoconv_fastlabel.mapping import (classes_from_labels, dataset_to_tasks, item_to_annotations, item_to_task,
                                        labels_from_classes, task_to_item, tasks_to_dataset)
from annoconv_fastlabel.mapping_geometry import CIRCLE_TOLERANCE
from conftest import FIXTURES

ALL_TYPES = FIXTURES / "fastlabel" / "all_types" / "tasks.json"


def all_types() -> dict[str, Any]:
    return json.loads(ALL_TYPES.read_text(encoding="utf-8"))


def task(*annotations: dict[str, Any], **fields: Any) -> dict[str, Any]:
    return {"id": "t", "name": "a.jpg", "width": 100, "height": 80, "annotations": list(annotations), **fields}


def ann(type_: str, value: str = "x", **fields: Any) -> dict[str, Any]:
    return {"type": type_, "value": value, **fields}


def shoelace(flat: list[float]) -> float:
    """Signed area of a flat ring, > 0 when clockwise on screen (y down): an oracle independent of annoconv."""
    xs, ys = flat[0::2], flat[1::2]
    n = len(xs)
    return sum(xs[i] * ys[(i + 1) % n] - xs[(i + 1) % n] * ys[i] for i in range(n)) / 2


def by_id(item: Item) -> dict[Any, list[Any]]:
    out: dict[Any, list[Any]] = {}
    for annotation in item.annotations:
        out.setdefault(annotation.id, []).append(annotation)
    return out


def one(annotations: list[dict[str, Any]]) -> dict[str, Any]:
    assert len(annotations) == 1, annotations
    return annotations[0]


def write_one(annotation: Any, labels: LabelSet | None = None, **item: Any) -> tuple[dict[str, Any], Report]:
    """item_to_task of an item holding ``annotation``: its single written annotation and the report."""
    report = Report()
    labels = labels if labels is not None else LabelSet([Label(annotation.label)])
    written = item_to_task(Item("a.jpg", ImageRef("a.jpg", 100, 80), [annotation], **item), labels, report)
    return one(written["annotations"]), report


# --- reading, type by type ------------------------------------------------------------------------

@pytest.fixture(scope="module")
def read_all() -> tuple[Dataset, Report]:
    data = all_types()
    report = Report()
    return tasks_to_dataset(data["tasks"], data["annotations"], report), report


def test_every_type_becomes_its_ir_kind(read_all: tuple[Dataset, Report]) -> None:
    dataset, _ = read_all
    anns = by_id(dataset.items[0])
    assert {key: [type(a) for a in value] for key, value in anns.items()} == {
        "a-1": [Box], "a-2": [Box, Keypoints], "a-3": [Polygon], "a-4": [Polygon], "a-5": [Point],
        "a-6": [Polyline], "a-7": [Polygon], "a-8": [Keypoints], "a-9": [Tag]}
    car = anns["a-1"][0]
    assert car.xyxy.tolist() == [10, 12, 50.5, 40] and car.angle == 30.0 and car.score == 0.75
    assert car.xyxy.dtype == np.float64 and not car.xyxy.flags.writeable
    road = anns["a-4"][0]
    assert [len(region) for region in road.regions] == [2, 1]  # outer + hole, then a second region
    assert road.regions[0][1].tolist() == [[20, 70], [20, 80], [40, 80], [40, 70], [20, 70]]  # as given
    assert anns["a-5"][0].xy.tolist() == [160.5, 20.25]
    assert anns["a-6"][0].points.tolist() == [[0, 99], [80, 55], [199, 50]]
    assert anns["a-3"][0].regions[0][0].tolist() == [[100, 10], [120, 12], [118, 30], [101, 28]]


def test_typed_attributes_and_classification(read_all: tuple[Dataset, Report]) -> None:
    """text/select/radio -> str, checkbox -> list of str, switch -> bool; classification -> a Tag with them;
    the attribute definitions (names, types, options) live on the label."""
    dataset, _ = read_all
    anns = by_id(dataset.items[0])
    assert anns["a-1"][0].attributes == {"plate": "ABC-123", "size": "large", "view": "rear",
                                         "damage": ["dent", "scratch"], "parked": True}
    tag = anns["a-9"][0]
    assert tag.label == "weather" and tag.attributes == {"sky": "cloudy", "wet": False}
    size = dataset.labels["car"].attributes["size"]
    assert size["type"] == "select" and [o["value"] for o in size["options"]] == ["large", "small"]


def test_pose_keypoints_by_key_with_visibility_mapped(read_all: tuple[Dataset, Report]) -> None:
    """FastLabel v 1 (visible) -> COCO 2, 0 (invisible) -> 1, [] (not placed) -> 0 at (0, 0); names and
    skeleton come from the class, whose edges name keypoint ids."""
    dataset, _ = read_all
    person = by_id(dataset.items[0])["a-8"][0]
    assert person.xy.tolist() == [[170, 40], [160, 60], [0, 0]]
    assert person.visibility.tolist() == [2, 1, 0]
    label = dataset.labels["person"]
    assert label.keypoints == ("head", "left_hand", "right_hand")
    assert label.skeleton == ((0, 1), (0, 2))  # each edge listed on both ends is one edge


def test_bbox_with_keypoints_is_a_box_and_keypoints_in_one_group(read_all: tuple[Dataset, Report]) -> None:
    dataset, _ = read_all
    box, points = by_id(dataset.items[0])["a-2"]
    assert box.group is not None and box.group == points.group and points.label == "face"
    assert points.visibility.tolist() == [2, 1] and dataset.labels["face"].skeleton == ((0, 1),)


def test_task_fields(read_all: tuple[Dataset, Report]) -> None:
    dataset, _ = read_all
    a, b = dataset.items
    assert (a.id, a.image) == ("street/a.jpg", ImageRef("street/a.jpg", 200, 100))
    assert a.attributes == {"tags": ["night", "batch-2"], "camera": "front"}
    assert {k: a.extras[k] for k in ("fastlabel:id", "fastlabel:status", "fastlabel:priority",
                                     "fastlabel:externalStatus", "fastlabel:assignee")} == {
        "fastlabel:id": "t-1", "fastlabel:status": "approved", "fastlabel:priority": 20,
        "fastlabel:externalStatus": "registered", "fastlabel:assignee": "alice"}
    assert b.attributes == {} and b.extras["fastlabel:tags"] == []


def test_circle_is_an_exact_polygon_approximation_and_reported(read_all: tuple[Dataset, Report]) -> None:
    dataset, report = read_all
    wheel = by_id(dataset.items[0])["a-7"][0]
    assert wheel.extras["fastlabel:circle"] == [30.0, 45.0, 6.5]
    ring = wheel.regions[0][0]
    radii = np.hypot(ring[:, 0] - 30, ring[:, 1] - 45)
    assert np.allclose(radii, 6.5)  # vertices on the circle
    step = np.hypot(*(ring[1] - ring[0]))
    assert 6.5 - np.sqrt(6.5 ** 2 - (step / 2) ** 2) <= CIRCLE_TOLERANCE  # edges stray at most the tolerance
    assert shoelace(ring.ravel().tolist()) > 0  # clockwise on screen
    issues = report.by_code(Code.GEOMETRY_CONVERTED)
    assert [(i.annotation, i.severity) for i in issues] == [("a-7", Severity.WARNING)]
    assert "circle" in issues[0].message


def test_geometry_comes_from_one_bulk_conversion(read_all: tuple[Dataset, Report]) -> None:
    """Every x, y geometry is a read-only view into one float64 array (no per-annotation conversion)."""
    dataset, _ = read_all
    arrays = []
    for annotation in dataset.items[0].annotations:
        if type(annotation) is Polygon and "fastlabel:circle" not in annotation.extras:
            arrays.extend(ring for region in annotation.regions for ring in region)
        elif type(annotation) in (Polyline, Point):
            arrays.append(annotation.points if type(annotation) is Polyline else annotation.xy)
    assert len(arrays) >= 6 and len({id(_owner(array)) for array in arrays}) == 1
    assert not any(array.flags.writeable for array in arrays)


def _owner(array: np.ndarray) -> Any:
    """The object that holds the memory of a view (following .base)."""
    while isinstance(array, np.ndarray) and array.base is not None:
        array = array.base
    return array


def test_reversed_bbox_corners_are_normalized_and_noted() -> None:
    report = Report()
    item = task_to_item(task(ann("bbox", points=[40, 30, 10, 5])), report=report)
    assert item.annotations[0].xyxy.tolist() == [10, 5, 40, 30]
    assert [(i.code, i.severity) for i in report] == [(Code.GEOMETRY_CONVERTED, Severity.INFO)]


def test_pose_order_follows_the_class_and_unknown_keys_are_reported() -> None:
    labels = labels_from_classes([{"type": "pose_estimation", "value": "p", "keypoints": [
        {"id": "1", "key": "a", "edges": ["2"]}, {"id": "2", "key": "b", "edges": []},
        {"id": "3", "key": "c", "edges": []}]}])
    report = Report()
    raw = ann("pose_estimation", "p", keypoints=[{"key": "c", "value": [5, 6, 0]}, {"key": "zz", "value": [1, 1, 1]},
                                                 {"key": "a", "value": [1, 2, 1]}])
    points = task_to_item(task(raw), labels, report).annotations[0]
    assert points.xy.tolist() == [[1, 2], [0, 0], [5, 6]] and points.visibility.tolist() == [2, 0, 1]
    assert [(i.code, i.detail["key"]) for i in report] == [(Code.SKIPPED_CONTENT, "zz")]
    assert labels["p"].skeleton == ((0, 1),)


def test_labels_from_tasks_without_classes() -> None:
    """Without classes, labels come from the annotations: type, title, colour, attribute names and
    types, keypoint keys, names and (key-named) edges."""
    raw = ann("pose_estimation", "p", title="P", color="#0a0B0c", attributes=[
        {"key": "k", "name": "K", "type": "switch", "value": True}], keypoints=[
        {"name": "A", "key": "a", "value": [1, 2, 1], "edges": ["b"]}, {"name": "B", "key": "b", "value": [],
                                                                       "edges": ["a"]}])
    dataset = tasks_to_dataset([task(raw)])
    label = dataset.labels["p"]
    assert (label.color, label.keypoints, label.skeleton) == ((10, 11, 12), ("a", "b"), ((0, 1),))
    assert label.attributes == {"k": {"name": "K", "type": "switch"}}
    assert label.extras["fastlabel:type"] == "pose_estimation" and label.extras["fastlabel:title"] == "P"


def test_values_missing_from_the_classes_are_kept_and_reported() -> None:
    """D13: an annotation whose value the class list lacks is neither dropped nor fatal."""
    report = Report()
    dataset = tasks_to_dataset([task(ann("bbox", "cat", points=[1, 2, 3, 4]), ann("bbox", "dog", points=[1, 2, 3, 4]))],
                               [{"type": "bbox", "value": "cat"}], report)
    assert dataset.labels.names() == ["cat", "dog"] and len(dataset.items[0].annotations) == 2
    assert [(i.code, i.detail) for i in report] == [(Code.LABEL_UNKNOWN, {"label": "dog"})]
    dataset.validate()


def test_unknown_sizes_and_duplicate_names() -> None:
    dataset = tasks_to_dataset([task(width=0, height=None), task(id="u")])
    a, b = dataset.items
    assert a.image.size is None and (a.extras["fastlabel:width"], a.extras["fastlabel:height"]) == (0, None)
    assert (a.id, b.id) == ("a.jpg", "a.jpg#u") and b.image.path == "a.jpg"
    report = Report()
    written = item_to_task(a, dataset.labels, report)
    assert (written["width"], written["height"]) == (0, None) and not report.issues


# --- writing, kind by kind ------------------------------------------------------------------------

def test_box_with_rotation() -> None:
    written, report = write_one(Box((1, 2, 30, 40.5), angle=-12.5, label="car", score=0.5,
                                    attributes={"occluded": True}))
    assert written == {"type": "bbox", "value": "car", "title": "car", "points": [1, 2, 30, 40.5], "rotation": -12.5,
                       "attributes": [{"key": "occluded", "name": "occluded", "type": "switch", "value": True}],
                       "confidenceScore": 0.5}
    assert not report.issues


def test_polygon_written_clockwise_from_the_same_first_vertex() -> None:
    """A counter-clockwise polygon is reversed (FastLabel's convention; the SDK rasterizes such polygons
    1 px too large, D10), keeping its first vertex and its open form."""
    ccw = [[10, 10], [10, 20], [20, 20], [20, 10]]
    written, _ = write_one(Polygon.from_rings(ccw, label="sign"))
    assert written["type"] == "polygon"
    assert written["points"] == [10, 10, 20, 10, 20, 20, 10, 20]
    assert shoelace(written["points"]) > 0
    clockwise, _ = write_one(Polygon.from_rings(ccw[::-1], label="sign"))
    assert clockwise["points"] == [20, 10, 20, 20, 10, 20, 10, 10]  # already clockwise: untouched


def test_segmentation_rings_normalized_and_closed() -> None:
    """Outer rings clockwise, holes counter-clockwise on screen, every ring closed (whatever the input)."""
    outer_ccw = [[0, 0], [0, 50], [50, 50], [50, 0]]
    hole_cw = [[10, 10], [20, 10], [20, 20], [10, 20]]
    second = [[60, 0], [70, 0], [70, 10], [60, 10], [60, 0]]  # clockwise and closed already
    written, _ = write_one(Polygon([[outer_ccw, hole_cw], [second]], label="road"))
    assert written["type"] == "segmentation"
    (outer, hole), (other,) = written["points"]
    assert shoelace(outer) > 0 and shoelace(hole) < 0 and shoelace(other) > 0
    assert all(ring[:2] == ring[-2:] for ring in (outer, hole, other))
    assert outer == [0, 0, 50, 0, 50, 50, 0, 50, 0, 0]
    assert other == [60, 0, 70, 0, 70, 10, 60, 10, 60, 0]


def test_single_ring_polygon_of_a_segmentation_class_stays_a_segmentation() -> None:
    labels = LabelSet([Label("road", extras={"fastlabel:type": "segmentation"})])
    written, _ = write_one(Polygon.from_rings([[0, 0], [5, 0], [5, 5]], label="road"), labels)
    assert written["type"] == "segmentation" and written["points"] == [[[0, 0, 5, 0, 5, 5, 0, 0]]]


def test_polygons_of_one_group_become_one_segmentation() -> None:
    parts = [Polygon.from_rings([[0, 0], [5, 0], [5, 5]], label="road", id=7, group=1),
             Polygon.from_rings([[10, 0], [15, 0], [15, 5]], label="road", id=7, group=1)]
    written = item_to_task(Item("a", ImageRef("a", 20, 20), parts), LabelSet([Label("road")]))
    assert [(a["type"], len(a["points"])) for a in written["annotations"]] == [("segmentation", 2)]


def test_circle_written_back_exactly_unless_its_polygon_changed() -> None:
    item = task_to_item(task(ann("circle", "wheel", points=[30, 40, 12.25])))
    circle = item.annotations[0]
    written, _ = write_one(circle, LabelSet([Label("wheel")]))
    assert (written["type"], written["points"]) == ("circle", [30, 40, 12.25])
    moved = circle.replace(regions=[[circle.regions[0][0] + 1]])
    written, _ = write_one(moved, LabelSet([Label("wheel")]))
    assert written["type"] == "polygon" and "circle" not in written


def test_mask_traced_exactly_along_pixel_edges() -> None:
    """A mask with a hole and a pixel touching only at a corner becomes a segmentation whose
    rasterization is the mask again, pixel for pixel (reported as geometry-converted)."""
    dense = np.zeros((12, 16), dtype=np.uint8)
    dense[2:9, 3:12] = 1
    dense[4:6, 5:8] = 0  # a hole
    dense[9, 12] = 1  # touches the block at a corner only
    written, report = write_one(Mask.from_array(dense, label="blob", iscrowd=True))
    assert written["type"] == "segmentation"
    regions = [[np.asarray(ring, dtype=np.float64).reshape(-1, 2) for ring in region] for region in written["points"]]
    assert len(regions) == 2 and sorted(len(region) for region in regions) == [1, 2]
    assert np.array_equal(polygon_mask(regions, 12, 16), dense)
    outer = max(regions, key=len)
    assert shoelace(outer[0].ravel().tolist()) > 0 and shoelace(outer[1].ravel().tolist()) < 0
    assert sorted((i.code.value, i.message) for i in report) == [
        ("field-dropped", "Crowd flag dropped: fastlabel cannot hold it"),
        ("geometry-converted", "Mask written as a segmentation traced along its pixel edges (fastlabel)")]


def test_keypoints_written_with_fastlabel_visibility() -> None:
    labels = LabelSet([Label("p", keypoints=("a", "b", "c"), skeleton=((0, 2),))])
    points = Keypoints([[1, 2], [3, 4], [0, 0]], [2, 1, 0], label="p")
    written, report = write_one(points, labels)
    assert written["type"] == "pose_estimation" and "points" not in written and "rotation" not in written
    assert written["keypoints"] == [
        {"name": "a", "key": "a", "value": [1, 2, 1], "edges": ["c"]},
        {"name": "b", "key": "b", "value": [3, 4, 0], "edges": []},
        {"name": "c", "key": "c", "value": [], "edges": ["a"]}]
    assert not report.issues


def test_box_and_keypoints_of_one_group_become_a_bbox_with_keypoints() -> None:
    labels = LabelSet([Label("p", keypoints=("a",))])
    parts = [Box((0, 0, 9, 9), label="p", id=3, group=3), Keypoints([[1, 1]], [2], label="p", id=3, group=3)]
    written = item_to_task(Item("a", ImageRef("a", 9, 9), parts), labels)
    (bbox,) = written["annotations"]
    assert bbox["type"] == "bbox" and bbox["keypoints"][0]["value"] == [1, 1, 1]


def test_point_polyline_tag_and_caption() -> None:
    labels = LabelSet([Label("x")])
    item = Item("a", ImageRef("a", 9, 9), [Point([1, 2], label="x"), Polyline([[0, 0], [3, 4]], label="x"),
                                           Tag(label="x", attributes={"sky": "clear"}), Caption("a cat", id=9)],
                subset="train")
    report = Report()
    written = item_to_task(item, labels, report)["annotations"]
    assert [(a["type"], a.get("points")) for a in written] == [("keypoint", [1, 2]), ("line", [0, 0, 3, 4]),
                                                              ("classification", None)]
    assert written[2]["attributes"] == [{"key": "sky", "name": "sky", "type": "text", "value": "clear"}]
    assert sorted((i.code.value, i.annotation) for i in report) == [("field-dropped", None),
                                                                    ("unsupported-kind", 9)]


def test_z_order_is_written_as_list_order() -> None:
    item = Item("a", ImageRef("a", 9, 9), [Box((0, 0, 1, 1), label="x", id="top", z_order=2),
                                           Box((0, 0, 1, 1), label="x", id="bottom")])
    written = item_to_task(item, LabelSet([Label("x")]))["annotations"]
    assert [a["id"] for a in written] == ["bottom", "top"]


def test_item_fields_written() -> None:
    item = Item("i", ImageRef("dir/i.png", 30, 20), [], attributes={"tags": ["a", "b"], "camera": "rear"},
                extras={"fastlabel:status": "completed", "fastlabel:priority": 10, "coco:id": 4})
    assert item_to_task(item, LabelSet()) == {"name": "dir/i.png", "width": 30, "height": 20,
                                              "status": "completed", "priority": 10, "tags": ["a", "b"],
                                              "metadatas": [{"key": "camera", "value": "rear"}], "annotations": []}


def test_unknown_image_size_is_reported() -> None:
    report = Report()
    written = item_to_task(Item("i", ImageRef("i.png")), LabelSet(), report)
    assert "width" not in written and [i.code for i in report] == [Code.IMAGE_SIZE_MISSING]


def test_item_to_annotations_is_the_api_payload() -> None:
    """The create/update payload: only type, value, points, rotation, confidenceScore, keypoints
    [{key, value}] and attributes [{key, value}] — none of what the SDK strips (D18)."""
    data = all_types()
    dataset = tasks_to_dataset(data["tasks"], data["annotations"])
    payload = item_to_annotations(dataset.items[0], dataset.labels)
    allowed = {"type", "value", "points", "rotation", "confidenceScore", "keypoints", "attributes"}
    assert len(payload) == 9 and all(set(a) <= allowed for a in payload)
    assert all(set(k) == {"key", "value"} for a in payload for k in a.get("keypoints", []))
    assert all(set(k) == {"key", "value"} for a in payload for k in a["attributes"])
    car = payload[0]
    assert car == {"type": "bbox", "value": "car", "points": [10, 12, 50.5, 40], "rotation": 30.0,
                   "confidenceScore": 0.75, "attributes": [
                       {"key": "plate", "value": "ABC-123"}, {"key": "size", "value": "large"},
                       {"key": "view", "value": "rear"}, {"key": "damage", "value": ["dent", "scratch"]},
                       {"key": "parked", "value": True}]}


# --- classes --------------------------------------------------------------------------------------

def test_classes_round_trip() -> None:
    classes = all_types()["annotations"]
    labels = labels_from_classes(classes)
    assert labels.names() == [c["value"] for c in classes]
    assert labels["car"].color == (228, 26, 28) and labels["car"].id == "c-car"
    assert classes_from_labels(labels) == classes


def test_classes_from_foreign_labels() -> None:
    """Labels from another format: no FastLabel ids, type from how the annotations were written (or
    from the keypoints), keypoint ids = keys, attribute definitions inferred; a parent is reported
    by dataset_to_tasks, in the words of the capabilities."""
    labels = LabelSet([Label("cat", id=3, parent="animal", color=(1, 2, 3)),
                       Label("person", id=4, keypoints=("a", "b"), skeleton=((0, 1),))])
    classes = classes_from_labels(labels, types={"cat": "polygon"},
                                  attributes={"cat": {"fur": {"name": "fur", "type": "text"}}})
    assert classes == [
        {"type": "polygon", "value": "cat", "title": "cat", "color": "#010203", "order": 1,
         "attributes": [{"key": "fur", "name": "fur", "type": "text"}]},
        {"type": "pose_estimation", "value": "person", "title": "person", "order": 2, "attributes": [],
         "keypoints": [{"id": "a", "name": "a", "key": "a", "edges": ["b"], "value": []},
                       {"id": "b", "name": "b", "key": "b", "edges": ["a"], "value": []}]}]
    report = Report()
    dataset_to_tasks(Dataset(labels, []), report)
    assert [(i.code, i.message, i.detail["labels"]) for i in report] == [
        (Code.FIELD_DROPPED, "Label parents (supercategories) dropped: fastlabel cannot hold it", ["cat"]),
        (Code.ID_REASSIGNED, "label ids not written: FastLabel class ids are the server's own strings",
         ["cat", "person"])]


def test_dataset_to_tasks_types_classes_by_use() -> None:
    dataset = Dataset(LabelSet([Label("road"), Label("x")]), [Item("a", ImageRef("a", 9, 9), [
        Polygon([[[[0, 0], [5, 0], [5, 5]]], [[[6, 6], [8, 6], [8, 8]]]], label="road"),
        Polyline([[0, 0], [1, 1]], label="x", attributes={"done": False, "parts": ["a"]})])])
    tasks, classes = dataset_to_tasks(dataset)
    assert [(c["value"], c["type"]) for c in classes] == [("road", "segmentation"), ("x", "line")]
    assert classes[1]["attributes"] == [{"key": "done", "name": "done", "type": "switch"},
                                        {"key": "parts", "name": "parts", "type": "checkbox"}]


# --- losses ---------------------------------------------------------------------------------------

def test_predicted_losses_are_the_recorded_losses() -> None:
    """Every loss the capabilities predict is what the writer records, and nothing else warns."""
    import annoconv
    dense = np.zeros((8, 8), dtype=np.uint8)
    dense[1:4, 1:4] = 1
    item = Item("a", ImageRef("a", 8, 8), [
        Mask.from_array(dense, label="x", iscrowd=True), Caption("text"), Box((0, 0, 2, 2), angle=5, label="x"),
        Polygon([[[[0, 0], [5, 0], [5, 5]], [[1, 1], [2, 2], [2, 1]]], [[[6, 6], [7, 6], [7, 7]]]], label="x"),
        Tag(label="x", iscrowd=True), Point([1, 1], label="x", score=0.3, attributes={"a": 1})], subset="val")
    dataset = Dataset(LabelSet([Label("x", color=(1, 1, 1))]), [item])
    predicted = annoconv.predict_losses(dataset, "fastlabel")
    report = Report()
    dataset_to_tasks(dataset, report)
    summary = {(s.code, s.message, s.count) for s in report.summary() if s.severity is not Severity.INFO}
    assert summary == {(s.code, s.message, s.count) for s in predicted.summary(predicted=True)}
    assert {code.value for code, _, _ in summary} == {"geometry-converted", "field-dropped", "unsupported-kind"}


# --- errors -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("raw, location, fragment", [
    ("x", "tasks[0]", "expected an image task object"),
    ({"width": 3}, "tasks[0].name", "'name' must be a non-empty string"),
    (task(ann("bbox", points=[1, 2, 3])), "tasks[0].annotations[0].points", "got 3 values"),
    (task(ann("polygon", points=[1, 2, 3, 4])), "tasks[0].annotations[0].points", "at least 3 points"),
    (task(ann("ellipse")), "tasks[0].annotations[0].type", "unknown annotation type 'ellipse'"),
    (task(ann("bbox", points=[1, "2", 3, 4])), "tasks[0].annotations[0].points[1]", "must be numbers, got a string"),
    (task(ann("line", points=[0, 0, 1, True])), "tasks[0].annotations[0].points[3]", "got a boolean"),
    (task(ann("segmentation", points=[[[0, 0, 1, 0, 1, 1], [0, 0, 1]]])), "tasks[0].annotations[0].points[0][1]",
     "at least 3 points"),
    (task(ann("segmentation", points=[[[0, 0, 1, 0, 1, None]]])), "tasks[0].annotations[0].points[0][0][5]",
     "got null"),
    (task(ann("segmentation", points=[0, 0, 1, 0, 1, 1])), "tasks[0].annotations[0].points[0]", "list of rings"),
    (task(ann("pose_estimation", keypoints=[{"key": "a", "value": [1, 2, 2]}])),
     "tasks[0].annotations[0].keypoints[0].value[2]", "visibility must be 1"),
    (task(ann("pose_estimation", keypoints=[{"key": "a", "value": [1, "y", 1]}])),
     "tasks[0].annotations[0].keypoints[0].value[1]", "got a string"),
    (task(ann("pose_estimation", keypoints=[{"key": "a", "value": [1, 2, 0.5]}, {"key": "b", "value": []}])),
     "tasks[0].annotations[0].keypoints[0].value[2]", "visibility must be 1"),
    (task(ann("pose_estimation", keypoints=[{"key": "a", "value": []}, {"key": "b", "value": [1, 2, True]}])),
     "tasks[0].annotations[0].keypoints[1].value[2]", "got a boolean"),
    (task(ann("pose_estimation", keypoints=[{"key": "a", "value": "xyz"}])),
     "tasks[0].annotations[0].keypoints[0].value", "must be [x, y, v] or []"),
    (task(ann("circle", points=[1, 2, -3])), "tasks[0].annotations[0].points", "radius >= 0"),
    (task(ann("bbox", points={"1": {"value": [1, 2, 3, 4]}})), "tasks[0].annotations[0].points", "video task"),
    (task(ann("bbox", value="")), "tasks[0].annotations[0].value", "non-empty string"),
    (task(ann("bbox", points=[0, 0, 1, 1], confidenceScore="high")), "tasks[0].annotations[0].confidenceScore",
     "finite number"),
    (task(ann("bbox", points=[0, 0, 1, 1], attributes=[{"key": "a"}, {"key": "a"}])),
     "tasks[0].annotations[0].attributes[1].key", "duplicate attribute key"),
    (task(width=-3), "tasks[0].width", "positive integer"),
    (task(tags="night"), "tasks[0].tags", "list of strings"),
])
def test_bad_input_names_the_place_and_the_task(raw: Any, location: str, fragment: str) -> None:
    with pytest.raises(SchemaError) as info:
        tasks_to_dataset([raw])
    error = info.value
    assert error.location == location, str(error)
    assert fragment in str(error)
    if isinstance(raw, dict) and "name" in raw:
        assert error.item is not None and "'a.jpg'" in error.item


def test_skip_bad_annotations_and_tasks() -> None:
    report = Report()
    tasks = [task(ann("bbox", points=[1, 2, 3, 4]), ann("bbox", points=[1, 2, "x", 4]), ann("line", points=[1])),
             {"id": "broken"}, task(id="ok2", name="b.jpg")]
    dataset = tasks_to_dataset(tasks, on_error="skip", report=report)
    assert [item.id for item in dataset.items] == ["a.jpg", "b.jpg"]
    assert [a.xyxy.tolist() for a in dataset.items[0].annotations] == [[1, 2, 3, 4]]
    assert sorted((i.code.value, i.item) for i in report) == [
        ("annotation-skipped", "a.jpg"), ("annotation-skipped", "a.jpg"), ("item-skipped", "task 'broken'")]
    assert any("tasks[0].annotations[1].points[2]" in i.detail["error"] for i in report)


def test_not_a_list_and_bad_options() -> None:
    with pytest.raises(SchemaError, match="expected a list of image tasks"):
        tasks_to_dataset({"tasks": []})  # type: ignore[arg-type]
    with pytest.raises(OptionError, match="on_error"):
        tasks_to_dataset([], on_error="ignore")


@pytest.mark.parametrize("classes, location", [
    ([{"type": "bbox"}], "classes[0].value"),
    ([{"type": "pose_estimation", "value": "p", "keypoints": [{"id": "1", "key": "a", "edges": ["9"]}]}],
     "classes[0].keypoints[0].edges"),
    ([{"type": "bbox", "value": "a"}, {"type": "bbox", "value": "a"}], "classes[1].value"),
    ([{"type": "cuboid", "value": "a"}], "classes[0].type"),
])
def test_bad_classes(classes: list[Any], location: str) -> None:
    with pytest.raises(SchemaError) as info:
        labels_from_classes(classes)
    assert info.value.location == location  # type: ignore[attr-defined]


# --- no mutation, no sharing (D18) ------------------------------------------------------------------

def _containers(value: Any, seen: dict[int, Any]) -> None:
    """Every list and dict reachable from ``value`` (by id; the objects are kept alive in ``seen``)."""
    if isinstance(value, (list, dict)):
        if id(value) in seen:
            return
        seen[id(value)] = value
        for child in value.values() if isinstance(value, dict) else value:
            _containers(child, seen)
    elif isinstance(value, (Label, Item)):
        _containers([value.attributes, value.extras], seen)
        if isinstance(value, Item):
            for annotation in value.annotations:
                _containers([annotation.attributes, annotation.extras], seen)


def test_inputs_are_never_mutated_nor_shared() -> None:
    """The SDK mutates its callers' dicts (D18). The mapping neither changes what it is given nor
    returns anything (a list, a dict) that shares with it, in either direction."""
    data = all_types()
    tasks, classes = data["tasks"], data["annotations"]
    before = copy.deepcopy(data)
    dataset = tasks_to_dataset(tasks, classes)
    labels = labels_from_classes(classes)
    item = task_to_item(tasks[0], labels)
    assert data == before
    given: dict[int, Any] = {}
    _containers(data, given)
    produced: dict[int, Any] = {}
    _containers([list(dataset.labels), dataset.items, list(labels), item], produced)
    assert not set(given) & set(produced)

    snapshot = copy.deepcopy([(i.attributes, i.extras, [(a.attributes, a.extras) for a in i.annotations])
                              for i in dataset.items])
    written_tasks, written_classes = dataset_to_tasks(dataset)
    task_dict = item_to_task(dataset.items[0], dataset.labels)
    payload = item_to_annotations(dataset.items[0], dataset.labels)
    assert snapshot == [(i.attributes, i.extras, [(a.attributes, a.extras) for a in i.annotations])
                        for i in dataset.items]
    ir: dict[int, Any] = {}
    _containers([list(dataset.labels), dataset.items], ir)
    out: dict[int, Any] = {}
    _containers([written_tasks, written_classes, task_dict, payload], out)
    assert not set(ir) & set(out)


def test_unusual_forms_round_trip_exactly() -> None:
    """Fields a type does not use, absent optional fields, null sizes and unknown keys come back as they were."""
    tasks = [
        {"name": "a.jpg", "width": 0, "height": None, "custom": {"k": [1]}, "annotations": [
            {"type": "classification", "value": "c", "points": [], "attributes": []},
            {"type": "pose_estimation", "value": "p", "points": None, "keypoints": []},
            {"type": "polygon", "value": "q", "points": [0, 0, 1, 0, 1, 1], "keypoints": [], "rotation": 0,
             "attributes": [], "extra": {"nested": True}},
            {"type": "line", "value": "l", "points": [0, 0, 1, 1], "rotation": 15, "title": "Other"},
            {"type": "bbox", "value": "b", "points": [0, 0, 1, 1], "keypoints": None, "attributes": []}]},
        {"name": "b.jpg", "annotations": None, "tags": None},
    ]
    before = copy.deepcopy(tasks)
    report = Report()
    dataset = tasks_to_dataset(tasks, report=report)
    assert [i.code for i in report] == [Code.SKIPPED_CONTENT]  # the line's rotation is not applied to its points
    written, _ = dataset_to_tasks(dataset)
    assert written == before and tasks == before

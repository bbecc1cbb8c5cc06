"""labelme reading: every shape type into the IR, group_id, flags, descriptions, old versions,
folders mirrored into item paths, image sizes from headers, keypoints declared by a label file.

Fixtures: tests/fixtures/labelme/<case>/ (hand-made; the corpus files are used in test_labelme_interop.py).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import annoconv
from annoconv import Box, Code, Keypoints, Mask, Point, Polygon, Polyline, Report, Tag
from annoconv.formats._labelme_shapes import circle_polygon, circle_vertices
from conftest import FIXTURES

LABELME = FIXTURES / "labelme"
KEYPOINTS = LABELME / "keypoints" / "keypoints.yaml"


def read(path: Path, **options: Any) -> tuple[annoconv.Dataset, Report]:
    report = Report()
    return annoconv.read("labelme", path, report=report, **options), report


def test_every_shape_type() -> None:
    dataset, report = read(LABELME / "shapes")
    (item,) = dataset.items
    assert item.id == "sub/all.png" and item.image == annoconv.ImageRef("sub/all.png", 20, 16)
    kinds = [type(a) for a in item.annotations]
    assert kinds == [Tag, Box, Polygon, Polygon, Polygon, Polyline, Polyline, Point, Mask, Polygon]
    tag, box, part1, part2, circle, line, strip, point, mask, extra = item.annotations
    assert tag.label == "day"
    np.testing.assert_array_equal(box.xyxy, [2, 3, 8, 9])  # corners given bottom-right first: normalized
    assert box.extras["labelme:points"] == [[8.0, 9.0], [2.0, 3.0]]
    assert box.attributes == {"occluded": True, "description": "front car"}
    assert (part1.group, part2.group) == (1, 1) and box.group is None
    np.testing.assert_array_equal(part1.regions[0][0], [[1, 1], [6, 1], [6, 5]])
    np.testing.assert_array_equal(line.points, [[0, 0], [5, 5]])
    assert line.extras["labelme:shape_type"] == "line" and "labelme:shape_type" not in strip.extras
    np.testing.assert_array_equal(point.xy, [7.5, 2.25])
    assert extra.extras["labelme:other"] == {"other_tool": {"id": 7}}
    assert circle.extras["labelme:circle"] == [[10.0, 8.0], [13.0, 8.0]]
    assert report.by_code(Code.GEOMETRY_CONVERTED)[0].detail["vertices"] == 12


def test_mask_shape_is_placed_at_its_truncated_first_point() -> None:
    """points [[3.6, 11.2], [6.6, 13.2]] and a 4x3 PNG: columns 3..6, rows 11..13 (labelme's int())."""
    mask = read(LABELME / "shapes")[0].items[0].annotations[8]
    assert mask.size == (16, 20)
    dense = mask.decode()
    expected = np.zeros((16, 20), dtype=np.uint8)
    expected[11:14, 3:7] = [[0, 1, 1, 0], [1, 1, 1, 1], [0, 1, 1, 0]]
    np.testing.assert_array_equal(dense, expected)
    assert mask.extras["labelme:description"] == ""  # an empty description carries nothing: kept for writing


def test_image_flags_and_description_fields() -> None:
    dataset, _ = read(LABELME / "shapes")
    item = dataset.items[0]
    assert item.attributes == {"weather": "rain"}  # a non-boolean flag
    assert item.extras["labelme:flags"] == ["day", "night", "weather"]  # the false flag is kept by name
    assert dataset.labels.names()[:2] == ["day", "night"]  # image flags are classes
    point = item.annotations[7]  # description '{"score": 0.75, "text": "auto"}' (labelme's AI form)
    assert point.score == 0.75 and point.attributes == {"description": "auto"}
    assert item.extras["labelme:other"] == {"annotator": "me"}


def test_version_3_file_keeps_colours_and_reads_size_from_the_image() -> None:
    dataset, report = read(LABELME / "v3" / "img.json")
    (item,) = dataset.items
    assert item.image == annoconv.ImageRef("img.png", 5, 4)  # no imageHeight/imageWidth: from img.png's header
    polygon, box = item.annotations
    assert polygon.extras["labelme:other"] == {"line_color": None, "fill_color": None}
    assert box.extras["labelme:other"]["line_color"] == [255, 0, 0, 128]
    assert item.extras["labelme:other"] == {"lineColor": [0, 255, 0, 128], "fillColor": [255, 0, 0, 128]}
    assert polygon.group is None and not report.issues


def test_folder_is_read_recursively_and_image_paths_resolved() -> None:
    dataset, _ = read(LABELME / "tree")
    assert [(item.id, item.extras["labelme:json"]) for item in dataset.items] == [
        ("images/a.jpg", "labels/a.json"), ("labels/deep/b.png", "labels/deep/b.json")]
    deep = dataset.items[1]
    assert (deep.image.width, deep.image.height) == (8, 6)  # null sizes: from the embedded image's header
    assert deep.extras["labelme:imageData"].startswith("iVBOR")


def test_same_image_named_twice_gets_unique_item_ids(tmp_path: Path) -> None:
    for name in ("x.json", "y.json"):
        (tmp_path / name).write_text('{"shapes": [], "imagePath": "same.jpg", "imageHeight": 2, "imageWidth": 2}')
    dataset, _ = read(tmp_path)
    assert [item.id for item in dataset.items] == ["same.jpg", "same.jpg#y.json"]


def test_keypoints_are_gathered_per_label_and_group() -> None:
    dataset, report = read(LABELME / "keypoints", labelme_keypoints=str(KEYPOINTS))
    person = dataset.labels["person"]
    assert person.keypoints == ("nose", "left_eye", "right_eye") and person.skeleton == ((0, 1), (0, 2))
    box, first, second, tail = dataset.items[0].annotations
    assert type(box) is Box and box.group == 1
    assert type(first) is Keypoints and first.group == 1 and first.label == "person"
    np.testing.assert_array_equal(first.xy, [[20, 15], [18, 13], [0, 0]])
    np.testing.assert_array_equal(first.visibility, [2, 1, 0])  # '{"visibility": 1}': occluded
    assert second.group == 2 and second.visibility.tolist() == [2, 0, 0]
    assert type(tail) is Point and tail.label == "person:tail"  # not a declared keypoint
    assert not report.issues


def test_without_the_declaration_keypoint_parts_are_points() -> None:
    dataset, _ = read(LABELME / "keypoints")
    assert [type(a) for a in dataset.items[0].annotations] == [Box, Point, Point, Point, Point]
    assert "person:nose" in dataset.labels


def test_circle_tolerance_option_sets_the_vertex_count() -> None:
    coarse = read(LABELME / "shapes")[0].items[0].annotations[4]
    fine, report = read(LABELME / "shapes", labelme_circle_tolerance=0.01)
    ring = fine.items[0].annotations[4].regions[0][0]
    assert len(coarse.regions[0][0]) == 12 and len(ring) == circle_vertices(3.0, 0.01) > 12
    assert "within 0.01 px" in report.by_code(Code.GEOMETRY_CONVERTED)[0].message
    np.testing.assert_allclose(np.hypot(ring[:, 0] - 10, ring[:, 1] - 8), 3.0)


@pytest.mark.parametrize("radius", [0.2, 1.0, 3.0, 50.0, 1234.5])
@pytest.mark.parametrize("tolerance", [0.05, 1.0, 2.5])
def test_circle_polygon_edges_stay_within_the_tolerance(radius: float, tolerance: float) -> None:
    vertices, deviation = circle_polygon(np.array([5.0, 7.0]), np.array([5.0, 7.0 + radius]), tolerance)
    assert len(vertices) >= 12 and deviation <= tolerance
    midpoints = (vertices + np.roll(vertices, -1, axis=0)) / 2  # the edge points farthest from the circle
    assert np.max(radius - np.hypot(midpoints[:, 0] - 5, midpoints[:, 1] - 7)) == pytest.approx(deviation)
    np.testing.assert_allclose(vertices[0], [5.0, 7.0 + radius])  # starts below the centre, as labelme2coco


def test_structured_description_clashing_with_flags_stays_text(tmp_path: Path) -> None:
    """A JSON description whose attributes collide with the flags is not decoded: nothing is lost."""
    shape = ('{"label": "a", "points": [[1, 2]], "shape_type": "point", "flags": {"x": true}, '
             '"description": "{\\"attributes\\": {\\"x\\": 3}}"}')
    (tmp_path / "f.json").write_text(f'{{"shapes": [{shape}], "imagePath": "f.jpg"}}')
    point = read(tmp_path)[0].items[0].annotations[0]
    assert point.attributes == {"x": True, "description": '{"attributes": {"x": 3}}'}


def test_windows_image_path_and_missing_shape_type(tmp_path: Path) -> None:
    """Backslashes are folder separators (the spelling is kept for writing); no shape_type is a polygon."""
    (tmp_path / "labels").mkdir()
    (tmp_path / "labels" / "w.json").write_text(
        '{"shapes": [{"label": "a", "points": [[0, 0], [4, 0], [4, 3]]}], "imagePath": "..\\\\imgs\\\\w.jpg", '
        '"imageHeight": 5, "imageWidth": 6}')
    dataset, _ = read(tmp_path)
    item = dataset.items[0]
    assert item.image.path == "imgs/w.jpg" and item.extras["labelme:imagePath"] == "..\\imgs\\w.jpg"
    assert type(item.annotations[0]) is Polygon
    annoconv.write(dataset, "labelme", tmp_path / "out")
    assert read(tmp_path / "out")[0] == dataset


def test_mask_shape_partly_outside_the_image_is_clipped_and_reported(tmp_path: Path) -> None:
    from annoconv.formats._labelme_shapes import encode_mask
    crop = np.ones((3, 4), dtype=np.uint8)
    shape = {"label": "m", "points": [[4, 1], [7, 3]], "shape_type": "mask", "mask": encode_mask(crop)}
    (tmp_path / "m.json").write_text(
        '{"shapes": [%s], "imagePath": "m.png", "imageHeight": 5, "imageWidth": 6}' % json.dumps(shape))
    dataset, report = read(tmp_path)
    mask = dataset.items[0].annotations[0]
    assert mask.area() == 6 and mask.bounds().tolist() == [4, 1, 6, 4]  # columns 4..5 of 4..7
    (issue,) = report.by_code(Code.COORDINATE_CLIPPED)
    assert issue.detail["pixels"] == 6

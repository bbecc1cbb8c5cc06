"""IR invariants, equality/replace semantics and the vectorized geometry module."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from annoconv import SchemaError
from annoconv.ir import (Box, Caption, Dataset, ImageRef, Item, Keypoints, Label, LabelSet, Mask, Point, Polygon,
                         Polyline, Tag)
from annoconv.ir import geometry

SQUARE = [[0, 0], [4, 0], [4, 4], [0, 4]]


@pytest.mark.parametrize("build, expected", [
    (lambda: Box((10, 10, 5, 20), label="a"), "expected x1 <= x2 and y1 <= y2, got [10.0, 10.0, 5.0, 20.0]"),
    (lambda: Box((1, 2, 3), label="a"), "expected 4 numbers x1, y1, x2, y2, got shape (3,)"),
    (lambda: Box("1,2,3,4", label="a"), "expected 4 numbers x1, y1, x2, y2, got a string"),
    (lambda: Box((0, 0, np.nan, 1), label="a"), "must be finite"),
    (lambda: Polygon.from_rings([[0, 0], [1, 1]], label="a"), "expected at least 3 points, got 2"),
    (lambda: Polygon.from_rings([0, 0, 1, 1, 2], label="a"), "expected an even number of coordinates"),
    (lambda: Polygon.from_rings([["0", "0"], ["1", "0"], ["1", "1"]], label="a"), "containing strings"),
    (lambda: Polygon([], label="a"), "expected a non-empty list of regions"),
    (lambda: Polyline([[0, 0]], label="a"), "expected at least 2 points, got 1"),
    (lambda: Point([[0, 0], [1, 1]], label="a"), "expected one x, y pair, got 2 points"),
    (lambda: Keypoints([[0, 0], [1, 1]], [2], label="a"), "expected 2 visibility values (one per point)"),
    (lambda: Keypoints([[0, 0]], [3], label="a"), "visibility must be 0, 1 or 2, got [3]"),
    (lambda: Mask([3, 4], (2, 2), label="a"), "RLE counts cover 7 pixels but size [2, 2] has 4"),
    (lambda: Mask("", (-1, 2), label="a"), "size must be non-negative"),
    (lambda: Tag(label=None), "a label name is required"),
    (lambda: Tag(label=3), "label must be a name (str)"),
    (lambda: Box((0, 0, 1, 1), label="a", score=float("inf")), "score must be finite"),
    (lambda: ImageRef("a.jpg", width=0), "width must be a positive integer, got 0"),
    (lambda: Label("p", keypoints=("a", "b"), skeleton=((0, 2),)), "skeleton edge (0, 2) is outside its 2 keypoints"),
    (lambda: Label("p", color=(0, 0, 300)), "color must be (r, g, b) in 0..255"),
    (lambda: LabelSet([Label("a"), Label("a")]), "duplicate label name 'a'"),
])
def test_invariants_say_what_was_expected_and_given(build, expected: str) -> None:
    with pytest.raises(SchemaError) as info:
        build()
    assert expected in str(info.value)
    assert isinstance(info.value, ValueError)


def test_geometry_is_read_only_float64_and_never_rounded() -> None:
    polygon = Polygon.from_rings([[0.1, 0.2], [3.333333333333333, 0], [1, 1e-9]], label="a")
    ring = polygon.regions[0][0]
    assert ring.dtype == np.float64 and ring[1, 0] == 3.333333333333333 and ring[2, 1] == 1e-9
    with pytest.raises(ValueError):
        ring[0, 0] = 5
    source = np.array(SQUARE, dtype=np.float64)
    box = Polygon.from_rings(source, label="a")
    source[0, 0] = 99  # the IR copied the caller's array
    assert box.regions[0][0][0, 0] == 0


def test_replace_derives_a_copy_and_drops_geometry_derived_extras() -> None:
    polygon = Polygon.from_rings(SQUARE, label="a", id=3, extras={"coco:area": 15.0, "coco:bbox": [0, 0, 4, 4],
                                                                   "coco:source": "x"})
    relabelled = polygon.replace(label="b")
    assert relabelled.label == "b" and relabelled.extras == polygon.extras and polygon.label == "a"
    moved = polygon.replace(regions=[[[[1, 1], [5, 1], [5, 5]]]])
    assert moved.extras == {"coco:source": "x"}  # the source area/bbox no longer describe it
    assert moved.id == 3


def test_equality_compares_geometry_and_fields() -> None:
    assert Box((0, 0, 1, 1), label="a") == Box([0.0, 0.0, 1.0, 1.0], label="a")
    assert Box((0, 0, 1, 1), label="a") != Box((0, 0, 1, 1), label="b")
    assert Box((0, 0, 1, 1), label="a") != Box((0, 0, 1, 1), angle=1, label="a")
    assert Caption("x") == Caption("x") and Caption("x") != Caption("y")


def test_kinds_bounds_and_areas() -> None:
    holed = Polygon.from_rings(SQUARE, [[[1, 1], [1, 2], [2, 2], [2, 1]]], label="a")
    assert holed.area() == 15.0 and holed.has_holes and not holed.multipart
    assert holed.bounds().tolist() == [0, 0, 4, 4]
    box = Box((10, 12, 50, 40), label="a")
    assert box.area() == 1120.0 and not box.rotated
    rotated = Box((0, 0, 2, 2), angle=45, label="a")
    half_diagonal = np.sqrt(2)
    np.testing.assert_allclose(rotated.bounds(), [1 - half_diagonal, 1 - half_diagonal,
                                                  1 + half_diagonal, 1 + half_diagonal])
    mask = Mask.from_array(np.pad(np.ones((2, 3), np.uint8), ((1, 0), (2, 0))), label="a")
    assert mask.area() == 6 and mask.bounds().tolist() == [2, 1, 5, 3]
    keypoints = Keypoints([[1, 2], [0, 0], [5, 6]], [2, 0, 1], label="a")
    assert keypoints.labelled == 2 and keypoints.bounds().tolist() == [1, 2, 5, 6]


def test_oriented_gives_clockwise_exteriors_and_counter_clockwise_holes() -> None:
    counter_clockwise_on_screen = [[0, 0], [0, 4], [4, 4], [4, 0]]
    polygon = Polygon.from_rings(counter_clockwise_on_screen, [[[1, 1], [2, 1], [2, 2], [1, 2]]], label="a")
    oriented = polygon.oriented()
    assert geometry.ring_signed_area(oriented.regions[0][0]) > 0
    assert geometry.ring_signed_area(oriented.regions[0][1]) < 0
    assert oriented.area() == polygon.area() == 15.0


def test_dataset_validate_checks_ids_and_labels() -> None:
    labels = LabelSet([Label("a")])
    with pytest.raises(SchemaError, match="duplicate item id 'x'"):
        Dataset(labels, [Item("x", ImageRef("x")), Item("x", ImageRef("x"))]).validate()
    with pytest.raises(SchemaError, match="label 'b' is not in the label set"):
        Dataset(labels, [Item("x", ImageRef("x"), [Tag(label="b")])]).validate()


# --- geometry ---------------------------------------------------------------------------

finite = st.floats(-1e6, 1e6, allow_nan=False)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(finite, finite, st.floats(0, 1e4), st.floats(0, 1e4)), min_size=1, max_size=8))
def test_box_conversions_round_trip(boxes: list[tuple[float, float, float, float]]) -> None:
    xywh = np.array(boxes)
    xyxy = geometry.xywh_to_xyxy(xywh)
    np.testing.assert_allclose(geometry.xyxy_to_xywh(xyxy), xywh, atol=1e-6)
    np.testing.assert_allclose(geometry.cxcywh_to_xyxy(geometry.xyxy_to_cxcywh(xyxy)), xyxy, atol=1e-6)


def test_normalize_clip_and_areas() -> None:
    points = np.array([[320.0, 240.0], [-5.0, 500.0]])
    normalized = geometry.normalize(points, 640, 480)
    assert normalized.tolist() == [[0.5, 0.5], [-5 / 640, 500 / 480]]
    np.testing.assert_allclose(geometry.denormalize(normalized, 640, 480), points)
    clipped, moved = geometry.clip_points(points, 640, 480)
    assert clipped.tolist() == [[320, 240], [0, 480]] and moved == 2  # values, not points
    assert geometry.box_area(np.array([[10, 12, 50, 40], [0, 0, 1, 2]])).tolist() == [1120, 2]
    assert geometry.polygon_area([[np.array(SQUARE, float), np.array([[1, 1], [2, 1], [2, 2], [1, 2]], float)]]) == 15
    # precision kept far from the origin
    far = np.array(SQUARE, float) + 1e9
    assert geometry.ring_signed_area(far) == pytest.approx(16.0, abs=1e-6)


def test_rotated_box_corners_follow_screen_clockwise_angles() -> None:
    corners = geometry.rotated_box_corners(np.array([0.0, 0.0, 4.0, 2.0]), 90.0)
    # rotated 90 degrees clockwise on screen about the centre (2, 1): top-left goes to top-right
    np.testing.assert_allclose(corners, [[3, -1], [3, 3], [1, 3], [1, -1]], atol=1e-12)
    np.testing.assert_allclose(geometry.rotated_box_bounds(np.array([0.0, 0.0, 4.0, 2.0]), 90.0), [1, -1, 3, 3],
                               atol=1e-12)

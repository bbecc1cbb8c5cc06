"""annoconv.rasterize: labels, crowd policies, instance numbering, lines, reports and bad input."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
import pytest

import annoconv
from annoconv import (Box, Code, ImageRef, Item, Keypoints, Label, LabelSet, Mask, Point, Polygon, Polyline,
                      Report, SchemaError, Tag)
from annoconv.raster.rasterize import polygon_mask

SIZE = ImageRef("img/a.jpg", 10, 8)  # width 10, height 8


def _item(*annotations, image: ImageRef = SIZE) -> Item:  # type: ignore[no-untyped-def]
    return Item("a", image, list(annotations))


def _box(x1: float, y1: float, x2: float, y2: float, label: str = "cat", **common: object) -> Box:
    return Box((x1, y1, x2, y2), label=label, **common)


def test_public_api_is_exported() -> None:
    from annoconv.raster import mask_to_polygons, mask_to_rle, rasterize
    assert annoconv.rasterize is rasterize and annoconv.mask_to_polygons is mask_to_polygons
    assert annoconv.mask_to_rle is mask_to_rle
    assert {"rasterize", "mask_to_polygons", "mask_to_rle"} <= set(annoconv.__all__)
    assert set(annoconv.raster.__all__) >= {"rasterize", "mask_to_polygons", "mask_to_rle", "polygon_mask"}


# --- semantic maps: class indices ------------------------------------------------------------

def test_labelset_gives_indices_in_label_order_from_one() -> None:
    labels = LabelSet([Label("dog"), Label("cat")])
    out = annoconv.rasterize(_item(_box(0, 0, 2, 2, "cat"), _box(5, 5, 6, 6, "dog")), labels)
    assert out.dtype == np.uint8 and out[0, 0] == 2 and out[5, 5] == 1 and out[7, 9] == 0


def test_explicit_mapping_and_background() -> None:
    out = annoconv.rasterize(_item(_box(0, 0, 2, 2)), {"cat": 7}, background=3)
    assert out[1, 1] == 7 and out[4, 4] == 3


def test_default_labels_are_the_drawable_ones_in_order_of_appearance() -> None:
    item = _item(Point([1, 1], label="pt"), _box(0, 0, 1, 1, "dog"), _box(2, 2, 3, 3, "cat"), Tag(label="scene"))
    out = annoconv.rasterize(item)
    assert out[0, 0] == 1 and out[2, 2] == 2


def test_unknown_label_is_reported_and_not_painted() -> None:
    report = Report()
    out = annoconv.rasterize(_item(_box(0, 0, 2, 2, "cat", id=4), _box(4, 4, 6, 6, "dog")), {"dog": 1},
                             report=report)
    assert out[0, 0] == 0 and out[4, 4] == 1
    [issue] = report.by_code(Code.LABEL_UNKNOWN)
    assert issue.item == "a" and issue.annotation == 4 and "'cat'" in issue.message


def test_values_that_would_wrap_are_refused() -> None:
    with pytest.raises(SchemaError, match="0..65535"):
        annoconv.rasterize(_item(_box(0, 0, 2, 2)), {"cat": 70000})
    with pytest.raises(SchemaError, match="0..255"):
        annoconv.rasterize(_item(_box(0, 0, 2, 2)), {"cat": 300}, dtype=np.uint8)
    wide = annoconv.rasterize(_item(_box(0, 0, 2, 2)), {"cat": 300})
    assert wide.dtype == np.uint16 and wide[0, 0] == 300


def test_bad_mode_and_crowd_policy_are_value_errors() -> None:
    with pytest.raises(ValueError, match="mode"):
        annoconv.rasterize(_item(), mode="panoptic")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="crowd"):
        annoconv.rasterize(_item(), crowd="instance")  # type: ignore[arg-type]


# --- crowd ------------------------------------------------------------------------------------

def _crowd_item() -> Item:
    return _item(_box(0, 0, 4, 4, "cat"), _box(2, 2, 6, 6, "dog", iscrowd=True), _box(5, 5, 8, 8, "cat"))


def test_semantic_crowd_is_ignore_by_default() -> None:
    out = annoconv.rasterize(_crowd_item(), {"cat": 1, "dog": 2})
    assert out[3, 3] == 255 and out[0, 0] == 1 and out[5, 5] == 1 and out[2, 5] == 255
    assert annoconv.rasterize(_crowd_item(), {"cat": 1, "dog": 2}, ignore_value=200)[3, 3] == 200


def test_semantic_crowd_as_class_or_skipped() -> None:
    as_class = annoconv.rasterize(_crowd_item(), {"cat": 1, "dog": 2}, crowd="class")
    assert as_class[3, 3] == 2 and as_class[2, 5] == 2
    skipped = annoconv.rasterize(_crowd_item(), {"cat": 1, "dog": 2}, crowd="skip")
    assert skipped[3, 3] == 1 and skipped[2, 5] == 0


def test_instance_maps_number_drawable_annotations_and_crowd_is_an_instance_by_default() -> None:
    item = _item(Point([9, 9], label="pt"), *_crowd_item().annotations, Tag(label="scene"))
    out = annoconv.rasterize(item, mode="instance")
    assert out[0, 0] == 1 and out[3, 3] == 2 and out[5, 5] == 3 and out[2, 5] == 2
    ignored = annoconv.rasterize(item, mode="instance", crowd="ignore")
    assert ignored[0, 0] == 1 and ignored[3, 3] == 255 and ignored[5, 5] == 2
    skipped = annoconv.rasterize(item, mode="instance", crowd="skip")
    assert skipped[3, 3] == 1 and skipped[2, 5] == 0 and skipped[5, 5] == 2


def test_instance_ignore_value_never_collides_with_an_instance() -> None:
    crowd = _box(0, 0, 1, 1, "dog", iscrowd=True)
    many = [_box(k % 10, 1 + k // 10, k % 10 + 1, 2 + k // 10) for k in range(70)]
    image = ImageRef("x.png", 10, 8)
    with pytest.raises(SchemaError, match="collides"):
        annoconv.rasterize(_item(crowd, *many, image=image), mode="instance", crowd="ignore", ignore_value=50)
    out = annoconv.rasterize(_item(crowd, *many, image=image), mode="instance", crowd="ignore", ignore_value=300)
    assert out.dtype == np.uint16 and out[0, 0] == 300 and out[7, 9] == 70


# --- lines, points, keypoints ----------------------------------------------------------------

def _linear_item() -> Item:
    return _item(Polyline([[0.5, 0.5], [8.5, 0.5]], label="cat", id=1), Point([3.5, 5.5], label="cat", id=2),
                 Keypoints([[7.5, 6.5], [1.5, 6.5]], [2, 0], label="cat", id=3))


def test_lines_points_and_keypoints_are_skipped_and_reported_without_a_width() -> None:
    report = Report()
    out = annoconv.rasterize(_linear_item(), {"cat": 1}, report=report)
    assert not out.any()
    issues = report.by_code(Code.UNSUPPORTED_KIND)
    assert [issue.annotation for issue in issues] == [1, 2, 3]
    assert "line width" in issues[0].message


def test_lines_points_and_keypoints_are_drawn_with_a_line_width() -> None:
    report = Report()
    out = annoconv.rasterize(_linear_item(), {"cat": 1}, line_width=1, report=report)
    assert not report.issues
    assert out[0, 0:9].all() and not out[1].any()  # the polyline through the centres of row 0
    assert out[5, 3] == 1  # the point
    assert out[6, 7] == 1 and out[6, 1] == 0  # the visible keypoint only
    thick = annoconv.rasterize(_linear_item(), {"cat": 1}, line_width=3)
    assert thick[1, 4] == 1 and int(thick.sum()) > int(out.sum())


# --- degenerate and bad input ----------------------------------------------------------------

def test_self_intersecting_polygons_fill_even_odd() -> None:
    bow_tie = Polygon.from_rings([[0, 0], [8, 8], [8, 0], [0, 8]], label="cat")
    out = annoconv.rasterize(_item(bow_tie, image=ImageRef("x.png", 8, 8)), {"cat": 1})
    # Two triangles meeting at (4, 4): left and right filled, above and below the crossing empty.
    assert out[4, 1] == 1 and out[4, 6] == 1 and out[1, 4] == 0 and out[6, 4] == 0
    # Centres on the diagonals: inside the right lobe (its left edge), outside the left one.
    assert out[:, 0].tolist() == [0, 1, 1, 1, 1, 1, 1, 0] and out[:, 7].all()
    assert int(out.sum()) == (0 + 1 + 2 + 3) * 2 + (1 + 2 + 3 + 4) * 2
    # A pentagram drawn in one stroke: even-odd leaves its pentagon centre empty.
    angles = np.deg2rad(-90 + 144 * np.arange(5))
    star = np.stack([20 + 18 * np.cos(angles), 20 + 18 * np.sin(angles)], axis=1)
    out = annoconv.rasterize(_item(Polygon.from_rings(star, label="cat"), image=ImageRef("x.png", 40, 40)),
                             {"cat": 1})
    assert out[20, 20] == 0 and out[5, 20] == 1  # the centre is empty, a point of the star is filled
    assert 100 < int(out.sum()) < 600


def test_zero_area_shapes_paint_nothing() -> None:
    item = _item(_box(3, 3, 3, 7), _box(2, 4, 8, 4), Polygon.from_rings([[1, 1], [5, 5], [9, 9]], label="cat"),
                 Polygon.from_rings([[2, 2], [2, 2], [2, 2]], label="cat"), _box(2.6, 2.6, 3.4, 3.4))
    assert not annoconv.rasterize(item, {"cat": 1}).any()  # the last box holds no pixel centre


def test_shapes_outside_the_image_paint_nothing_and_partly_outside_are_clipped() -> None:
    item = _item(_box(-10, -10, -1, -1), _box(20, 0, 30, 5), Polygon.from_rings([[0, -5], [5, -5], [5, -1]],
                                                                                 label="cat"),
                 Box((-100, -100, -90, -90), angle=45, label="cat"))
    assert not annoconv.rasterize(item, {"cat": 1}).any()
    partly = annoconv.rasterize(_item(_box(-5, -5, 2, 3), Box((6, 6, 14, 14), angle=10, label="cat")),
                                {"cat": 1})
    assert int(partly[:3, :2].sum()) == 6 and partly[7, 9] == 1


def test_rotated_box_matches_its_corner_polygon() -> None:
    box = Box((2, 1, 8, 5), angle=30, label="cat")
    out = annoconv.rasterize(_item(box), {"cat": 1})
    assert np.array_equal(out, polygon_mask([[box.corners()]], 8, 10))
    assert not np.array_equal(out, annoconv.rasterize(_item(_box(2, 1, 8, 5)), {"cat": 1}))


def test_nan_and_infinite_coordinates_are_refused_by_the_ir() -> None:
    with pytest.raises(SchemaError, match="finite"):
        Polygon.from_rings([[0, 0], [float("nan"), 1], [1, 1]], label="cat")
    with pytest.raises(SchemaError, match="finite"):
        Box((0, 0, float("inf"), 1), label="cat")
    with pytest.raises(SchemaError, match="finite"):
        Box((0, 0, 1, 1), angle=float("nan"), label="cat")


def test_missing_image_size_is_a_schema_error_naming_the_item() -> None:
    with pytest.raises(SchemaError, match=r"item 'a' \(img/a.jpg\).*image size is unknown"):
        annoconv.rasterize(_item(_box(0, 0, 1, 1), image=ImageRef("img/a.jpg")), {"cat": 1})


def test_rle_of_another_size_is_a_schema_error_naming_item_and_annotation() -> None:
    mask = Mask.from_array(np.ones((4, 4), np.uint8), label="cat", id=9)
    with pytest.raises(SchemaError, match=r"annotation 9 .*item 'a'.*\[4, 4\] differs from the image size \[8, 10\]"):
        annoconv.rasterize(_item(mask), {"cat": 1})


# --- what painting loses: notes against a brute-force reference ------------------------------

@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.integers(-4, 12), st.integers(-4, 10), st.integers(0, 9), st.integers(0, 9),
                          st.booleans()), min_size=1, max_size=40),
       st.sampled_from(["instance", "semantic"]))
def test_loss_notes_match_a_brute_force_reference(boxes: list[tuple[int, int, int, int, bool]], mode: str) -> None:
    """Hidden = an instance that covers a pixel centre alone but shows no pixel in the map (checked
    by a histogram of the whole map); clipped / outside / no pixel from the box and the image."""
    shapes = []
    for k, (x, y, w, h, as_polygon) in enumerate(boxes):
        corners = np.array([[x, y], [x + w, y], [x + w, y + h], [x, y + h]], dtype=float) / 2 + 0.25 * (k % 2)
        shapes.append(Polygon([[corners]], label="cat", id=k) if as_polygon else
                      Box((*corners[0], *corners[2]), label="cat", id=k))
    item = _item(*shapes)
    report = Report()
    out = annoconv.rasterize(item, {"cat": 1}, mode, report=report)
    present = set(np.unique(out).tolist())
    expected = set()
    for k, shape in enumerate(shapes):
        x1, y1, x2, y2 = shape.bounds().tolist()
        alone = annoconv.rasterize(_item(shape), {"cat": 1}, mode)
        if not alone.any():
            outside = x2 <= 0 or y2 <= 0 or x1 >= 10 or y1 >= 8
            expected.add((Code.COORDINATE_CLIPPED if outside else Code.PRECISION_REDUCED, k))
            continue
        if x1 < 0 or y1 < 0 or x2 > 10 or y2 > 8:
            expected.add((Code.COORDINATE_CLIPPED, k))
        if mode == "instance" and k + 1 not in present:
            expected.add((Code.PRECISION_REDUCED, k))
    assert {(issue.code, issue.annotation) for issue in report.issues} == expected


@pytest.mark.parametrize("mode", ["semantic", "instance"])
def test_an_object_given_as_box_and_outline_is_painted_by_its_outline(mode: str) -> None:
    """A Box and a Polygon of one group and label are one object: its pixels are the outline's, not
    the box's (a VOC object read with its mask); one instance, not two."""
    outline = Polygon([[[[1, 1], [4, 1], [4, 3], [1, 3]]]], label="cat", group="g")
    out = annoconv.rasterize(_item(_box(0, 0, 6, 5, group="g"), outline, _box(8, 6, 10, 8, "dog")),
                             {"cat": 1, "dog": 2}, mode)
    assert out[1:3, 1:4].all() and np.count_nonzero(out) == 6 + 4
    assert sorted(np.unique(out).tolist()) == [0, 1, 2]

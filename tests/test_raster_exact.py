"""Exactness of the rasterizer against a slow rational reference (tests/raster_reference.py).

The pixel rule: pixel (c, r) belongs to a shape when its centre (c + 0.5, r + 0.5) lies inside;
left/top edges inside, right/bottom outside; even-odd within a region, regions unioned, later
(and higher z_order) annotations over earlier ones. Every test here must find zero mismatches.
"""

from __future__ import annotations

import os

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from raster_reference import annotation_pixels, paint, region_pixels

from annoconv.ir import Box, ImageRef, Item, Mask, Polygon
from annoconv.raster.rasterize import burn, plan_instances, plan_semantic, polygon_mask, rasterize

EXACT = settings(max_examples=int(os.environ.get("ANNOCONV_EXACT_EXAMPLES", "150")), deadline=None,
                 suppress_health_check=[HealthCheck.too_slow])
MAX_SIDE = 9


HUGE = (-1.7e308, -1e300, -1e9, -1e6, -1e6 + 0.5, 1e6, 1e6 + 0.5, 1e9, 1e9 + 0.25, 1e300, 1.7e308)


def coordinate(limit: int, huge: tuple[float, ...] = HUGE) -> st.SearchStrategy[float]:
    """Integers and half-integers (ties on pixel edges and centres), quarter steps, sub-pixel
    floats, and huge values far outside the image (up to the float64 limit)."""
    return st.one_of(
        st.integers(-2, limit + 2).map(float),
        st.integers(-4, 2 * limit + 4).map(lambda k: k / 2),
        st.integers(-8, 4 * limit + 8).map(lambda k: k / 4),
        st.floats(-2.0, limit + 2.0, allow_nan=False, allow_infinity=False),
        st.sampled_from(huge),
    )


@st.composite
def rings(draw: st.DrawFn, limit: int, max_points: int = 6) -> np.ndarray:
    n = draw(st.integers(3, max_points))
    values = draw(st.lists(coordinate(limit), min_size=2 * n, max_size=2 * n))
    return np.array(values, dtype=np.float64).reshape(n, 2)


@st.composite
def polygons(draw: st.DrawFn, limit: int) -> Polygon:
    regions = draw(st.lists(st.lists(rings(limit), min_size=1, max_size=2), min_size=1, max_size=2))
    return Polygon(regions, label=draw(st.sampled_from(["a", "b", "c"])), z_order=draw(st.integers(-1, 1)))


@st.composite
def boxes(draw: st.DrawFn, limit: int) -> Box:
    # Rotated corners are computed in float64: keep them finite (|x| <= 1e9).
    x1, x2 = sorted(draw(st.lists(coordinate(limit, HUGE[2:-2]), min_size=2, max_size=2)))
    y1, y2 = sorted(draw(st.lists(coordinate(limit, HUGE[2:-2]), min_size=2, max_size=2)))
    angle = draw(st.one_of(st.just(0.0), st.sampled_from([45.0, 90.0, -30.0, 180.0, 360.0]),
                           st.floats(-360, 360, allow_nan=False)))
    return Box((x1, y1, x2, y2), angle=angle, label=draw(st.sampled_from(["a", "b", "c"])),
               z_order=draw(st.integers(-1, 1)))


@st.composite
def items(draw: st.DrawFn, max_shapes: int = 3) -> Item:
    height, width = draw(st.integers(1, MAX_SIDE)), draw(st.integers(1, MAX_SIDE))
    limit = max(height, width)
    shapes = draw(st.lists(st.one_of(polygons(limit), boxes(limit)), min_size=1, max_size=max_shapes))
    return Item("x", ImageRef("x.png", width, height), shapes)


INDEX = {"a": 1, "b": 2, "c": 3}


def _semantic_values(item: Item) -> dict[int, int]:
    return {k: INDEX[a.label] for k, a in enumerate(item.annotations)}


# --- the documented examples -----------------------------------------------------------------

def test_integer_box_covers_exactly_its_corner_range() -> None:
    item = Item("x", ImageRef("x.png", 64, 48), [Box((10, 12, 50, 40), label="a")])
    out = rasterize(item, {"a": 1})
    assert int(out.sum()) == 1120
    rows, cols = np.nonzero(out)
    assert (rows.min(), rows.max(), cols.min(), cols.max()) == (12, 39, 10, 49)


def test_integer_polygon_box_covers_exactly_its_corner_range() -> None:
    square = [[10, 12], [50, 12], [50, 40], [10, 40]]
    mask = polygon_mask([[np.array(square, float)]], 48, 64)
    assert int(mask.sum()) == 1120 and mask[12:40, 10:50].all()


def test_centre_on_left_and_top_edges_is_inside_on_right_and_bottom_outside() -> None:
    # Edges through pixel centres: x = 0.5 and 2.5, y = 0.5 and 2.5.
    item = Item("x", ImageRef("x.png", 4, 4), [Polygon.from_rings([[0.5, 0.5], [2.5, 0.5], [2.5, 2.5], [0.5, 2.5]],
                                                                   label="a")])
    expected = np.zeros((4, 4), np.uint8)
    expected[0:2, 0:2] = 1
    assert np.array_equal(rasterize(item, {"a": 1}), expected)
    box = Item("x", ImageRef("x.png", 4, 4), [Box((0.5, 0.5, 2.5, 2.5), label="a")])
    assert np.array_equal(rasterize(box, {"a": 1}), expected)


def test_shared_edges_never_share_pixels() -> None:
    # Two triangles splitting a square along a diagonal through pixel centres: every pixel once.
    left = Polygon.from_rings([[0.5, 0.5], [6.5, 6.5], [0.5, 6.5]], label="a")
    right = Polygon.from_rings([[0.5, 0.5], [6.5, 0.5], [6.5, 6.5]], label="b")
    size = ImageRef("x.png", 8, 8)
    a = rasterize(Item("x", size, [left]), {"a": 1})
    b = rasterize(Item("x", size, [right]), {"b": 1})
    assert not (a & b).any()
    assert np.array_equal(a | b, rasterize(Item("x", size, [Box((0.5, 0.5, 6.5, 6.5), label="a")]), {"a": 1}))


def test_ring_orientation_does_not_matter() -> None:
    exterior = np.array([[1, 1], [9.5, 1.25], [8, 8.5], [1.5, 7]])
    hole = np.array([[3, 3], [6, 3.5], [5, 6]])
    size = ImageRef("x.png", 11, 10)
    forward = rasterize(Item("x", size, [Polygon.from_rings(exterior, [hole], label="a")]), {"a": 1})
    backward = rasterize(Item("x", size, [Polygon.from_rings(exterior[::-1], [hole[::-1]], label="a")]), {"a": 1})
    mixed = rasterize(Item("x", size, [Polygon.from_rings(exterior, [hole[::-1]], label="a")]), {"a": 1})
    assert forward.any() and np.array_equal(forward, backward) and np.array_equal(forward, mixed)
    assert not forward[4, 4]  # inside the hole


# --- hypothesis: zero mismatches against the rational reference --------------------------------

@EXACT
@given(items())
def test_semantic_maps_match_the_reference(item: Item) -> None:
    expected = paint(item, _semantic_values(item))
    assert np.array_equal(rasterize(item, INDEX), expected)


@EXACT
@given(items())
def test_instance_maps_match_the_reference(item: Item) -> None:
    expected = paint(item, {k: k + 1 for k in range(len(item.annotations))})
    assert np.array_equal(rasterize(item, mode="instance"), expected)


@EXACT
@given(st.integers(1, MAX_SIDE), st.integers(1, MAX_SIDE), st.data())
def test_reversed_rings_give_the_same_pixels(height: int, width: int, data: st.DataObject) -> None:
    regions = data.draw(st.lists(st.lists(rings(max(height, width)), min_size=1, max_size=3), min_size=1,
                                 max_size=3))
    forward = polygon_mask(regions, height, width)
    backward = polygon_mask([[ring[::-1] for ring in region] for region in regions], height, width)
    assert np.array_equal(forward, backward)
    expected = np.zeros((height, width), dtype=bool)
    for region in regions:  # even-odd within a region, union across regions
        expected |= region_pixels(region, height, width)
    assert np.array_equal(forward.astype(bool), expected)


def test_overlapping_regions_are_unioned_not_even_odd() -> None:
    square = np.array([[0, 0], [6, 0], [6, 6], [0, 6]], float)
    both = polygon_mask([[square], [square + 3]], 10, 10)
    assert both[4, 4] == 1 and int(both.sum()) == 36 + 36 - 9


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(items(max_shapes=2), min_size=2, max_size=5))
def test_batching_does_not_change_pixels(batch: list[Item]) -> None:
    plans = [plan_semantic(item, INDEX) if k % 2 else plan_instances(item) for k, item in enumerate(batch)]
    together = burn(plans)
    one_by_one = [burn([plan])[0] for plan in plans]
    assert all(np.array_equal(a, b) for a, b in zip(together, one_by_one))


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 6), st.integers(1, 6), st.data())
def test_huge_coordinates_are_exact(height: int, width: int, data: st.DataObject) -> None:
    huge = st.sampled_from([-1e9, -1e9 + 0.5, -1e6, 1e6, 1e6 + 0.5, 1e9, 1e9 - 0.5])
    near = st.integers(-1, 2 * max(height, width) + 1).map(lambda k: k / 2)
    n = data.draw(st.integers(3, 5))
    points = data.draw(st.lists(st.tuples(st.one_of(huge, near), st.one_of(huge, near)), min_size=n, max_size=n))
    ring = np.array(points, dtype=np.float64)
    assert np.array_equal(polygon_mask([[ring]], height, width).astype(bool), region_pixels([ring], height, width))


# --- overlaps, z-order, never OR ----------------------------------------------------------------

def test_later_annotation_wins_and_values_are_never_ored() -> None:
    size = ImageRef("x.png", 6, 4)
    first, second = Box((0, 0, 4, 4), label="a"), Box((2, 0, 6, 4), label="b")
    out = rasterize(Item("x", size, [first, second]), {"a": 1, "b": 2})
    assert out[0, 3] == 2  # OR would give 3
    assert out[0, 1] == 1 and out[0, 5] == 2
    swapped = rasterize(Item("x", size, [second, first]), {"a": 1, "b": 2})
    assert swapped[0, 3] == 1


def test_z_order_beats_annotation_order() -> None:
    size = ImageRef("x.png", 6, 4)
    high = Polygon.from_rings([[0, 0], [4, 0], [4, 4], [0, 4]], label="a", z_order=2)
    low = Box((2, 0, 6, 4), label="b", z_order=1)
    assert rasterize(Item("x", size, [high, low]), {"a": 1, "b": 2})[0, 3] == 1
    instances = rasterize(Item("x", size, [high, low]), mode="instance")
    assert instances[0, 3] == 1 and instances[0, 5] == 2  # instance numbers follow item order, not z-order


def test_holes_are_cleared_and_regions_unioned() -> None:
    outer = [[0, 0], [8, 0], [8, 8], [0, 8]]
    hole = [[2, 2], [6, 2], [6, 6], [2, 6]]
    island = [[3, 3], [5, 3], [5, 5], [3, 5]]  # a second region inside the hole
    polygon = Polygon([[outer, hole], [island]], label="a")
    out = rasterize(Item("x", ImageRef("x.png", 10, 10), [polygon]), {"a": 1})
    expected = np.zeros((10, 10), np.uint8)
    expected[0:8, 0:8] = 1
    expected[2:6, 2:6] = 0
    expected[3:5, 3:5] = 1
    assert np.array_equal(out, expected)
    # Overlapping regions are unioned, not combined even-odd.
    both = Polygon([[outer], [[[4, 4], [10, 4], [10, 10], [4, 10]]]], label="a")
    union = rasterize(Item("x", ImageRef("x.png", 10, 10), [both]), {"a": 1})
    assert union[5, 5] == 1 and int(union.sum()) == 64 + 36 - 16


def test_rle_masks_are_painted_as_they_are() -> None:
    pixels = np.zeros((5, 7), np.uint8)
    pixels[1, 2] = pixels[3, 4:7] = pixels[4, 0] = 1
    item = Item("x", ImageRef("x.png", 7, 5), [Box((0, 0, 7, 5), label="a"), Mask.from_array(pixels, label="b")])
    out = rasterize(item, {"a": 1, "b": 2})
    assert np.array_equal(out, np.where(pixels == 1, 2, 1))
    assert np.array_equal(annotation_pixels(item.annotations[1], 5, 7), pixels.astype(bool))


# --- 16-bit instance maps ---------------------------------------------------------------------

def test_more_than_255_instances_switch_to_16_bit_without_wrapping() -> None:
    # 300 one-pixel boxes in a 20 x 15 image: instance k at pixel k - 1 (row-major).
    width = 20
    shapes = [Box((k % width, k // width, k % width + 1, k // width + 1), label="a") for k in range(300)]
    out = rasterize(Item("x", ImageRef("x.png", width, 15), shapes), mode="instance")
    assert out.dtype == np.uint16
    assert np.array_equal(out.ravel(), np.arange(1, 301))
    assert int(out.max()) == 300


def test_255_instances_stay_8_bit() -> None:
    shapes = [Box((k, 0, k + 1, 1), label="a") for k in range(255)]
    out = rasterize(Item("x", ImageRef("x.png", 255, 1), shapes), mode="instance")
    assert out.dtype == np.uint8 and int(out[0, -1]) == 255


def test_rows_beyond_a_million_are_exact() -> None:
    # Shapes with two spans in some rows are put in chain order by one sort; rows past 2^20 take
    # the general path of that sort.
    height, width = (1 << 20) + 40, 12
    u_shape = np.array([[1, height - 30], [11, height - 30], [11, height - 2], [8, height - 2],
                        [8, height - 20], [4.5, height - 20], [4.5, height - 2], [1, height - 2]], dtype=np.float64)
    got = polygon_mask([[u_shape]], height, width)
    assert np.array_equal(got[-40:], region_pixels([u_shape], height, width)[-40:])
    assert got[:-40].sum() == 0 and got[-20, :].tolist() == [0, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1, 0]

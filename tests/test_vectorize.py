"""Masks back to shapes: mask_to_polygons is the exact inverse of rasterization; mask_to_rle is
byte-identical to pycocotools."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from annoconv import ImageRef, Item, Mask, Polygon, mask_to_polygons, mask_to_rle, rasterize
from annoconv.raster.rasterize import polygon_mask

mask_utils = pytest.importorskip("pycocotools.mask")


def _masks(max_side: int = 12) -> st.SearchStrategy[np.ndarray]:
    shapes = st.tuples(st.integers(1, max_side), st.integers(1, max_side))
    return shapes.flatmap(lambda shape: arrays(np.uint8, shape, elements=st.integers(0, 1)))


def _back(mask: np.ndarray, regions: list) -> np.ndarray:  # type: ignore[type-arg]
    """Rasterize regions as one Polygon annotation through the public API."""
    height, width = mask.shape
    if not regions:
        return np.zeros_like(mask)
    return rasterize(Item("x", ImageRef("x.png", width, height), [Polygon(regions, label="a")]), {"a": 1})


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_masks())
def test_polygons_rasterize_back_to_the_mask(mask: np.ndarray) -> None:
    regions = mask_to_polygons(mask)
    assert np.array_equal(_back(mask, regions), mask)
    # Rings trace pixel edges: integer corner coordinates, open (not repeating the first vertex).
    for region in regions:
        for ring in region:
            assert np.array_equal(ring, np.round(ring)) and not np.array_equal(ring[0], ring[-1])


def test_holes_and_orientation() -> None:
    mask = np.ones((5, 5), np.uint8)
    mask[1:4, 1:4] = 0
    mask[2, 2] = 1  # an island in the hole
    regions = mask_to_polygons(mask)
    assert sorted(len(region) for region in regions) == [1, 2]  # ring with a hole, and the island
    ring_with_hole = next(region for region in regions if len(region) == 2)

    def signed_area(ring: np.ndarray) -> float:
        x, y = ring[:, 0], ring[:, 1]
        return float(np.dot(x, np.roll(y, -1)) - np.dot(np.roll(x, -1), y)) / 2

    # Clockwise on screen (y down) is a positive shoelace area; holes go the other way.
    assert signed_area(ring_with_hole[0]) == 25 and signed_area(ring_with_hole[1]) == -9
    assert np.array_equal(polygon_mask(regions, 5, 5), mask)


def test_diagonal_touching_pixels_stay_separate_pixels() -> None:
    checker = np.array([[1, 0, 1], [0, 1, 0], [1, 0, 1]], np.uint8)
    regions = mask_to_polygons(checker)
    assert np.array_equal(_back(checker, regions), checker)
    assert sum(abs(_area(region[0])) for region in regions) == 5
    ring = np.array([[1, 1, 1], [1, 0, 1], [1, 1, 0]], np.uint8)  # hole touching the outside at a corner
    assert np.array_equal(_back(ring, mask_to_polygons(ring)), ring)


def _area(ring: np.ndarray) -> float:
    x, y = ring[:, 0], ring[:, 1]
    return float(np.dot(x, np.roll(y, -1)) - np.dot(np.roll(x, -1), y)) / 2


def test_empty_mask_gives_no_regions() -> None:
    assert mask_to_polygons(np.zeros((4, 6), np.uint8)) == []


def test_tolerance_simplifies_and_stays_close() -> None:
    yy, xx = np.mgrid[0:200, 0:200]
    circle = ((xx + 0.5 - 100) ** 2 + (yy + 0.5 - 100) ** 2 <= 80 ** 2).astype(np.uint8)
    exact = mask_to_polygons(circle)
    simple = mask_to_polygons(circle, tolerance=1.0)
    assert len(exact) == len(simple) == 1
    assert len(simple[0][0]) < len(exact[0][0]) / 4
    back = _back(circle, simple).astype(bool)
    iou = (back & circle.astype(bool)).sum() / (back | circle.astype(bool)).sum()
    assert iou > 0.9
    assert not np.array_equal(back, circle)  # simplified: no longer the exact outline
    # Several regions keep the exact outline's order and ring starts.
    blobs = np.hstack([circle, np.roll(circle, 15, axis=0)])  # two circles 40 px apart
    exact, simple = mask_to_polygons(blobs), mask_to_polygons(blobs, tolerance=1.0)
    assert [region[0][0].tolist() for region in simple] == [region[0][0].tolist() for region in exact]
    assert all(_area(region[0]) > 0 for region in simple)


def _dense_and_sparse_masks(max_side: int = 40) -> st.SearchStrategy[np.ndarray]:
    """Masks up to max_side x max_side with a density from sparse to nearly full, and masks
    repeating a smaller one (many regions with the same holes: holes of later regions)."""
    def random(side: int) -> st.SearchStrategy[np.ndarray]:
        shapes = st.tuples(st.integers(1, side), st.integers(1, side))
        levels = shapes.flatmap(lambda shape: arrays(np.uint8, shape, elements=st.integers(0, 99)))
        return st.tuples(levels, st.sampled_from([5, 25, 50, 75, 95])).map(
            lambda drawn: (drawn[0] < drawn[1]).astype(np.uint8))
    tiled = st.tuples(random(max_side // 4), st.integers(1, 3), st.integers(1, 3)).map(
        lambda drawn: np.tile(np.pad(drawn[0], ((0, 1), (0, 1))), drawn[1:]))
    return st.one_of(random(max_side), tiled)


def _check_exact_outline(mask: np.ndarray, regions: list) -> None:  # type: ignore[type-arg]
    """Everything mask_to_polygons promises at tolerance 0 (see its docstring)."""
    pixels = np.argwhere(mask)
    reference = shapely.union_all(shapely.box(pixels[:, 1], pixels[:, 0], pixels[:, 1] + 1, pixels[:, 0] + 1))
    polygons = [shapely.Polygon(region[0], region[1:]) for region in regions]
    # Valid OGC polygons (rings touch at most at points), together a valid MultiPolygon.
    assert all(shapely.is_valid(polygon) for polygon in polygons)
    assert shapely.is_valid(shapely.MultiPolygon(polygons))
    assert shapely.symmetric_difference(shapely.MultiPolygon(polygons), reference).area == 0
    assert np.array_equal(_back(mask, regions), mask)
    # One region per 4-connected component: diagonal neighbours are separate regions.
    assert len(regions) == cv2.connectedComponents(mask, connectivity=4)[0] - 1
    for region in regions:
        assert _area(region[0]) > 0 and all(_area(hole) < 0 for hole in region[1:])
        for ring in region:
            assert ring.dtype == np.float64 and ring.shape[1] == 2
            assert np.array_equal(ring, np.round(ring))
            step = np.roll(ring, -1, axis=0) - ring
            # Axis-parallel edges that all turn: open, no repeated or collinear vertex.
            assert np.all((step[:, 0] == 0) != (step[:, 1] == 0))
            assert np.all((step[:, 0] == 0) != (np.roll(step, 1, axis=0)[:, 0] == 0))
            # Each ring starts at its first vertex in raster order (smallest y, then x).
            assert tuple(ring[0][::-1]) == min(map(tuple, ring[:, ::-1]))
        holes = [tuple(hole[0][::-1]) for hole in region[1:]]
        assert holes == sorted(holes)
    firsts = [tuple(region[0][0][::-1]) for region in regions]
    assert firsts == sorted(firsts)  # regions by their first pixel in raster order


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_dense_and_sparse_masks())
def test_outline_is_exact_valid_and_ordered(mask: np.ndarray) -> None:
    _check_exact_outline(mask, mask_to_polygons(mask))


def _ring(*corners: tuple[int, int]) -> np.ndarray:
    return np.array(corners, dtype=np.float64)


def _same(regions: list, expected: list) -> bool:  # type: ignore[type-arg]
    return len(regions) == len(expected) and all(
        len(got) == len(want) and all(np.array_equal(a, b) for a, b in zip(got, want))
        for got, want in zip(regions, expected))


CASES = {
    "checkerboard": np.indices((5, 6)).sum(axis=0) % 2 == 0,
    "ring with an island": np.pad(np.pad([[1]], 1), 1, constant_values=1),
    "hole touching the outside at a corner": np.array([[1, 1, 1], [1, 0, 1], [1, 1, 0]]),
    "holes touching each other at a corner": np.array(
        [[1, 1, 1, 1], [1, 0, 1, 1], [1, 1, 0, 1], [1, 1, 1, 1]]),
    "diagonal staircase": np.eye(7, dtype=bool) | np.eye(7, k=1, dtype=bool),
    "one pixel wide diagonal": np.eye(6, dtype=bool),
    "full": np.ones((4, 7)),
    "single pixel": np.ones((1, 1)),
    "1 x N": np.array([[1, 1, 0, 1, 0, 0, 1, 1, 1]]),
    "N x 1": np.array([[1, 1, 0, 1, 0, 0, 1, 1, 1]]).T,
    "nested rings": np.isin(np.maximum(*np.abs(np.mgrid[-6:7, -6:7])), [0, 2, 4, 6]),
    "values other than 1": np.array([[0, 7], [255, 0]]),
}


@pytest.mark.parametrize("name", CASES)
def test_outline_of_special_masks(name: str) -> None:
    mask = (np.asarray(CASES[name]) != 0).astype(np.uint8)
    regions = mask_to_polygons(CASES[name])
    _check_exact_outline(mask, regions)
    assert _same(mask_to_polygons(CASES[name]), regions)  # deterministic


def test_outline_of_known_masks_vertex_by_vertex() -> None:
    assert _same(mask_to_polygons(np.ones((1, 1))), [[_ring((0, 0), (1, 0), (1, 1), (0, 1))]])
    assert _same(mask_to_polygons(np.ones((3, 5))), [[_ring((0, 0), (5, 0), (5, 3), (0, 3))]])
    assert _same(mask_to_polygons(np.array([[0, 1, 1, 0, 1]])),
                 [[_ring((1, 0), (3, 0), (3, 1), (1, 1))], [_ring((4, 0), (5, 0), (5, 1), (4, 1))]])
    # Corner-touching pixels: separate squares, in raster order of their pixel.
    assert _same(mask_to_polygons(np.array([[0, 1], [1, 0]])),
                 [[_ring((1, 0), (2, 0), (2, 1), (1, 1))], [_ring((0, 1), (1, 1), (1, 2), (0, 2))]])
    # A hole touching the outside at the corner (2, 2): exterior and hole pinch there (OGC-valid),
    # rather than one exterior ring passing (2, 2) twice.
    assert _same(mask_to_polygons(CASES["hole touching the outside at a corner"]), [[
        _ring((0, 0), (3, 0), (3, 2), (2, 2), (2, 3), (0, 3)), _ring((1, 1), (1, 2), (2, 2), (2, 1))]])
    # Ring with an island: the ring (exterior then its hole) first, then the island.
    assert _same(mask_to_polygons(CASES["ring with an island"]), [
        [_ring((0, 0), (5, 0), (5, 5), (0, 5)), _ring((1, 1), (1, 4), (4, 4), (4, 1))],
        [_ring((2, 2), (3, 2), (3, 3), (2, 3))]])


def test_checkerboard_gives_one_square_per_pixel() -> None:
    mask = CASES["checkerboard"]
    regions = mask_to_polygons(mask)
    rows, cols = np.nonzero(mask)
    assert _same(regions, [[_ring((c, r), (c + 1, r), (c + 1, r + 1), (c, r + 1))] for r, c in zip(rows, cols)])


def test_holes_go_to_their_own_region_among_many() -> None:
    # Three framed squares side by side, the middle one holding a framed island with its own hole,
    # the last one with two holes.
    mask = np.zeros((11, 29), np.uint8)
    for left in (0, 10, 20):
        mask[0:9, left:left + 9] = 1
        mask[1:8, left + 1:left + 8] = 0
    mask[2:7, 12:17] = 1
    mask[3:6, 13:16] = 0
    mask[1:8, 24] = 1  # splits the last hole in two, side by side
    mask[10, :] = 1  # a bar under everything, its own region
    regions = mask_to_polygons(mask)
    _check_exact_outline(mask, regions)
    assert [len(region) for region in regions] == [2, 2, 3, 2, 1]
    assert [[hole[0].tolist() for hole in region[1:]] for region in regions] == [
        [[1, 1]], [[11, 1]], [[21, 1], [25, 1]], [[13, 3]], []]


@settings(max_examples=100, deadline=None)
@given(_masks(20))
def test_mask_to_rle_is_pycocotools_encode(mask: np.ndarray) -> None:
    ours = mask_to_rle(mask)
    theirs = mask_utils.encode(np.asfortranarray(mask))
    assert ours == {"size": theirs["size"], "counts": theirs["counts"].decode("ascii")}
    assert np.array_equal(mask_utils.decode({**ours, "counts": ours["counts"].encode()}), mask)


def test_mask_to_rle_treats_any_nonzero_value_as_foreground() -> None:
    values = np.array([[0, 3], [255, 0]], np.uint8)
    assert mask_to_rle(values) == mask_to_rle((values > 0).astype(np.uint8))
    assert np.array_equal(Mask(mask_to_rle(values)["counts"], (2, 2), label="a").decode(), values > 0)


def test_three_dimensional_masks_are_refused() -> None:
    with pytest.raises(ValueError, match="2-D"):
        mask_to_rle(np.zeros((2, 2, 3), np.uint8))
    with pytest.raises(ValueError, match="2-D"):
        mask_to_polygons(np.zeros((2, 2, 3), np.uint8))

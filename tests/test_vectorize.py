"""Masks back to shapes: mask_to_polygons is the exact inverse of rasterization; mask_to_rle is
byte-identical to pycocotools."""

from __future__ import annotations

import numpy as np
import pytest
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

"""The compiled span kernel (annoconv/raster/_spanfill.c) against the numpy code it replaces.

Both must give identical spans: the kernel uses the same float64 operations and leaves the
shapes it cannot certify to the numpy code. test_raster_exact_numpy.py runs the exactness
suite once more without the kernel.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from raster_reference import region_pixels
from test_raster_exact import EXACT, rings

from annoconv.raster import spans
from annoconv.raster.rasterize import polygon_mask

needs_kernel = pytest.mark.skipif(not spans.compiled(), reason="the compiled span kernel is not built")


def _both(points: np.ndarray, lengths: np.ndarray, ring_shape: np.ndarray, heights: np.ndarray,
          widths: np.ndarray) -> tuple[spans.Spans, spans.Spans]:
    return (spans.ring_spans(points, lengths, ring_shape, heights, widths),
            spans._numpy_ring_spans(points, lengths, ring_shape, heights, widths))


def _equal(a: spans.Spans, b: spans.Spans) -> bool:
    return all(np.array_equal(x, y) and x.dtype == y.dtype for x, y in zip(a, b))


# Decimals like COCO's (0.05 steps are not dyadic): crossings exactly on a pixel centre need the
# kernel's integer decision; tiny and huge values mixed in go to the numpy code.
DECIMAL = st.integers(-40, 240).map(lambda k: k / 20)
ODD = st.sampled_from([0.1, 0.3, 0.7, 1e-300, 123.45, 5e-324, -1e9 - 0.3])


@needs_kernel
@settings(EXACT, max_examples=300)
@given(st.data())
def test_kernel_spans_equal_the_numpy_spans(data: st.DataObject) -> None:
    shapes = data.draw(st.integers(1, 4))
    limit = 9
    ring_list, ring_shape = [], []
    for shape in range(shapes):
        for _ in range(data.draw(st.integers(1, 3))):
            n = data.draw(st.integers(3, 7))
            plain = rings(limit, 7).map(lambda r: r[:n] if len(r) >= n else r)
            decimal = st.lists(st.tuples(st.one_of(DECIMAL, ODD), st.one_of(DECIMAL, ODD)), min_size=n,
                               max_size=n).map(lambda p: np.array(p, dtype=np.float64))
            ring_list.append(data.draw(st.one_of(plain, decimal)))
            ring_shape.append(shape)
    heights = np.array(data.draw(st.lists(st.integers(1, limit), min_size=shapes, max_size=shapes)), np.int64)
    widths = np.array(data.draw(st.lists(st.integers(1, limit), min_size=shapes, max_size=shapes)), np.int64)
    lengths = np.array([len(r) for r in ring_list], dtype=np.int64)
    got, expected = _both(np.concatenate(ring_list), lengths, np.array(ring_shape), heights, widths)
    assert _equal(got, expected)


@needs_kernel
def test_non_dyadic_crossings_on_a_pixel_centre_are_decided_exactly() -> None:
    # 0.3 -> 0.7 diagonals cross the row centre y = 0.5 at x = 0.5 (up to float rounding); the
    # kernel decides them in 128-bit integers and must agree with the rational reference.
    ring = np.array([[0.3, 0.3], [2.7, 0.3], [2.7, 2.7], [0.7, 0.7], [0.3, 2.7]], dtype=np.float64)
    lengths, shape = np.array([5]), np.array([0])
    assert spans._spanfill.ring_spans(ring, lengths, shape, np.array([4]), np.array([4]))[4] == []
    assert np.array_equal(polygon_mask([[ring]], 4, 4).astype(bool), region_pixels([ring], 4, 4))


@needs_kernel
def test_undecidable_shapes_are_merged_back_in_shape_order() -> None:
    square = np.array([[0, 0], [3, 0], [3, 3], [0, 3]], dtype=np.float64)
    # A huge coordinate: no exact integer form in 61 bits, so the numpy code computes shape 1.
    huge = np.array([[0, 0], [1e300, 0.5], [0, 3]], dtype=np.float64)
    points = np.concatenate([square, huge, square + 1])
    lengths, ring_shape, sizes = np.array([4, 3, 4]), np.array([0, 1, 2]), np.array([5, 5, 5])
    undecided = spans._spanfill.ring_spans(points, lengths, ring_shape, sizes, sizes)[4]
    assert undecided == [1]
    got, expected = _both(points, lengths, ring_shape, sizes, sizes)
    assert _equal(got, expected) and set(got.shape.tolist()) == {0, 1, 2}


@needs_kernel
def test_rings_out_of_shape_order_take_the_numpy_code() -> None:
    square = np.array([[0, 0], [3, 0], [3, 3], [0, 3]], dtype=np.float64)
    points = np.concatenate([square, square + 1])
    lengths, ring_shape = np.array([4, 4]), np.array([1, 0])
    got, expected = _both(points, lengths, ring_shape, np.array([5, 5]), np.array([5, 5]))
    assert _equal(got, expected) and got.shape.tolist()[:3] == [0, 0, 0]


@needs_kernel
def test_paint_spans_writes_only_its_range_in_any_integer_width() -> None:
    row, start, stop = (np.array(v, dtype=np.int64) for v in ([0, 1, 2], [0, 2, 1], [3, 4, 1]))
    for dtype, value in ((np.uint8, 200), (np.uint16, 60000), (np.int32, 7), (np.uint64, 2**63)):
        array = np.zeros((3, 5), dtype=dtype)
        spans.paint_spans(array, row, start, stop, 1, 3, value)
        expected = np.zeros((3, 5), dtype=dtype)
        expected[1, 2:4] = value
        assert np.array_equal(array, expected)


@needs_kernel
def test_paint_spans_refuses_what_would_write_outside_or_wrap() -> None:
    row, start, stop = (np.array([v], dtype=np.int64) for v in (0, 2, 6))
    with pytest.raises(ValueError, match="outside"):
        spans.paint_spans(np.zeros((2, 5), np.uint8), row, start, stop, 0, 1, 1)
    inside = np.array([4], dtype=np.int64)
    with pytest.raises(OverflowError):
        spans.paint_spans(np.zeros((2, 5), np.uint8), row, start, inside, 0, 1, 256)
    with pytest.raises(ValueError, match="contiguous rows"):
        spans.paint_spans(np.zeros((2, 10), np.uint8)[:, ::2], row, start, inside, 0, 1, 1)
    with pytest.raises(ValueError, match="out of range"):
        spans.paint_spans(np.zeros((2, 5), np.uint8), row, start, inside, 0, 2, 1)
    with pytest.raises(TypeError, match="row"):
        spans.paint_spans(np.zeros((2, 5), np.uint8), row.astype(np.int32), start, inside, 0, 1, 1)


@needs_kernel
@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(1, 30), st.integers(1, 30), st.data())
def test_kernel_paints_the_reference_pixels(height: int, width: int, data: st.DataObject) -> None:
    regions = data.draw(st.lists(st.lists(rings(max(height, width)), min_size=1, max_size=2), min_size=1,
                                 max_size=3))
    expected = np.zeros((height, width), dtype=bool)
    for region in regions:
        expected |= region_pixels(region, height, width)
    assert np.array_equal(polygon_mask(regions, height, width).astype(bool), expected)

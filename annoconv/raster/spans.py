"""Exact row spans of polygon shapes under the pixel-centre rule.

Pixel (c, r) belongs to a shape when its centre (c + 0.5, r + 0.5) lies inside it. A shape is a
set of closed rings filled by the even-odd rule (an exterior and its holes; a self-intersecting
ring is filled even-odd too). Ties are broken half-open so that shapes sharing an edge never
share a pixel: a centre on a left or top edge is inside, on a right or bottom edge outside.

For every ring edge and every row centre y = r + 0.5 in [min(y0, y1), max(y0, y1)) the edge
toggles the parity from column ``ceil(x - 0.5)`` on, x being the crossing. Sorted toggles of one
shape and row pair up into spans [a, b) of columns.

Exactness: the crossing column is computed in float64 and certified with a generous error bound;
the rare crossings that fall within that bound of a pixel centre are decided exactly, in int64 when
the coordinates are multiples of 1/1024 below 2^20 (the usual integer and half-integer data),
otherwise with rational arithmetic.

The compiled kernel ``_spanfill.c`` (built at install where a C compiler is available) computes the
same spans with the same float64 operations, decides the crossings near a pixel centre in exact
128-bit integer arithmetic, and leaves the rare shapes it cannot decide so (coordinates whose exact
integer form needs more than 61 bits) to the numpy code here; ``compiled()`` says whether it is in use.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from fractions import Fraction
from typing import NamedTuple

import numpy as np

try:
    from . import _spanfill  # type: ignore[attr-defined]
except ImportError:  # not built: the numpy code below
    _spanfill = None

_INT_SCALE = 2048.0  # 1/1024 resolution, and pixel centres (c + 0.5) become integers
_INT_LIMIT = 2.0 ** 20


class Spans(NamedTuple):
    """Spans sorted by (shape, row, start): pixels [start, stop) of ``row`` belong to ``shape``."""

    shape: np.ndarray  # int64
    row: np.ndarray    # int64
    start: np.ndarray  # int64
    stop: np.ndarray   # int64


def _empty() -> Spans:
    none = np.zeros(0, dtype=np.int64)
    return Spans(none, none, none, none)


def shape_spans(rings: Sequence[np.ndarray], ring_shape: np.ndarray, height: int | np.ndarray,
                width: int | np.ndarray) -> Spans:
    """Spans of every shape, each clipped to its image.

    ``rings`` are (N, 2) float arrays of x, y (pixel-corner coordinates, closed implicitly);
    ``ring_shape[i]`` is the shape ring i belongs to (rings of one shape are combined even-odd).
    ``height`` and ``width`` are the image size, one for all shapes or one per shape, so that
    shapes of many images are computed in one pass.
    """
    if not rings:
        return _empty()
    lengths = np.fromiter((len(ring) for ring in rings), dtype=np.int64, count=len(rings))
    return ring_spans(np.concatenate(rings), lengths, ring_shape, height, width)


def compiled() -> bool:
    """Whether the compiled kernel (``_spanfill``) computes and paints spans; without it (no C
    compiler at install time) the numpy code below gives the same spans, more slowly."""
    return _spanfill is not None


def paint_spans(array: np.ndarray, row: np.ndarray, start: np.ndarray, stop: np.ndarray, lo: int, hi: int,
                value: int) -> None:
    """Set columns [start[k], stop[k]) of row ``row[k]`` of ``array`` (2-D, integer, rows
    contiguous) to ``value`` for spans k in [lo, hi), with the compiled kernel."""
    _spanfill.paint_spans(array, row, start, stop, lo, hi, value)


def ring_spans(points: np.ndarray, lengths: np.ndarray, ring_shape: np.ndarray, height: int | np.ndarray,
               width: int | np.ndarray) -> Spans:
    """:func:`shape_spans` of rings given as one (N, 2) array of all their vertices and each
    ring's vertex count (``lengths``)."""
    if not len(lengths):
        return _empty()
    ring_shape = np.asarray(ring_shape, dtype=np.int64)
    if _spanfill is None or (len(ring_shape) > 1 and bool((ring_shape[1:] < ring_shape[:-1]).any())):
        return _numpy_ring_spans(points, lengths, ring_shape, height, width)
    count = int(ring_shape[-1]) + 1
    heights, widths = (np.ascontiguousarray(np.broadcast_to(np.asarray(size, dtype=np.int64), count))
                       for size in (height, width))
    points = np.ascontiguousarray(points, dtype=np.float64)
    lengths = np.ascontiguousarray(lengths, dtype=np.int64)
    *columns, undecided = _spanfill.ring_spans(points, lengths, ring_shape, heights, widths)
    spans = Spans(*(np.frombuffer(column, dtype=np.int64) for column in columns))
    if not undecided:
        return spans
    # Shapes with a crossing the kernel cannot certify (rare): the exact numpy code decides them.
    rings = np.isin(ring_shape, undecided)
    rest = _numpy_ring_spans(points[np.repeat(rings, lengths)], lengths[rings], ring_shape[rings], heights, widths)
    merged = [np.concatenate(pair) for pair in zip(spans, rest)]
    order = np.argsort(merged[0], kind="stable")  # each shape's spans come whole from one side
    return Spans(*(column[order] for column in merged))


def _numpy_ring_spans(points: np.ndarray, lengths: np.ndarray, ring_shape: np.ndarray, height: int | np.ndarray,
                      width: int | np.ndarray) -> Spans:
    """:func:`ring_spans` in numpy: every edge's crossings, then one sort of all toggles."""
    p0 = np.asarray(points, dtype=np.float64)
    # Each vertex's successor within its ring (rings close implicitly).
    ends = np.cumsum(lengths)
    following = np.arange(1, len(p0) + 1)
    following[ends - 1] = ends - lengths
    y0, y1 = p0[:, 1], p0[following, 1]
    edge_shape = np.repeat(np.asarray(ring_shape, dtype=np.int64), lengths)
    # Orient every edge downwards (parity does not care about direction); drop horizontal ones.
    down = y0 < y1
    sloped = np.flatnonzero(down | (y0 > y1))
    down = down[sloped]
    top = p0[np.where(down, sloped, following[sloped])]
    bottom = p0[np.where(down, following[sloped], sloped)]
    edge_shape = edge_shape[sloped]
    edge_height = np.asarray(height)[edge_shape] if np.ndim(height) else height
    # Rows whose centre lies in [top y, bottom y): half-open, so a shared vertex counts once.
    first = np.clip(np.ceil(top[:, 1] - 0.5), 0, edge_height).astype(np.int64)
    last = np.clip(np.ceil(bottom[:, 1] - 0.5), 0, edge_height).astype(np.int64)
    counts = np.maximum(last - first, 0)
    total = int(counts.sum())
    if total == 0:
        return _empty()
    edge = np.repeat(np.arange(len(counts)), counts)
    row = np.repeat(first - np.cumsum(counts) + counts, counts) + np.arange(total)
    column = _crossing_columns(top, bottom, edge, row)
    shape = edge_shape[edge]
    np.clip(column, 0, np.asarray(width)[shape] if np.ndim(width) else width, out=column)
    shape, row, column = _sorted(shape, row, column)
    # Every (shape, row) has an even number of toggles; consecutive pairs are spans.
    start, stop = column[0::2], column[1::2]
    keep = start < stop
    return Spans(shape[0::2][keep], row[0::2][keep], start[keep], stop[keep])


_ROW_BITS, _COLUMN_BITS = 20, 21


def _sorted(shape: np.ndarray, row: np.ndarray, column: np.ndarray) -> tuple[np.ndarray, ...]:
    """Toggles sorted by (shape, row, column): one sort of packed int64 keys when they fit."""
    if row.max() < (1 << _ROW_BITS) and column.max() < (1 << _COLUMN_BITS) and \
            shape.max() < (1 << (63 - _ROW_BITS - _COLUMN_BITS)):
        key = (((shape << _ROW_BITS) | row) << _COLUMN_BITS) | column
        key.sort()
        return key >> (_ROW_BITS + _COLUMN_BITS), (key >> _COLUMN_BITS) & ((1 << _ROW_BITS) - 1), \
            key & ((1 << _COLUMN_BITS) - 1)
    order = np.lexsort((column, row, shape))
    return shape[order], row[order], column[order]


def _crossing_columns(top: np.ndarray, bottom: np.ndarray, edge: np.ndarray, row: np.ndarray) -> np.ndarray:
    """ceil(x - 0.5) for the crossing x of each edge (top -> bottom) with its row centre, exactly.

    Columns far outside any image (beyond +-2^40) may be returned as +-2^40: callers clip them."""
    # Nearly horizontal edges far outside the image, or coordinates near the float64 limit, can
    # overflow here; such crossings are not finite and are decided exactly below.
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        delta = bottom - top
        magnitude = np.maximum(np.abs(top[:, 0]), np.abs(bottom[:, 0]))
        slope = delta[:, 0] / delta[:, 1]
        # Crossings lie between their edge's x values: below _FAR / 2 with finite slopes (the usual
        # case) none can overflow or reach _FAR, and the per-crossing checks for that are skipped.
        bounded = len(magnitude) == 0 or (magnitude.max() < _FAR / 2 and bool(np.isfinite(delta).all())
                                          and bool(np.isfinite(slope).all()))
        # r + 0.5 - y0 is rounded relative to itself, so the error stays relative to |x1 - x0|.
        shifted = top[edge, 0] + (row + 0.5 - top[edge, 1]) * slope[edge] - 0.5
        # A handful of float64 roundings: 1e-9 relative is ~10^6 times the worst case.
        tolerance = 1e-9 * (1.0 + 2.0 * magnitude[edge])
        nearest = np.rint(shifted)
        near_centre = ~(np.abs(shifted - nearest) > tolerance)
        if bounded:
            reliable = np.ones(len(shifted), dtype=bool)
            column = np.ceil(shifted)
        else:
            overflow = ~np.isfinite(delta).all(axis=1)  # e.g. from -1e308 to 1e308: the slope is meaningless
            reliable = (np.abs(shifted) < _FAR) & ~overflow[edge]  # False for NaN too
            column = np.clip(np.ceil(np.nan_to_num(shifted)), -_FAR, _FAR)
    doubtful = np.flatnonzero(near_centre | ~reliable)
    if len(doubtful):
        which = edge[doubtful]
        # Within the tolerance of ``nearest``, the crossing's column is nearest or nearest + 1.
        bracketed = reliable[doubtful] & (tolerance[doubtful] < 0.5)
        column[doubtful] = _exact_columns(top[which], bottom[which], row[doubtful], nearest[doubtful], bracketed)
    return column.astype(np.int64)


_FAR = 2.0 ** 40  # beyond any image width; keeps every column an exact float and an int64


def _exact_columns(top: np.ndarray, bottom: np.ndarray, row: np.ndarray, candidate: np.ndarray,
                   bracketed: np.ndarray) -> np.ndarray:
    """Exact ceil(x - 0.5) for crossings known to fall in column ``candidate`` or the next
    (``bracketed``: the first if its centre is on or right of the edge), or anywhere otherwise."""
    out = np.empty(len(row), dtype=np.float64)
    with np.errstate(over="ignore", invalid="ignore"):
        scaled = np.concatenate([top, bottom], axis=1) * _INT_SCALE
        centre_x = (candidate + 0.5) * _INT_SCALE
    centre_y = (row + 0.5) * _INT_SCALE
    exact = (np.all(np.abs(scaled) < _INT_LIMIT * _INT_SCALE, axis=1) & np.all(scaled == np.rint(scaled), axis=1)
             & (np.abs(centre_x) < _INT_LIMIT * _INT_SCALE) & bracketed)
    if exact.any():
        X0, Y0, X1, Y1 = (scaled[exact, k].astype(np.int64) for k in range(4))
        cx, cy = centre_x[exact].astype(np.int64), centre_y[exact].astype(np.int64)
        # Edge goes down (Y1 > Y0): the centre is on or right of it when this cross product is >= 0.
        # The two products may wrap around int64, but their difference (the small cross product
        # of a centre within a pixel of the edge, |.| < 2^44) is exact modulo 2^64.
        on_or_right = (cx - X0) * (Y1 - Y0) - (cy - Y0) * (X1 - X0) >= 0
        out[exact] = np.where(on_or_right, candidate[exact], candidate[exact] + 1)
    for i in np.flatnonzero(~exact & bracketed):
        # Any float64 is a dyadic rational: scaled by one power of two, the cross product of the
        # int64 path is computed in Python's unbounded integers.
        x0, y0, x1, y1, cx, cy = _common_denominator(top[i, 0], top[i, 1], bottom[i, 0], bottom[i, 1],
                                                     candidate[i] + 0.5, row[i] + 0.5)
        on_or_right = (cx - x0) * (y1 - y0) - (cy - y0) * (x1 - x0) >= 0
        out[i] = candidate[i] if on_or_right else candidate[i] + 1
    half = Fraction(1, 2)
    for i in np.flatnonzero(~bracketed):
        x0, y0 = Fraction(float(top[i, 0])), Fraction(float(top[i, 1]))
        x1, y1 = Fraction(float(bottom[i, 0])), Fraction(float(bottom[i, 1]))
        crossing = x0 + (int(row[i]) + half - y0) * (x1 - x0) / (y1 - y0)
        out[i] = min(max(math.ceil(crossing - half), -_FAR), _FAR)
    return out


def _common_denominator(*values: float) -> list[int]:
    """Integers n_i with values[i] == n_i / 2**k for one k (finite float64 values)."""
    ratios = [float(value).as_integer_ratio() for value in values]  # denominators are powers of two
    shift = max(denominator.bit_length() for _, denominator in ratios)
    return [numerator << (shift - denominator.bit_length()) for numerator, denominator in ratios]

"""Exact spans -> contours that ``cv2.fillPoly`` fills exactly: how spans are painted where the
compiled kernel (``_spanfill.c``, which fills spans directly) was not built.

OpenCV's polygon fill is boundary-inclusive and draws each contour's outline, so it cannot apply
the pixel-centre rule to arbitrary polygons. It is exact, though, on rectilinear "staircase"
contours through pixel centres (integer vertices, one lattice point per pixel) whose outline
never leaves the pixel set: the fill of each row runs between the two sides and the outline
covers the steps. This module turns spans into such staircases, so that painting stays a single
C-speed ``fillPoly`` call per shape while the pixel set is exactly the one the spans give.

A *chain* is a run of spans, one per consecutive row, each overlapping the next. Its left side
goes down through the span starts and its right side up through the span ends (``stop - 1``);
a step of one column is a diagonal (exact for 45-degree lines), a longer one is a horizontal
segment inside the row the step is taken in plus a vertical one. Chains of one shape never
overlap, so filling them in one call (even-odd across contours) is still exact.
"""

from __future__ import annotations

import numpy as np

from .spans import Spans


def _in_chains(spans: Spans) -> tuple[Spans, np.ndarray]:
    """(spans, first): the spans reordered so that each chain's spans are consecutive (rows going
    down) and chains come grouped by shape in shape order; ``first``: whether each starts a chain.

    The k-th span of a row continues the chain of the k-th span of the row above when both rows
    of the shape have the same number of spans and the two overlap; otherwise a chain starts.
    """
    shape, row, start, stop = spans
    n = len(row)
    new_group = np.empty(n, dtype=bool)
    new_group[0] = True
    new_group[1:] = (shape[1:] != shape[:-1]) | (row[1:] != row[:-1])
    group_start = np.flatnonzero(new_group)
    group_size = np.diff(np.append(group_start, n))
    size = np.repeat(group_size, group_size)
    position = np.arange(n) - np.repeat(group_start, group_size)  # k: the span's place in its row
    if len(group_size) < n:  # else one span per row everywhere: already in chain order
        # Sorted by (shape, k, row), the k-th spans of consecutive rows of a shape are neighbours.
        # Packed into one int64 key when they fit; the spans are nearly in that order already,
        # which the stable sort (timsort) exploits: ~3x faster than lexsort.
        if shape[-1] < 1 << 23 and row.max() < 1 << 20 and position.max() < 1 << 20:
            order = np.argsort((shape << 40) | (position << 20) | row, kind="stable")
        else:
            order = np.lexsort((row, position, shape))
        shape, row, start, stop, position, size = (a[order] for a in (shape, row, start, stop, position, size))
    linked = np.zeros(n, dtype=bool)
    linked[1:] = ((shape[1:] == shape[:-1]) & (position[1:] == position[:-1]) & (row[1:] == row[:-1] + 1)
                  & (size[1:] == size[:-1]) & (start[1:] < stop[:-1]) & (start[:-1] < stop[1:]))
    return Spans(shape, row, start, stop), ~linked


def contours(spans: Spans) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Staircase contours of all chains: (vertices (V, 2) int32 x, y; offsets (K + 1,); shape of each).

    Contour k is ``vertices[offsets[k]:offsets[k + 1]]``; contours come grouped by shape, in
    shape order.
    """
    if len(spans.row) == 0:
        return np.zeros((0, 2), np.int32), np.zeros(1, np.int64), np.zeros(0, np.int64)
    (shape, row, start, stop), first = _in_chains(spans)
    chain = np.cumsum(first) - 1
    left, right = start, stop - 1
    n = len(chain)
    has_next = np.zeros(n, dtype=bool)
    has_next[:-1] = ~first[1:]
    has_prev = np.zeros(n, dtype=bool)
    has_prev[1:] = has_next[:-1]
    nxt = np.minimum(np.arange(n) + 1, n - 1)
    prv = np.maximum(np.arange(n) - 1, 0)
    # A step of two columns or more needs a corner vertex; one column or none is a diagonal/vertical.
    left_step = has_next & (np.abs(left[nxt] - left) >= 2)
    right_step = has_next & (np.abs(right[nxt] - right) >= 2)
    # A vertex between two equal unit steps lies on a straight (vertical or 45-degree) run: skip it.
    left_keep = ~(has_prev & has_next & ~left_step[prv] & ~left_step & (left - left[prv] == left[nxt] - left))
    right_keep = ~(has_prev & has_next & ~right_step[prv] & ~right_step
                   & (right - right[prv] == right[nxt] - right))
    left_corner_x = np.where(left[nxt] > left, left[nxt], left)
    left_corner_y = np.where(left[nxt] > left, row, row[nxt])
    right_corner_x = np.where(right[nxt] < right, right[nxt], right)
    right_corner_y = np.where(right[nxt] < right, row, row[nxt])
    left_count = left_keep.astype(np.int64) + left_step
    right_count = right_keep.astype(np.int64) + right_step
    chain_starts = np.flatnonzero(first)
    per_chain_left = np.add.reduceat(left_count, chain_starts)
    per_chain_right = np.add.reduceat(right_count, chain_starts)
    offsets = np.concatenate(([0], np.cumsum(per_chain_left + per_chain_right)))
    vertices = np.empty((offsets[-1], 2), dtype=np.int32)
    run_lengths = np.diff(np.append(chain_starts, n))
    # Left side, going down: position of each span's vertices within its chain's block.
    left_pos = np.cumsum(left_count) - left_count  # global running position over left vertices
    at = offsets[:-1][chain] + left_pos - np.repeat(left_pos[chain_starts], run_lengths)
    kept = np.flatnonzero(left_keep)
    vertices[at[kept], 0], vertices[at[kept], 1] = left[kept], row[kept]
    corner = np.flatnonzero(left_step)
    slot = at[corner] + left_keep[corner]
    vertices[slot, 0], vertices[slot, 1] = left_corner_x[corner], left_corner_y[corner]
    # Right side, going down, then written in reverse so the contour comes back up.
    right_pos = np.cumsum(right_count) - right_count
    at = offsets[1:][chain] - 1 - (right_pos - np.repeat(right_pos[chain_starts], run_lengths))
    kept = np.flatnonzero(right_keep)
    vertices[at[kept], 0], vertices[at[kept], 1] = right[kept], row[kept]
    corner = np.flatnonzero(right_step)
    slot = at[corner] - right_keep[corner]
    vertices[slot, 0], vertices[slot, 1] = right_corner_x[corner], right_corner_y[corner]
    return vertices, offsets, shape[chain_starts]

"""Exact outlines of a binary mask: the rings of pixel edges around its 4-connected regions.

Coordinates: vertices are integer pixel corners (x, y), x right, y down; pixel (c, r) covers
[c, c+1) x [r, r+1). Every boundary edge is directed with the foreground on its right on screen,
so exteriors run clockwise on screen (positive shoelace area with y down) and holes
counter-clockwise. Rings are open (first vertex not repeated) and keep only the corners (no vertex
in the middle of a straight edge).

Topology: foreground pixels touching only at a corner belong to separate regions (4-connected
foreground). The rings are those of valid OGC polygons: where two pixels of the *same* region
touch at a corner, the outline pinches there as two rings touching at that point (e.g. a hole
touching the exterior) rather than one ring touching itself.

Order (deterministic): regions by their first pixel in raster order (row, then column); in a
region the exterior, then the holes by their first pixel; every ring starts at its first vertex
in raster order (smallest y, then smallest x).

Method, all numpy, no per-pixel Python: each vertex is coded by its 2x2 pixel neighbourhood;
corners (where the outline turns) are the ring vertices. A maximal straight segment leaves each
corner per outgoing boundary direction and ends at the next corner in that direction. Segments
are linked end to start into a permutation whose cycles are the rings, found by pointer jumping.
"""

from __future__ import annotations

from itertools import pairwise

import numpy as np

# Directions: 0 right (+x), 1 down (+y), 2 left (-x), 3 up (-y); a right turn on screen is d + 1.


def _neighbourhood_tables() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per vertex code (bit 0 = pixel up-left of the vertex, 1 = up-right, 2 = down-left,
    3 = down-right): whether it is a corner, its number of outgoing segments (2 only where two
    pixels touch diagonally), and its first and last outgoing direction."""
    codes = np.arange(16)
    up_left, up_right, down_left, down_right = (((codes >> bit) & 1).astype(bool) for bit in range(4))
    # The foreground is on the right of a directed edge: leaving rightwards needs it below, etc.
    out = np.stack([down_right & ~up_right, down_left & ~down_right, up_left & ~down_left,
                    up_right & ~up_left], axis=1)
    straight = np.isin(codes, [3, 5, 10, 12])  # two pixels side by side: the edge goes on
    corner = out.any(axis=1) & ~straight
    first = np.argmax(out, axis=1)
    last = 3 - np.argmax(out[:, ::-1], axis=1)
    return corner, out.sum(axis=1), first, last


_CORNER, _OUT_COUNT, _FIRST_DIR, _LAST_DIR = _neighbourhood_tables()


def outline_regions(mask: np.ndarray) -> list[list[np.ndarray]]:
    """Regions ``[exterior, *holes]`` of the nonzero pixels of a 2-D array (none for an empty
    one), each ring an (N, 2) float64 array of pixel-corner (x, y) vertices (see the module
    docstring for orientation, topology and order)."""
    rows = np.flatnonzero(mask.any(axis=1))
    if len(rows) == 0:
        return []
    band = mask[rows[0]:rows[-1] + 1]
    cols = np.flatnonzero(band.any(axis=0))
    # The work follows the foreground's bounding box, not the image.
    rings, exterior, owner = _Outline(band[:, cols[0]:cols[-1] + 1]).rings(origin=(cols[0], rows[0]))
    if exterior.all():
        return [[ring] for ring in rings]
    return _group(rings, exterior, owner)


def _group(rings: list[np.ndarray], exterior: np.ndarray, owner: np.ndarray) -> list[list[np.ndarray]]:
    """Regions from rings in head order: each exterior, then the holes it owns in head order."""
    region_of_ring = np.cumsum(exterior) - 1
    regions: list[list[np.ndarray]] = [[rings[ring]] for ring in np.flatnonzero(exterior)]
    for hole in np.flatnonzero(~exterior):
        regions[region_of_ring[owner[hole]]].append(rings[hole])
    return regions


class _Outline:
    """Corners and boundary segments of a cropped mask (nonzero = foreground), in crop
    pixel-corner coordinates.

    Segments (maximal straight runs of boundary edges) are numbered in raster order of their
    start corner, then by direction; each corner has one outgoing segment, two at a diagonal
    corner (code 6 or 9: two pixels touching only at that corner)."""

    def __init__(self, crop: np.ndarray) -> None:
        height, width = crop.shape
        stride = width + 2
        # Flat padded copy (0/1 bytes): padded[y * stride + x] is the pixel up-left of vertex
        # (x, y), for 0 <= x <= width, 0 <= y <= height; 1-D slices keep the passes contiguous.
        padded = np.zeros((height + 2) * stride, dtype=np.uint8)
        np.not_equal(crop, 0, out=padded.reshape(height + 2, stride)[1:-1, 1:-1].view(bool))
        self.padded, self.stride = padded, stride
        # Every corner touches a vertical boundary edge (the pixels either side of it differ):
        # only the few vertices touching one get their neighbourhood coded.
        edge = padded[1:] ^ padded[:-1]  # edge[k]: between pixels k and k + 1 of a padded row
        up_left = np.flatnonzero((edge[:-stride] | edge[stride:]).view(bool))
        code = (padded[up_left] | padded[up_left + 1] << 1 | padded[up_left + stride] << 2
                | padded[up_left + stride + 1] << 3)
        keep = _CORNER[code]
        self.y, self.x = np.divmod(up_left[keep], stride)  # raster order: by y, then x
        self.code = code[keep]
        # Column-major order of the corners, to find the next one up or down: a stable sort by
        # x of the raster order (a radix sort on 16-bit x).
        self.column_order = np.argsort(self.x.astype(np.uint16 if width < 65535 else np.intp), kind="stable")
        self.column_key = (self.x * (height + 1) + self.y)[self.column_order]
        count = _OUT_COUNT[self.code]
        self.first = np.cumsum(count) - count  # each corner's first outgoing segment
        self.start = np.repeat(np.arange(len(self.code)), count)
        self.direction = _FIRST_DIR[self.code][self.start]
        self.diagonal = np.flatnonzero(count == 2)
        self.direction[self.first[self.diagonal] + 1] = _LAST_DIR[self.code[self.diagonal]]
        self.end = self._end_corners()

    def _end_corners(self) -> np.ndarray:
        """The corner where each segment ends: the next corner in its direction, on its row
        (raster order) or on its column (column order)."""
        step = np.array([1, 1, -1, -1])[self.direction]
        end = self.start + step
        vertical = np.flatnonzero(self.direction & 1)
        rank = np.empty_like(self.column_order)
        rank[self.column_order] = np.arange(len(rank))
        end[vertical] = self.column_order[rank[self.start[vertical]] + step[vertical]]
        return end

    def _walk(self) -> tuple[np.ndarray, np.ndarray]:
        """Head (first segment) and position from it of every segment along its ring.

        The segment leaving a corner follows the one ending there; at a diagonal corner turn
        right (keeping the two pixels in separate rings) where they are in separate regions, and
        left where they are in one region (a ring touching itself would be invalid)."""
        turn_right = (self.direction + 1) & 3
        code = self.code[self.end]
        successor = self.first[self.end] + ((_OUT_COUNT[code] == 2) & (turn_right == _LAST_DIR[code]))
        head, position = _cycles(successor)
        if len(self.diagonal) == 0:
            return head, position
        # Turning right everywhere, pixels of separate regions are on separate cycles, and two
        # diagonal pixels of one region lead to one cycle passing the corner twice. The valid
        # rings of a region pinch at such corners like the nodes of a tree, so turning left at all
        # of them at once splits every such cycle into exactly those rings.
        out = self.first[self.diagonal]
        pinched = out[head[out] == head[out + 1]]
        if len(pinched) == 0:
            return head, position
        predecessor = np.empty_like(successor)
        predecessor[successor] = np.arange(len(successor))
        successor[predecessor[pinched]], successor[predecessor[pinched + 1]] = pinched + 1, pinched
        return _cycles(successor)

    def rings(self, origin: tuple[int, int]) -> tuple[list[np.ndarray], np.ndarray, np.ndarray]:
        """Rings in head (raster) order, shifted by ``origin``: (N, 2) float64 vertex arrays,
        whether each is an exterior, and the exterior ring of each ring's region."""
        head, position = self._walk()
        n = len(head)
        heads = np.flatnonzero(head == np.arange(n))
        ring_of_head = np.empty(n, dtype=np.intp)
        ring_of_head[heads] = np.arange(len(heads))
        ring = ring_of_head[head]
        lengths = np.bincount(ring, minlength=len(heads))
        offsets = np.cumsum(lengths) - lengths
        order = np.empty(n, dtype=np.intp)
        order[offsets[ring] + position] = np.arange(n)
        corners = self.start[order]
        vertices = np.empty((n, 2), dtype=np.float64)
        vertices[:, 0] = self.x[corners] + origin[0]
        vertices[:, 1] = self.y[corners] + origin[1]
        # A ring's head is its first vertex in raster order: an exterior leaves it rightwards
        # (along the top of its first pixel), a hole downwards (along the left of its first pixel).
        exterior = self.direction[heads] == 0
        owner = self._owners(heads, ring, exterior)
        bounds = np.append(offsets, n).tolist()
        rings = [vertices[start:stop] for start, stop in pairwise(bounds)]  # np.split is slower
        return rings, exterior, owner

    def _owners(self, heads: np.ndarray, ring: np.ndarray, exterior: np.ndarray) -> np.ndarray:
        """The exterior ring of each ring's region. From a hole's first pixel, go left along
        its row: the foreground run there belongs to the hole's region and starts on a ring of
        that region, its exterior or an earlier hole (whose owner is then followed)."""
        owner = np.arange(len(heads))
        holes = np.flatnonzero(~exterior)
        if len(holes) == 0 or exterior.sum() == 1:
            owner[holes] = 0  # the first ring is an exterior
            return owner
        hole_x, hole_y = self.x[self.start[heads[holes]]], self.y[self.start[heads[holes]]]
        run_start = _run_starts_before(self.padded.reshape(-1, self.stride), hole_x, hole_y)
        # The up-going segment through the left edge of pixel (run_start, hole_y) leaves the first
        # corner below that edge in its column.
        column_height = len(self.padded) // self.stride - 1
        bottom = self.column_order[np.searchsorted(self.column_key, run_start * column_height + hole_y + 1)]
        segment = self.first[bottom] + (_OUT_COUNT[self.code[bottom]] == 2)  # up is the last direction
        owner[holes] = ring[segment]
        while True:  # a hole may lead to an earlier hole of its region: follow to the exterior
            further = owner[owner]
            if np.array_equal(further, owner):
                return owner
            owner = further


def _run_starts_before(padded: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """For pixels (x, y) whose left neighbour is foreground, in a mask padded by one pixel:
    the column where that foreground run starts."""
    rows, row_of = np.unique(y, return_inverse=True)
    lines = padded[rows + 1]
    width = lines.shape[1] - 1  # column j of a line's changes: pixel j set and pixel j - 1 not
    starts = np.flatnonzero(lines[:, 1:] > lines[:, :-1])
    query = row_of * width + x
    return starts[np.searchsorted(starts, query) - 1] - row_of * width


def _cycles(successor: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For every element of a permutation: the smallest element of its cycle (the head) and
    its position along the cycle from the head, by pointer jumping (O(n log n) numpy).

    After k rounds ``key[i] = head * n + distance`` for the smallest of the 2**k elements from i
    on and how far ahead it first comes (< n). A round that changes nothing means that doubling
    the windows adds nothing, so no longer window would either: the heads are final."""
    n = len(successor)
    key = np.arange(n, dtype=np.int64) * n  # n * n < 2**63 for any mask that fits in memory
    jump, span = successor, 1
    while True:
        ahead = np.minimum(key, key[jump] + span)
        if (ahead == key).all():
            break
        key, jump, span = ahead, jump[jump], span * 2
    head, distance = np.divmod(key, n)
    length = np.bincount(head, minlength=n)[head]
    return head, (length - distance) % length

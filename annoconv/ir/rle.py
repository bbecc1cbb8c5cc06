"""COCO run-length encoding (RLE) in pure numpy.

Conventions (identical to pycocotools, which is used only as a test oracle and is
never imported here):

* An RLE describes an ``(h, w)`` binary mask flattened in column-major (Fortran)
  order: pixel ``(y, x)`` is at flat index ``x * h + y``.
* ``counts`` alternate runs of 0s and 1s, always starting with 0s; a mask whose first
  pixel is 1 therefore starts with a count of 0. There is no trailing zero-length run.
  An empty (0-pixel) mask is ``[0]``.
* ``size`` is ``[h, w]`` (height first).
* "Uncompressed" RLE keeps ``counts`` as a list of ints; "compressed" RLE stores them
  as an ASCII string: each count (from index 3 on, as the delta to the count two places
  before it) is written as a signed little-endian base-32 number, 5 data bits per char,
  bit 0x20 meaning "more chars follow", each char offset by 48 (so chars are '0'..'o').

Counts are handled as 1-D ``uint32`` arrays, like pycocotools' ``uint`` counts.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Union

import cv2
import numpy as np

__all__ = [
    "encode",
    "decode",
    "to_string",
    "from_string",
    "area",
    "bbox",
    "merge",
    "normalize_counts",
]

CountsLike = Union[Sequence[int], np.ndarray, str, bytes]

_U32_MAX = 0xFFFFFFFF
# A delta needs k chars when it does not fit a signed 5*(k-1)-bit integer; these are
# the magnitudes 2**(5k-1) at which one more char is needed (k = 1..6).
_CHAR_THRESHOLDS = np.array([1 << (5 * k - 1) for k in range(1, 7)], dtype=np.int64)
# Longest encoding accepted by from_string: 12 chars = 60 bits, still inside int64.
_MAX_CHARS_PER_COUNT = 12


def normalize_counts(counts: CountsLike) -> np.ndarray:
    """Return RLE counts as a 1-D ``uint32`` array.

    Accepts uncompressed counts (a list/tuple/ndarray of non-negative ints) or
    compressed counts (``str``/``bytes`` as produced by :func:`to_string`).
    Raises ``ValueError`` for any other type or for invalid values.
    """
    if isinstance(counts, (str, bytes, bytearray)):
        return from_string(counts)
    if isinstance(counts, np.ndarray):
        if counts.dtype == np.uint32 and counts.ndim == 1:
            return counts  # fast path: already canonical, no copy
        arr = counts
    elif isinstance(counts, (list, tuple)):
        if len(counts) == 0:
            return np.zeros(0, dtype=np.uint32)
        try:
            arr = np.asarray(counts)
        except (ValueError, OverflowError) as exc:
            raise ValueError(f"RLE counts must be a flat list of ints, got {counts!r:.80}") from exc
    else:
        raise ValueError(
            "RLE counts must be a list/array of ints or a compressed str/bytes, "
            f"got {type(counts).__name__}"
        )
    if arr.ndim != 1:
        raise ValueError(f"RLE counts must be 1-D, got shape {arr.shape}")
    if arr.size == 0:
        return np.zeros(0, dtype=np.uint32)
    if arr.dtype.kind not in "iu":
        raise ValueError(f"RLE counts must be integers, got dtype {arr.dtype}")
    lo, hi = int(arr.min()), int(arr.max())
    if lo < 0:
        raise ValueError(f"RLE counts must be non-negative, got {lo} at index {int(arr.argmin())}")
    if hi > _U32_MAX:
        raise ValueError(f"RLE counts must fit in uint32, got {hi} at index {int(arr.argmax())}")
    return arr.astype(np.uint32, copy=False)


def _checked(counts: CountsLike, size: tuple[int, int]) -> tuple[np.ndarray, int, int]:
    """Normalize counts and verify they cover exactly ``h * w`` pixels."""
    c = normalize_counts(counts)
    h, w = (int(v) for v in size)
    if h < 0 or w < 0:
        raise ValueError(f"RLE size must be non-negative [h, w], got {list(size)}")
    total = int(c.sum(dtype=np.uint64))
    if total != h * w:
        raise ValueError(
            f"RLE counts sum to {total} but size {[h, w]} needs h*w = {h * w} pixels"
        )
    return c, h, w


def _counts_from_toggles(toggles: np.ndarray, total: int) -> np.ndarray:
    """Counts for a mask of ``total`` pixels whose value flips (starting at 0) at the
    strictly increasing flat positions ``toggles``."""
    # A mask ending in 1s gets no trailing zero-length run (pycocotools never emits one).
    edges = np.empty(toggles.size + 2, dtype=np.int64)
    edges[0], edges[1:-1], edges[-1] = 0, toggles, total
    if toggles.size and toggles[-1] == total:
        edges = edges[:-1]
    return np.diff(edges).astype(np.uint32)


def encode(mask: np.ndarray) -> np.ndarray:
    """Encode an ``(h, w)`` mask (nonzero = foreground) to uint32 RLE counts.

    Equals ``pycocotools.mask.encode`` counts exactly; an empty mask gives ``[0]``.
    Accepts any memory layout and never makes a transposed copy of the whole mask.
    """
    mask = np.asarray(mask)
    if mask.ndim != 2:
        raise ValueError(f"mask must be 2-D (h, w), got shape {mask.shape}")
    h, w = mask.shape
    if h == 0 or w == 0:
        return np.zeros(1, dtype=np.uint32)
    if mask.flags.f_contiguous and not mask.flags.c_contiguous:
        # Column-major data is already in RLE order: flat view, toggles between neighbours.
        flat = (mask if mask.dtype == np.bool_ else mask != 0).T.ravel()
        toggles = np.flatnonzero(flat[1:] != flat[:-1]) + 1
        if flat[0]:
            toggles = np.concatenate(([0], toggles))  # leading zero-length run of 0s
        return _counts_from_toggles(toggles, h * w)
    fg = mask.view(np.uint8) if mask.dtype == np.bool_ else mask if mask.dtype == np.uint8 else \
        (mask != 0).view(np.uint8)
    fg = np.ascontiguousarray(fg)
    bounds = _foreground_bounds(fg)
    if bounds is None:
        return np.array([h * w], dtype=np.uint32)
    # Toggles can only occur inside the foreground's bounding box (objects are small beside their
    # image): its columns, transposed by OpenCV and padded with a 0 above and below, run in RLE
    # order with no toggle across columns.
    y0, y1, x0, x1 = bounds
    rows = y1 - y0
    padded = np.zeros((x1 - x0, rows + 2), dtype=np.uint8)
    padded[:, 1:-1] = cv2.transpose(fg[y0:y1, x0:x1]) != 0
    flat = padded.ravel()
    # Toggle before padded flat index k = column * (rows + 2) + row + 1: at (x0 + column) * h + y0 + row.
    at = np.flatnonzero(flat[1:] != flat[:-1]) + 1
    toggles = at + (at // (rows + 2)) * (h - rows - 2) + (x0 * h + y0 - 1)
    if rows == h and len(toggles) > 1:
        # A run through the bottom of one column and the top of the next is one run: its two
        # toggles fall on the same position and cancel.
        same = toggles[1:] == toggles[:-1]
        if same.any():
            cancelled = np.zeros(len(toggles), dtype=bool)
            cancelled[1:] |= same
            cancelled[:-1] |= same
            toggles = toggles[~cancelled]
    return _counts_from_toggles(toggles, h * w)


def _foreground_bounds(fg: np.ndarray) -> tuple[int, int, int, int] | None:
    """(y0, y1, x0, x1): the rows y0..y1-1 and columns x0..x1-1 holding every nonzero pixel of the
    C-contiguous uint8 ``fg``; None when there is none."""
    # OpenCV sums rows in one vectorized pass (numpy's max along the rows is 2x slower); numpy's max
    # down the columns of the band is vectorized across them.
    rows = np.flatnonzero(cv2.reduce(fg, 1, cv2.REDUCE_SUM, dtype=cv2.CV_32S))
    if not len(rows):
        return None
    y0, y1 = int(rows[0]), int(rows[-1]) + 1
    columns = np.flatnonzero(fg[y0:y1].max(axis=0))
    return y0, y1, int(columns[0]), int(columns[-1]) + 1


def decode(counts: CountsLike, size: tuple[int, int]) -> np.ndarray:
    """Decode RLE counts to an ``(h, w)`` uint8 array of 0/1.

    The array is Fortran-ordered (column-major, as RLE runs are, and as pycocotools returns it):
    a C-order copy would double the cost. Use ``np.ascontiguousarray`` if you need C order.
    Raises ``ValueError`` if a count is negative or the counts do not sum to ``h * w``.
    """
    c, h, w = _checked(counts, size)
    values = (np.arange(c.size) & 1).astype(np.uint8)  # runs alternate 0, 1, 0, ...
    return np.repeat(values, c).reshape(w, h).T


def to_string(counts: CountsLike) -> str:
    """Compress counts to pycocotools' string form (same bytes as its ``encode``)."""
    c = normalize_counts(counts).astype(np.int64)
    if c.size == 0:
        return ""
    x = c.copy()
    x[3:] -= c[1:-2]  # deltas against counts[i - 2] for i > 2
    # Chars needed: enough 5-bit groups to hold x as a signed number; x ^ (x >> 63)
    # maps negatives to their one's complement so one threshold table serves both signs.
    nchar = np.searchsorted(_CHAR_THRESHOLDS, x ^ (x >> 63), side="right") + 1
    ends = np.cumsum(nchar)
    rep = np.repeat(x, nchar)
    group = np.arange(ends[-1]) - np.repeat(ends - nchar, nchar)  # char index within a count
    chars = ((rep >> (5 * group)) & 0x1F) | 0x20  # 0x20: "more chars follow"...
    chars[ends - 1] &= 0x1F  # ...except on each count's last char
    return (chars + 48).astype(np.uint8).tobytes().decode("ascii")


def from_string(s: str | bytes | bytearray) -> np.ndarray:
    """Decompress a pycocotools counts string to uint32 counts.

    Raises ``ValueError`` on chars outside '0'..'o', a truncated final count, an
    over-long count, or counts that fall outside uint32.
    """
    if isinstance(s, str):
        try:
            s = s.encode("ascii")
        except UnicodeEncodeError as exc:
            raise ValueError(f"compressed RLE must be ASCII, got {s!r:.80}") from exc
    elif not isinstance(s, (bytes, bytearray)):
        raise ValueError(f"compressed RLE must be str or bytes, got {type(s).__name__}")
    u = np.frombuffer(s, dtype=np.uint8) - np.uint8(48)  # chars below '0' wrap to >= 208
    if u.size == 0:
        return np.zeros(0, dtype=np.uint32)
    if u.max() > 63:
        i = int(np.flatnonzero(u > 63)[0])
        raise ValueError(
            f"compressed RLE chars must be in '0'..'o', got {chr(s[i])!r} at offset {i}"
        )
    v = u.astype(np.int64)
    last = (v & 0x20) == 0  # a char without the continuation bit ends a count
    if not last[-1]:
        raise ValueError(
            f"compressed RLE is truncated: last char {chr(s[-1])!r} expects more to follow"
        )
    ends = np.flatnonzero(last)
    starts = np.concatenate(([0], ends[:-1] + 1))
    nchar = ends - starts + 1
    if nchar.max() > _MAX_CHARS_PER_COUNT:
        raise ValueError(
            f"compressed RLE has a count encoded with {int(nchar.max())} chars "
            f"(at most {_MAX_CHARS_PER_COUNT} expected)"
        )
    group = np.arange(v.size) - np.repeat(starts, nchar)
    x = np.add.reduceat((v & 0x1F) << (5 * group), starts)
    # Sign-extend counts whose last char has the 5-bit group's sign bit (0x10) set.
    x -= ((v[ends] & 0x10) != 0) << (5 * nchar)
    # Undo the deltas: counts at even (>= 2) and odd indices are two running sums.
    x[1::2] = np.cumsum(x[1::2])
    x[2::2] = np.cumsum(x[2::2])
    if x.min() < 0 or x.max() > _U32_MAX:
        i = int(np.flatnonzero((x < 0) | (x > _U32_MAX))[0])
        raise ValueError(f"compressed RLE decodes to count {int(x[i])} at index {i}, outside uint32")
    return x.astype(np.uint32)


def area(counts: CountsLike) -> int:
    """Number of foreground pixels: the sum of the odd-index (1s) runs."""
    return int(normalize_counts(counts)[1::2].sum(dtype=np.uint64))


def bbox(counts: CountsLike, size: tuple[int, int]) -> tuple[float, float, float, float]:
    """Bounding box ``(x, y, w, h)`` exactly as ``pycocotools.mask.toBbox`` computes it.

    Computed from the runs (no dense decode). Mirrors the C code, quirks included:
    a trailing odd count is ignored, counts ``[n]`` (empty mask) give ``(0, 0, 0, 0)``,
    and it works in uint32 arithmetic (so non-canonical counts such as ``[n, 0]`` give
    wrapped-around sizes, as pycocotools does).
    """
    c, h, w = _checked(counts, size)
    m = c.size // 2 * 2
    if m == 0:
        return (0.0, 0.0, 0.0, 0.0)
    c = c[:m].astype(np.int64)
    cc = np.cumsum(c) & _U32_MAX  # position just past each run (C keeps it in a uint)
    run = c[1::2]  # foreground runs; each starts where the previous background run ends
    keep = run != 0  # zero-length foreground runs are skipped by the C code
    start = cc[0::2][keep]
    end = (cc[1::2][keep] - 1) & _U32_MAX
    xs, xe, ys, ye = w, 0, h, 0
    if start.size:  # h > 0 here: the counts cover h*w >= 1 pixels
        x_start, y_start = start // h, start % h
        x_end, y_end = end // h, end % h
        xs = min(xs, int(x_start.min()))
        xe = max(xe, int(x_end.max()))
        if (x_start < x_end).any():  # a run wrapping to the next column spans full height
            ys, ye = 0, h - 1
        else:
            ys = min(ys, int(y_start.min()))
            ye = max(ye, int(y_end.max()))
    return (
        float(xs),
        float(ys),
        float((xe - xs + 1) & _U32_MAX),
        float((ye - ys + 1) & _U32_MAX),
    )


def merge(
    counts_list: Sequence[CountsLike], size: tuple[int, int], intersect: bool = False
) -> np.ndarray:
    """Union (or intersection) of RLEs of the same ``size``, like ``pycocotools.mask.merge``.

    Works on run boundaries, not dense masks; the result is canonical (no zero-length
    runs except a leading one). A single RLE is returned unchanged
    (as pycocotools does). Raises ``ValueError`` for an empty list.
    """
    if len(counts_list) == 0:
        raise ValueError("merge needs at least one RLE, got an empty list")
    checked = [_checked(counts, size)[0] for counts in counts_list]
    h, w = (int(v) for v in size)
    if len(checked) == 1:
        return checked[0].copy()
    # Work on toggle positions (run ends). On each segment between consecutive toggles
    # of any input, an input's value is the parity of its toggles at or before the
    # segment start (duplicates from zero-length runs cancel out, as they should).
    toggles = [np.cumsum(c[:-1], dtype=np.int64) for c in checked]
    points = np.sort(np.concatenate(toggles))  # repeats are harmless: no change between them
    combine = np.logical_and if intersect else np.logical_or
    fg = combine.reduce([np.searchsorted(t, points, side="right") & 1 for t in toggles])
    changed = np.flatnonzero(fg[1:] != fg[:-1]) + 1
    if fg.size and fg[0]:
        changed = np.concatenate(([0], changed))
    return _counts_from_toggles(points[changed], h * w)

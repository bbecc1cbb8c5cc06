"""The text of YOLO label rows, for many rows at once.

A row is a sequence of *tokens* separated by one space and ended by a newline. A token is either
a non-negative integer (class index, keypoint visibility), written in decimal, or a fraction in
[0, 1] already rounded to ``decimals`` places, written as ``%.{decimals}f`` would with the
trailing zeros (and a bare point) stripped: 0.25, 0, 1, 0.000001.

Why not ``f"{v:.6f}"`` per value: a COCO-size YOLO-seg dataset has over a million values, and
Python formatting costs ~0.4 us each. Here each token is a column of characters in one uint8
array, digits come from repeated division by 10 (a scalar divisor: vectorized), and a mask
drops the padding, so the cost is a few array passes over all tokens together. The compiled
``_yolo_kernels.c``, where it was built, writes the same bytes in one pass (~10x faster).
"""

from __future__ import annotations

import numpy as np

try:
    from ._yolo_kernels import encode as _compiled_encode  # type: ignore[import-not-found]
except ImportError:  # not built: the numpy code below
    _compiled_encode = None

_POW10 = [10 ** k for k in range(19)]
_ZERO, _ONE, _POINT, _SPACE, _NEWLINE = (ord(c) for c in "01. \n")


def scaled(fractions: np.ndarray, decimals: int) -> np.ndarray:
    """Fractions (rounded to ``decimals`` places, in [0, 1]) as integers in units of 10**-decimals.

    ``np.round(v, d)`` is ``rint(v * 10**d) / 10**d``, so ``rint(v * 10**d)`` holds its digits exactly.
    """
    return np.rint(np.asarray(fractions, dtype=np.float64) * float(_POW10[decimals])).astype(np.int64)


def encode(values: np.ndarray, is_fraction: np.ndarray, row_last: np.ndarray, decimals: int
           ) -> tuple[bytes, np.ndarray]:
    """The text of a flat token sequence, and the end offset (in bytes) of every token.

    ``values``: int64 per token — the integer itself (>= 0), or for a fraction its :func:`scaled`
    value; ``is_fraction``: which tokens are fractions; ``row_last``: which tokens end a row.
    """
    if _compiled_encode is not None:
        text, ends = _compiled_encode(np.ascontiguousarray(values, dtype=np.int64),
                                    np.ascontiguousarray(is_fraction, dtype=bool),
                                    np.ascontiguousarray(row_last, dtype=bool), decimals)
        return text, np.frombuffer(ends, dtype=np.int64)
    return _numpy_encode(values, is_fraction, row_last, decimals)


def _numpy_encode(values: np.ndarray, is_fraction: np.ndarray, row_last: np.ndarray, decimals: int
                  ) -> tuple[bytes, np.ndarray]:
    """:func:`encode` in numpy: one column of characters per token."""
    values = np.asarray(values, dtype=np.int64)
    count = len(values)
    if count == 0:
        return b"", np.zeros(0, dtype=np.int64)
    fractions = np.flatnonzero(is_fraction)
    integers = np.flatnonzero(~np.asarray(is_fraction, dtype=bool))
    int_values = values[integers]
    int_width = len(str(int(int_values.max()))) if len(integers) else 1
    width = max(2 + decimals if len(fractions) else 1, int_width) + 1  # last column: the separator
    chars = np.full((width, count), _ZERO, dtype=np.uint8)  # one row per character position
    keep = np.zeros((width, count), dtype=bool)
    if len(fractions):
        chars[:, fractions], keep[:, fractions] = _fractions(values[fractions], decimals, width)
    if len(integers):
        chars[:, integers], keep[:, integers] = _integers(int_values, int_width, width)
    chars[-1] = np.where(row_last, _NEWLINE, _SPACE)
    keep[-1] = True
    chars, keep = chars.T, keep.T
    ends = np.cumsum(keep.sum(axis=1))
    return chars[keep].tobytes(), ends


def _digits(numbers: np.ndarray, places: int) -> np.ndarray:
    """(places, n) decimal digits, least significant first (a scalar divisor vectorizes)."""
    work = numbers.astype(np.int32 if places <= 9 else np.int64)
    out = np.empty((places, len(numbers)), dtype=np.uint8)
    for place in range(places):
        quotient = work // 10
        out[place] = work - quotient * 10
        work = quotient
    return out


def _fractions(units: np.ndarray, decimals: int, width: int) -> tuple[np.ndarray, np.ndarray]:
    """"0" or "1", else "0." and the digits up to the last non-zero one."""
    digits = _digits(units, decimals)
    inner = (units > 0) & (units < _POW10[decimals])
    chars = np.full((width, len(units)), _ZERO, dtype=np.uint8)
    keep = np.zeros((width, len(units)), dtype=bool)
    chars[0] = np.where(units >= _POW10[decimals], _ONE, _ZERO)
    keep[0] = True
    chars[1] = _POINT
    keep[1] = inner
    chars[2:2 + decimals] += digits[::-1]
    # Least significant first, a digit is kept once it or any less significant one is non-zero.
    significant = np.logical_or.accumulate(digits != 0, axis=0)[::-1]
    keep[2:2 + decimals] = significant & inner
    return chars, keep


def _integers(numbers: np.ndarray, int_width: int, width: int) -> tuple[np.ndarray, np.ndarray]:
    """Decimal digits, most significant first."""
    digits = _digits(numbers, int_width)  # least significant first
    length = 1 + (np.logical_or.accumulate(digits[::-1] != 0, axis=0)[::-1][1:]).sum(axis=0)
    chars = np.full((width, len(numbers)), _ZERO, dtype=np.uint8)
    keep = np.zeros((width, len(numbers)), dtype=bool)
    columns = np.arange(int_width)[:, None]
    place = length[None, :] - 1 - columns  # which digit goes in each column (negative: none)
    chars[:int_width] += np.take_along_axis(digits, np.clip(place, 0, None), axis=0)
    keep[:int_width] = place >= 0
    return chars, keep

"""YOLO row text made by numpy equals Python's per-value formatting."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from annoconv.formats._yolo_text import encode, scaled


def _python(value: float, decimals: int) -> str:
    text = f"{value:.{decimals}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 15), st.lists(st.tuples(st.booleans(), st.floats(0, 1), st.integers(0, 10 ** 7),
                                              st.booleans()), min_size=1, max_size=60))
def test_tokens_match_python_formatting(decimals: int, tokens: list[tuple[bool, float, int, bool]]) -> None:
    is_fraction = np.array([t[0] for t in tokens])
    fractions = np.round(np.array([t[1] for t in tokens]), decimals)
    integers = np.array([t[2] for t in tokens], dtype=np.int64)
    row_last = np.array([t[3] for t in tokens])
    values = np.where(is_fraction, scaled(fractions, decimals), integers)
    text, ends = encode(values, is_fraction, row_last, decimals)
    expected = "".join((_python(f, decimals) if frac else str(i)) + ("\n" if last else " ")
                       for frac, f, i, last in zip(is_fraction, fractions, integers, row_last))
    assert text.decode() == expected
    assert ends.tolist() == np.cumsum([len(_python(f, decimals) if frac else str(i)) + 1
                                       for frac, f, i in zip(is_fraction, fractions, integers)]).tolist()


def test_edges() -> None:
    values = scaled(np.array([0.0, 1.0, 0.5, 0.000001, 0.999999, 0.1]), 6)
    text, _ = encode(np.concatenate([[0, 10, 7], values]), np.array([False] * 3 + [True] * 6),
                     np.array([False] * 8 + [True]), 6)
    assert text == b"0 10 7 0 1 0.5 0.000001 0.999999 0.1\n"
    assert encode(np.zeros(0, dtype=np.int64), np.zeros(0, bool), np.zeros(0, bool), 6)[0] == b""

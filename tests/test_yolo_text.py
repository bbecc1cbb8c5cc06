"""YOLO row text (the compiled encoder, where built, and the numpy one) equals Python's per-value formatting."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from annoconv.formats._yolo_text import _numpy_encode, encode, scaled

ENCODERS = pytest.mark.parametrize("encoder", [encode, _numpy_encode], ids=["default", "numpy"])


def _python(value: float, decimals: int) -> str:
    text = f"{value:.{decimals}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


@ENCODERS
@settings(max_examples=200, deadline=None)
@given(st.integers(1, 15), st.lists(st.tuples(st.booleans(), st.floats(0, 1), st.integers(0, 10 ** 7),
                                              st.booleans()), min_size=1, max_size=60))
def test_tokens_match_python_formatting(encoder: Callable[..., Any], decimals: int,
                                        tokens: list[tuple[bool, float, int, bool]]) -> None:
    is_fraction = np.array([t[0] for t in tokens])
    fractions = np.round(np.array([t[1] for t in tokens]), decimals)
    integers = np.array([t[2] for t in tokens], dtype=np.int64)
    row_last = np.array([t[3] for t in tokens])
    values = np.where(is_fraction, scaled(fractions, decimals), integers)
    text, ends = encoder(values, is_fraction, row_last, decimals)
    expected = "".join((_python(f, decimals) if frac else str(i)) + ("\n" if last else " ")
                       for frac, f, i, last in zip(is_fraction, fractions, integers, row_last))
    assert text.decode() == expected
    assert ends.tolist() == np.cumsum([len(_python(f, decimals) if frac else str(i)) + 1
                                       for frac, f, i in zip(is_fraction, fractions, integers)]).tolist()


@ENCODERS
def test_edges(encoder: Callable[..., Any]) -> None:
    values = scaled(np.array([0.0, 1.0, 0.5, 0.000001, 0.999999, 0.1]), 6)
    text, _ = encoder(np.concatenate([[0, 10, 7], values]), np.array([False] * 3 + [True] * 6),
                     np.array([False] * 8 + [True]), 6)
    assert text == b"0 10 7 0 1 0.5 0.000001 0.999999 0.1\n"
    assert encoder(np.zeros(0, dtype=np.int64), np.zeros(0, bool), np.zeros(0, bool), 6)[0] == b""


def test_the_compiled_encoder_refuses_negative_integers() -> None:
    from annoconv.formats import _yolo_text
    if _yolo_text._compiled_encode is None:
        pytest.skip("the compiled encoder is not built")
    with pytest.raises(ValueError, match="token 1"):
        encode(np.array([3, -1]), np.array([False, False]), np.array([False, True]), 6)

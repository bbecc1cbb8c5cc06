"""The closest pair of vertices where yolo-seg bridges rings: the compiled kernel and numpy agree,
ties included (the first pair in (i, j) order)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from annoconv.formats import _yolo_geometry

POINTS = st.integers(1, 12).flatmap(lambda n: arrays(np.float64, (n, 2), elements=st.integers(0, 5).map(float)))


@pytest.mark.skipif(_yolo_geometry._compiled_closest is None, reason="the compiled kernel is not built")
@settings(max_examples=300, deadline=None)
@given(POINTS, POINTS)
def test_compiled_and_numpy_closest_pairs_agree(a: np.ndarray, b: np.ndarray) -> None:
    compiled = _yolo_geometry._compiled_closest(a, b)
    distances = ((a[:, None, :] - b[None, :, :]) ** 2).sum(axis=-1)
    assert compiled == tuple(int(v) for v in np.unravel_index(np.argmin(distances), distances.shape))


def test_numpy_closest_pair_takes_the_first_on_ties(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_yolo_geometry, "_compiled_closest", None)
    a = np.array([[0.0, 0.0], [5.0, 5.0], [1.0, 0.0]])
    b = np.array([[3.0, 0.0], [2.0, 0.0], [2.0, 0.0]])
    assert _yolo_geometry._closest(a, b) == (2, 1)
    monkeypatch.setattr(_yolo_geometry, "_CHUNK", 1)  # ties across blocks of the distance matrix
    assert _yolo_geometry._closest(np.array([[1.0, 0.0], [1.0, 0.0]]), b) == (0, 1)

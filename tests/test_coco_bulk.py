"""The bulk conversion of COCO coordinate lists (_coco_coordinates._bulk), compiled and numpy:
the same values, and None for anything the general path must report."""

from __future__ import annotations

import numpy as np
import pytest

from annoconv.formats import _coco_coordinates
from annoconv.formats._coco_coordinates import _bulk


@pytest.fixture(params=["compiled", "numpy"])
def implementation(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    if request.param == "compiled" and _coco_coordinates._flatten is None:
        pytest.skip("the compiled conversion is not built")
    if request.param == "numpy":
        monkeypatch.setattr(_coco_coordinates, "_flatten", None)
    return request.param


@pytest.mark.parametrize("typed", [True, False])
def test_ints_and_floats_become_one_read_only_array(implementation: str, typed: bool) -> None:
    values = _bulk([[1, 2.5, 3, 4], [], [2 ** 60, -0.0]], 2, typed)
    assert values is not None and values.dtype == np.float64 and not values.flags.writeable
    assert values.tolist() == [[1.0, 2.5], [3.0, 4.0], [float(2 ** 60), -0.0]]


@pytest.mark.parametrize("bad", [True, "1.5", None, [1.0], float("inf"), float("nan"), 10 ** 400])
def test_anything_but_a_finite_number_gives_none(implementation: str, bad: object) -> None:
    # typed=False: the generic decode lets anything through; the typed decode refuses non-numbers itself.
    assert _bulk([[1.0, 2.0], [3.0, bad]], 2, typed=False) is None


def test_no_values_give_an_empty_array(implementation: str) -> None:
    values = _bulk([], 3, typed=True)
    assert values is not None and values.shape == (0, 3)

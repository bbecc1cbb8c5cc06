"""The bulk conversion of JSON number lists (annoconv._numbers.flat_numbers, behind the COCO and
FastLabel readers), compiled and numpy: the same values, and None for anything the readers must
report one list at a time."""

from __future__ import annotations

import numpy as np
import pytest

from annoconv import _numbers
from annoconv._numbers import flat_numbers
from annoconv.formats._coco_coordinates import _bulk


@pytest.fixture(params=["compiled", "numpy"])
def implementation(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    if request.param == "compiled" and _numbers._flatten is None:
        pytest.skip("the compiled conversion is not built")
    if request.param == "numpy":
        monkeypatch.setattr(_numbers, "_flatten", None)
    return request.param


@pytest.mark.parametrize("typed", [True, False])
def test_ints_and_floats_become_one_read_only_vector(implementation: str, typed: bool) -> None:
    values = flat_numbers([[1, 2.5, 3, 4], [], [2 ** 60, -0.0]], typed)
    assert values is not None and values.dtype == np.float64 and not values.flags.writeable
    assert values.tolist() == [1.0, 2.5, 3.0, 4.0, float(2 ** 60), -0.0]


@pytest.mark.parametrize("bad", [True, "1.5", None, [1.0], float("inf"), float("nan"), 10 ** 400])
def test_anything_but_a_finite_number_gives_none(implementation: str, bad: object) -> None:
    # typed=False: a generic decode lets anything through; a typed decode refuses non-numbers itself.
    assert flat_numbers([[1.0, 2.0], [3.0, bad]]) is None


@pytest.mark.parametrize("inner", ["12", (1.0, 2.0), {"x": 1.0}, 3.0])
def test_an_inner_value_that_is_not_a_list_gives_none(implementation: str, inner: object) -> None:
    assert flat_numbers([[1.0, 2.0], inner]) is None  # type: ignore[list-item]


def test_coco_reshapes_into_rows(implementation: str) -> None:
    values = _bulk([[1, 2, 3, 4], [5.0, 6.0]], 2, typed=True)
    assert values is not None and values.shape == (3, 2) and not values.flags.writeable
    empty = _bulk([], 3, typed=True)
    assert empty is not None and empty.shape == (0, 3)

"""The exactness suite of test_raster_exact.py once more without the compiled span kernel: the
numpy spans and staircase contours filled by OpenCV, which annoconv uses where the kernel could
not be built."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from test_raster_exact import *  # noqa: F401,F403  (the same tests, collected in this module)

from annoconv.raster import spans


@pytest.fixture(autouse=True, scope="module")
def without_kernel() -> Iterator[None]:
    kernel, spans._spanfill = spans._spanfill, None
    try:
        yield
    finally:
        spans._spanfill = kernel


def test_the_kernel_is_off_in_this_module() -> None:
    assert not spans.compiled()

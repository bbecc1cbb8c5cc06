"""JSON number lists -> one float64 array: the bulk conversion behind the COCO and FastLabel readers.

Converting millions of coordinates one list at a time (``np.array`` and checks per list) costs far
more than one conversion of all of them plus a view per geometry. :func:`flat_numbers` is
all-or-nothing: any value that is not a finite int or float gives None, and the reader then
checks the lists one by one to name the place of the error. The compiled ``_flatten.c`` (built at
install where a C compiler is available) does it in one pass; the numpy code here gives the same.
"""

from __future__ import annotations

from array import array
from itertools import chain
from typing import Any

import numpy as np

try:
    from . import _flatten  # type: ignore[attr-defined]
except ImportError:  # not built: numpy below
    _flatten = None

NUMBER_TYPES = frozenset({int, float})  # what JSON numbers decode to (bool excluded)


def flat_numbers(lists: list[list[Any]], typed: bool = False) -> np.ndarray | None:
    """All values of ``lists`` (a list of lists), in order, as one read-only float64 vector; None
    when any inner object is not a list or any value not a finite number (bools refused, and ints
    too large for a float). ``typed``: a typed decoder has already refused non-numbers."""
    if _flatten is not None:
        flat = _flatten.flatten(lists)
        if flat is None:
            return None
        values = np.frombuffer(flat, dtype=np.float64)
    else:
        try:
            if any(type(inner) is not list for inner in lists):
                return None
            if typed:  # only ints and floats: numpy may convert them straight from the lists
                values = np.fromiter(chain.from_iterable(lists), np.float64, count=sum(map(len, lists)))
            else:
                flat_list = list(chain.from_iterable(lists))
                if not {*map(type, flat_list)} <= NUMBER_TYPES:  # array('d') would take True as 1.0
                    return None
                # array('d') converts in C and refuses strings, null and nested lists (numpy would parse "1.5").
                values = np.frombuffer(array("d", flat_list), dtype=np.float64)
        except (TypeError, ValueError, OverflowError):
            return None
        if not np.isfinite(values).all():
            return None
    values.flags.writeable = False  # views inherit it
    return values

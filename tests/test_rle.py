"""annoconv.ir.rle checked against pycocotools (the oracle; never imported by rle.py)."""

from __future__ import annotations

import ast
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import pycocotools.mask as mask_utils
from annoconv.ir import rle

# pycocotools' decode trips a numpy 2 DeprecationWarning inside its own code.
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning:pycocotools")

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


# --- oracle helpers -------------------------------------------------------------------

def coco_rle(mask: np.ndarray) -> dict:
    """pycocotools RLE of a mask (it wants Fortran-ordered uint8 0/1)."""
    return mask_utils.encode(np.asfortranarray(mask != 0, dtype=np.uint8))


def coco_from_counts(counts: list[int], h: int, w: int) -> dict:
    """pycocotools compressed RLE from uncompressed counts (no dense mask involved)."""
    return mask_utils.frPyObjects({"size": [h, w], "counts": [int(c) for c in counts]}, h, w)


def check_against_oracle(mask: np.ndarray) -> None:
    """Every single-mask function agrees with pycocotools on this mask."""
    h, w = mask.shape
    ref = coco_rle(mask)
    ref_str = ref["counts"].decode()
    counts = rle.encode(mask)
    assert counts.dtype == np.uint32
    assert rle.to_string(counts) == ref_str
    assert np.array_equal(rle.from_string(ref_str), counts)
    assert np.array_equal(rle.from_string(ref["counts"]), counts)  # bytes too
    decoded = rle.decode(counts, (h, w))
    assert decoded.dtype == np.uint8 and decoded.flags.f_contiguous and decoded.shape == (h, w)
    assert np.array_equal(decoded, (mask != 0).astype(np.uint8))
    assert np.array_equal(decoded, mask_utils.decode(ref))
    assert rle.area(counts) == int(mask_utils.area(ref))
    assert rle.bbox(counts, (h, w)) == tuple(mask_utils.toBbox(ref).tolist())


# --- strategies -----------------------------------------------------------------------

@st.composite
def masks(draw: st.DrawFn, max_side: int = 24, shape: tuple[int, int] | None = None) -> np.ndarray:
    """Random masks: noise, or a few rectangles (long runs), in C, Fortran or strided layout; any
    nonzero value is foreground."""
    h, w = shape or (draw(st.integers(0, max_side)), draw(st.integers(0, max_side)))
    if draw(st.booleans()):
        mask = draw(arrays(np.bool_, (h, w)))
    else:
        mask = np.zeros((h, w), dtype=np.bool_)
        for _ in range(draw(st.integers(0, 3))):
            y0, y1 = sorted(draw(st.integers(0, h)) for _ in range(2))
            x0, x1 = sorted(draw(st.integers(0, w)) for _ in range(2))
            mask[y0:y1, x0:x1] = True
    dtype = draw(st.sampled_from([np.bool_, np.uint8, np.int32]))
    mask = mask.astype(dtype) * (-3 if dtype is np.int32 else 1) if dtype is not np.bool_ else mask
    layout = draw(st.sampled_from(["C", "F", "strided"]))
    if layout == "F":
        return np.asfortranarray(mask)
    if layout == "strided":  # a view that is neither C- nor Fortran-contiguous
        return np.repeat(mask, 2, axis=1)[:, ::2]
    return mask


@st.composite
def raw_counts(draw: st.DrawFn) -> tuple[list[int], int, int]:
    """Uncompressed counts (zero-length runs allowed) with a size that fits them."""
    h = draw(st.integers(1, 50))
    counts = draw(st.lists(st.integers(0, 1 << 20), min_size=1, max_size=40))
    counts[-1] += -sum(counts) % h  # make the total a multiple of h
    return counts, h, sum(counts) // h


# --- property tests against the oracle ------------------------------------------------

@SETTINGS
@given(masks())
def test_random_masks_match_pycocotools(mask: np.ndarray) -> None:
    check_against_oracle(mask)


@SETTINGS
@given(raw_counts())
def test_uncompressed_counts_match_pycocotools(case: tuple[list[int], int, int]) -> None:
    counts, h, w = case
    ref = coco_from_counts(counts, h, w)
    assert rle.to_string(counts) == ref["counts"].decode()
    assert np.array_equal(rle.from_string(ref["counts"]), np.array(counts, dtype=np.uint32))
    assert rle.area(counts) == int(mask_utils.area(ref))
    # Non-canonical counts (zero-length runs) exercise toBbox's quirks too.
    assert rle.bbox(counts, (h, w)) == tuple(mask_utils.toBbox(ref).tolist())


@SETTINGS
@given(st.data())
def test_merge_matches_pycocotools(data: st.DataObject) -> None:
    shape = (data.draw(st.integers(0, 16)), data.draw(st.integers(0, 16)))
    group = data.draw(st.lists(masks(shape=shape), min_size=1, max_size=4))
    intersect = data.draw(st.booleans())
    ref = mask_utils.merge([coco_rle(m) for m in group], intersect=intersect)
    merged = rle.merge([rle.encode(m) for m in group], shape, intersect=intersect)
    assert rle.to_string(merged) == ref["counts"].decode()
    combine = np.logical_and if intersect else np.logical_or
    assert np.array_equal(rle.decode(merged, shape), combine.reduce([m != 0 for m in group]))


@SETTINGS
@given(masks())
def test_round_trip(mask: np.ndarray) -> None:
    h, w = mask.shape
    s = rle.to_string(rle.encode(mask))
    assert np.array_equal(rle.decode(rle.from_string(s), (h, w)), mask != 0)
    assert np.array_equal(rle.decode(s, (h, w)), mask != 0)  # decode accepts strings too


# --- edge cases -----------------------------------------------------------------------

SHAPES = [(1, 1), (1, 7), (7, 1), (3, 5), (5, 3), (16, 16)]


@pytest.mark.parametrize("shape", SHAPES + [(0, 0), (0, 5), (5, 0)])
@pytest.mark.parametrize("fill", [0, 1])
def test_constant_masks(shape: tuple[int, int], fill: int) -> None:
    mask = np.full(shape, fill, dtype=np.uint8)
    check_against_oracle(mask)
    n = shape[0] * shape[1]
    expected = [n] if fill == 0 or n == 0 else [0, n]
    assert rle.encode(mask).tolist() == expected


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("corner", [(0, 0), (0, -1), (-1, 0), (-1, -1)])
@pytest.mark.parametrize("invert", [False, True])
def test_single_pixel_in_corner(shape: tuple[int, int], corner: tuple[int, int], invert: bool) -> None:
    mask = np.zeros(shape, dtype=np.uint8)
    mask[corner] = 1
    check_against_oracle(1 - mask if invert else mask)


def test_nonzero_is_foreground() -> None:
    mask = np.array([[0, 255, 7], [1, 0, 2]], dtype=np.uint8)
    assert np.array_equal(rle.encode(mask), rle.encode(mask != 0))
    check_against_oracle(mask)


@pytest.mark.parametrize(
    "blocks",
    [
        [(0, 1000, 0, 1000)],  # all ones: one run of 10**6
        [(100, 900, 100, 900)],  # runs of ~800 per column
        [(0, 1000, 0, 300), (0, 1000, 700, 1000)],  # runs of 300k/400k: deltas > 2**16
        [(0, 1000, 0, 500), (400, 401, 600, 601)],  # 500k run then single pixel: big negative delta
    ],
)
def test_long_runs_multi_char(blocks: list[tuple[int, int, int, int]]) -> None:
    mask = np.zeros((1000, 1000), dtype=np.uint8)
    for y0, y1, x0, x1 in blocks:
        mask[y0:y1, x0:x1] = 1
    check_against_oracle(mask)
    assert rle.encode(mask).max() > 1 << 16
    assert any(ch >= "P" for ch in rle.to_string(rle.encode(mask)))  # continuation chars used


def test_largest_deltas_round_trip() -> None:
    # Deltas near +-2**32 need 7 chars; pycocotools' writer handles them (its reader
    # overflows a C int beyond 6 chars, so the reverse is checked as a self round trip).
    counts = [1, 1, 1, 0xFFFFFFFE, 0xFFFFFFFF, 0, 2, 3]
    ref = coco_from_counts(counts, 1, sum(counts))
    s = rle.to_string(counts)
    assert s == ref["counts"].decode()
    assert rle.from_string(s).tolist() == counts


# --- uncompressed input and normalization ---------------------------------------------

def test_uncompressed_counts_accepted() -> None:
    mask = np.zeros((4, 3), dtype=np.uint8)
    mask[1:3, 1] = 1
    counts = rle.encode(mask)
    as_list = [int(c) for c in counts]
    for form in (as_list, tuple(as_list), np.array(as_list, dtype=np.int64), counts, rle.to_string(counts)):
        assert np.array_equal(rle.normalize_counts(form), counts)
        assert rle.normalize_counts(form).dtype == np.uint32
        assert np.array_equal(rle.decode(form, (4, 3)), mask)
        assert rle.area(form) == 2
        assert rle.bbox(form, (4, 3)) == (1.0, 1.0, 1.0, 2.0)
    assert rle.normalize_counts(rle.to_string(counts).encode()).tolist() == as_list
    assert rle.normalize_counts([]).tolist() == []


@pytest.mark.parametrize(
    "bad",
    [None, 5, 3.5, {"counts": [1]}, [1.5, 2], np.array([1.0, 2.0]), [[1, 2]], [3, -1], [1 << 32], [True, False]],
)
def test_normalize_counts_rejects(bad: object) -> None:
    with pytest.raises(ValueError):
        rle.normalize_counts(bad)  # type: ignore[arg-type]


# --- error cases ----------------------------------------------------------------------

def test_decode_bad_sum() -> None:
    with pytest.raises(ValueError, match=r"sum to 5 .*\[2, 3\].*6"):
        rle.decode([2, 3], (2, 3))
    with pytest.raises(ValueError, match="sum to 7"):
        rle.decode([2, 3, 2], (2, 3))
    with pytest.raises(ValueError, match="sum"):
        rle.bbox([1], (2, 3))


def test_decode_negative_counts() -> None:
    with pytest.raises(ValueError, match="non-negative"):
        rle.decode([4, -1, 3], (2, 3))
    with pytest.raises(ValueError, match="non-negative"):
        rle.decode(np.array([7, -1], dtype=np.int32), (2, 3))


@pytest.mark.parametrize(
    "bad, why",
    [
        ("P", "truncated"),  # 'P' = 48 + 0x20: continuation bit with nothing after it
        ("01P", "truncated"),
        ("0 1", "'0'..'o'"),  # below '0'
        ("0p", "'0'..'o'"),  # above 'o'
        ("0é", "ASCII"),
        ("P" * 12 + "0", "chars"),  # one count spread over 13 chars
        ("@", "outside uint32"),  # a lone '@' decodes to -16
    ],
)
def test_from_string_malformed(bad: str, why: str) -> None:
    with pytest.raises(ValueError, match=why):
        rle.from_string(bad)


def test_from_string_wrong_type() -> None:
    with pytest.raises(ValueError):
        rle.from_string(123)  # type: ignore[arg-type]


def test_encode_rejects_non_2d() -> None:
    with pytest.raises(ValueError, match="2-D"):
        rle.encode(np.zeros((2, 2, 1), dtype=np.uint8))


# --- bbox / merge specifics -----------------------------------------------------------

def test_bbox_empty_mask() -> None:
    assert rle.bbox(rle.encode(np.zeros((5, 4), np.uint8)), (5, 4)) == (0.0, 0.0, 0.0, 0.0)
    assert rle.bbox([0], (0, 0)) == (0.0, 0.0, 0.0, 0.0)


def test_bbox_run_across_columns_spans_full_height() -> None:
    mask = np.zeros((5, 4), np.uint8)
    mask[4, 1] = mask[0, 2] = 1  # one run: bottom of column 1, top of column 2
    assert rle.bbox(rle.encode(mask), (5, 4)) == (1.0, 0.0, 2.0, 5.0)
    check_against_oracle(mask)


def test_merge_single_and_empty() -> None:
    counts = rle.encode(np.eye(3, dtype=np.uint8))
    assert np.array_equal(rle.merge([counts], (3, 3)), counts)
    assert np.array_equal(rle.merge([counts], (3, 3), intersect=True), counts)
    with pytest.raises(ValueError, match="at least one"):
        rle.merge([], (3, 3))
    with pytest.raises(ValueError, match="sum"):
        rle.merge([counts, [4]], (3, 3))


def test_merge_accepts_strings_and_lists() -> None:
    a, b = np.eye(4, dtype=np.uint8), np.fliplr(np.eye(4, dtype=np.uint8))
    ca, cb = rle.encode(a), rle.encode(b)
    merged = rle.merge([rle.to_string(ca), cb.tolist()], (4, 4))
    assert np.array_equal(rle.decode(merged, (4, 4)), a | b)


def test_module_never_imports_pycocotools() -> None:
    tree = ast.parse(Path(rle.__file__).read_text())
    imported = [
        alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names
    ] + [node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)]
    assert not [name for name in imported if name.startswith("pycocotools")]

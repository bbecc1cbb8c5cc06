"""encode_png / read_index_png and the palettes: files that Pillow and OpenCV decode identically."""

from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path

import cv2
import numpy as np
import pytest
from conftest import REPO
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from PIL import Image

from annoconv import InputPathError, ParseError
from annoconv.raster.palette import FASTLABEL_SDK, fastlabel_palette, label_palette, named_palette, voc_palette
from annoconv.raster.png import encode_png, framed_map, read_index_png

FASTLABEL_GOLDEN = REPO.parent / "shared" / "fastlabel" / "sdk-golden"
COMPRESSIONS = ("fast", "small")


def _maps(dtype: type, top: int) -> st.SearchStrategy[np.ndarray]:
    shape = st.tuples(st.integers(1, 24), st.integers(1, 24))
    return shape.flatmap(lambda s: arrays(dtype, s, elements=st.integers(0, top)))


def _chunks(data: bytes) -> dict[bytes, bytes]:
    """Chunk type -> data of a PNG (CRCs checked)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    out, at = {}, 8
    while at < len(data):
        (length,), kind = struct.unpack(">I", data[at:at + 4]), data[at + 4:at + 8]
        body = data[at + 8:at + 8 + length]
        assert struct.unpack(">I", data[at + 8 + length:at + 12 + length])[0] == zlib.crc32(kind + body)
        out[kind] = out.get(kind, b"") + body
        at += 12 + length
    return out


def _opencv(data: bytes) -> np.ndarray:
    return cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_UNCHANGED)


@settings(max_examples=40, deadline=None)
@given(_maps(np.uint8, 255), st.sampled_from(COMPRESSIONS), st.sampled_from(["voc", "fastlabel"]))
def test_palette_pngs_decode_identically(indices: np.ndarray, compression: str, palette_name: str) -> None:
    palette = named_palette(palette_name)
    data = encode_png(indices, palette, compression)  # type: ignore[arg-type]
    with Image.open(io.BytesIO(data)) as image:
        assert image.mode == "P"
        assert np.array_equal(np.asarray(image), indices)
        used = int(indices.max()) + 1
        # Only the entries up to the largest index used are written.
        assert np.array_equal(np.array(image.getpalette()).reshape(-1, 3), palette[:used])
    assert len(_chunks(data)[b"PLTE"]) == 3 * used
    assert np.array_equal(_opencv(data), palette[indices][..., ::-1])  # OpenCV gives BGR colours


@settings(max_examples=30, deadline=None)
@given(_maps(np.uint8, 255), st.sampled_from(COMPRESSIONS))
def test_grey_pngs_decode_identically(values: np.ndarray, compression: str) -> None:
    data = encode_png(values, None, compression)  # type: ignore[arg-type]
    assert b"PLTE" not in _chunks(data)
    with Image.open(io.BytesIO(data)) as image:
        assert image.mode == "L" and np.array_equal(np.asarray(image), values)
    decoded = _opencv(data)
    assert decoded.dtype == np.uint8 and np.array_equal(decoded, values)


@settings(max_examples=30, deadline=None)
@given(_maps(np.uint16, 65535), st.sampled_from(COMPRESSIONS))
def test_16_bit_pngs_decode_identically(values: np.ndarray, compression: str) -> None:
    data = encode_png(values, voc_palette(), compression)  # type: ignore[arg-type]  # palette unused
    with Image.open(io.BytesIO(data)) as image:
        assert image.mode.startswith("I") and np.array_equal(np.asarray(image).astype(np.uint16), values)
    decoded = _opencv(data)
    assert decoded.dtype == np.uint16 and np.array_equal(decoded, values)


def test_small_compression_is_smaller_on_a_typical_map() -> None:
    indices = np.zeros((240, 320), np.uint8)
    indices[40:200, 50:300] = 3
    indices[100:120, :] = 7
    fast, small = (encode_png(indices, voc_palette(), c) for c in COMPRESSIONS)  # type: ignore[arg-type]
    assert len(small) < len(fast)


def test_encode_refuses_what_it_cannot_write() -> None:
    with pytest.raises(ValueError, match="2-D uint8 or uint16"):
        encode_png(np.zeros((2, 2, 3), np.uint8))
    with pytest.raises(ValueError, match="2-D uint8 or uint16"):
        encode_png(np.zeros((2, 2), np.int32))
    with pytest.raises(ValueError, match="index 4 is used"):
        encode_png(np.array([[0, 4]], np.uint8), voc_palette(3))
    with pytest.raises(ValueError, match="compression"):
        encode_png(np.zeros((2, 2), np.uint8), None, "best")  # type: ignore[arg-type]


# --- reading ----------------------------------------------------------------------------------

def test_read_index_png_modes(tmp_path: Path) -> None:
    indices = np.array([[0, 1], [2, 1]], np.uint8)
    (tmp_path / "p.png").write_bytes(encode_png(indices, voc_palette()))
    values, palette, mode = read_index_png(tmp_path / "p.png")
    assert mode == "P" and np.array_equal(values, indices) and np.array_equal(palette, voc_palette(3))
    (tmp_path / "l.png").write_bytes(encode_png(indices))
    values, palette, mode = read_index_png(tmp_path / "l.png")
    assert mode == "L" and palette is None and np.array_equal(values, indices)
    wide = np.array([[0, 300], [65535, 2]], np.uint16)
    (tmp_path / "i.png").write_bytes(encode_png(wide))
    values, palette, mode = read_index_png(tmp_path / "i.png")
    assert values.dtype == np.uint16 and np.array_equal(values, wide)
    rgb = voc_palette()[indices]
    Image.fromarray(rgb, "RGB").save(tmp_path / "rgb.png")
    values, palette, mode = read_index_png(tmp_path / "rgb.png")
    assert mode == "RGB" and np.array_equal(values, rgb)


def test_read_index_png_errors(tmp_path: Path) -> None:
    with pytest.raises(InputPathError, match="missing.png: mask file not found"):
        read_index_png(tmp_path / "missing.png")
    (tmp_path / "bad.png").write_bytes(b"\x89PNG\r\n\x1a\nnot really")
    with pytest.raises(ParseError, match="bad.png: not a readable PNG"):
        read_index_png(tmp_path / "bad.png")
    Image.fromarray(np.zeros((2, 2, 2), np.uint8), "LA").save(tmp_path / "la.png")
    with pytest.raises(ParseError, match="la.png: unsupported PNG mode 'LA'"):
        read_index_png(tmp_path / "la.png")


# --- palettes ---------------------------------------------------------------------------------

def test_voc_palette_known_entries() -> None:
    palette = voc_palette()
    assert palette.shape == (256, 3) and palette.dtype == np.uint8
    assert tuple(palette[0]) == (0, 0, 0) and tuple(palette[1]) == (128, 0, 0)
    assert tuple(palette[15]) == (192, 128, 128) and tuple(palette[255]) == (224, 224, 192)
    assert len({tuple(c) for c in palette.tolist()}) == 256


def test_fastlabel_palette_is_the_sdk_table_padded_with_voc() -> None:
    palette = fastlabel_palette()
    assert len(FASTLABEL_SDK) == 58 and palette.shape == (256, 3)
    assert tuple(palette[0]) == (0, 0, 0) and tuple(palette[1]) == (228, 26, 28)
    assert np.array_equal(palette[58:], voc_palette()[58:])


def test_fastlabel_palette_matches_the_sdk_golden_plte() -> None:
    files = sorted((FASTLABEL_GOLDEN / "semantic_segmentation").glob("*.png"))
    if not files:
        pytest.skip("FastLabel SDK golden files not found")
    for path in files:
        plte = _chunks(path.read_bytes())[b"PLTE"]
        sdk = np.frombuffer(plte, np.uint8).reshape(-1, 3)
        assert np.array_equal(fastlabel_palette()[:len(sdk)], sdk), path
        assert len(sdk) == len(FASTLABEL_SDK)


def test_label_palette_overrides_entries() -> None:
    palette = label_palette({1: (1, 2, 3), 2: None, 300: (9, 9, 9)})
    assert tuple(palette[1]) == (1, 2, 3) and tuple(palette[2]) == tuple(voc_palette()[2])
    with pytest.raises(ValueError, match="unknown palette"):
        named_palette("rainbow")


def test_framed_map_encodes_as_a_plain_array() -> None:
    framed = framed_map(7, 5, 3)
    framed[2:4, 1:3] = 9
    plain = np.ascontiguousarray(framed)
    palette = np.arange(256 * 3, dtype=np.uint8).reshape(256, 3)
    assert encode_png(framed, palette, framed=True) == encode_png(plain, palette) == encode_png(plain, palette, top=9)
    assert framed.base[:, 0].tolist() == [0] * 7  # the filter bytes stayed out of the painting

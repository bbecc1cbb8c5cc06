"""Index-map PNG files: a minimal, fast writer and a Pillow-based reader.

Writing frames the PNG directly (IHDR, PLTE, one IDAT, IEND; filter byte 0 on every row):
8-bit maps as palette ("P") images with only the palette entries up to the largest index used,
16-bit maps as 16-bit greyscale. Compression (figures from ../shared/PERFORMANCE.md, 5,000
COCO-size masks): ``fast`` deflates with ISA-L at level 1 (0.43 s; Pillow's default save takes
6.1 s), ``small`` with zlib level 9 and the RLE strategy for 8-bit maps (smaller files, ~4x
slower). Every file is a standard PNG that Pillow, OpenCV and libpng decode to the same indices.
"""

from __future__ import annotations

import struct
import zlib
from pathlib import Path
from typing import Literal

import numpy as np
from isal import isal_zlib
from PIL import Image, UnidentifiedImageError

from ..errors import InputPathError, ParseError

Compression = Literal["fast", "small"]
_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_AVX_RESET = np.zeros(4)


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(data, zlib.crc32(kind)))


def _deflate(raw: bytes | memoryview, compression: Compression, sixteen_bit: bool) -> bytes:
    if compression == "fast":
        data = isal_zlib.compress(raw, 1)
        # ISA-L leaves the upper AVX state dirty, which slows every later zlib user (Pillow, libpng)
        # about 3x; any small numpy float operation clears it (PERFORMANCE.md).
        np.add(_AVX_RESET, 0.0, out=_AVX_RESET)
        return data
    if compression == "small":
        strategy = zlib.Z_DEFAULT_STRATEGY if sixteen_bit else zlib.Z_RLE
        compressor = zlib.compressobj(9, zlib.DEFLATED, 15, 9, strategy)
        return compressor.compress(raw) + compressor.flush()
    raise ValueError(f"compression must be 'fast' or 'small', got {compression!r}")


def framed_map(height: int, width: int, fill: int, reuse: np.ndarray | None = None) -> np.ndarray:
    """A (height, width) uint8 map filled with ``fill``, laid out as PNG rows: each row is preceded
    in memory by its filter byte (0), so :func:`encode_png` deflates the buffer without a copy.
    ``reuse``: a framed map whose buffer is refilled when it has this size (else a new one)."""
    rows = reuse.base if reuse is not None else None
    if rows is not None and rows.shape == (height, width + 1):
        rows.fill(fill)
        if fill:
            rows[:, 0] = 0
        return reuse  # type: ignore[return-value]
    if fill == 0:  # zeroed pages come from the OS on first touch: untouched background costs nothing
        return np.zeros((height, width + 1), dtype=np.uint8)[:, 1:]
    rows = np.full((height, width + 1), fill, dtype=np.uint8)  # one memset
    rows[:, 0] = 0
    return rows[:, 1:]


def encode_png(index_map: np.ndarray, palette: np.ndarray | None = None, compression: Compression = "fast",
               top: int | None = None, framed: bool = False) -> bytes:
    """PNG bytes of a (height, width) uint8 or uint16 index map.

    uint8 with a (N, 3) ``palette``: a palette image whose PLTE holds entries 0..max index (the
    palette must cover them); ``top``, when given, is the largest index the map may hold (saves
    scanning it). uint8 without a palette: 8-bit greyscale. uint16: 16-bit greyscale.
    ``framed=True`` says the map comes from :func:`framed_map`: its buffer is deflated in place.
    """
    array = np.asarray(index_map)
    if array.ndim != 2 or array.dtype not in (np.uint8, np.uint16):
        raise ValueError(f"expected a 2-D uint8 or uint16 array, got {array.dtype} of shape {array.shape}")
    height, width = array.shape
    sixteen_bit = array.dtype == np.uint16
    rows = array.base if framed else None
    if rows is None or rows.shape != (height, width + 1) or array.strides != (width + 1, 1):
        rows = np.empty((height, 1 + width * array.itemsize), dtype=np.uint8)
        rows[:, 0] = 0  # filter type "None" on every row
        rows[:, 1:] = (array.astype(">u2") if sixteen_bit else array).view(np.uint8).reshape(height, -1)
    if sixteen_bit:
        header, palette_chunk = struct.pack(">IIBBBBB", width, height, 16, 0, 0, 0, 0), b""
    elif palette is not None:
        used = (int(array.max(initial=0)) if top is None else top) + 1
        colors = np.asarray(palette, dtype=np.uint8).reshape(-1, 3)
        if len(colors) < used:
            raise ValueError(f"palette has {len(colors)} colours but index {used - 1} is used")
        header = struct.pack(">IIBBBBB", width, height, 8, 3, 0, 0, 0)
        palette_chunk = _chunk(b"PLTE", colors[:used].tobytes())
    else:
        header, palette_chunk = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0), b""
    return b"".join((_SIGNATURE, _chunk(b"IHDR", header), palette_chunk,
                     _chunk(b"IDAT", _deflate(rows.data, compression, sixteen_bit)), _chunk(b"IEND", b"")))


def read_index_png(path: Path) -> tuple[np.ndarray, np.ndarray | None, str]:
    """(index map, palette or None, Pillow mode) of an index-colour PNG.

    "P" images give their indices and palette; "L" (8-bit grey) and "I;16"/"I" (16-bit grey)
    give their values; "RGB"/"RGBA" images give an (h, w, 3) colour array for the caller to map
    through a palette. Other modes are a ParseError.
    """
    try:
        with Image.open(path) as image:
            image.load()
            mode = image.mode
            if mode == "P":
                raw_palette = image.getpalette() or []
                return np.asarray(image), np.array(raw_palette, dtype=np.uint8).reshape(-1, 3), mode
            if mode in ("L", "1"):
                return np.asarray(image.convert("L")), None, mode
            if mode in ("I;16", "I;16B", "I"):
                values = np.asarray(image)
                if values.min(initial=0) < 0 or values.max(initial=0) > 65535:
                    raise ParseError(f"{mode} image values outside 0..65535", file=path)
                return values.astype(np.uint16), None, mode
            if mode in ("RGB", "RGBA"):
                return np.asarray(image.convert("RGB")), None, mode
    except FileNotFoundError:
        raise InputPathError("mask file not found", file=path) from None
    except (UnidentifiedImageError, OSError, SyntaxError) as exc:
        raise ParseError(f"not a readable PNG: {exc}", file=path) from None
    raise ParseError(f"unsupported PNG mode {mode!r} for an index map (expected P, L, I;16 or RGB)", file=path)

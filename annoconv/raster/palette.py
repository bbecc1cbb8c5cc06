"""Colour palettes for index-colour PNGs: index -> (r, g, b).

``fastlabel``: the official FastLabel SDK's 58-colour table (``fastlabel.const.COLOR_PALETTE``):
black, then ColorBrewer Set1, Set2, Set3, Paired, Accent and Dark2. It repeats three colours
(indices 5/37, 40/45 and 49/57) and has no entry above 57; annoconv pads it with the VOC colours
so every index of an 8-bit map has a colour (the index, not the colour, carries the class).
``voc``: Pascal VOC's 256-colour bit-interleaved palette (index 255, the void border, is
(224, 224, 192)).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

Color = tuple[int, int, int]

_COLORBREWER: tuple[Color, ...] = (
    # Set1
    (228, 26, 28), (55, 126, 184), (77, 175, 74), (152, 78, 163), (255, 127, 0), (255, 255, 51), (166, 86, 40),
    (247, 129, 191), (153, 153, 153),
    # Set2
    (102, 194, 165), (252, 141, 98), (141, 160, 203), (231, 138, 195), (166, 216, 84), (255, 217, 47),
    (229, 196, 148), (179, 179, 179),
    # Set3
    (141, 211, 199), (255, 255, 179), (190, 186, 218), (251, 128, 114), (128, 177, 211), (253, 180, 98),
    (179, 222, 105), (252, 205, 229), (217, 217, 217), (188, 128, 189), (204, 235, 197), (255, 237, 111),
    # Paired
    (166, 206, 227), (31, 120, 180), (178, 223, 138), (51, 160, 44), (251, 154, 153), (227, 26, 28),
    (253, 191, 111), (255, 127, 0), (202, 178, 214), (106, 61, 154), (255, 255, 153), (177, 89, 40),
    # Accent
    (127, 201, 127), (190, 174, 212), (253, 192, 134), (255, 255, 153), (56, 108, 176), (240, 2, 127),
    (191, 91, 22), (102, 102, 102),
    # Dark2
    (27, 158, 119), (217, 95, 2), (117, 112, 179), (231, 41, 138), (102, 166, 30), (230, 171, 2),
    (166, 118, 29), (102, 102, 102),
)
FASTLABEL_SDK: tuple[Color, ...] = ((0, 0, 0),) + _COLORBREWER  # 58 entries, as in the SDK


def voc_palette(size: int = 256) -> np.ndarray:
    """(size, 3) uint8: the Pascal VOC colour map (bits of the index spread over r, g, b)."""
    index = np.arange(size)
    colors = np.zeros((size, 3), dtype=np.int64)
    for shift in range(8):
        for channel in range(3):
            colors[:, channel] |= ((index >> (3 * shift + channel)) & 1) << (7 - shift)
    return colors.astype(np.uint8)


def fastlabel_palette(size: int = 256) -> np.ndarray:
    """(size, 3) uint8: the FastLabel SDK table, continued with VOC colours beyond its 58 entries."""
    colors = voc_palette(size)
    count = min(size, len(FASTLABEL_SDK))
    colors[:count] = np.array(FASTLABEL_SDK[:count], dtype=np.uint8)
    return colors


def label_palette(colors: Mapping[int, Color | None], size: int = 256, fallback: str = "voc") -> np.ndarray:
    """(size, 3) uint8 palette with the given index -> colour entries over ``fallback``'s."""
    palette = named_palette(fallback, size)
    for index, color in colors.items():
        if color is not None and 0 <= index < size:
            palette[index] = color
    return palette


def named_palette(name: str, size: int = 256) -> np.ndarray:
    if name == "voc":
        return voc_palette(size)
    if name == "fastlabel":
        return fastlabel_palette(size)
    raise ValueError(f"unknown palette {name!r} (known: voc, fastlabel)")


def as_colors(palette: np.ndarray | Sequence[Color]) -> list[Color]:
    return [tuple(int(c) for c in row) for row in np.asarray(palette).reshape(-1, 3)]  # type: ignore[misc]

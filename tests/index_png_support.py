"""Shared helpers of the semantic-png / instance-png tests: a small dataset and PNG writers."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from annoconv import Box, Dataset, ImageRef, Item, Keypoints, Label, LabelSet, Mask, Polygon, Tag
from annoconv.raster.palette import voc_palette

# cat, dog and the declared but unused "unused" get indices 1, 2, 3; person has only keypoints.
CLASS_INDEX = {"cat": 1, "dog": 2, "unused": 3}


def labels() -> LabelSet:
    return LabelSet([Label("cat", id=1, color=(10, 20, 30)), Label("dog", id=2, parent="animal"),
                     Label("person", id=3, keypoints=("nose", "tail")), Label("unused", id=4)])


def crowd_pixels() -> np.ndarray:
    pixels = np.zeros((30, 40), np.uint8)
    pixels[20:26, 30:38] = 1
    return pixels


def dataset() -> Dataset:
    """Three items in subsets and subfolders: boxes (one rotated), a polygon with a hole, a
    multi-region polygon, a crowd mask, overlaps, keypoints (not drawable) and a tag."""
    a = Item("train/a.jpg", ImageRef("train/a.jpg", 40, 30), [
        Box((2, 3, 12, 10), label="cat", id=1),
        Polygon.from_rings([[14, 2], [30, 2], [30, 18], [14, 18]], [[[18, 6], [26, 6], [26, 14], [18, 14]]],
                           label="dog", id=2),
        Box((4, 14, 12, 24), angle=30, label="cat", id=3),
        Mask.from_array(crowd_pixels(), label="dog", id=4, iscrowd=True),
        Keypoints([[5, 5], [6, 6]], [2, 2], label="person", id=5),
        Tag(label="cat", id=6),
    ], subset="train")
    b = Item("b-id", ImageRef("val/sub/b.png", 20, 16), [
        Polygon([[[[1, 1], [8, 1], [8, 8], [1, 8]]], [[[10, 9], [18, 9], [14, 15.5]]]], label="cat", id=10),
        Box((5, 5, 15, 12), label="dog", id=11),
    ], subset="val")
    c = Item("c.jpg", ImageRef("c.jpg", 8, 8))
    return Dataset(labels(), [a, b, c])


def write_png(path: Path, values: np.ndarray, mode: str = "P", palette: np.ndarray | None = None) -> Path:
    """Save ``values`` as a palette ("P"), grey ("L"), 16-bit ("I;16") or RGB PNG with Pillow."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if mode == "P":
        image = Image.fromarray(values.astype(np.uint8))
        image.putpalette((voc_palette() if palette is None else palette).astype(np.uint8).ravel().tolist())
    elif mode == "I;16":
        image = Image.fromarray(values.astype(np.uint16))
    else:
        image = Image.fromarray(values.astype(np.uint8))
        assert image.mode == mode, image.mode
    image.save(path)
    return path

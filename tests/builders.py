"""Small canonical IR datasets for tests: each feature the IR can express, in a few lines."""

from __future__ import annotations

import numpy as np

from annoconv.ir import (Box, Caption, Dataset, ImageRef, Item, Keypoints, Label, LabelSet, Mask, Point, Polygon,
                         Polyline, Tag)

PERSON_KEYPOINTS = ("nose", "left_eye", "right_eye")


def labels() -> LabelSet:
    """cat (id 1), dog (id 3, parent animal), person (id 7, 3 keypoints + skeleton)."""
    return LabelSet([
        Label("cat", id=1, parent="animal"),
        Label("dog", id=3, parent="animal"),
        Label("person", id=7, parent="human", keypoints=PERSON_KEYPOINTS, skeleton=((0, 1), (0, 2))),
    ])


def square_mask(height: int, width: int, x: int, y: int, side: int) -> np.ndarray:
    mask = np.zeros((height, width), dtype=np.uint8)
    mask[y:y + side, x:x + side] = 1
    return mask


def detection_dataset() -> Dataset:
    """Boxes, polygons (one multi-part), a crowd RLE mask, keypoints grouped with a box, a tag,
    an image without annotations, scores and attributes — everything COCO holds natively."""
    a = Item("images/a.jpg", ImageRef("images/a.jpg", 64, 48), [
        Box((10, 12, 50, 40), label="cat", id=1, attributes={"occluded": False, "color": "grey"}),
        Polygon.from_rings([[1, 1], [20, 1], [20, 15], [1, 15]], label="dog", id=2),
        Polygon([[[[30, 30], [40, 30], [40, 40]]], [[[50, 5], [60, 5], [55, 10.5]]]], label="dog", id=3),
        Mask.from_array(square_mask(48, 64, 5, 20, 8), label="cat", id=4, iscrowd=True),
    ])
    b = Item("images/sub/b.png", ImageRef("images/sub/b.png", 32, 32), [
        Box((2, 3, 20, 25), label="person", id=10, group=10, score=0.9),
        Keypoints([[5, 6], [7, 8], [0, 0]], [2, 1, 0], label="person", id=10, group=10, score=0.9),
        Tag(label="cat", id=11),
    ])
    empty = Item("images/empty.jpg", ImageRef("images/empty.jpg", 16, 16))
    return Dataset(labels(), [a, b, empty])


def lossy_dataset() -> Dataset:
    """What COCO cannot hold as it is: a rotated box, a polygon with a hole, a polyline, a point."""
    item = Item("c.jpg", ImageRef("c.jpg", 40, 30), [
        Box((5, 5, 15, 10), angle=30.0, label="cat", id=1),
        Polygon.from_rings([[0, 0], [20, 0], [20, 20], [0, 20]], [[[5, 5], [5, 10], [10, 10], [10, 5]]],
                           label="dog", id=2),
        Polyline([[0, 0], [10, 10], [20, 5]], label="cat", id=3),
        Point([3, 4], label="dog", id=4),
        Caption("a cat and a dog", id=5),
    ])
    return Dataset(labels(), [item])

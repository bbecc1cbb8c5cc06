"""yolo-pose specifics of writing: which shape goes with which keypoints, and the data.yaml keys.

Ultralytics gives every class the same ``kpt_shape`` [K, 3]; K is the largest keypoint count of
the labels and annotations (shorter keypoint lists are padded with unlabelled points). Keypoint
names go to ``kpt_names`` {class index: [names]} (Ultralytics' key), skeletons to ``skeleton``
{class index: [[i, j], ...]} with 0-based indices (annoconv's extension; Ultralytics ignores it).
``flip_idx`` (which keypoint a horizontal flip turns each one into) is the source's when it has
K entries, else derived from left/right names when every class with names shares them; without
it Ultralytics trains without flip augmentation.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from ..ir import Annotation, Box, Dataset, Keypoints, Mask, Polygon
from ._yolo_output import flow

_SHAPES = (Box, Polygon, Mask)
_SIDES = re.compile(r"left|right|Left|Right|LEFT|RIGHT")
_SWAP = {"left": "right", "right": "left", "Left": "Right", "Right": "Left", "LEFT": "RIGHT", "RIGHT": "LEFT"}


def pose_slots(annotations: Sequence[Annotation]) -> list[tuple[Annotation | None, Keypoints | None]]:
    """(shape, keypoints) per pose row, in the order of their first annotation.

    A Keypoints annotation joins the first shape of the same ``group`` and label that has no
    keypoints yet (and the other way round); annotations without a group stand alone.
    """
    slots: list[list[Any]] = []
    open_slots: dict[tuple[Any, Any], list[Any]] = {}
    for ann in annotations:
        if type(ann) not in _SHAPES and type(ann) is not Keypoints:
            continue
        side = 1 if type(ann) is Keypoints else 0
        key = (ann.group, ann.label)
        slot = open_slots.get(key) if ann.group is not None else None
        if slot is None or slot[side] is not None:
            slot = [None, None]
            slots.append(slot)
            if ann.group is not None and key not in open_slots:
                open_slots[key] = slot
        slot[side] = ann
        if slot[0] is not None and slot[1] is not None and open_slots.get(key) is slot:
            del open_slots[key]  # complete: a later member of the group starts a new row
    return [(slot[0], slot[1]) for slot in slots]


def pose_fields(dataset: Dataset, names: list[str], count: int) -> dict[str, Any]:
    """kpt_shape, flip_idx, kpt_names and skeleton for data.yaml."""
    fields: dict[str, Any] = {"kpt_shape": flow([count, 3])}
    keypoint_names: dict[int, list[str]] = {}
    skeletons: dict[int, Any] = {}
    for index, name in enumerate(names):
        label = dataset.labels.get(name)
        if label is None:
            continue
        if label.keypoints:
            keypoint_names[index] = list(label.keypoints) + [f"kpt_{k}" for k in range(len(label.keypoints), count)]
        if label.skeleton:
            skeletons[index] = [flow(edge) for edge in label.skeleton]
    flip = _flip_idx(dataset.extras.get("yolo:flip_idx"), keypoint_names, count)
    if flip is not None:
        fields["flip_idx"] = flow(flip)
    if keypoint_names:
        fields["kpt_names"] = keypoint_names
    if skeletons:
        fields["skeleton"] = skeletons
    return fields


def _flip_idx(source: Any, keypoint_names: dict[int, list[str]], count: int) -> list[int] | None:
    if isinstance(source, list) and len(source) == count and all(
            isinstance(i, int) and 0 <= i < count for i in source):
        return source
    distinct = {tuple(names) for names in keypoint_names.values()}
    if len(distinct) != 1:
        return None
    names = list(distinct.pop())
    position = {name: k for k, name in enumerate(names)}
    swapped = [_SIDES.sub(lambda m: _SWAP[m.group(0)], name) for name in names]
    if swapped == names or any(name not in position for name in swapped):
        return None
    return [position[name] for name in swapped]

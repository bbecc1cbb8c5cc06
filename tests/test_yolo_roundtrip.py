"""Round trips: a YOLO dataset read, written in the same format and read again gives the same IR,
within the rounding (6 decimals of the image size: at most 0.5e-6 * size per coordinate); and what
the writers report is exactly what the capability check predicts."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from test_yolo_support import YOLO_FIXTURES, assert_same_ir, read, write

import annoconv
from annoconv import Box, Dataset, ImageRef, Item, Keypoints, Label, LabelSet, Mask, Polygon, Severity


def tolerance(dataset: Dataset) -> float:
    """The largest move the default rounding can make, in pixels (plus float noise)."""
    largest = max(max(i.image.width or 0, i.image.height or 0) for i in dataset.items)
    return 0.5e-6 * largest * 2 + 1e-9


@pytest.mark.parametrize(("fmt", "case", "options", "same_paths"), [
    ("yolo", "detect", {}, True),
    ("yolo-seg", "seg", {}, False),  # `train: images` is written as images/train
    ("yolo-pose", "pose", {}, True),
    ("yolo-obb", "obb", {}, True),
    ("yolo", "darknet", {"layout": "darknet"}, True),
    ("yolo", "flat", {}, False),  # written in the Ultralytics layout (subset train)
])
def test_round_trip(fmt: str, case: str, options: dict[str, Any], same_paths: bool, tmp_path: Path) -> None:
    source = YOLO_FIXTURES / case
    first, _ = read(fmt, source)
    report = write(first, fmt, tmp_path / "out", copy_images="copy", images_dir=str(source), **options)
    second, _ = read(fmt, tmp_path / "out")
    if case == "flat":  # items without a subset are written to the default split
        for item in first.items:
            item.subset = "train"
    assert_same_ir(first, second, tolerance(first), same_paths=same_paths)
    warnings = {(s.code.value, s.message) for s in report.summary() if s.severity is not Severity.INFO}
    expected = set() if fmt != "yolo-obb" else {  # the exact quadrilateral, written as it is but reported
        ("geometry-converted", "Polygon written as 4 corners: its own if it has 4 vertices, else its "
                               "minimum-area rotated rectangle (yolo-obb)")}
    assert warnings == expected
    assert (tmp_path / "out/data.yaml").exists() or (tmp_path / "out/obj.data").exists()


def test_round_trip_keeps_extras_and_names(tmp_path: Path) -> None:
    first, _ = read("yolo-pose", YOLO_FIXTURES / "pose")
    write(first, "yolo-pose", tmp_path / "out", copy_images="symlink", images_dir=str(YOLO_FIXTURES / "pose"))
    second, _ = read("yolo-pose", tmp_path / "out")
    assert second.extras == first.extras == {"yolo:flip_idx": [1, 0]}
    assert second.labels[0].keypoints == ("left_hand", "right_hand") and second.labels[0].skeleton == ((0, 1),)


def mixed() -> Dataset:
    """Grouped and lone shapes, multi-part polygons with holes, masks, scores, crowd, kinds YOLO lacks."""
    import numpy as np
    mask = np.zeros((40, 60), dtype=np.uint8)
    mask[5:15, 5:15] = 1
    mask[20:30, 30:50] = 1
    mask[23:26, 35:40] = 0
    labels = LabelSet([Label("a", keypoints=("l", "r")), Label("b", color=(1, 2, 3))])
    return Dataset(labels, [Item("x.jpg", ImageRef("x.jpg", 60, 40), [
        Polygon([[[[0, 0], [20, 0], [20, 20], [0, 20]], [[5, 5], [5, 10], [10, 10]]],
                 [[[30, 0], [40, 0], [40, 5]]]], label="a", id=1, group=1, score=0.5),
        Keypoints([[1, 1], [2, 2]], [2, 0], label="a", id=1, group=1, score=0.5),
        Box((1, 2, 3, 4), angle=15, label="b", id=2, attributes={"x": 1}),
        Mask.from_array(mask, label="b", id=3, iscrowd=True),
    ], subset="val")])


@pytest.mark.parametrize(("fmt", "options"), [("yolo", {}), ("yolo-seg", {}), ("yolo-seg", {"multipart": "drop"}),
                                             ("yolo-pose", {}), ("yolo-obb", {}), ("yolo", {"layout": "darknet"})])
def test_predicted_losses_are_recorded(fmt: str, options: dict[str, Any], tmp_path: Path) -> None:
    """Predicted from the Capabilities before writing == recorded by the writer (warnings)."""
    report = annoconv.write(mixed(), fmt, tmp_path / "out", **options)
    predicted = {(s.code, s.message): s.count for s in report.summary(predicted=True)}
    recorded = {(s.code, s.message): s.count for s in report.summary() if s.severity is not Severity.INFO}
    if options.get("layout") == "darknet":  # label parents have no place in obj.names (none here)
        assert not any(s.message.startswith("label parent") for s in report.summary())
    assert predicted == recorded
    assert predicted  # the dataset is lossy for every YOLO format

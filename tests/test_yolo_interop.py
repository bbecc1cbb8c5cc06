"""Every YOLO dataset of the interop corpus (../shared/interop, written by other tools; skipped when
absent): read with the expected content, then written in the same format and read back unchanged;
or, where the dataset is genuinely broken, refused with a clear error.

Broken ones (by design of their source test suites):
- datumaro/roboflow_dataset/yolo: data.yaml says ``val: ../valid/images`` but the folder is ``val/``
  (Ultralytics fails on it too); with on_error=skip the train split is read and the val one reported.
- datumaro/roboflow_dataset/yolo_obb: its labels are DOTA ``labelTxt`` files (pixel corners, class
  name, difficulty), not YOLO-OBB rows; the error says so.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from test_yolo_support import assert_same_ir, issues, read, write

from annoconv import Box, InputPathError, Keypoints, Polygon

# (format, folder, items, rows per item, number of labels)
READABLE = [
    ("yolo", "datumaro-cvat/yolo_dataset/yolov8_detection", 1, [2], 10),
    ("yolo", "datumaro-cvat/yolo_dataset/yolov8_detection_with_list_of_imgs", 1, [2], 10),
    ("yolo", "datumaro-cvat/yolo_dataset/yolov8_detection_with_list_of_names", 1, [2], 10),
    ("yolo", "datumaro-cvat/yolo_dataset/yolov8_detection_with_subset_txt", 1, [2], 10),
    ("yolo-seg", "datumaro-cvat/yolo_dataset/yolov8_segmentation", 1, [2], 10),
    ("yolo-pose", "datumaro-cvat/yolo_dataset/yolov8_pose", 1, [1], 1),
    ("yolo-pose", "datumaro-cvat/yolo_dataset/yolov8_pose_two_values_per_point", 1, [1], 1),
    ("yolo-obb", "datumaro-cvat/yolo_dataset/yolov8_oriented_boxes", 1, [2], 10),
    ("yolo", "datumaro/yolo_dataset/strict", 1, [2], 10),
    ("yolo", "datumaro/yolo_dataset/labels", 2, [2, 2], 10),
    ("yolo", "datumaro/yolo_dataset/annotations", 1, [2], 10),
    ("yolo", "datumaro/kaggle_dataset/relaxed_yolo", 2, [2, 2], 5),
    ("yolo", "labelformat/fixtures/object_detection/YOLOv8", 2, [8, 8], 32),
    ("yolo-seg", "labelformat/fixtures/instance_segmentation/YOLOv8", 2, [2, 1], 4),
]


@pytest.mark.parametrize(("fmt", "folder", "items", "per_item", "labels"), READABLE,
                         ids=[f"{fmt}:{folder}" for fmt, folder, *_ in READABLE])
def test_reads_and_round_trips(interop: Path, tmp_path: Path, fmt: str, folder: str, items: int,
                               per_item: list[int], labels: int) -> None:
    root = interop / folder
    dataset, report = read(fmt, root)
    assert len(dataset.items) == items
    assert [len(item.annotations) for item in dataset.items] == [n * (2 if fmt == "yolo-pose" else 1)
                                                                 for n in per_item]
    assert len(dataset.labels) == labels
    assert all(item.image.width and item.image.height for item in dataset.items)
    assert not [i for i in report.issues if i.severity.value != "info" and i.code.value != "label-unknown"]
    darknet = "strict" in folder
    written = write(dataset, fmt, tmp_path / "out", copy_images="copy", images_dir=str(root),
                    **({"layout": "darknet"} if darknet else {}))
    again, _ = read(fmt, tmp_path / "out")
    # A corner slightly outside the image (-0.0098) is clipped on writing, so that rotated box comes
    # back as a 4-vertex polygon: reported, and left out of the comparison.
    clipped = {(i.item, i.annotation) for i in written.issues if i.code.value == "coordinate-clipped"}
    assert clipped == ({("images/train/1.jpg", 2)} if "oriented" in folder else set())
    for data in (dataset, again):
        for item in data.items:
            item.annotations = [a for a in item.annotations if (item.id, a.id) not in clipped]
    ultralytics_paths = all(item.image.path.startswith(f"images/{item.subset}/") for item in dataset.items)
    for item in dataset.items:  # written into a split folder
        item.subset = item.subset or "train"
    largest = max(max(item.image.width, item.image.height) for item in dataset.items)
    assert_same_ir(dataset, again, 1e-6 * largest + 1e-9, same_paths=ultralytics_paths or darknet)


def test_datumaro_cvat_values(interop: Path) -> None:
    """Datumaro's own expectations for these files (its tests): boxes, a 30-degree rotated box,
    polygons, keypoints."""
    base = interop / "datumaro-cvat/yolo_dataset"
    box = read("yolo", base / "yolov8_detection")[0].items[0].annotations[0]
    np.testing.assert_allclose(box.xyxy, [0, 2, 4, 4], atol=1e-4)  # 15x10 image, 6 decimals
    rotated = read("yolo-obb", base / "yolov8_oriented_boxes")[0].items[0].annotations[0]
    assert isinstance(rotated, Box) and rotated.angle == pytest.approx(30, abs=1e-3)
    np.testing.assert_allclose(rotated.xyxy, [1, 2, 4, 6], atol=1e-4)
    polygon = read("yolo-seg", base / "yolov8_segmentation")[0].items[0].annotations[0]
    assert isinstance(polygon, Polygon)
    np.testing.assert_allclose(polygon.regions[0][0], [[1.5, 1], [6, 1], [6, 5]], atol=1e-9)
    for case, visibility in (("yolov8_pose", [2, 2, 2]), ("yolov8_pose_two_values_per_point", [2, 2, 2])):
        points = read("yolo-pose", base / case)[0].items[0].annotations[1]
        assert isinstance(points, Keypoints) and points.visibility.tolist() == visibility
        np.testing.assert_allclose(points.xy, [[1.5, 2], [4.5, 4], [7.5, 6]], atol=1e-9)


def test_labelformat_names_with_spaces(interop: Path) -> None:
    dataset, _ = read("yolo", interop / "labelformat/fixtures/object_detection/YOLOv8/example.yaml")
    assert dataset.labels.names()[1] == "bicycle with space"
    assert dataset.items[0].id == "images/a-difficult subfolder/a-weird Filename.asdf.jpg"


def test_roboflow_yolo_val_folder_is_missing(interop: Path) -> None:
    root = interop / "datumaro/roboflow_dataset/yolo"
    with pytest.raises(InputPathError, match="key 'val': '../valid/images' does not exist"):
        read("yolo", root)
    dataset, report = read("yolo", root, on_error="skip")
    assert [(i.id, i.subset) for i in dataset.items] == [("train/images/train_001.jpg", "train"),
                                                        ("train/images/train_002.jpg", "train")]
    assert "split 'val' not read" in issues(report, "skipped-content")[0]["message"]


def test_roboflow_obb_is_dota_not_yolo(interop: Path) -> None:
    with pytest.raises(InputPathError, match="DOTA-style labelTxt files, which are not YOLO labels"):
        read("yolo-obb", interop / "datumaro/roboflow_dataset/yolo_obb")

"""Reading the YOLO formats: every layout, the normalized-centre rule, tolerant parsing.

Expected pixel values are worked out by hand from the fixture rows and image sizes
(x * width, y * height; a box row cx cy w h has corners cx -/+ w/2, cy -/+ h/2).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from test_yolo_support import YOLO_FIXTURES, issues, jpeg, one_image, png, read, ultralytics

from annoconv import Box, Keypoints, Polygon


def xyxy(annotation) -> list[float]:
    return annotation.xyxy.tolist()


# --- fixtures, one per layout -------------------------------------------------------------------

@pytest.mark.parametrize("given", ["folder", "yaml"])
def test_ultralytics_detection(given: str) -> None:
    """CRLF, blank and whitespace-only lines, trailing spaces, a UTF-8 class name, an image without a
    label file, an empty label file, nested folders, a stray classes.txt and an orphan label file."""
    root = YOLO_FIXTURES / "detect"
    dataset, report = read("yolo", root if given == "folder" else root / "data.yaml")
    assert dataset.labels.names() == ["cat", "dog", "鳥"]
    assert [label.id for label in dataset.labels] == [0, 1, 2]
    items = {item.id: item for item in dataset.items}
    assert list(items) == ["images/train/a.png", "images/train/n.png", "images/train/sub/b.png", "images/val/c.png"]
    a = items["images/train/a.png"]
    assert (a.image.width, a.image.height, a.subset) == (20, 10, "train")
    assert [(type(x), x.label, x.id, xyxy(x)) for x in a.annotations] == [
        (Box, "cat", 1, [5.0, 3.0, 15.0, 7.0]),     # 0.5*20 -+ 0.25*20, 0.5*10 -+ 0.2*10
        (Box, "dog", 2, [4.0, 1.5, 6.0, 3.5]),
    ]
    assert xyxy(items["images/train/sub/b.png"].annotations[0]) == [0.0, 0.0, 8.0, 16.0]
    assert items["images/train/n.png"].annotations == [] and items["images/val/c.png"].subset == "val"
    assert dataset.extras == {"yolo:data": {"download": "https://example.com/detect.zip"}}
    # The orphan is reported; the stray classes.txt agrees with data.yaml and is not.
    assert [i["detail"]["file"].endswith("orphan.txt") for i in issues(report, "skipped-content")] == [True]
    assert report.stats["items_read"] == 4


def test_segmentation() -> None:
    dataset, report = read("yolo-seg", YOLO_FIXTURES / "seg")  # dataset.yaml, names as a list, `train: images`
    (item,) = dataset.items
    assert (item.image.width, item.image.height, item.subset) == (10, 20, "train")
    triangle, square = item.annotations
    assert isinstance(triangle, Polygon) and triangle.label == "triangle"
    assert triangle.regions[0][0].tolist() == [[1, 2], [5, 2], [5, 10]]
    assert square.regions[0][0].tolist() == [[2, 4], [8, 4], [8, 16], [2, 16]]
    assert not report.issues


def test_pose() -> None:
    dataset, report = read("yolo-pose", YOLO_FIXTURES / "pose")
    (person,) = dataset.labels
    assert person.keypoints == ("left_hand", "right_hand") and person.skeleton == ((0, 1),)
    assert dataset.extras == {"yolo:flip_idx": [1, 0]}
    box, points, box2, points2 = dataset.items[0].annotations
    assert isinstance(box, Box) and isinstance(points, Keypoints)
    assert xyxy(box) == [5, 5, 15, 15] and box.group == points.group == 1
    assert points.xy.tolist() == [[6, 8], [14, 8]] and points.visibility.tolist() == [2, 1]
    assert points2.visibility.tolist() == [0, 2] and box2.group == points2.group == 2
    # val points at the same images: read once, said so
    assert [i["message"] for i in issues(report, "skipped-content")] == [
        "image listed in more than one split: read once, in the first"]


def test_pose_two_values_per_point(tmp_path: Path) -> None:
    """kpt_shape [K, 2]: no visibility column; (0, 0) or a negative coordinate is unlabelled."""
    root = one_image(tmp_path, "0 0.5 0.5 1 1 0.5 0.5 0 0 -0.1 0.3\n", size=(10, 10),
                     yaml="train: images/train\nnames: [p]\nkpt_shape: [3, 2]\n")
    dataset, _ = read("yolo-pose", root)
    points = dataset.items[0].annotations[1]
    assert points.visibility.tolist() == [2, 0, 0]
    assert points.xy.tolist() == [[5, 5], [0, 0], [-1, 3]]
    assert dataset.labels[0].keypoints == ("kpt_0", "kpt_1", "kpt_2")


def test_pose_kpt_shape_option(tmp_path: Path) -> None:
    root = one_image(tmp_path, "0 0.5 0.5 1 1 0.5 0.5 2\n", yaml="train: images/train\nnames: [p]\n")
    dataset, _ = read("yolo-pose", root, kpt_shape="1,3")
    assert dataset.items[0].annotations[1].xy.tolist() == [[10, 5]]


def test_oriented_boxes() -> None:
    """A rectangle starting at its top-right corner (angle 0), a square turned 45 degrees, and a
    quadrilateral that is no rectangle (an exact Polygon, reported as INFO)."""
    dataset, report = read("yolo-obb", YOLO_FIXTURES / "obb")
    upright, turned, quad = dataset.items[0].annotations
    assert xyxy(upright) == [5, 2, 15, 8] and upright.angle == 0.0
    half = 2 * np.sqrt(2)  # corners (10, 1), (14, 5), (10, 9), (6, 5): a square of side 4 * sqrt(2)
    np.testing.assert_allclose(xyxy(turned), [10 - half, 5 - half, 10 + half, 5 + half])
    assert turned.angle == pytest.approx(45.0)
    np.testing.assert_allclose(turned.corners(), [[10, 1], [14, 5], [10, 9], [6, 5]], atol=1e-12)
    assert isinstance(quad, Polygon) and quad.regions[0][0].tolist() == [[2, 1], [6, 1], [7, 5], [1, 5]]
    (info,) = issues(report, "geometry-converted")
    assert info["severity"] == "info" and info["annotation"] == 3 and info["item"] == "images/train/r.png"


def test_darknet_obj_data() -> None:
    """CVAT's YOLO 1.1: obj.data with data/-prefixed paths, a train.txt image list."""
    dataset, report = read("yolo", YOLO_FIXTURES / "darknet")
    (item,) = dataset.items
    assert (item.id, item.subset) == ("obj_train_data/d.png", "train")
    assert xyxy(item.annotations[0]) == [4, 4, 6, 6] and item.annotations[0].label == "dog"
    assert not report.issues
    same, _ = read("yolo", YOLO_FIXTURES / "darknet" / "obj.data")
    assert [i.id for i in same.items] == ["obj_train_data/d.png"]


def test_flat_folder_with_classes_txt() -> None:
    dataset, report = read("yolo", YOLO_FIXTURES / "flat")
    assert dataset.labels.names() == ["cat", "dog"]
    assert [(i.id, i.subset, len(i.annotations)) for i in dataset.items] == [("e.png", None, 1), ("f.png", None, 0)]
    assert not report.issues


# --- behaviours -------------------------------------------------------------------------------------

def test_exif_orientation_gives_the_displayed_size(tmp_path: Path) -> None:
    """A JPEG stored 40x20 with orientation 6 (a quarter turn) is displayed 20x40: rows are fractions of that."""
    jpeg(tmp_path / "images/train/a.jpg", 40, 20, orientation=6)
    ultralytics(tmp_path, {"labels/train/a.txt": "0 0.5 0.5 0.5 0.5\n"}, {})
    dataset, _ = read("yolo", tmp_path)
    item = dataset.items[0]
    assert (item.image.width, item.image.height) == (20, 40)
    assert xyxy(item.annotations[0]) == [5, 10, 15, 30]


def test_no_names_anywhere_names_classes_by_index(tmp_path: Path) -> None:
    png(tmp_path / "1.png", 10, 10)
    (tmp_path / "1.txt").write_text("2 0.5 0.5 0.2 0.2\n")
    dataset, report = read("yolo", tmp_path)
    assert dataset.labels.names() == ["class_0", "class_1", "class_2"]  # indices kept
    assert dataset.items[0].annotations[0].label == "class_2"
    (unknown,) = issues(report, "label-unknown")
    assert unknown["count"] == 3


def test_names_file_option_and_stray_classes_txt(tmp_path: Path) -> None:
    """labelImg puts classes.txt among the label files: used when nothing else names the classes."""
    ultralytics(tmp_path, {"labels/train/a.txt": "1 0.5 0.5 0.2 0.2\n", "labels/train/classes.txt": "x\ny\n"},
                {"images/train/a.png": (10, 10)}, yaml="train: images/train\n")
    dataset, report = read("yolo", tmp_path)
    assert dataset.labels.names() == ["x", "y"] and not report.issues
    names = tmp_path / "names.txt"
    names.write_text("p\nq\n")
    dataset, report = read("yolo", tmp_path, names_file=str(names))
    assert dataset.labels.names() == ["p", "q"]
    assert [i["message"] for i in issues(report, "skipped-content")] == [
        "classes.txt among the label files differs from the class names used: ignored"]


def test_integral_float_class_and_bom(tmp_path: Path) -> None:
    root = one_image(tmp_path, "\ufeff1.0 0.5 0.5 0.5 0.5\n".encode("utf-8"))
    dataset, _ = read("yolo", root)
    assert dataset.items[0].annotations[0].label == "dog"


def test_relative_path_fallbacks(tmp_path: Path) -> None:
    """Roboflow's `train: ../train/images` means train/images; a `path` that is not a folder here
    falls back to the data.yaml folder (reported as INFO)."""
    ultralytics(tmp_path, {"train/labels/a.txt": "0 0.5 0.5 1 1\n"}, {"train/images/a.png": (4, 4)},
                yaml="path: /nowhere/coco8\ntrain: ../train/images\nval: ../train/images\nnames: [cat]\n")
    dataset, report = read("yolo", tmp_path)
    assert [(i.id, i.subset) for i in dataset.items] == [("train/images/a.png", "train")]
    assert "data.yaml 'path' is not a folder here" in issues(report, "skipped-content")[0]["message"]


def test_image_list_file_and_list_of_folders(tmp_path: Path) -> None:
    ultralytics(tmp_path, {"labels/x/a.txt": "0 0.5 0.5 1 1\n", "labels/y/b.txt": "1 0.5 0.5 1 1\n"},
                {"images/x/a.png": (4, 4), "images/y/b.png": (4, 4)},
                yaml="train: [images/x, images/y]\nval: val.txt\nnames: [cat, dog]\n")
    (tmp_path / "val.txt").write_text("./images/y/b.png\nimages/x/a.png\n\nnotes.md\n")
    dataset, report = read("yolo", tmp_path)
    assert [(i.id, i.subset) for i in dataset.items] == [("images/x/a.png", "train"), ("images/y/b.png", "train")]
    messages = [issue.message for issue in report.issues]
    assert messages.count("image listed in more than one split: read once, in the first") == 2
    assert "image list entry is not an image file: not read" in messages


def test_images_without_labels_and_missing_images_with_empty_labels(tmp_path: Path) -> None:
    """A listed image that is missing is kept without a size when its label file has no rows."""
    ultralytics(tmp_path, {"labels/train/gone.txt": ""}, {"images/train/a.png": (4, 4)},
                yaml="train: list.txt\nnames: [cat]\n")
    (tmp_path / "list.txt").write_text("images/train/a.png\nimages/train/gone.png\n")
    dataset, report = read("yolo", tmp_path)
    assert [(i.id, i.image.width) for i in dataset.items] == [("images/train/a.png", 4),
                                                             ("images/train/gone.png", None)]
    assert issues(report, "image-size-missing")[0]["item"] == "images/train/gone.png"


def test_roboflow_split_folders_without_yaml(tmp_path: Path) -> None:
    (tmp_path / "classes.txt").write_text("cat\n")
    for split in ("train", "valid"):
        png(tmp_path / split / "images" / "a.png", 4, 4)
        (tmp_path / split / "labels").mkdir(parents=True)
        (tmp_path / split / "labels" / "a.txt").write_text("0 0.5 0.5 1 1\n")
    dataset, _ = read("yolo", tmp_path)
    assert [(i.id, i.subset) for i in dataset.items] == [("train/images/a.png", "train"),
                                                        ("valid/images/a.png", "valid")]

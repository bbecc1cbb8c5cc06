"""Writing the YOLO formats: rows, rounding and clipping, class order, data.yaml / darknet files,
image placement, and what each format does with what it cannot hold.

Expected rows are worked out by hand: x / width, y / height; a box row is its centre and size.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import yaml
from test_yolo_support import issues, label_file, png, read, write

from annoconv import Box, Code, Dataset, ImageRef, Item, Keypoints, Label, LabelSet, Mask, Polygon
from annoconv.formats._yolo_layout import label_path_for

W, H = 100, 50


def dataset_of(*annotations, labels=("cat", "dog"), size=(W, H), path="a.jpg", subset=None) -> Dataset:
    return Dataset(LabelSet([Label(name) for name in labels]),
                   [Item(path, ImageRef(path, *size), list(annotations), subset=subset)])


def rows(root: Path, rel: str = "labels/train/a.txt") -> list[list[str]]:
    return label_file(root, rel)


def summary(report) -> dict[tuple[str, str], int]:
    """(code, message) -> count, without the rounding note (checked on its own)."""
    return {(s.code.value, s.message): s.count for s in report.summary() if s.code.value != "precision-reduced"}


# --- rows ---------------------------------------------------------------------------------------

def test_box_row_is_centre_and_size(tmp_path: Path) -> None:
    report = write(dataset_of(Box((10, 5, 30, 25), label="dog")), "yolo", tmp_path / "out")
    assert rows(tmp_path / "out") == [["1", "0.2", "0.3", "0.2", "0.4"]]
    assert report.issues == [] and report.stats["annotations_written"] == 1


def test_clipping_counts_the_values(tmp_path: Path) -> None:
    """Corners are clipped first: (-10, 5, 30, 60) -> (0, 5, 30, 50): 2 values moved."""
    report = write(dataset_of(Box((-10, 5, 30, 60), label="cat", id=7)), "yolo", tmp_path / "out")
    assert rows(tmp_path / "out") == [["0", "0.15", "0.55", "0.3", "0.9"]]
    (clip,) = issues(report, "coordinate-clipped")
    assert (clip["count"], clip["annotation"], clip["severity"]) == (2, 7, "warning")


def test_rounding_is_explicit_and_reported(tmp_path: Path) -> None:
    box = Box((100, 100, 200, 200), label="cat")
    report = write(dataset_of(box, size=(300, 300)), "yolo", tmp_path / "six")
    assert rows(tmp_path / "six") == [["0", "0.5", "0.5", "0.333333", "0.333333"]]
    (info,) = issues(report, "precision-reduced")
    assert info["severity"] == "info" and info["count"] == 2
    assert info["detail"]["max_error_px"] == pytest.approx(1e-4, rel=0.01)
    report = write(dataset_of(box, size=(300, 300)), "yolo", tmp_path / "two", decimals=2)
    assert rows(tmp_path / "two") == [["0", "0.5", "0.5", "0.33", "0.33"]]
    (warning,) = issues(report, "precision-reduced")
    assert warning["severity"] == "warning" and warning["message"] == "normalized coordinates rounded to 2 decimals"


def test_every_image_gets_a_label_file(tmp_path: Path) -> None:
    """Without objects (none, or all dropped) the label file is empty."""
    dataset = dataset_of(Box((0, 0, 10, 10), label="cat"))
    dataset.items.append(Item("b.jpg", ImageRef("b.jpg", 4, 4)))
    dataset.items.append(Item("c.jpg", ImageRef("c.jpg"), [Keypoints([[1, 1]], label="cat")]))  # no size needed
    report = write(dataset, "yolo", tmp_path / "out")
    assert (tmp_path / "out/labels/train/b.txt").read_text() == ""
    assert (tmp_path / "out/labels/train/c.txt").read_text() == ""
    assert report.stats["items_written"] == 3


def test_class_order(tmp_path: Path) -> None:
    dataset = dataset_of(Box((0, 0, 10, 10), label="zebra"), Box((0, 0, 10, 10), label="ant"),
                         labels=("zebra", "ant"))
    write(dataset, "yolo", tmp_path / "alpha", class_order="alpha")
    assert [r[0] for r in rows(tmp_path / "alpha")] == ["1", "0"]
    assert yaml.safe_load((tmp_path / "alpha/data.yaml").read_text())["names"] == {0: "ant", 1: "zebra"}
    other = tmp_path / "other.yaml"
    other.write_text("names: {0: bee, 1: zebra, 2: ant}\n")
    report = write(dataset, "yolo", tmp_path / "file", class_order=f"file:{other}")
    assert [r[0] for r in rows(tmp_path / "file")] == ["1", "2"]
    assert yaml.safe_load((tmp_path / "file/data.yaml").read_text())["nc"] == 3
    assert not report.issues


def test_data_yaml(tmp_path: Path) -> None:
    dataset = Dataset(LabelSet([Label("猫", parent="animal"), Label("yes")]), [
        Item(f"{s}.jpg", ImageRef(f"{s}.jpg", 4, 4), [], subset=s) for s in ("train", "val", "test")],
        extras={"yolo:data": {"download": "https://example.com/x.zip", "names": "ignored"}})
    write(dataset, "yolo", tmp_path / "out")
    text = (tmp_path / "out/data.yaml").read_text(encoding="utf-8")
    assert "0: 猫" in text  # UTF-8 as it is, not escaped
    assert yaml.safe_load(text) == {
        "train": "images/train", "val": "images/val", "test": "images/test", "nc": 2,
        "names": {0: "猫", 1: "yes"}, "parents": {0: "animal"}, "download": "https://example.com/x.zip"}
    assert all((tmp_path / "out/images" / s).is_dir() for s in ("train", "val", "test"))  # for the images


def test_missing_val_points_at_train_and_unusual_subsets(tmp_path: Path) -> None:
    dataset = dataset_of(subset="train2017")
    report = write(dataset, "yolo", tmp_path / "out")
    text = (tmp_path / "out/data.yaml").read_text()
    assert "# The source has no 'val' subset: 'val' points at the 'train' images." in text
    assert yaml.safe_load(text)["val"] == yaml.safe_load(text)["train"] == "images/train2017"
    assert (tmp_path / "out/labels/train2017/a.txt").exists()
    assert issues(report, "field-dropped")[0]["detail"] == {"subset": "train2017", "key": "train"}


# --- layouts and images -------------------------------------------------------------------------

def two_subsets() -> Dataset:
    """A YOLO-read-like dataset: images/<split>/... paths, subsets train and val."""
    return Dataset(LabelSet([Label("cat")]), [
        Item("images/train/sub/a.png", ImageRef("images/train/sub/a.png", 4, 4),
             [Box((0, 0, 2, 2), label="cat", id=1)], subset="train"),
        Item("images/val/b.png", ImageRef("images/val/b.png", 4, 4), [], subset="val")])


def test_darknet_layout(tmp_path: Path) -> None:
    write(two_subsets(), "yolo", tmp_path / "out", layout="darknet")
    out = tmp_path / "out"
    assert (out / "obj.data").read_text() == ("classes = 1\ntrain = data/train.txt\nvalid = data/valid.txt\n"
                                             "names = data/obj.names\nbackup = backup/\n")
    assert (out / "obj.names").read_text() == "cat\n"
    assert (out / "train.txt").read_text() == "data/obj_train_data/sub/a.png\n"
    assert (out / "valid.txt").read_text() == "data/obj_valid_data/b.png\n"
    assert rows(out, "obj_train_data/sub/a.txt") == [["0", "0.25", "0.25", "0.5", "0.5"]]
    assert (out / "obj_valid_data/b.txt").read_text() == ""


@pytest.mark.parametrize("mode", ["copy", "symlink"])
def test_copied_or_linked_images_make_a_trainable_dataset(tmp_path: Path, mode: str) -> None:
    """Every image has its label file where Ultralytics looks for it, and the dataset reads back."""
    png(tmp_path / "src/images/train/sub/a.png", 4, 4)
    png(tmp_path / "src/images/val/b.png", 4, 4)
    write(two_subsets(), "yolo", tmp_path / "out", copy_images=mode, images_dir=str(tmp_path / "src"))
    out = tmp_path / "out"
    images = sorted(p for p in (out / "images").rglob("*.png"))
    assert [p.relative_to(out).as_posix() for p in images] == ["images/train/sub/a.png", "images/val/b.png"]
    assert all(label_path_for(image).is_file() for image in images)
    assert images[0].is_symlink() == (mode == "symlink")
    again, report = read("yolo", out)
    assert [(i.id, i.subset, len(i.annotations)) for i in again.items] == [
        ("images/train/sub/a.png", "train", 1), ("images/val/b.png", "val", 0)]
    assert not report.issues


def test_copy_needs_the_source_image(tmp_path: Path) -> None:
    with pytest.raises(Exception, match="image not found \\(needed for copy_images=copy\\)"):
        write(two_subsets(), "yolo", tmp_path / "out", copy_images="copy", images_dir=str(tmp_path))
    assert not (tmp_path / "out").exists()


# --- what each format does with the kinds ---------------------------------------------------------

def test_seg_rows_and_conversions(tmp_path: Path) -> None:
    mask = np.zeros((H, W), dtype=np.uint8)
    mask[10:20, 50:60] = 1
    dataset = dataset_of(
        Polygon.from_rings([[10, 5], [30, 5], [30, 25]], label="cat"),
        Box((0, 0, 50, 25), label="dog"),
        Mask.from_array(mask, label="cat"),
    )
    report = write(dataset, "yolo-seg", tmp_path / "out")
    assert rows(tmp_path / "out") == [
        ["0", "0.1", "0.1", "0.3", "0.1", "0.3", "0.5"],
        ["1", "0", "0", "0.5", "0", "0.5", "0.5", "0", "0.5"],
        ["0", "0.5", "0.2", "0.6", "0.2", "0.6", "0.4", "0.5", "0.4"],
    ]
    assert summary(report) == {
        ("geometry-converted", "Box written as a 4-point polygon (yolo-seg)"): 1,
        ("geometry-converted", "Mask written as a polygon traced from its pixels (parts and holes as for "
                               "polygons) (yolo-seg)"): 1}


def holed_two_part() -> Polygon:
    """A 40x40 square with a 10x10 hole, and a 10x10 square beside it."""
    outer = [[0, 0], [40, 0], [40, 40], [0, 40]]
    hole = [[10, 10], [20, 10], [20, 20], [10, 20]]
    return Polygon([[outer, hole], [[[60, 0], [70, 0], [70, 10], [60, 10]]]], label="cat", id=3)


def test_seg_bridges_holes_and_parts_into_one_ring(tmp_path: Path) -> None:
    report = write(dataset_of(holed_two_part(), size=(100, 100)), "yolo-seg", tmp_path / "out")
    (row,) = rows(tmp_path / "out")
    ring = np.array(row[1:], dtype=float).reshape(-1, 2) * 100
    # exterior, walked into the hole at the closest vertices (10, 10) and back, then to the other part
    # The hole (turned counter-clockwise) joins at the closest vertices (0, 0)-(10, 10), the second part
    # at (40, 0)-(60, 0); each cut is walked there and back.
    assert ring.tolist() == [[0, 0], [10, 10], [10, 20], [20, 20], [20, 10], [10, 10], [0, 0], [40, 0],
                             [60, 0], [70, 0], [70, 10], [60, 10], [60, 0], [40, 0], [40, 40], [0, 40]]
    from annoconv.raster import polygon_mask
    expected = polygon_mask(holed_two_part().regions, 100, 100)
    assert np.array_equal(polygon_mask([[ring]], 100, 100), expected)  # same pixels, even-odd filled
    assert set(summary(report)) >= {
        ("geometry-converted", "Multi-part polygon written as one ring bridged through all parts "
                               "(multipart=bridge) or its largest part (multipart=drop) (yolo-seg)"),
        ("geometry-converted", "Polygon holes written as cuts bridging them into the ring (multipart=bridge) "
                               "or nothing (multipart=drop) (yolo-seg)")}


def test_seg_drop_keeps_the_largest_part(tmp_path: Path) -> None:
    write(dataset_of(holed_two_part(), size=(100, 100)), "yolo-seg", tmp_path / "out", multipart="drop")
    assert rows(tmp_path / "out") == [["0", "0", "0", "0.4", "0", "0.4", "0.4", "0", "0.4"]]


def test_obb_rows(tmp_path: Path) -> None:
    dataset = dataset_of(
        Box((40, 20, 60, 30), angle=30.0, label="cat"),
        Polygon.from_rings([[10, 10], [30, 10], [35, 20], [5, 20]], label="dog"),   # a quadrilateral: as it is
        Polygon.from_rings([[0, 0], [10, 0], [10, 10], [5, 15], [0, 10]], label="dog"),  # -> min-area rectangle
        size=(100, 100))
    report = write(dataset, "yolo-obb", tmp_path / "out")
    first, quad, pentagon = (np.array(r[1:], dtype=float).reshape(4, 2) * 100 for r in rows(tmp_path / "out"))
    np.testing.assert_allclose(first, dataset.items[0].annotations[0].corners(), atol=1e-4)
    assert quad.tolist() == [[10, 10], [30, 10], [35, 20], [5, 20]]
    assert sorted(map(tuple, np.round(pentagon, 4).tolist())) == [(0, 0), (0, 15), (10, 0), (10, 15)]
    assert summary(report) == {("geometry-converted", "Polygon written as 4 corners: its own if it has 4 vertices, "
                                                      "else its minimum-area rotated rectangle (yolo-obb)"): 2,
                               }
    again, _ = read("yolo-obb", _with_image(tmp_path / "out", "a.jpg", 100, 100))
    box = again.items[0].annotations[0]
    # within the rounding: 6 decimals of 100 px move a corner by up to 5e-5 px
    assert box.xyxy.tolist() == pytest.approx([40, 20, 60, 30], abs=2e-4)
    assert box.angle == pytest.approx(30.0, abs=1e-3)


def _with_image(root: Path, name: str, width: int, height: int) -> Path:
    png(root / "images/train" / name, width, height)
    return root


def test_pose_pairs_shapes_and_keypoints_by_group(tmp_path: Path) -> None:
    """COCO-like input: a polygon and keypoints in one group; a lone box; lone keypoints."""
    labels = LabelSet([Label("person", keypoints=("nose", "left_eye", "right_eye"), skeleton=((0, 1), (0, 2)))])
    item = Item("a.jpg", ImageRef("a.jpg", 100, 100), [
        Polygon.from_rings([[10, 10], [30, 10], [30, 50]], label="person", id=1, group=1),
        Keypoints([[20, 20], [15, 15], [25, 15]], [2, 1, 2], label="person", id=1, group=1),
        Box((50, 50, 60, 70), label="person", id=2),
        Keypoints([[80, 80], [90, 90]], [2, 2], label="person", id=3),
    ])
    report = write(Dataset(labels, [item]), "yolo-pose", tmp_path / "out")
    assert rows(tmp_path / "out") == [
        ["0", "0.2", "0.3", "0.2", "0.4", "0.2", "0.2", "2", "0.15", "0.15", "1", "0.25", "0.15", "2"],
        ["0", "0.55", "0.6", "0.1", "0.2", "0", "0", "0", "0", "0", "0", "0", "0", "0"],
        ["0", "0.85", "0.85", "0.1", "0.1", "0.8", "0.8", "2", "0.9", "0.9", "2", "0", "0", "0"],
    ]
    data = yaml.safe_load((tmp_path / "out/data.yaml").read_text())
    assert data["kpt_shape"] == [3, 3] and data["flip_idx"] == [0, 2, 1]
    assert data["kpt_names"] == {0: ["nose", "left_eye", "right_eye"]} and data["skeleton"] == {0: [[0, 1], [0, 2]]}
    assert summary(report) == {
        ("geometry-converted", "Polygon written as its bounding box (the pose box) (yolo-pose)"): 1,
        ("geometry-converted", "pose row of a shape without keypoints written with unlabelled keypoints"): 1,
        ("geometry-converted", "pose box taken from the extent of the labelled keypoints (no box in the "
                               "source)"): 1,
        ("id-reassigned", "annotation ids not written: yolo-pose has no place for them"): 4}
    assert {i["severity"] for i in issues(report, "geometry-converted") if i["message"].startswith("pose")} == {"info"}


def test_detection_from_masks_and_rotated_boxes(tmp_path: Path) -> None:
    mask = np.zeros((H, W), dtype=np.uint8)
    mask[10:20, 50:70] = 1
    dataset = dataset_of(Mask.from_array(mask, label="cat"), Box((40, 20, 60, 30), angle=90, label="dog"),
                         Mask.from_array(np.zeros((H, W), dtype=np.uint8), label="cat", id=9))
    report = write(dataset, "yolo", tmp_path / "out")
    assert rows(tmp_path / "out") == [["0", "0.6", "0.3", "0.2", "0.2"], ["1", "0.5", "0.5", "0.1", "0.4"]]
    assert summary(report) == {
        ("geometry-converted", "Mask written as its bounding box (yolo)"): 2,
        ("geometry-converted", "Rotated box written as its axis-aligned bounding box (yolo)"): 1,
        ("geometry-converted", "empty mask (no foreground pixel) dropped"): 1,
        ("id-reassigned", "annotation ids not written: yolo has no place for them"): 1}


@pytest.mark.parametrize("fmt, row", [
    ("yolo", ["1", "0.2", "0.3", "0.2", "0.4"]),  # the box
    ("yolo-obb", ["1", "0.1", "0.1", "0.3", "0.1", "0.3", "0.5", "0.1", "0.5"]),  # the box's corners
    ("yolo-seg", ["1", "0.15", "0.2", "0.25", "0.2", "0.25", "0.4", "0.15", "0.4"]),  # the outline
])
def test_an_object_given_as_box_and_outline_is_one_row(tmp_path: Path, fmt: str, row: list[str]) -> None:
    """A Box and a Polygon of one group and label (one object, as a VOC object with its mask is read)
    are one row, not two; an ungrouped box next to it stays a row of its own."""
    outline = Polygon([[[[15, 10], [25, 10], [25, 20], [15, 20]]]], label="dog", group=3)
    write(dataset_of(Box((10, 5, 30, 25), label="dog", group=3), outline, Box((0, 0, 10, 10), label="cat")),
          fmt, tmp_path / "out")
    written = rows(tmp_path / "out")
    assert len(written) == 2 and written[0] == row and written[1][0] == "0"


def test_pose_object_given_as_box_and_outline_is_one_row(tmp_path: Path) -> None:
    """A VOC object read with its mask (a Box and a Mask/Polygon of one group and label) and its
    keypoints: one pose row, the box as the pose box; an object split over two boxes is reported."""
    labels = LabelSet([Label("person", keypoints=("a", "b"))])
    item = Item("a.jpg", ImageRef("a.jpg", 100, 100), [
        Box((10, 10, 30, 50), label="person", group=1),
        Polygon.from_rings([[12, 12], [28, 12], [28, 48]], label="person", group=1),
        Keypoints([[20, 20], [25, 25]], [2, 2], label="person", group=1),
        Box((60, 60, 70, 70), label="person", group=2), Box((75, 60, 90, 70), label="person", group=2)])
    report = write(Dataset(labels, [item]), "yolo-pose", tmp_path / "out")
    assert [row[:5] for row in rows(tmp_path / "out")] == [
        ["0", "0.2", "0.3", "0.2", "0.4"], ["0", "0.65", "0.65", "0.1", "0.1"], ["0", "0.825", "0.65", "0.15", "0.1"]]
    assert [(i.code, i.count) for i in report if i.message.startswith("group of annotations")] == [
        (Code.FIELD_DROPPED, 1)]

"""Bad YOLO input: the right AnnoconvError subclass (also the builtin a caller would catch), naming
the file, the line and field (or data.yaml key) and the item; nothing written; on_error=skip reads
the rest and reports what it skipped."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from test_yolo_support import issues, one_image, read, ultralytics

import annoconv
from annoconv import AnnoconvError, InputPathError, OptionError, ParseError, SchemaError

ITEM = "images/train/a.png"


def error_of(fmt: str, path: Path, cls: type[AnnoconvError], builtin: type[BaseException],
             **options: Any) -> AnnoconvError:
    with pytest.raises(cls) as info:
        annoconv.read(fmt, path, **options)
    assert isinstance(info.value, builtin)
    return info.value


def assert_row_error(error: AnnoconvError, root: Path, location: str, *fragments: str) -> None:
    label = root / "labels/train/a.txt"
    assert error.file == str(label) and error.location == location and error.item == ITEM, error
    message = str(error)
    assert message.startswith(f"{label}: {location} ({ITEM}): "), message
    for fragment in fragments:
        assert fragment in message, message


@pytest.mark.parametrize(("fmt", "row", "location", "fragments"), [
    ("yolo", "0 0.5 abc 0.2 0.2", "line 1, field 3", ["expected a number, got 'abc'"]),
    ("yolo", "0 0.5 0.5 nan 0.2", "line 1, field 4", ["expected a finite number, got 'nan'"]),
    ("yolo", "0 0.5 0.5 0.2", "line 1", ["expected 5 fields (class x_center y_center width height), got 4"]),
    ("yolo", "0 0.1 0.1 0.2 0.1 0.2 0.2", "line 1", ["got 7", "a polygon? read it as yolo-seg"]),
    ("yolo", "0 1 1 2 1 2 2 1 2", "line 1", ["got 9", "an oriented box? read it as yolo-obb"]),
    ("yolo", "7 0.5 0.5 0.2 0.2", "line 1, field 1", ["class index 7 is not in the class names (indices 0..1"]),
    ("yolo", "-1 0.5 0.5 0.2 0.2", "line 1, field 1", ["class index must be a non-negative integer, got '-1'"]),
    ("yolo", "cat 0.5 0.5 0.2 0.2", "line 1, field 1", ["got 'cat'"]),
    ("yolo", "0.5 0.5 0.5 0.2 0.2", "line 1, field 1", ["got '0.5'"]),
    ("yolo", "0 0.5 0.5 -0.2 0.2", "line 1, field 4", ["negative box width -0.2"]),
    ("yolo-seg", "0 0.1 0.1 0.2 0.1", "line 1", ["at least 7", "got 5", "a box? read it as yolo"]),
    ("yolo-seg", "0 0.1 0.1 0.2 0.1 0.2 0.2 0.3", "line 1", ["an odd number of fields", "got 8"]),
    ("yolo-obb", "0 0.1 0.1 0.2 0.1 0.2", "line 1", ["expected 9 fields", "got 6"]),
])
def test_bad_rows(tmp_path: Path, fmt: str, row: str, location: str, fragments: list[str]) -> None:
    root = one_image(tmp_path, f"  \r\n{row}\r\n")  # the row is on line 2
    error = error_of(fmt, root, SchemaError, ValueError)
    assert_row_error(error, root, location.replace("line 1", "line 2"), *fragments)


def test_bad_pose_rows(tmp_path: Path) -> None:
    yaml = "train: images/train\nnames: [p]\nkpt_shape: [2, 3]\n"
    root = one_image(tmp_path, "0 0.5 0.5 1 1 0.1 0.1 2 0.2 0.2 3\n", yaml=yaml)
    assert_row_error(error_of("yolo-pose", root, SchemaError, ValueError), root, "line 1, field 11",
                     "keypoint 1 visibility must be 0, 1 or 2, got 3")
    root = one_image(tmp_path / "b", "0 0.5 0.5 1 1 0.1 0.1 2\n", yaml=yaml)
    assert_row_error(error_of("yolo-pose", root, SchemaError, ValueError), root, "line 1",
                     "expected 11 fields (class, box, 2 keypoints of 3 values: kpt_shape [2, 3]), got 8")


def test_pose_needs_kpt_shape(tmp_path: Path) -> None:
    root = one_image(tmp_path, "0 0.5 0.5 1 1 0.1 0.1 2\n")
    error = error_of("yolo-pose", root, SchemaError, ValueError)
    assert error.file == str(root / "data.yaml") and error.location == "key 'kpt_shape'"
    assert "give the kpt_shape option" in str(error)


def test_not_utf8_label_file(tmp_path: Path) -> None:
    root = one_image(tmp_path, b"0 0.5 0.5 0.1 0.1 \xff\n")
    error = error_of("yolo", root, ParseError, ValueError)
    assert error.file == str(root / "labels/train/a.txt") and "not UTF-8" in str(error)


@pytest.mark.parametrize(("yaml", "cls", "location", "fragment"), [
    ("train: [images/train\nnames: {0: a", ParseError, "line 2, column 6", "malformed YAML: expected ',' or ']'"),
    ("- train\n- val\n", SchemaError, None, "expected a mapping with 'train', 'val' and 'names' keys, got a list"),
    ("train: images/train\nnames: cat\n", SchemaError, "key 'names'", "expected a list of names or a mapping"),
    ("train: images/train\nnames: [a, b]\nnc: 3\n", SchemaError, "key 'nc'", "'nc: 3' but 'names' has 2 entries"),
    ("train: images/train\nnames: [a, a]\n", SchemaError, "key 'names'[1]", "duplicate class name 'a'"),
    ("train: images/train\nnames: {x: a}\n", SchemaError, "key 'names'.x", "class index must be a non-negative"),
    ("train: 3\nnames: [a]\n", SchemaError, "key 'train'", "expected a path (string), got a number"),
    ("names: [a]\n", SchemaError, "key 'train'", "no 'train', 'val' or 'test' key"),
    ("train: images/nowhere\nnames: [a]\n", InputPathError, "key 'train'", "'images/nowhere' does not exist"),
])
def test_bad_data_yaml(tmp_path: Path, yaml: str, cls: type[AnnoconvError], location: str | None,
                       fragment: str) -> None:
    root = one_image(tmp_path, "0 0.5 0.5 0.1 0.1\n", yaml=yaml)
    error = error_of("yolo", root, cls, ValueError if cls is not InputPathError else OSError)
    assert error.file == str(root / "data.yaml") and error.location == location, error
    assert fragment in str(error)


def test_missing_labels_folder(tmp_path: Path) -> None:
    ultralytics(tmp_path, {}, {"images/train/a.png": (4, 4)})
    error = error_of("yolo", tmp_path, InputPathError, OSError)
    assert str(error) == (f"{tmp_path / 'data.yaml'}: key 'train': no labels folder 'labels/train' for the images "
                          f"in 'images/train'")
    dataset, report = read("yolo", tmp_path, on_error="skip")  # kept without annotations, said so
    assert [i.id for i in dataset.items] == [ITEM]
    assert issues(report, "skipped-content")[0]["severity"] == "error"


def test_missing_image_with_rows(tmp_path: Path) -> None:
    ultralytics(tmp_path, {"labels/train/gone.txt": "0 0.5 0.5 1 1\n", "labels/train/a.txt": "0 0.5 0.5 1 1\n"},
                {"images/train/a.png": (4, 4)}, yaml="train: list.txt\nnames: [cat]\n")
    (tmp_path / "list.txt").write_text("images/train/gone.png\nimages/train/a.png\n")
    error = error_of("yolo", tmp_path, InputPathError, OSError)
    assert error.file == str(tmp_path / "labels/train/gone.txt") and error.item == "images/train/gone.png"
    assert "cannot get the size of the image" in str(error) and "image file not found" in str(error)
    dataset, report = read("yolo", tmp_path, on_error="skip")
    assert [i.id for i in dataset.items] == ["images/train/a.png"]
    assert issues(report, "item-skipped")[0]["item"] == "images/train/gone.png"


def test_skip_bad_rows_reads_the_rest(tmp_path: Path) -> None:
    root = one_image(tmp_path, "0 0.5 0.5 0.1 0.1\n9 0.5 0.5 0.1 0.1\n1 0.5 0.5 x 0.1\n1 0.5 0.5 0.2 0.2\n")
    dataset, report = read("yolo", root, on_error="skip")
    assert [(a.label, a.id) for a in dataset.items[0].annotations] == [("cat", 1), ("dog", 2)]
    skipped = issues(report, "annotation-skipped")
    assert [s["detail"]["error"].split(": ")[1] for s in skipped] == [f"line 2, field 1 ({ITEM})",
                                                                       f"line 3, field 4 ({ITEM})"]


@pytest.mark.parametrize("make", ["missing", "json", "several-yaml", "empty"])
def test_bad_input_paths(tmp_path: Path, make: str) -> None:
    target = tmp_path / "in"
    if make == "json":
        target = tmp_path / "in.json"
        target.write_text("{}")
    elif make == "several-yaml":
        target.mkdir()
        (target / "a.yaml").write_text("train: x\n")
        (target / "b.yaml").write_text("train: x\n")
    elif make == "empty":
        target.mkdir()
        (target / "labels").mkdir()
        (target / "labels" / "x.txt").write_text("0 0.5 0.5 1 1\n")
    error = error_of("yolo", target, InputPathError, OSError)
    assert error.file == str(target)
    assert {"missing": "no such file or folder", "json": "expected a YOLO dataset folder",
            "several-yaml": "several YAML files (a.yaml, b.yaml)", "empty": "no images found"}[make] in str(error)


def test_a_bad_input_writes_nothing(tmp_path: Path) -> None:
    root = one_image(tmp_path / "in", "0 0.5 0.5 0.1 0.1\n0 0.5\n")
    out = tmp_path / "out"
    with pytest.raises(SchemaError):
        annoconv.convert("yolo", "coco", root, out / "x.json")
    with pytest.raises(SchemaError):
        annoconv.convert("yolo", "yolo", root, out)
    assert not out.exists()


# --- writing ------------------------------------------------------------------------------------

def test_bad_write_options(tmp_path: Path) -> None:
    dataset, _ = read("yolo", one_image(tmp_path / "in", "0 0.5 0.5 0.1 0.1\n"))
    for options, fragment in [({"decimals": 0}, "decimals"), ({"class_order": "size"}, "class_order"),
                              ({"copy_images": "move"}, "expected one of none, copy, symlink"),
                              ({"copy_images": "copy"}, "needs images_dir"),
                              ({"class_order": f"file:{tmp_path / 'none.txt'}"}, "is not a file"),
                              ({"layout": "darknet"}, "has no write option 'layout'")]:
        fmt = "yolo-seg" if "layout" in options else "yolo"
        with pytest.raises(OptionError, match=fragment):
            annoconv.write(dataset, fmt, tmp_path / "out", **options)
        assert not (tmp_path / "out").exists()


def test_class_order_file_must_hold_every_used_label(tmp_path: Path) -> None:
    dataset, _ = read("yolo", one_image(tmp_path / "in", "1 0.5 0.5 0.1 0.1\n"))
    order = tmp_path / "order.txt"
    order.write_text("cat\n")
    with pytest.raises(OptionError, match="has no class 'dog' \\(used by the dataset\\)"):
        annoconv.write(dataset, "yolo", tmp_path / "out", class_order=f"file:{order}")


def test_unknown_image_size(tmp_path: Path) -> None:
    dataset, _ = read("yolo", one_image(tmp_path / "in", "1 0.5 0.5 0.1 0.1\n"))
    dataset.items[0].image.width = None
    with pytest.raises(SchemaError, match="image size unknown: the item has no width/height"):
        annoconv.write(dataset, "yolo", tmp_path / "out")
    assert not (tmp_path / "out").exists()
    with pytest.raises(InputPathError, match="image file not found"):
        annoconv.write(dataset, "yolo", tmp_path / "out", images_dir=str(tmp_path))
    report = annoconv.write(dataset, "yolo", tmp_path / "out", on_error="skip")
    assert issues(report, "image-size-missing")[0]["item"] == ITEM
    assert not (tmp_path / "out/labels/train/a.txt").exists()
    # found under images_dir: read from the header
    report = annoconv.write(dataset, "yolo", tmp_path / "out2", images_dir=str(tmp_path / "in"))
    assert (tmp_path / "out2/labels/train/a.txt").read_text() == "1 0.5 0.5 0.1 0.1\n"


def test_two_images_with_one_label_file(tmp_path: Path) -> None:
    dataset, _ = read("yolo", one_image(tmp_path / "in", "1 0.5 0.5 0.1 0.1\n"))
    twin = dataset.items[0]
    dataset.items.append(type(twin)("images/train/a.jpg", type(twin.image)("images/train/a.jpg", 4, 4),
                                    subset="train"))
    with pytest.raises(SchemaError, match="labels/train/a.txt is also the label file of item 'images/train/a.png'"):
        annoconv.write(dataset, "yolo", tmp_path / "out")
    report = annoconv.write(dataset, "yolo", tmp_path / "out", on_error="skip")
    assert issues(report, "item-skipped")[0]["item"] == "images/train/a.jpg"


def test_a_bad_row_among_many_files_is_found_where_it_is(tmp_path: Path) -> None:
    """Detection rows of many files are parsed together; one bad row sends the files back to the
    row-by-row path: the error names its file and line, and under on_error=skip the other rows of
    every file are read, ids numbered per file."""
    good = "0 0.5 0.5 0.1 0.1\n1 0.5 0.5 0.2 0.2\n"
    labels = {f"labels/train/{name}.txt": good for name in "abde"}
    labels["labels/train/c.txt"] = "0 0.5 0.5 0.1 0.1\n1 0.5 0.5 x 0.1\n"
    root = ultralytics(tmp_path, labels, {f"images/train/{name}.png": (20, 10) for name in "abcde"})
    error = error_of("yolo", root, SchemaError, ValueError)
    assert error.file == str(root / "labels/train/c.txt") and error.location == "line 2, field 4"
    dataset, report = read("yolo", root, on_error="skip")
    assert [[a.id for a in item.annotations] for item in dataset.items] == [[1, 2], [1, 2], [1], [1, 2], [1, 2]]
    assert len(issues(report, "annotation-skipped")) == 1

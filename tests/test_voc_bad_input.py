"""Pascal VOC bad input: every malformed or inconsistent file is refused with the right
AnnoconvError subclass (also the builtin a caller would catch), naming the file, the place (line
and column, or the element's XPath and line) and the item; nothing is written. With
``on_error="skip"`` a bad file or object is skipped, reported, and the rest is read.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import annoconv
from annoconv import (AnnoconvError, Code, Dataset, ImageRef, InputPathError, Item, Label, LabelSet, ParseError,
                      Report, SchemaError, WriteError)

OBJECT = "<object><name>cat</name><bndbox><xmin>1</xmin><ymin>1</ymin><xmax>4</xmax><ymax>4</ymax></bndbox></object>"
GOOD = f"<annotation><filename>a.jpg</filename><size><width>9</width><height>9</height></size>{OBJECT}</annotation>"


def dataset_dir(tmp_path: Path, files: dict[str, str]) -> Path:
    """A VOC root under tmp_path/in with ``files`` (paths relative to it)."""
    root = tmp_path / "in"
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")
    return root


def read_error(path: Path, cls: type[AnnoconvError], builtin: type[BaseException], file: Path,
               **options: Any) -> AnnoconvError:
    with pytest.raises(cls) as info:
        annoconv.read("voc", path, **options)
    error = info.value
    assert isinstance(error, builtin) and isinstance(error, AnnoconvError)
    assert error.file == str(file) and str(file) in str(error), str(error)
    return error


def bad_file(tmp_path: Path, text: str) -> tuple[Path, Path]:
    root = dataset_dir(tmp_path, {"Annotations/x.xml": text})
    return root, root / "Annotations" / "x.xml"


# --- malformed XML: line and column -------------------------------------------------------------

@pytest.mark.parametrize("text, location", [
    pytest.param("<annotation>\n  <filename>a.jpg</filename>\n  <object><name>cat", "line 3, column 20",
                 id="truncated"),
    pytest.param("<annotation>\n<size><width>1</width></sise>\n</annotation>", "line 2, column 30",
                 id="mismatched-tag"),
    pytest.param("<annotation><a>&undefined;</a></annotation>", "line 1, column 27", id="undefined-entity"),
    pytest.param("not xml at all", "line 1, column 1", id="not-xml"),
])
def test_malformed_xml_names_line_and_column(tmp_path: Path, text: str, location: str) -> None:
    root, path = bad_file(tmp_path, text)
    error = read_error(root, ParseError, ValueError, path)
    assert error.location == location, str(error)
    assert "malformed XML" in str(error)


def test_empty_file(tmp_path: Path) -> None:
    root, path = bad_file(tmp_path, "  \n")
    assert "empty" in str(read_error(root, ParseError, ValueError, path))


def test_external_entities_are_not_resolved(tmp_path: Path) -> None:
    """XXE: a SYSTEM entity is neither loaded nor expanded (the element stays empty)."""
    secret = tmp_path / "secret.txt"
    secret.write_text("s3cret")
    text = (f'<!DOCTYPE a [<!ENTITY x SYSTEM "file://{secret}">]><annotation><filename>a.jpg</filename>'
            f'<size><width>9</width><height>9</height></size><note>&x;</note></annotation>')
    root, _ = bad_file(tmp_path, text)
    dataset = annoconv.read("voc", root)
    assert "s3cret" not in str(dataset.items[0].extras)


# --- schema errors: element path and line ------------------------------------------------------

def _object(bndbox: str, extra: str = "") -> str:
    return (f"<annotation>\n<filename>a.jpg</filename>\n{OBJECT}\n<object>\n<name>dog</name>\n{extra}"
            f"<bndbox>\n{bndbox}\n</bndbox>\n</object>\n</annotation>")


@pytest.mark.parametrize("text, location, problem", [
    pytest.param(_object("<xmin>abc</xmin><ymin>1</ymin><xmax>2</xmax><ymax>2</ymax>"),
                 "/annotation/object[2]/bndbox/xmin (line 7)", "<xmin> must be a number, got 'abc'", id="non-numeric"),
    pytest.param(_object("<xmin>1</xmin><ymin>nan</ymin><xmax>2</xmax><ymax>2</ymax>"),
                 "/annotation/object[2]/bndbox/ymin (line 7)", "finite", id="nan"),
    pytest.param(_object("<xmin>1</xmin><ymin>1</ymin><xmax></xmax><ymax>2</ymax>"),
                 "/annotation/object[2]/bndbox/xmax (line 7)", "<xmax> is empty", id="empty-value"),
    pytest.param(_object("<xmin>1</xmin><ymin>1</ymin><ymax>2</ymax>"),
                 "/annotation/object[2]/bndbox (line 6)", "missing <xmax>", id="missing-xmax"),
    pytest.param(_object("<xmin>1</xmin><xmin>2</xmin><ymin>1</ymin><xmax>2</xmax><ymax>2</ymax>"),
                 "/annotation/object[2]/bndbox/xmin[2] (line 7)", "more than one <xmin>", id="duplicate-xmin"),
    pytest.param(_object("<xmin>5</xmin><ymin>1</ymin><xmax>2</xmax><ymax>2</ymax>"),
                 "/annotation/object[2]/bndbox (line 6)", "xmax < xmin - 1", id="inverted"),
    pytest.param("<annotation><filename>a.jpg</filename><object><name>cat</name></object></annotation>",
                 "/annotation/object (line 1)", "<object> has no <bndbox>", id="missing-bndbox"),
    pytest.param("<annotation><object><bndbox><xmin>1</xmin><ymin>1</ymin><xmax>2</xmax><ymax>2</ymax></bndbox>"
                 "</object></annotation>", "/annotation/object (line 1)", "has no <name>", id="missing-name"),
    pytest.param("<annotation><object><name> </name></object></annotation>", "/annotation/object/name (line 1)",
                 "<name> is empty", id="empty-name"),
    pytest.param("<annotation><object><name>a</name><part><name>h</name></part><bndbox><xmin>1</xmin><ymin>1</ymin>"
                 "<xmax>2</xmax><ymax>2</ymax></bndbox></object></annotation>",
                 "/annotation/object/part (line 1)", "<part> has no <bndbox>", id="part-without-bndbox"),
    pytest.param(_object("<xmin>1</xmin><ymin>1</ymin><xmax>2</xmax><ymax>2</ymax>", "<pose>Left</pose><pose>Rear"
                                                                                   "</pose>\n"),
                 "/annotation/object[2]/pose[2] (line 6)", "more than one <pose>", id="duplicate-pose"),
    pytest.param(_object("<xmin>1</xmin><ymin>1</ymin><xmax>2</xmax><ymax>2</ymax>",
                         "<pose>Left</pose><attributes><attribute><name>pose</name><value>x</value></attribute>"
                         "</attributes>\n"),
                 "/annotation/object[2]/attributes (line 6)", "'pose' is given both", id="attribute-clash"),
    pytest.param(_object("<xmin>1</xmin><ymin>1</ymin><xmax>2</xmax><ymax>2</ymax>",
                         "<attributes><attribute><value>x</value></attribute></attributes>\n"),
                 "/annotation/object[2]/attributes/attribute (line 6)", "without a <name>", id="attribute-no-name"),
])
def test_bad_object(tmp_path: Path, text: str, location: str, problem: str) -> None:
    root, path = bad_file(tmp_path, text)
    error = read_error(root, SchemaError, ValueError, path)
    assert error.location == location, str(error)
    assert problem in error.problem, str(error)
    assert error.item == "x" and "(x)" in str(error)


@pytest.mark.parametrize("text, location, problem", [
    pytest.param("<annotations/>", "/annotations (line 1)", "root element is <annotations>", id="wrong-root"),
    pytest.param("<annotation><filename>a</filename><filename>b</filename></annotation>",
                 "/annotation/filename[2] (line 1)", "more than one <filename>", id="two-filenames"),
    pytest.param("<annotation><size><width>wide</width><height>9</height></size></annotation>",
                 "/annotation/size/width (line 1)", "must be a number", id="width-text"),
    pytest.param("<annotation><size><width>-3</width><height>9</height></size></annotation>",
                 "/annotation/size/width (line 1)", "whole number of pixels", id="negative-width"),
    pytest.param("<annotation><size><width>9.5</width><height>9</height></size></annotation>",
                 "/annotation/size/width (line 1)", "whole number of pixels", id="fractional-width"),
])
def test_bad_file(tmp_path: Path, text: str, location: str, problem: str) -> None:
    root, path = bad_file(tmp_path, text)
    error = read_error(root, SchemaError, ValueError, path)
    assert error.location == location, str(error)
    assert problem in error.problem, str(error)


# --- dataset-level files -----------------------------------------------------------------------

@pytest.mark.parametrize("labelmap, location, problem", [
    pytest.param("# c\ncat:1,2::\n", "line 2", "colour must be r,g,b", id="two-channels"),
    pytest.param("cat:1,2,300::\n", "line 1", "colour must be r,g,b", id="out-of-range"),
    pytest.param("cat:::\ndog:::\ncat:::\n", "line 3", "'cat' is defined twice", id="duplicate"),
    pytest.param(":1,2,3::\n", "line 1", "empty label name", id="no-name"),
])
def test_bad_labelmap(tmp_path: Path, labelmap: str, location: str, problem: str) -> None:
    root = dataset_dir(tmp_path, {"Annotations/a.xml": GOOD, "labelmap.txt": labelmap})
    error = read_error(root, SchemaError, ValueError, root / "labelmap.txt")
    assert error.location == location and problem in error.problem, str(error)


def test_bad_class_list_line(tmp_path: Path) -> None:
    root = dataset_dir(tmp_path, {"Annotations/a.xml": GOOD, "ImageSets/Main/train.txt": "a\n",
                                  "ImageSets/Main/cat_train.txt": "a  1\nb  2\n"})
    path = root / "ImageSets" / "Main" / "cat_train.txt"
    error = read_error(root, SchemaError, ValueError, path)
    assert error.location == "line 2" and "<1|0|-1>" in error.problem
    report = Report()
    dataset = annoconv.read("voc", root, report=report, on_error="skip")
    assert [item.id for item in dataset.items] == ["a"]
    assert [(i.code, i.detail["error"]) for i in report] == [(Code.SKIPPED_CONTENT, str(error))]


def test_not_a_dataset(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    (tmp_path / "notes.txt").write_text("x")
    for path in (tmp_path / "missing", tmp_path / "empty", tmp_path / "notes.txt"):
        error = read_error(path, InputPathError, OSError, path)
        assert "VOC" in error.problem


def test_a_folder_without_annotations_or_segmentation_pngs_is_refused(tmp_path: Path) -> None:
    (tmp_path / "SegmentationClass").mkdir()
    error = read_error(tmp_path, InputPathError, OSError, tmp_path)
    assert "segmentation PNGs" in error.problem


# --- the per-file policy -------------------------------------------------------------------------

SKIP_FILES = {
    "Annotations/a.xml": GOOD,
    "Annotations/b.xml": "<annotation><filename>b.jpg</filename><object>",
    "Annotations/c.xml": GOOD.replace("<xmin>1</xmin>", "<xmin>?</xmin>").replace(
        "</annotation>", OBJECT.replace("cat", "dog") + "</annotation>"),
}


def test_fail_is_the_default(tmp_path: Path) -> None:
    root = dataset_dir(tmp_path, SKIP_FILES)
    read_error(root, ParseError, ValueError, root / "Annotations" / "b.xml")


def test_skip_reads_the_rest_and_reports(tmp_path: Path) -> None:
    """on_error=skip: the malformed file is skipped (item-skipped), the bad object too
    (annotation-skipped), every other file and object is read."""
    root = dataset_dir(tmp_path, SKIP_FILES)
    report = Report()
    dataset = annoconv.read("voc", root, report=report, on_error="skip")
    assert [(item.id, [a.label for a in item.annotations]) for item in dataset.items] == [
        ("a", ["cat"]), ("c", ["dog"])]
    assert [(i.code, i.item, i.annotation) for i in report] == [
        (Code.ITEM_SKIPPED, "b", None), (Code.ANNOTATION_SKIPPED, "c", 1)]
    assert all(str(root / "Annotations") in i.detail["error"] for i in report)
    assert "/annotation/object[1]/bndbox/xmin (line 1)" in report.issues[1].detail["error"]
    assert [label.name for label in dataset.labels] == ["cat", "dog"]


def test_nothing_written_on_bad_input(tmp_path: Path) -> None:
    root = dataset_dir(tmp_path, SKIP_FILES)
    for fmt, target in (("coco", tmp_path / "out.json"), ("voc", tmp_path / "out")):
        with pytest.raises(ParseError):
            annoconv.convert("voc", fmt, root, target)
        assert not target.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in"]


def test_write_error_leaves_the_destination_untouched(tmp_path: Path) -> None:
    """A label XML cannot hold (a control character): WriteError naming the item; nothing written."""
    dataset = Dataset(LabelSet([Label("bad\x01name")]),
                      [Item("a", ImageRef("a.jpg", 4, 4), [annoconv.Box((0, 0, 1, 1), label="bad\x01name")])])
    with pytest.raises(WriteError) as info:
        annoconv.write(dataset, "voc", tmp_path / "out")
    assert isinstance(info.value, OSError) and "item 'a'" in str(info.value)
    assert not (tmp_path / "out").exists()

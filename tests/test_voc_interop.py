"""Pascal VOC over the real files of the interop corpus (written by datumaro, labelformat,
Roboflow, labelme, Kaggle-style exports). Each dataset is read, checked against what its files
say, and written back: VOC -> IR -> VOC (keep_floats) -> IR gives the same IR. The corpus lives
outside the repository (env ANNOCONV_INTEROP); these tests skip when it is absent.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

import annoconv
from annoconv import Code, Dataset, ImageRef, Report, Severity, Tag
from conftest import INTEROP, interop_files

# Every VOC dataset of the corpus (MANIFEST.md), by path below the corpus root.
DATASETS = [
    "datumaro/voc_dataset/voc_dataset1",
    "datumaro/voc_dataset/voc_dataset2",
    "datumaro/voc_dataset/voc_dataset3",
    "labelformat/fixtures/object_detection/PascalVOC",
    "datumaro/roboflow_dataset/voc",
    "datumaro/kaggle_dataset/relaxed_voc1",
    "datumaro/kaggle_dataset/relaxed_voc2",
    "labelme/bbox_detection/data_dataset_voc",
]
needs_corpus = pytest.mark.skipif(not INTEROP.is_dir(), reason=f"interop corpus not found at {INTEROP}")


def read(relative: str, **options: object) -> tuple[Dataset, Report]:
    report = Report()
    return annoconv.read("voc", INTEROP / relative, report=report, **options), report


def boxes(dataset: Dataset, item: str) -> list[tuple[str, list[float]]]:
    found = next(i for i in dataset.items if i.id == item)
    return [(a.label, a.xyxy.tolist()) for a in found.annotations if a.kind == "box"]


@needs_corpus
def test_every_voc_xml_of_the_corpus_is_covered() -> None:
    """Every annotation XML in the corpus belongs to a dataset tested here."""
    covered = {INTEROP / relative for relative in DATASETS}
    for path in interop_files("**/*.xml"):
        if re.search(rb"<annotation[\s>]", path.read_bytes()[:400]):  # VOC's root (CVAT's is <annotations>)
            assert any(root in path.parents for root in covered), f"{path} is not covered by DATASETS"


@needs_corpus
@pytest.mark.parametrize("relative", DATASETS)
def test_round_trip(relative: str, tmp_path: Path) -> None:
    """VOC -> IR -> VOC (keep_floats) -> IR: the same IR; only info-level entries written."""
    dataset, _ = read(relative)
    assert dataset.items
    for _, annotation in dataset.annotations():
        if annotation.kind == "box":
            assert np.isfinite(annotation.xyxy).all() and annotation.angle == 0.0
    report = annoconv.write(dataset, "voc", tmp_path / "out", keep_floats=True)
    assert [i.to_dict() for i in report if i.severity is not Severity.INFO
            and i.code is not Code.IMAGE_SIZE_MISSING] == []
    assert annoconv.read("voc", tmp_path / "out") == dataset


@needs_corpus
def test_datumaro_voc_dataset1() -> None:
    """Full VOC tree: a part with float coordinates grouped with its object, actions as bool
    attributes, an id listed only in ImageSets (size from its JPEG header), per-class lists
    that disagree with the objects (reported) or add image-level labels (Tags)."""
    dataset, report = read("datumaro/voc_dataset/voc_dataset1")
    assert [(i.id, i.image, i.subset) for i in dataset.items] == [
        ("2007_000001", ImageRef("2007_000001.jpg", 20, 10), "train"),
        ("2007_000002", ImageRef("2007_000002.jpg", 20, 10), "test")]
    assert boxes(dataset, "2007_000001") == [("cat", [0, 1, 3, 4]), ("person", [3, 4, 6, 7]),
                                             ("head", [4.5, 5, 7.5, 8])]
    cat, person, head = [a for a in dataset.items[0].annotations if a.kind == "box"]
    assert cat.attributes == {"truncated": True} and cat.group == 1  # shared with its mask (SegmentationObject)
    assert person.group == head.group == 2
    assert person.attributes["phoning"] is True and person.attributes["jumping"] is False
    assert len(person.extras["voc:actions"]) == 11
    assert {a.label for a in dataset.items[0].annotations if type(a) is Tag} == {
        "aeroplane", "bird", "bottle", "car", "chair", "diningtable", "horse", "ignored", "sheep", "train"}
    assert [(i.code, i.severity, i.item) for i in report] == [
        (Code.IMAGE_SIZE_MISSING, Severity.INFO, "2007_000002"),
        (Code.SKIPPED_CONTENT, Severity.WARNING, "2007_000001"),
        (Code.SKIPPED_CONTENT, Severity.WARNING, "2007_000001")]  # SegmentationClass: see test_voc_segmentation
    assert report.issues[1].detail["label"] == "cat"  # cat_train.txt says -1, the XML has a cat


@needs_corpus
def test_datumaro_voc_dataset2() -> None:
    """labelmap.txt gives 22 labels in order with colours; '@.xml' has no object and no size (and
    there are no images): an empty item, size unknown, reported."""
    dataset, report = read("datumaro/voc_dataset/voc_dataset2")
    assert len(dataset.labels) == 22 and dataset.labels[1].name == "aeroplane"
    assert dataset.labels["aeroplane"].color == (128, 0, 0)
    assert [(i.id, i.subset, len(i.annotations)) for i in dataset.items] == [
        ("@", "trainval", 0), ("a", "trainval", 1), ("b", "trainval", 1), ("c", "trainval", 1), ("d", "trainval", 1)]
    assert dataset.items[0].image == ImageRef("@.jpg")
    assert {(i.code, i.severity) for i in report} == {(Code.IMAGE_SIZE_MISSING, Severity.WARNING)}
    assert boxes(dataset, "c") == [("bicycle", [2, 0, 11, 6])]


@needs_corpus
def test_datumaro_voc_dataset3() -> None:
    """A comment and a blank line in ImageSets/Main/train.txt are not ids."""
    dataset, report = read("datumaro/voc_dataset/voc_dataset3")
    assert [(i.id, i.subset) for i in dataset.items] == [("2007_000001", "train")]
    assert report.issues == []


@needs_corpus
def test_labelformat_single_line_xml() -> None:
    """No folder/depth, float coordinates, spaces in file and label names; images not present."""
    dataset, report = read("labelformat/fixtures/object_detection/PascalVOC")
    assert [(i.id, i.image) for i in dataset.items] == [
        ("a-weird Filename.asdf", ImageRef("a-weird Filename.asdf.jpg", 640, 416)),
        ("aNother-weird__ filename.with.many.characters",
         ImageRef("aNother-weird__ filename.with.many.characters.jpg", 640, 428))]
    assert boxes(dataset, "a-weird Filename.asdf")[0] == ("dog", [539, 294, 563, 313])
    assert "bicycle with space" in dataset.labels
    assert report.issues == []


@needs_corpus
def test_roboflow_voc() -> None:
    """XML beside images in train/ and val/; bndbox tags in the order xmin, xmax, ymin, ymax."""
    dataset, _ = read("datumaro/roboflow_dataset/voc")
    assert [(i.id, i.image.path) for i in dataset.items] == [
        ("train/train_001", "train/train_001.jpg"), ("train/train_002", "train/train_002.jpg"),
        ("val/val_001", "val/val_001.jpg")]
    assert boxes(dataset, "train/train_001") == [("label_0", [1, 0, 5, 2])]
    assert dataset.items[0].extras["voc:source"] == {"database": "roboflow.ai"}


@needs_corpus
@pytest.mark.parametrize("relative", ["datumaro/kaggle_dataset/relaxed_voc1", "datumaro/kaggle_dataset/relaxed_voc2"])
def test_kaggle_relaxed_voc(relative: str) -> None:
    """annotations/ + images/ (lower case) or XML beside images."""
    dataset, report = read(relative)
    assert [(i.id, i.image) for i in dataset.items] == [("2007_000001", ImageRef("2007_000001.jpg", 20, 10))]
    assert boxes(dataset, "2007_000001") == [("cat", [0, 1, 3, 4]), ("person", [3, 4, 6, 7])]
    assert report.issues == []


@needs_corpus
def test_labelme_voc_floats_and_empty_elements() -> None:
    """labelme2voc: float coordinates, empty <pose/>, <truncated/>, <segmented/> kept verbatim."""
    dataset, _ = read("labelme/bbox_detection/data_dataset_voc")
    first = dataset.items[0].annotations[0]
    assert first.xyxy.tolist() == [190.0, 107.36900369003689 - 1, 313.0, 329.36900369003695]
    assert first.attributes == {} and first.extras == {"voc:pose": "", "voc:truncated": "", "voc:difficult": ""}
    assert dataset.items[0].extras["voc:segmented"] == ""


@needs_corpus
def test_voc_to_coco(tmp_path: Path) -> None:
    report = annoconv.convert("voc", "coco", INTEROP / "datumaro/voc_dataset/voc_dataset1", tmp_path / "c.json")
    coco = annoconv.read("coco", tmp_path / "c.json")
    assert sorted(i.id for i in coco.items) == ["2007_000001.jpg", "2007_000002.jpg"]
    assert report.stats["items_written"] == 2

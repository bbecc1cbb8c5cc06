"""Reader x writer matrix: every readable format's version of the builder datasets is converted
into every writable format. Each pair must run, and what the capability check predicts must be
exactly what the writer reports (label definitions and image attributes included). On top of it
the writer may report only losses the capability model cannot foresee: values rounded or clipped,
instances hidden by others, a label name VOC's labelmap cannot hold, and objects of several
annotations split apart."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path, PurePosixPath

import numpy as np
import pytest
from builders import detection_dataset, lossy_dataset
from PIL import Image

import annoconv
from annoconv import Code, Dataset, LabelSet, Severity
from annoconv.formats import available_formats

FORMATS = available_formats()
READERS = sorted(name for name, fmt in FORMATS.items() if fmt.reader and fmt.writer)
WRITERS = sorted(name for name, fmt in FORMATS.items() if fmt.writer)
UNFORESEEABLE = {Code.PRECISION_REDUCED, Code.COORDINATE_CLIPPED}
# Field drops that depend on values rather than on the features used: a label name VOC's labelmap cannot
# hold; an object of several annotations (labelme's parts sharing a group_id) written as several rows.
UNFORESEEABLE_DROPS = ("label not written to labelmap.txt", "group of annotations of one object written as")
# Options that let a format's written copy be read back on its own (YOLO needs the image files).
SOURCE_OPTIONS = {"yolo": {"copy_images": "copy"}, "yolo-seg": {"copy_images": "copy"},
                  "yolo-pose": {"copy_images": "copy"}, "yolo-obb": {"copy_images": "copy"}}


def _builder_dataset() -> Dataset:
    """The builder datasets, with a subset, image attributes, a z-order and a label's colour and
    attribute definitions as well (label parents, keypoint names and a skeleton they have)."""
    detection, lossy = detection_dataset(), lossy_dataset()
    lossy.items[0].attributes = {"weather": "fog"}
    lossy.items[0].subset = "val"
    lossy.items[0].annotations[0].z_order = 1  # drawn on top of the later polygon
    labels = LabelSet([replace(label, attributes={"occluded": {"type": "switch"}}, color=(9, 8, 7))
                       if label.name == "cat" else label for label in detection.labels])
    return Dataset(labels, detection.items + lossy.items)


def _images(dataset: Dataset, root: Path) -> Path:
    for item in dataset.items:
        path = root / item.image.path
        path.parent.mkdir(parents=True, exist_ok=True)
        Image.fromarray(np.zeros((item.image.height, item.image.width), np.uint8)).save(path, format="PNG")
    return root


@pytest.fixture(scope="module")
def sources(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The builder dataset written in every readable format."""
    root = tmp_path_factory.mktemp("sources")
    dataset = _builder_dataset()
    images = _images(dataset, root / "images_root")
    out = {}
    for name in READERS:
        options = dict(SOURCE_OPTIONS.get(name, {}))
        if "images_dir" in {o.name for o in FORMATS[name].write_options}:
            options["images_dir"] = str(images)
        target = root / f"{name}.src"
        annoconv.write(dataset, name, target, **options)
        out[name] = target
    return out


def _counts(summaries, keep) -> dict[tuple[str, str], int]:  # type: ignore[no-untyped-def]
    return {(s.code.value, s.message): s.count for s in summaries if keep(s)}


@pytest.mark.parametrize("writer", WRITERS)
@pytest.mark.parametrize("reader", READERS)
def test_every_pair_converts_and_reports_what_it_predicts(reader: str, writer: str, sources: dict[str, Path],
                                                          tmp_path: Path) -> None:
    dataset = annoconv.read(reader, sources[reader])
    report = annoconv.write(dataset, writer, tmp_path / "out")
    predicted = _counts(report.summary(predicted=True), lambda s: True)
    actual = _counts(report.summary(), lambda s: s.severity is not Severity.INFO)
    assert {key: actual.get(key) for key in predicted} == predicted
    extra = {key: count for key, count in actual.items() if key not in predicted}
    assert all(Code(code) in UNFORESEEABLE or message.startswith(UNFORESEEABLE_DROPS) for code, message in extra), extra
    assert (tmp_path / "out").exists()


# Item- and label-level features as (feature, what-it-is) pairs: reading a format back must give at
# least the source's pairs (formats may add some: YOLO's default split, FastLabel's inferred
# attribute definitions, keypoints of pose classes).
HELD = {
    "subset": lambda ds: {(PurePosixPath(item.image.path).stem, item.subset) for item in ds.items
                          if item.subset is not None},
    "image-attributes": lambda ds: {(key, str(value)) for item in ds.items for key, value in item.attributes.items()},
    "label-color": lambda ds: {(label.name, label.color) for label in ds.labels if label.color is not None},
    "label-parent": lambda ds: {(label.name, label.parent) for label in ds.labels if label.parent is not None},
    "label-keypoints": lambda ds: {(label.name, label.keypoints, label.skeleton) for label in ds.labels
                                   if label.keypoints},
    "label-attributes": lambda ds: {(label.name, key) for label in ds.labels for key in label.attributes},
}


@pytest.mark.parametrize("name", READERS)
def test_what_a_format_says_it_holds_comes_back(name: str, sources: dict[str, Path]) -> None:
    """Item- and label-level features a format declares native survive writing and reading it."""
    source, back = _builder_dataset(), annoconv.read(name, sources[name])
    for feature in HELD:
        if feature in FORMATS[name].capabilities.native:
            expected = HELD[feature](source)
            assert expected, f"the builder dataset does not use {feature}"
            assert expected <= HELD[feature](back), feature


@pytest.mark.parametrize("name", READERS)
def test_annotation_ids_are_kept_or_reported(name: str, sources: dict[str, Path], tmp_path: Path) -> None:
    """A format that gives none of the annotation ids back says so (an info entry). Ids are made
    distinctive, so that a reader's own numbering cannot pass for them."""
    dataset = _builder_dataset()
    for item in dataset.items:
        for annotation in item.annotations:
            annotation.id = f"a{annotation.id}" if annotation.id is not None else None
    options = dict(SOURCE_OPTIONS.get(name, {}))
    if "images_dir" in {o.name for o in FORMATS[name].write_options}:
        options["images_dir"] = str(sources[name].parent / "images_root")
    report = annoconv.write(dataset, name, tmp_path / "out", **options)
    ids = {a.id for item in dataset.items for a in item.annotations if a.id is not None}
    back = {a.id for item in annoconv.read(name, tmp_path / "out").items for a in item.annotations}
    if not ids & back:
        assert [i for i in report.by_code(Code.ID_REASSIGNED) if "annotation ids" in i.message], \
            "annotation ids lost without a report entry"

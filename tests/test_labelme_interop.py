"""labelme over the interop corpus (../shared/interop/labelme, files written by labelme itself and
its example converters; skipped when absent, never copied into the repository).

- every labelme JSON reads, and labelme -> IR -> labelme gives the file back byte for byte;
- annoconv's labelme -> COCO agrees with labelme2coco's ``annotations.json``: the same instances
  (grouped by label and group_id), every polygon vertex exactly, every box within 1 px (labelme2coco
  takes boxes from a PIL rasterization, annoconv from the vertices);
- annoconv's labelme -> VOC agrees with labelme2voc's XML (once the ``voc`` format is registered):
  the same objects, every box within 1 px once read back into the IR.
"""

from __future__ import annotations

import json
import posixpath
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

import annoconv
from annoconv import Box, Code, Polygon
from conftest import INTEROP, interop_files

LABELME_FILES = [path for path in interop_files("labelme/**/*.json") if "data_dataset_" not in path.as_posix()]


def _params(paths: list[Path]) -> list[Any]:
    if not paths:
        return [pytest.param(None, marks=pytest.mark.skip(reason=f"labelme corpus not found under {INTEROP}"))]
    return [pytest.param(path, id=path.relative_to(INTEROP).as_posix()) for path in paths]


@pytest.mark.parametrize("path", _params(LABELME_FILES))
def test_corpus_file_reads_and_round_trips_byte_for_byte(path: Path, tmp_path: Path) -> None:
    source = json.loads(path.read_bytes())
    report = annoconv.Report()
    dataset = annoconv.read("labelme", path, report=report)
    (item,) = dataset.items
    tags = sum(value is True for value in source["flags"].values())
    assert len(item.annotations) == len(source["shapes"]) + tags
    assert item.image.size == (source["imageHeight"], source["imageWidth"])
    circles = sum(shape["shape_type"] == "circle" for shape in source["shapes"])
    assert len(report.by_code(Code.GEOMETRY_CONVERTED)) == circles and len(report) == circles
    annoconv.write(dataset, "labelme", tmp_path / "out", labelme_embed_images=True)
    assert (tmp_path / "out" / path.name).read_bytes() == path.read_bytes()


def test_primitives_every_shape_type() -> None:
    path = INTEROP / "labelme" / "primitives" / "primitives.json"
    if not path.is_file():
        pytest.skip(f"labelme corpus not found under {INTEROP}")
    annotations = annoconv.read("labelme", path).items[0].annotations
    assert [a.kind for a in annotations] == ["box", "polygon", "box", "polygon", "polyline", "point", "polyline",
                                             "mask"]
    mask = annotations[-1]  # points [[417.397..., 305.0], [516.397..., 404.0]], a 100 x 100 PNG
    x, y, x2, y2 = mask.bounds().tolist()
    assert (x, y) == (417, 305) and x2 - x <= 100 and y2 - y <= 100 and mask.area() > 5000


# --- labelme -> COCO vs labelme2coco ------------------------------------------------------------

def _instances(document: dict[str, Any], skip: set[str] = frozenset()) -> dict[str, list[tuple[str, Any, Any]]]:
    """image file name -> [(category name, segmentation, bbox)] in file order."""
    names = {category["id"]: category["name"] for category in document["categories"]}
    images = {image["id"]: posixpath.basename(image["file_name"]) for image in document["images"]}
    out: dict[str, list[tuple[str, Any, Any]]] = {name: [] for name in images.values()}
    for annotation in document["annotations"]:
        name = names[annotation["category_id"]]
        if name not in skip:
            out[images[annotation["image_id"]]].append((name, annotation["segmentation"], annotation["bbox"]))
    return out


def test_coco_agrees_with_labelme2coco(tmp_path: Path) -> None:
    root = INTEROP / "labelme" / "instance_segmentation"
    if not root.is_dir():
        pytest.skip(f"labelme corpus not found under {INTEROP}")
    report = annoconv.convert("labelme", "coco", root / "data_annotated", tmp_path / "coco.json")
    assert not report.issues
    ours = _instances(json.loads((tmp_path / "coco.json").read_text()), skip={"__ignore__"})  # not a class
    theirs = _instances(json.loads((root / "data_dataset_coco" / "annotations.json").read_text()))
    assert ours.keys() == theirs.keys()
    boxes = 0
    for image, expected in theirs.items():
        assert [(name, segmentation) for name, segmentation, _ in ours[image]] == \
            [(name, segmentation) for name, segmentation, _ in expected], image  # every vertex exactly
        for (_, _, (x, y, w, h)), (_, _, (ex, ey, ew, eh)) in zip(ours[image], expected):
            assert max(abs(x - ex), abs(y - ey), abs(x + w - ex - ew), abs(y + h - ey - eh)) <= 1.0, image
            boxes += 1
    assert boxes == 12


# --- labelme -> VOC vs labelme2voc --------------------------------------------------------------

def _voc_objects(path: Path) -> tuple[str, tuple[int, int], list[tuple[str, list[float]]]]:
    """(filename, (width, height), [(name, [xmin, ymin, xmax, ymax])]) of a VOC XML file, values as written."""
    root = etree.parse(str(path)).getroot()
    size = (int(root.findtext("size/width")), int(root.findtext("size/height")))
    corners = ("xmin", "ymin", "xmax", "ymax")
    objects = [(obj.findtext("name"), [float(obj.findtext(f"bndbox/{key}")) for key in corners])
               for obj in root.iter("object")]
    return root.findtext("filename"), size, objects


@pytest.mark.parametrize("keep_floats, tolerance", [(False, 1.0), (True, 1e-9)])
def test_voc_agrees_with_labelme2voc(keep_floats: bool, tolerance: float, tmp_path: Path) -> None:
    """Rounded to whole VOC pixels, boxes agree within 1 px; with keep_floats, exactly (up to float rounding)."""
    root = INTEROP / "labelme" / "bbox_detection"
    if not root.is_dir():
        pytest.skip(f"labelme corpus not found under {INTEROP}")
    if "voc" not in annoconv.available_formats():
        pytest.skip("the voc format is not registered yet")
    annoconv.convert("labelme", "voc", root / "data_annotated", tmp_path / "voc", keep_floats=keep_floats)
    back = annoconv.read("voc", tmp_path / "voc")
    items = {posixpath.basename(item.image.path): item for item in back.items}
    expected_files = sorted((root / "data_dataset_voc" / "Annotations").glob("*.xml"))
    assert len(items) == len(expected_files) == 3
    for xml in expected_files:
        # labelme2voc writes labelme's own (continuous, IR-convention) coordinates as they are
        filename, (width, height), objects = _voc_objects(xml)
        item = items[filename]
        assert (item.image.width, item.image.height) == (width, height)
        boxes = [a for a in item.annotations if type(a) is Box or type(a) is Polygon]
        assert [a.label for a in boxes] == [name for name, _ in objects], filename
        for annotation, (_, expected) in zip(boxes, objects):
            difference = max(abs(a - b) for a, b in zip(annotation.bounds().tolist(), expected))
            assert difference <= tolerance, (filename, annotation.bounds().tolist(), expected)

"""Pascal VOC segmentation in the ``voc`` format: SegmentationClass/SegmentationObject palette PNGs,
void borders, ImageSets/Segmentation, RGB maps, bad PNGs, and the interop corpus (datumaro's RGB
maps, labelme2voc's and labelformat's PNG-only trees). Fixtures are made in tmp_path.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree
from PIL import Image

import annoconv
from annoconv import (Box, Code, Dataset, ImageRef, Item, Label, LabelSet, Mask, ParseError, Polygon, Report,
                      SchemaError, Severity, Tag, WriteError)
from annoconv.formats._voc_segmentation import _union
from annoconv.raster import polygon_mask, voc_palette
from annoconv.raster.spans import Spans
from conftest import INTEROP

needs_corpus = pytest.mark.skipif(not INTEROP.is_dir(), reason=f"interop corpus not found at {INTEROP}")
VOID_COLOR = tuple(voc_palette()[255].tolist())


def read(path: Path, **options: Any) -> tuple[Dataset, Report]:
    report = Report()
    return annoconv.read("voc", path, report=report, **options), report


def png(path: Path) -> np.ndarray:
    with Image.open(path) as image:
        assert image.mode == "P"
        return np.asarray(image)


def xml_names(path: Path) -> list[str]:
    return [o.findtext("name") for o in etree.parse(str(path)).getroot().findall("object")]


def save(path: Path, array: np.ndarray, palette: bool = True) -> Path:
    """An index map as a palette PNG (VOC colours), or an (h, w, 3) array as an RGB PNG."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if array.ndim == 3:
        Image.fromarray(array.astype(np.uint8), "RGB").save(path)
    else:
        image = Image.fromarray(array.astype(np.uint8), "P" if palette else "L")
        if palette:
            image.putpalette(voc_palette().ravel().tolist())
        image.save(path)
    return path


HOLED = Polygon.from_rings([[1.5, 1], [14.25, 1.5], [13, 11.5], [2, 10.75]], [[[4, 4], [9.5, 4], [9.5, 8], [4, 8]]],
                           label="dog", id=11)
TWO_PARTS = Polygon([[[[16, 2], [22, 2], [19, 7.5]]], [[[17, 9], [23, 9.5], [23, 13], [17, 13]]]], label="cat", id=12)


def shapes_dataset() -> Dataset:
    """A box-only object first (not painted), a polygon with a hole, a two-part polygon, and a box
    grouped with a same-label mask (one object: bndbox from the box, pixels from the mask)."""
    mask = np.zeros((16, 26), dtype=np.uint8)
    mask[12:15, 2:9] = 1
    item = Item("img/a", ImageRef("img/a.jpg", 26, 16), [
        Box((0, 0, 3, 3), label="cat", id=10), HOLED, TWO_PARTS,
        Box((1, 11, 10, 16), label="dog", group="g", id=13), Mask.from_array(mask, label="dog", group="g", id=14),
    ], subset="train")
    plain = Item("b", ImageRef("b.jpg", 8, 8), [Box((1, 1, 4, 4), label="cat")], subset="val")
    return Dataset(LabelSet([Label("cat"), Label("dog", color=(10, 20, 30))]), [item, plain])


# --- writing -------------------------------------------------------------------------------------------

def test_polygons_with_holes_round_trip_exactly(tmp_path: Path) -> None:
    """Polygons (holes, two parts, fractional vertices) -> VOC -> IR: masks equal to the polygons
    rasterized under the pixel-centre rule, grouped with their object's box; as_polygons gives
    polygons that rasterize to the same pixels."""
    dataset = shapes_dataset()
    report = annoconv.write(dataset, "voc", tmp_path / "out")
    predicted = {(s.code, s.message): s.count for s in report.summary(predicted=True)}
    recorded = {(s.code, s.message): s.count for s in report.summary() if s.severity is not Severity.INFO}
    assert predicted == recorded == {
        (Code.GEOMETRY_CONVERTED, "Polygon written as its enclosing box + pixels in the segmentation PNGs (voc)"): 2}
    back, read_report = read(tmp_path / "out")
    item = back.items[1]
    assert [(a.kind, a.label, a.group) for a in item.annotations] == [
        ("box", "cat", None), ("box", "dog", 2), ("mask", "dog", 2), ("box", "cat", 3), ("mask", "cat", 3),
        ("box", "dog", 4), ("mask", "dog", 4)]
    masks = [a for a in item.annotations if a.kind == "mask"]
    assert np.array_equal(masks[0].decode(), polygon_mask(HOLED.regions, 16, 26))
    assert np.array_equal(masks[1].decode(), polygon_mask(TWO_PARTS.regions, 16, 26))
    assert np.array_equal(masks[2].decode(), dataset.items[0].annotations[4].decode())
    assert item.annotations[5].xyxy.tolist() == [1, 11, 10, 16]  # the box's bndbox, not the mask's bounds
    assert read_report.issues == []
    polygons, _ = read(tmp_path / "out", as_polygons=True)
    shapes = [a for a in polygons.items[1].annotations if a.kind == "polygon"]
    assert [np.array_equal(polygon_mask(p.regions, 16, 26), m.decode()) for p, m in zip(shapes, masks)] == [True] * 3
    assert shapes[0].has_holes and shapes[1].multipart
    again = tmp_path / "again"
    annoconv.write(back, "voc", again)
    assert read(again)[0] == back  # VOC -> IR -> VOC -> IR is stable


def test_object_indices_follow_the_xml_objects(tmp_path: Path) -> None:
    """Object k of SegmentationObject is the k-th <object>; SegmentationClass holds the labelmap
    index (background first, as datumaro writes it); <segmented>1</segmented>; label colours in
    the class palette; a box-only item gets no PNG."""
    annoconv.write(shapes_dataset(), "voc", tmp_path / "out")
    out = tmp_path / "out"
    assert xml_names(out / "Annotations" / "img" / "a.xml") == ["cat", "dog", "cat", "dog"]
    objects = png(out / "SegmentationObject" / "img" / "a.png")
    classes = png(out / "SegmentationClass" / "img" / "a.png")
    assert sorted(np.unique(objects).tolist()) == [0, 2, 3, 4]  # object 1 is a box: not painted
    expected = np.zeros((16, 26), dtype=np.uint8)
    expected[polygon_mask(HOLED.regions, 16, 26) == 1] = 2
    expected[polygon_mask(TWO_PARTS.regions, 16, 26) == 1] = 3
    expected[12:15, 2:9] = 4
    assert np.array_equal(objects, expected)
    assert np.array_equal(classes, np.array([0, 2, 2, 1, 2], dtype=np.uint8)[np.minimum(objects, 4)])
    assert (out / "labelmap.txt").read_text().splitlines()[1:] == ["background:0,0,0::", "cat:::", "dog:10,20,30::"]
    with Image.open(out / "SegmentationClass" / "img" / "a.png") as image:
        assert image.getpalette()[:9] == [0, 0, 0, 128, 0, 0, 10, 20, 30]  # VOC colours, the label's own for dog
    root = etree.parse(str(out / "Annotations" / "img" / "a.xml")).getroot()
    assert root.findtext("segmented") == "1"
    assert not (out / "SegmentationClass" / "b.png").exists()


def test_image_sets_segmentation_lists_segmented_items(tmp_path: Path) -> None:
    """ImageSets/Segmentation lists only the items with PNGs, trainval = train + val; Main lists all."""
    dataset = shapes_dataset()
    extra = Item("c", ImageRef("c.jpg", 8, 8), [Polygon.from_rings([[1, 1], [5, 1], [5, 5]], label="cat")],
                 subset="val")
    annoconv.write(Dataset(dataset.labels, dataset.items + [extra]), "voc", tmp_path / "out")
    lists = tmp_path / "out" / "ImageSets"
    assert {p.name: p.read_text() for p in (lists / "Segmentation").iterdir()} == {
        "train.txt": "img/a\n", "val.txt": "c\n", "trainval.txt": "img/a\nc\n"}
    assert (lists / "Main" / "val.txt").read_text() == "b\nc\n"
    back, _ = read(tmp_path / "out")
    assert [(i.id, i.subset) for i in back.items] == [("b", "val"), ("c", "val"), ("img/a", "train")]


def test_void_borders_and_crowd_regions(tmp_path: Path) -> None:
    """void_borders=N paints 255 where the (N+1)x(N+1) window around a pixel holds two values:
    an N-pixel band along every object boundary, in both maps; crowd regions are 255 too. Both
    are reported, and read back as void (skipped-content), not annotations."""
    crowd = np.zeros((20, 20), dtype=np.uint8)
    crowd[14:18, 14:18] = 1
    item = Item("a", ImageRef("a.jpg", 20, 20), [
        Polygon.from_rings([[4, 4], [12, 4], [12, 12], [4, 12]], label="cat", id=1),
        Mask.from_array(crowd, label="cat", iscrowd=True, id=2)])
    report = annoconv.write(Dataset(LabelSet([Label("cat")]), [item]), "voc", tmp_path / "out", void_borders=2)
    objects = png(tmp_path / "out" / "SegmentationObject" / "a.png")
    classes = png(tmp_path / "out" / "SegmentationClass" / "a.png")
    square = np.zeros((20, 20), dtype=np.uint8)
    square[4:12, 4:12] = 1
    painted = square.copy()
    painted[crowd == 1] = 255
    band = _windows_with_two_values(painted, 3)
    expected = np.where(band, 255, painted)
    assert np.array_equal(objects, expected) and np.array_equal(classes, expected)
    assert band[3:5, 4:12].all() and not band[5:11, 5:11].any()  # two pixels: one outside, one inside
    assert [(i.code, i.detail["pixels"]) for i in report if i.message.startswith("object boundary")] == [
        (Code.GEOMETRY_CONVERTED, int((band & (square == 1)).sum()))]
    assert ("field-dropped", "Crowd flag written as void (255) in the segmentation PNGs (boxes: dropped) (voc)") in {
        (i.code.value, i.message) for i in report}
    back, read_report = read(tmp_path / "out")
    masks = [a for a in back.items[0].annotations if a.kind == "mask"]
    assert len(masks) == 1 and np.array_equal(masks[0].decode(), (expected == 1).astype(np.uint8))
    void = 2 * int((expected == 255).sum())  # in both maps
    assert [(i.code, i.detail["pixels"]) for i in read_report] == [(Code.SKIPPED_CONTENT, void)]


def _windows_with_two_values(values: np.ndarray, size: int) -> np.ndarray:
    """Reference band: pixels whose size x size window (OpenCV's anchor, edges ignored) is not constant."""
    anchor = size // 2
    height, width = values.shape
    out = np.zeros(values.shape, dtype=bool)
    for r in range(height):
        for c in range(width):
            window = values[max(r - anchor, 0):r - anchor + size, max(c - anchor, 0):c - anchor + size]
            out[r, c] = window.min() != window.max()
    return out


def test_overlaps_follow_z_order_and_are_reported(tmp_path: Path) -> None:
    """The higher z_order wins whatever the item order; objects partly or wholly hidden are
    reported (an object of two shapes too), and so is a shape clipped at the image border."""
    item = Item("a", ImageRef("a.jpg", 12, 12), [
        Polygon.from_rings([[0, 0], [8, 0], [8, 8], [0, 8]], label="cat", z_order=1, id="top"),
        Polygon.from_rings([[4, 4], [14, 4], [14, 12], [4, 12]], label="dog", id="under"),
        Box((0, 0, 2, 2), label="dog", group="g", id="box"),
        Polygon.from_rings([[1, 1], [3, 1], [3, 3], [1, 3]], label="dog", group="g", id="covered"),
        Polygon.from_rings([[2, 2], [4, 2], [4, 4], [2, 4]], label="dog", group="g", id="also")])
    report = annoconv.write(Dataset(LabelSet([Label("cat"), Label("dog")]), [item]), "voc", tmp_path / "out")
    objects = png(tmp_path / "out" / "SegmentationObject" / "a.png")
    assert (objects[4:8, 4:8] == 1).all() and (objects[8:, 8:] == 2).all() and 3 not in objects
    assert [(i.message[:20], i.annotation, i.detail.get("pixels")) for i in report
            if i.code in (Code.PRECISION_REDUCED, Code.COORDINATE_CLIPPED)] == [
        ("shape extends beyond", "under", None),
        ("object partly hidden", "under", 16),
        ("instance entirely hi", "covered", 7)]


def test_never_and_unknown_sizes_keep_boxes_only(tmp_path: Path) -> None:
    """segmentation=never writes no PNG (each shape reported); so does an item of unknown size."""
    report = annoconv.write(shapes_dataset(), "voc", tmp_path / "never", segmentation="never")
    assert not (tmp_path / "never" / "SegmentationClass").exists()
    reasons = [i.detail["reason"] for i in report if i.message.endswith("not in the segmentation PNGs")]
    assert reasons == ["segmentation=never"] * 3
    assert xml_names(tmp_path / "never" / "Annotations" / "img" / "a.xml") == ["cat", "dog", "cat", "dog", "dog"]
    item = Item("u", ImageRef("u.jpg"), [Polygon.from_rings([[0, 0], [4, 0], [4, 4]], label="cat")])
    report = annoconv.write(Dataset(LabelSet([Label("cat")]), [item]), "voc", tmp_path / "unknown")
    assert [i.detail["reason"] for i in report if i.code is Code.GEOMETRY_CONVERTED and "reason" in i.detail] == [
        "image size unknown"]
    assert not (tmp_path / "unknown" / "SegmentationObject").exists()


def test_more_than_254_objects_is_a_clear_error(tmp_path: Path) -> None:
    boxes = [Box((0, 0, 1, 1), label="cat") for _ in range(254)]
    item = Item("many", ImageRef("many.jpg", 8, 8), [*boxes, Polygon.from_rings([[0, 0], [4, 0], [4, 4]], label="cat")])
    with pytest.raises(WriteError, match="object 255 has a segmentation.*at most 254 objects") as info:
        annoconv.write(Dataset(LabelSet([Label("cat")]), [item]), "voc", tmp_path / "out")
    assert "many" in str(info.value) and not (tmp_path / "out").exists()


def test_first_label_background_is_class_zero(tmp_path: Path) -> None:
    """A dataset whose first label is 'background' (datumaro's labelmap) keeps 0-based indices; the
    label reads back as the background, not a label (info)."""
    labels = LabelSet([Label("background", color=(0, 0, 0)), Label("cat")])
    item = Item("a", ImageRef("a.jpg", 6, 6), [Polygon.from_rings([[0, 0], [4, 0], [4, 4], [0, 4]], label="cat")])
    report = annoconv.write(Dataset(labels, [item]), "voc", tmp_path / "out")
    assert (tmp_path / "out" / "labelmap.txt").read_text().splitlines()[1:] == ["background:0,0,0::", "cat:::"]
    assert set(np.unique(png(tmp_path / "out" / "SegmentationClass" / "a.png")).tolist()) == {0, 1}
    assert [i.severity for i in report.by_code(Code.FIELD_DROPPED)] == [Severity.INFO]
    back, _ = read(tmp_path / "out")
    assert back.labels.names() == ["cat"]


# --- reading -------------------------------------------------------------------------------------------

XML = ("<annotation><filename>{id}.jpg</filename>{size}{objects}</annotation>")
OBJ = "<object><name>{}</name><bndbox><xmin>1</xmin><ymin>1</ymin><xmax>4</xmax><ymax>4</ymax></bndbox></object>"


def voc_root(tmp_path: Path, objects: list[str], size: bool = True, item: str = "a") -> Path:
    root = tmp_path / "in"
    (root / "Annotations").mkdir(parents=True, exist_ok=True)
    size_xml = "<size><width>6</width><height>4</height></size>" if size else ""
    (root / "Annotations" / f"{item}.xml").write_text(
        XML.format(id=item, size=size_xml, objects="".join(OBJ.format(name) for name in objects)))
    return root


OBJECTS = np.array([[0, 1, 1, 0, 0, 0], [0, 1, 1, 0, 2, 2], [0, 0, 255, 0, 2, 2], [3, 3, 0, 0, 0, 0]], dtype=np.uint8)
CLASSES = np.array([[0, 8, 8, 0, 0, 0], [0, 8, 8, 0, 12, 12], [0, 0, 255, 0, 12, 12], [15, 15, 0, 0, 0, 0]],
                   dtype=np.uint8)  # VOC: 8 cat, 12 dog, 15 person


@pytest.mark.parametrize("rgb", [False, True], ids=["palette", "rgb"])
def test_reads_palette_and_rgb_maps(tmp_path: Path, rgb: bool) -> None:
    """Objects join their XML objects in order; an object index beyond the XML takes its label from
    the class map; RGB maps go through the VOC palette; 255 is void (reported)."""
    root = voc_root(tmp_path, ["cat", "dog"])
    colors = voc_palette()
    save(root / "SegmentationObject" / "a.png", colors[OBJECTS] if rgb else OBJECTS)
    save(root / "SegmentationClass" / "a.png", colors[CLASSES] if rgb else CLASSES)
    dataset, report = read(root)
    item = dataset.items[0]
    assert [(a.kind, a.label, a.group) for a in item.annotations] == [
        ("box", "cat", 1), ("mask", "cat", 1), ("box", "dog", 2), ("mask", "dog", 2), ("mask", "person", None)]
    for k, mask in zip((1, 2, 3), [a for a in item.annotations if a.kind == "mask"]):
        assert np.array_equal(mask.decode(), (OBJECTS == k).astype(np.uint8))
    assert [(i.code, i.detail) for i in report] == [(Code.SKIPPED_CONTENT, {"pixels": 2})]


def test_class_map_alone_gives_one_mask_per_class(tmp_path: Path) -> None:
    """No SegmentationObject, no Annotations: each class present is a Mask; labelmap.txt with
    colours maps an RGB class map; its first entry 'background' is index 0, not a label."""
    root = tmp_path / "in"
    root.mkdir()
    (root / "labelmap.txt").write_text("background:0,0,0::\nroad:1,2,3::\ncar:200,0,0::\n")
    values = np.array([[0, 1, 1], [2, 2, 255]], dtype=np.uint8)
    table = np.zeros((256, 3), dtype=np.uint8)
    table[1], table[2], table[255] = (1, 2, 3), (200, 0, 0), VOID_COLOR
    save(root / "SegmentationClass" / "sub" / "x.png", table[values])
    dataset, report = read(root)
    assert dataset.labels.names() == ["road", "car"]
    assert [(i.id, i.image) for i in dataset.items] == [("sub/x", ImageRef("sub/x.jpg", 3, 2))]
    assert [(a.kind, a.label, a.decode().tolist()) for a in dataset.items[0].annotations] == [
        ("mask", "road", [[0, 1, 1], [0, 0, 0]]), ("mask", "car", [[0, 0, 0], [1, 1, 0]])]
    assert [i.code for i in report] == [Code.SKIPPED_CONTENT]


def test_class_map_disagreeing_with_the_xml_is_reported(tmp_path: Path) -> None:
    root = voc_root(tmp_path, ["dog", "dog", "person"])
    save(root / "SegmentationObject" / "a.png", OBJECTS)
    save(root / "SegmentationClass" / "a.png", CLASSES)
    dataset, report = read(root)
    assert [a.label for a in dataset.items[0].annotations if a.kind == "mask"] == ["dog", "dog", "person"]
    assert [(i.message, i.detail.get("objects")) for i in report if "disagrees" in i.message] == [
        ("SegmentationClass disagrees with the XML object labels: the XML labels are kept", [1])]


def test_size_missing_in_the_xml_comes_from_the_png(tmp_path: Path) -> None:
    root = voc_root(tmp_path, ["cat", "dog"], size=False)
    save(root / "SegmentationObject" / "a.png", OBJECTS)
    save(root / "SegmentationClass" / "a.png", CLASSES)
    dataset, report = read(root)
    assert dataset.items[0].image == ImageRef("a.jpg", 6, 4)
    assert [(i.code, i.severity) for i in report if i.code is Code.IMAGE_SIZE_MISSING] == [
        (Code.IMAGE_SIZE_MISSING, Severity.INFO)]


def test_image_sets_segmentation_gives_subsets(tmp_path: Path) -> None:
    """Items ImageSets/Main does not list take their split from ImageSets/Segmentation; a
    contradicting split is reported and Main's kept."""
    root = voc_root(tmp_path, ["cat", "dog"])
    save(root / "SegmentationObject" / "a.png", OBJECTS)
    save(root / "SegmentationClass" / "a.png", CLASSES)
    save(root / "SegmentationClass" / "b.png", CLASSES)
    (root / "ImageSets" / "Main").mkdir(parents=True)
    (root / "ImageSets" / "Main" / "train.txt").write_text("a\n")
    (root / "ImageSets" / "Segmentation").mkdir()
    (root / "ImageSets" / "Segmentation" / "val.txt").write_text("a\nb\n")
    dataset, report = read(root)
    assert [(i.id, i.subset) for i in dataset.items] == [("a", "train"), ("b", "val")]
    assert [i.detail for i in report if "ImageSets/Segmentation" in i.message] == [{"split": "val"}]


# --- bad PNGs --------------------------------------------------------------------------------------

def _bad(tmp_path: Path, case: str) -> Path:
    root = voc_root(tmp_path, ["cat", "dog"])
    objects, classes = root / "SegmentationObject" / "a.png", root / "SegmentationClass" / "a.png"
    save(objects, OBJECTS)
    save(classes, CLASSES)
    if case == "not-png":
        objects.write_bytes(b"not a png")
    elif case == "size":
        save(classes, np.zeros((4, 7), dtype=np.uint8))
        save(objects, np.zeros((4, 7), dtype=np.uint8))
    elif case == "class-index":
        bad = CLASSES.copy()
        bad[3, 1] = 21
        save(classes, bad)
    elif case == "colour":
        rgb = voc_palette()[CLASSES]
        rgb[2, 4] = (1, 2, 3)
        save(classes, rgb)
    elif case == "unexplained-object":
        save(objects, np.where(OBJECTS == 3, 7, OBJECTS))
        classes.unlink()
    elif case == "16-bit":
        Image.fromarray(OBJECTS.astype(np.uint16)).save(objects)
    return objects if case in ("not-png", "size", "unexplained-object", "16-bit") else classes


@pytest.mark.parametrize("case, error, message", [
    ("not-png", ParseError, "not a readable PNG"),
    ("size", SchemaError, "the PNG is 7x4 pixels but the image is 6x4"),
    ("class-index", SchemaError, "class index 21 at x=1, y=3 is not a class of the 20 VOC classes"),
    ("colour", SchemaError, r"colour \(1, 2, 3\) at x=4, y=2 is not a colour of the 20 VOC classes"),
    ("unexplained-object", SchemaError, "object index 7 at x=0, y=3: the XML has no <object> 7"),
    ("16-bit", ParseError, "VOC segmentation maps are 8-bit"),
])
def test_bad_pngs_name_file_pixel_and_item(tmp_path: Path, case: str, error: type, message: str) -> None:
    path = _bad(tmp_path, case)
    with pytest.raises(error, match=message) as info:
        annoconv.read("voc", tmp_path / "in")
    assert info.value.file == str(path) and info.value.item == "a", str(info.value)
    dataset, report = read(tmp_path / "in", on_error="skip")
    assert dataset.items == [] and [(i.code, i.item) for i in report] == [(Code.ITEM_SKIPPED, "a")]


def test_skipped_xml_object_keeps_the_object_indices(tmp_path: Path) -> None:
    """on_error=skip drops a bad <object>; the next object's mask still joins the right object."""
    root = voc_root(tmp_path, ["cat", "dog"])
    path = root / "Annotations" / "a.xml"
    path.write_text(path.read_text().replace("<xmin>1</xmin>", "<xmin>?</xmin>", 1))
    save(root / "SegmentationObject" / "a.png", np.where(OBJECTS == 3, 0, OBJECTS))
    dataset, report = read(root, on_error="skip")
    assert [(a.kind, a.label, a.group) for a in dataset.items[0].annotations] == [("box", "dog", 2), ("mask", "dog", 2)]
    assert [(i.code, i.annotation) for i in report if i.code is Code.ANNOTATION_SKIPPED] == [
        (Code.ANNOTATION_SKIPPED, 1), (Code.ANNOTATION_SKIPPED, 1)]


# --- interop corpus --------------------------------------------------------------------------------

@needs_corpus
def test_datumaro_rgb_maps() -> None:
    """datumaro's voc_dataset1: RGB maps; object 1 (VOC colour 1) joins the XML's first object (cat)
    although the class map paints it bicycle (reported); parts keep their group."""
    dataset, report = read(INTEROP / "datumaro/voc_dataset/voc_dataset1")
    item = dataset.items[0]
    assert [(a.kind, a.label, a.group) for a in item.annotations if a.kind != "tag"] == [
        ("box", "cat", 1), ("mask", "cat", 1), ("box", "person", 2), ("box", "head", 2)]
    assert item.annotations[1].decode().all()  # the whole 20 x 10 image
    assert [i.detail for i in report if "disagrees" in i.message] == [{"objects": [1]}]


@needs_corpus
def test_datumaro_voc_to_coco_keeps_the_segmentation(tmp_path: Path) -> None:
    annoconv.convert("voc", "coco", INTEROP / "datumaro/voc_dataset/voc_dataset1", tmp_path / "c.json")
    coco = annoconv.read("coco", tmp_path / "c.json")
    masks = [a for _, a in coco.annotations() if a.kind == "mask"]
    assert [(m.label, m.area()) for m in masks] == [("cat", 200)]


LABELME_OBJECTS = {  # labelme2voc's SegmentationObject: index -> (class index, pixels), from the PNGs
    "2011_000003": {1: 15662, 2: 17218, 3: 873},
    "2011_000006": {1: 14690, 2: 11672, 3: 7463, 4: 44403, 5: 991, 7: 14002},
    "2011_000025": {1: 102450, 2: 15781, 3: 7256},
}


@needs_corpus
def test_labelme2voc_instance_pngs_without_xml() -> None:
    """labelme2voc: no Annotations/, class_names.txt (line k = index k, _background_ first): each
    object labelled by the class map under it; sizes from the PNGs."""
    dataset, report = read(INTEROP / "labelme/instance_segmentation/data_dataset_voc")
    assert dataset.labels.names()[:3] == ["aeroplane", "bicycle", "bird"] and "potted plant" in dataset.labels
    assert [(i.id, i.image.size) for i in dataset.items] == [
        ("2011_000003", (338, 500)), ("2011_000006", (375, 500)), ("2011_000025", (375, 500))]
    for item in dataset.items:
        assert {k: a.area() for k, a in zip(LABELME_OBJECTS[item.id], item.annotations)} == LABELME_OBJECTS[item.id]
    assert [a.label for a in dataset.items[0].annotations] == ["person", "person", "bottle"]
    assert [a.label for a in dataset.items[1].annotations] == ["person", "person", "person", "chair", "person",
                                                               "sofa"]
    assert {i.code for i in report} == {Code.SKIPPED_CONTENT}  # void only


@needs_corpus
@pytest.mark.parametrize("relative, classes", [
    ("labelme/semantic_segmentation/data_dataset_voc", {"2011_000003": ["bottle", "person"]}),
    ("labelme/video_annotation/data_dataset_voc", {"00000100": ["aeroplane", "bicycle"]}),  # no class_names.txt
    ("labelformat/fixtures/semantic_segmentation/pascalvoc",
     {"2007_000032": ["aeroplane", "person"], "subdir/2007_000033": ["aeroplane"]}),
])
def test_class_png_only_trees(relative: str, classes: dict[str, list[str]], tmp_path: Path) -> None:
    """SegmentationClass (or labelme2voc's SegmentationClassPNG) without objects: one Mask per class;
    images in JPEGImages/ when present; written back as VOC, the masks are the same."""
    dataset, _ = read(INTEROP / relative)
    found = {item.id: [a.label for a in item.annotations] for item in dataset.items if item.id in classes}
    assert found == classes
    annoconv.write(dataset, "voc", tmp_path / "out")
    back, _ = read(tmp_path / "out")
    for item, again in zip(dataset.items, back.items):
        assert [a.decode().tolist() for a in item.annotations] == [
            a.decode().tolist() for a in again.annotations if a.kind == "mask"]


@needs_corpus
def test_labelme_json_to_voc_agrees_with_labelme2voc(tmp_path: Path) -> None:
    """labelme JSON -> voc: the same objects in the same order and labels as labelme2voc's own
    SegmentationObject/Class PNGs; pixels agree up to the two drawing rules (labelme draws with
    PIL, annoconv by pixel centres): IoU > 0.9 per object."""
    source = INTEROP / "labelme/instance_segmentation"
    labelme = annoconv.read("labelme", source / "data_annotated")
    annoconv.write(labelme, "voc", tmp_path / "out")
    theirs, _ = read(source / "data_dataset_voc")
    ours, _ = read(tmp_path / "out")
    for item in theirs.items:
        mine = next(i for i in ours.items if i.id.endswith(item.id))
        masks = [a for a in mine.annotations if a.kind == "mask" and a.label != "__ignore__"]  # void to labelme
        assert [a.label for a in masks] == [a.label for a in item.annotations]
        for a, b in zip(masks, item.annotations):
            x, y = a.decode().astype(bool), b.decode().astype(bool)
            assert (x & y).sum() / (x | y).sum() > 0.9, (item.id, a.label)


def test_tags_stay_last(tmp_path: Path) -> None:
    """Masks are placed after their object's boxes; Tags from per-class lists stay at the end."""
    item = Item("a", ImageRef("a.jpg", 6, 6), [Polygon.from_rings([[0, 0], [4, 0], [4, 4]], label="cat"),
                                               Tag(label="dog")])
    annoconv.write(Dataset(LabelSet([Label("cat"), Label("dog")]), [item]), "voc", tmp_path / "out")
    back, _ = read(tmp_path / "out")
    assert [a.kind for a in back.items[0].annotations] == ["box", "mask", "tag"]


def test_cli_options(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """--void-borders and --segmentation reach the writer, --as-polygons the reader; a negative
    width is an option error (exit 4)."""
    from annoconv.cli import main

    annoconv.write(shapes_dataset(), "annoconv", tmp_path / "in.json")
    assert main(["convert", "annoconv", "voc", str(tmp_path / "in.json"), str(tmp_path / "voc"), "-q",
                 "--void-borders", "1"]) == 0
    objects = png(tmp_path / "voc" / "SegmentationObject" / "img" / "a.png")
    assert 255 in objects
    assert main(["convert", "voc", "annoconv", str(tmp_path / "voc"), str(tmp_path / "back.json"), "-q",
                 "--as-polygons"]) == 0
    assert {a.kind for _, a in annoconv.read("annoconv", tmp_path / "back.json").annotations()} == {"box", "polygon"}
    assert main(["convert", "annoconv", "voc", str(tmp_path / "in.json"), str(tmp_path / "never"), "-q",
                 "--segmentation", "never"]) == 0
    assert not (tmp_path / "never" / "SegmentationClass").exists()
    assert main(["convert", "annoconv", "voc", str(tmp_path / "in.json"), str(tmp_path / "bad"), "-q",
                 "--void-borders", "-2"]) == 4
    assert "void_borders" in capsys.readouterr().err


def test_objects_read_with_their_masks_are_one_coco_annotation_each(tmp_path: Path) -> None:
    """VOC -> COCO: an XML object and its SegmentationObject mask (a Box and a Mask in one group)
    are one COCO annotation, bbox from the box and segmentation from the mask, not two objects."""
    annoconv.write(shapes_dataset(), "voc", tmp_path / "voc")
    annoconv.convert("voc", "coco", tmp_path / "voc", tmp_path / "c.json")
    document = json.loads((tmp_path / "c.json").read_text())
    image_id = next(image["id"] for image in document["images"] if image["file_name"].endswith("a.jpg"))
    objects = [a for a in document["annotations"] if a["image_id"] == image_id]
    assert len(objects) == len(xml_names(tmp_path / "voc/Annotations/img/a.xml")) == 4
    assert [isinstance(a["segmentation"], dict) for a in objects] == [False, True, True, True]
    assert objects[3]["bbox"] == [1, 11, 9, 5] and objects[3]["area"] == 21


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 5), st.integers(0, 12), st.integers(0, 12)), max_size=30))
def test_union_of_overlapping_spans_counts_each_pixel_once(raw: list[tuple[int, int, int]]) -> None:
    """The partly-hidden check's union of several regions' spans (row, [start, stop)) against a
    dense reference."""
    spans = [(row, min(a, b), max(a, b)) for row, a, b in raw if a != b]
    dense = np.zeros((6, 12), dtype=bool)
    for row, start, stop in spans:
        dense[row, start:stop] = True
    def region(chunk: list[tuple[int, int, int]]) -> Spans:
        rows, starts, stops = (np.array([span[k] for span in chunk], dtype=np.int64) for k in range(3))
        return Spans(np.zeros(len(chunk), dtype=np.int64), rows, starts, stops)
    assert _union([region(spans[::2]), region(spans[1::2])], [], 6, 12) == int(dense.sum())

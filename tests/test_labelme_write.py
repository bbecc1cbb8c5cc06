"""labelme writing: byte-faithful labelme -> labelme, what every IR kind becomes, placement of the
files, embedded images, group ids, and what is reported."""

from __future__ import annotations

import base64
import json
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import annoconv
from annoconv import (Box, Code, Dataset, ImageRef, Item, Keypoints, Label, LabelSet, Mask, Point, Polygon,
                      Polyline, Report, Severity, Tag)
from annoconv.cli import main
from annoconv.formats._labelme_shapes import decode_mask
from annoconv.raster import polygon_mask
from builders import PERSON_KEYPOINTS, detection_dataset, lossy_dataset, square_mask
from conftest import FIXTURES

LABELME = FIXTURES / "labelme"


def write(dataset: Dataset, out: Path, **options: Any) -> Report:
    return annoconv.write(dataset, "labelme", out, **options)


def load(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))


def shapes_of(path: Path) -> list[dict[str, Any]]:
    return load(path)["shapes"]


# --- labelme -> labelme -------------------------------------------------------------------------

@pytest.mark.parametrize("case, options, warnings", [
    ("shapes", {}, []),
    ("keypoints", {"labelme_keypoints": str(LABELME / "keypoints" / "keypoints.yaml")},
     # keypoints are point shapes (the declaration makes them Keypoints again); their names are not in the files
     [Code.GEOMETRY_CONVERTED, Code.FIELD_DROPPED]),
    ("v3", {}, []),
])
def test_labelme_round_trip_is_byte_faithful(case: str, options: dict[str, Any], warnings: list[Code],
                                             tmp_path: Path) -> None:
    """Every file comes back byte for byte (circle, reversed rectangle, mask PNG, colours, key order),
    and reading the output gives the same IR."""
    source = LABELME / case
    dataset = annoconv.read("labelme", source, **options)
    report = write(dataset, tmp_path / "out")
    for path in source.rglob("*.json"):
        assert (tmp_path / "out" / path.relative_to(source)).read_bytes() == path.read_bytes(), path
    assert {i.code for i in report if i.severity is not Severity.INFO} == set(warnings)
    for image in source.rglob("*.png"):  # sizes the source took from image headers
        shutil.copy(image, tmp_path / "out" / image.relative_to(source))
    assert annoconv.read("labelme", tmp_path / "out", **options) == dataset


def test_folder_tree_is_mirrored_and_null_sizes_filled(tmp_path: Path) -> None:
    source = LABELME / "tree"
    dataset = annoconv.read("labelme", source)
    report = write(dataset, tmp_path / "out", labelme_embed_images=True)
    assert (tmp_path / "out/labels/a.json").read_bytes() == (source / "labels/a.json").read_bytes()
    deep = load(tmp_path / "out/labels/deep/b.json")
    original = load(source / "labels/deep/b.json")
    assert deep == {**original, "imageHeight": 6, "imageWidth": 8}  # read from the embedded image's header
    assert report.by_code(Code.FIELD_DROPPED)[0].item == "images/a.jpg"  # no image to embed for a.json
    assert annoconv.read("labelme", tmp_path / "out") == dataset


def test_embedded_image_not_written_by_default_is_reported(tmp_path: Path) -> None:
    report = write(annoconv.read("labelme", LABELME / "tree"), tmp_path / "out")
    assert load(tmp_path / "out/labels/deep/b.json")["imageData"] is None
    (issue,) = report.by_code(Code.FIELD_DROPPED)
    assert issue.item == "labels/deep/b.png" and "labelme_embed_images" in issue.message


def test_embedding_reads_the_image_file_under_the_image_root(tmp_path: Path) -> None:
    (tmp_path / "imgs").mkdir()
    shutil.copy(LABELME / "v3" / "img.png", tmp_path / "imgs" / "x.png")
    dataset = Dataset(LabelSet([Label("cat")]), [Item("x.png", ImageRef("x.png"), [Point([1, 1], label="cat")])])
    report = write(dataset, tmp_path / "out", labelme_embed_images=True, labelme_image_root=str(tmp_path / "imgs"))
    document = load(tmp_path / "out" / "x.json")
    assert base64.b64decode(document["imageData"]) == (LABELME / "v3" / "img.png").read_bytes()
    assert (document["imageWidth"], document["imageHeight"]) == (5, 4)  # from the image header
    assert not report.issues


# --- IR -> labelme ------------------------------------------------------------------------------

def test_detection_dataset(tmp_path: Path) -> None:
    report = write(detection_dataset(), tmp_path / "out")
    out = tmp_path / "out"
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*.json")) == [
        "images/a.json", "images/empty.json", "images/sub/b.json"]
    a = load(out / "images/a.json")
    assert (a["imagePath"], a["imageWidth"], a["imageHeight"], a["imageData"]) == ("a.jpg", 64, 48, None)
    box, polygon, part1, part2, mask = a["shapes"]
    assert box["shape_type"] == "rectangle" and box["points"] == [[10.0, 12.0], [50.0, 40.0]]
    assert box["flags"] == {"occluded": False}  # booleans are flags, the rest goes to the description
    assert json.loads(box["description"]) == {"attributes": {"color": "grey"}}
    assert polygon["shape_type"] == "polygon" and polygon["group_id"] is None
    assert part1["group_id"] == part2["group_id"] == 1 and part2["points"] == [[50.0, 5.0], [60.0, 5.0], [55.0, 10.5]]
    assert mask["shape_type"] == "mask" and mask["points"] == [[5.0, 20.0], [12.0, 27.0]]
    assert decode_mask(mask["mask"]).all() and decode_mask(mask["mask"]).shape == (8, 8)
    assert json.loads(mask["description"]) == {"iscrowd": True}

    b = load(out / "images/sub/b.json")
    assert b["flags"] == {"cat": True}
    assert [(s["label"], s["shape_type"], s["group_id"]) for s in b["shapes"]] == [
        ("person", "rectangle", 10), ("person:nose", "point", 10), ("person:left_eye", "point", 10)]
    assert json.loads(b["shapes"][2]["description"]) == {"score": 0.9, "visibility": 1}  # occluded
    assert json.loads(b["shapes"][0]["description"]) == {"score": 0.9}
    assert load(out / "images/empty.json")["shapes"] == []

    codes = {(s.code, s.message) for s in report.summary() if s.severity is not Severity.INFO}
    assert codes == {(Code.GEOMETRY_CONVERTED, "Multi-part polygon written as polygon shapes sharing a group_id "
                      "(labelme)"),
                     (Code.GEOMETRY_CONVERTED, "Keypoints written as point shapes '<label>:<keypoint>' sharing a "
                      "group_id (labelme)"),
                     (Code.FIELD_DROPPED, "Label parents (supercategories) dropped: labelme cannot hold it"),
                     (Code.FIELD_DROPPED, "Label keypoint names and skeletons dropped: labelme cannot hold it")}
    info = {i.message[:40]: i for i in report if i.severity is Severity.INFO}
    assert info["label definitions not written: labelme f"].detail["labels"] == ["cat", "dog", "person"]  # ids
    assert info["annotation ids not written: labelme has "].count == 7


def test_detection_dataset_reads_back(tmp_path: Path) -> None:
    """Everything but the documented conversions comes back: the multi-part polygon as grouped parts,
    the keypoints (declared again) with their group."""
    (tmp_path / "kp.yaml").write_text(json.dumps({"person": list(PERSON_KEYPOINTS)}))
    source = detection_dataset()
    write(source, tmp_path / "out")
    back = annoconv.read("labelme", tmp_path / "out", labelme_keypoints=str(tmp_path / "kp.yaml"))
    items = {item.image.path: item for item in back.items}
    a = items["images/a.jpg"].annotations
    expected_a = source.items[0].annotations
    assert a[0] == expected_a[0].replace(id=None)  # attributes: occluded (flag) and color (description)
    assert a[1] == expected_a[1].replace(id=None)
    assert a[2:4] == [Polygon([region], label="dog", group=1) for region in expected_a[2].regions]
    assert a[4] == expected_a[3].replace(id=None)  # the crowd RLE mask, exactly
    tag, box, points = items["images/sub/b.png"].annotations
    assert type(tag) is Tag and tag.label == "cat"
    assert box == source.items[1].annotations[0].replace(id=None)
    expected = source.items[1].annotations[1]
    assert type(points) is Keypoints and points.group == 10 and points.score == 0.9
    np.testing.assert_array_equal(points.xy, expected.xy)
    np.testing.assert_array_equal(points.visibility, expected.visibility)


def test_lossy_dataset(tmp_path: Path) -> None:
    dataset = lossy_dataset()
    report = write(dataset, tmp_path / "out")
    rotated, holed, line, point = shapes_of(tmp_path / "out" / "c.json")
    assert rotated["shape_type"] == "polygon"
    np.testing.assert_allclose(rotated["points"], dataset.items[0].annotations[0].corners())
    assert (line["shape_type"], point["shape_type"]) == ("linestrip", "point")
    # the polygon with a hole, rasterized under the pixel-centre rule and cropped to its pixels
    assert holed["shape_type"] == "mask"
    polygon = dataset.items[0].annotations[1]
    full = polygon_mask(polygon.regions, 30, 40)
    rows, cols = np.flatnonzero(full.any(axis=1)), np.flatnonzero(full.any(axis=0))
    assert holed["points"] == [[float(cols[0]), float(rows[0])], [float(cols[-1]), float(rows[-1])]]
    np.testing.assert_array_equal(decode_mask(holed["mask"]), full[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1])
    assert int(full.sum()) == 400 - 25  # the 20x20 square minus the 5x5 hole
    assert {s.message for s in report.summary()} >= {
        "Rotated box written as a 4-point polygon shape (labelme)", "Polygon holes written as a mask shape (labelme)",
        "Caption annotations dropped: labelme cannot hold them"}


def test_masks_round_trip_exactly(tmp_path: Path) -> None:
    rng = np.random.default_rng(7)
    masks = [square_mask(9, 11, 2, 3, 4), (rng.random((9, 11)) > 0.6).astype(np.uint8), np.zeros((9, 11), np.uint8)]
    annotations = [Mask.from_array(m, label="m", score=0.5) for m in masks]
    dataset = Dataset(LabelSet([Label("m")]), [Item("m.png", ImageRef("m.png", 11, 9), annotations)])
    write(dataset, tmp_path / "out")
    back = annoconv.read("labelme", tmp_path / "out")
    assert back.items[0].annotations == annotations


def test_description_carries_what_flags_cannot(tmp_path: Path) -> None:
    polyline = Polyline([[0, 0], [3, 4]], label="l", score=0.25, iscrowd=True, group="track-7",
                        attributes={"seen": True, "n": 3, "tags": ["a", "b"], "description": "a road"})
    dataset = Dataset(LabelSet([Label("l")]), [Item("x.jpg", ImageRef("x.jpg", 9, 9), [polyline])])
    report = write(dataset, tmp_path / "out")
    (shape,) = shapes_of(tmp_path / "out" / "x.json")
    assert shape["flags"] == {"seen": True} and shape["group_id"] == 1
    assert json.loads(shape["description"]) == {"score": 0.25, "text": "a road", "iscrowd": True,
                                                "attributes": {"n": 3, "tags": ["a", "b"]}}
    assert report.by_code(Code.ID_REASSIGNED)[0].detail["groups"] == {"track-7": 1}
    back = annoconv.read("labelme", tmp_path / "out").items[0].annotations[0]
    assert back == polyline.replace(group=1)


def test_plain_text_that_looks_structured_is_wrapped(tmp_path: Path) -> None:
    point = Point([1, 1], label="p", attributes={"description": '{"score": 1}'})
    dataset = Dataset(LabelSet([Label("p")]), [Item("x.jpg", ImageRef("x.jpg", 4, 4), [point])])
    write(dataset, tmp_path / "out")
    assert json.loads(shapes_of(tmp_path / "out" / "x.json")[0]["description"]) == {"text": '{"score": 1}'}
    assert annoconv.read("labelme", tmp_path / "out").items[0].annotations[0] == point


def test_edited_circle_is_written_as_a_polygon(tmp_path: Path) -> None:
    dataset = annoconv.read("labelme", LABELME / "shapes")
    item = dataset.items[0]
    circle = item.annotations[4]
    item.annotations[4] = circle.replace(regions=[[circle.regions[0][0] + 1.0]])  # moved: no longer on it
    write(dataset, tmp_path / "out")
    assert shapes_of(tmp_path / "out" / "sub/all.json")[3]["shape_type"] == "polygon"


def test_file_name_clash_and_tag_losses(tmp_path: Path) -> None:
    labels = LabelSet([Label("cat")])
    items = [Item("a.jpg", ImageRef("a.jpg", 4, 4), [Tag(label="cat", score=0.5)]),
             Item("a.png", ImageRef("a.png", 4, 4), [Box([0, 0, 1, 1], label="cat")], subset="val")]
    report = write(Dataset(labels, items), tmp_path / "out")
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["a.json", "a_2.json"]
    assert load(tmp_path / "out" / "a_2.json")["imagePath"] == "a.png"
    assert {i.code for i in report} == {Code.ID_REASSIGNED, Code.SCORE_DROPPED, Code.FIELD_DROPPED}
    assert annoconv.read("labelme", tmp_path / "out").items[1].image.path == "a.png"


def test_unknown_size_is_reported(tmp_path: Path) -> None:
    dataset = Dataset(LabelSet([Label("c")]), [Item("u.jpg", ImageRef("u.jpg"), [Point([1, 2], label="c")])])
    report = write(dataset, tmp_path / "out")
    assert load(tmp_path / "out" / "u.json")["imageHeight"] is None
    assert [i.code for i in report] == [Code.IMAGE_SIZE_MISSING]


def test_cli_converts_labelme_with_embedding(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["convert", "labelme", "labelme", str(LABELME / "v3"), str(tmp_path / "out"),
                 "--labelme-embed-images", "--labelme-image-root", str(LABELME / "v3")])
    assert code == 0, capsys.readouterr().err
    document = load(tmp_path / "out" / "img.json")
    assert base64.b64decode(document["imageData"]) == (LABELME / "v3" / "img.png").read_bytes()


def test_null_flags_and_unusual_values_come_back_as_they_were(tmp_path: Path) -> None:
    """"flags": null (image and shape) stays null; a string group_id and integer coordinates are
    written as labelme writes them (an integer group_id, reported; floats)."""
    document = {"version": "4.5.6", "flags": None, "shapes": [
        {"label": "a", "points": [[1, 2], [3, 4]], "group_id": "g", "shape_type": "line", "flags": None}],
        "imagePath": "x.jpg", "imageData": None, "imageHeight": 9, "imageWidth": 9}
    (tmp_path / "in").mkdir()
    source = tmp_path / "in" / "x.json"
    source.write_bytes(json.dumps(document, indent=2).encode())
    dataset = annoconv.read("labelme", source)
    assert dataset.items[0].annotations[0].group == "g"
    report = write(dataset, tmp_path / "out")
    written = load(tmp_path / "out" / "x.json")
    shape = {**document["shapes"][0], "group_id": 1, "points": [[1.0, 2.0], [3.0, 4.0]]}
    assert written == {**document, "shapes": [shape]}
    assert [i.code for i in report] == [Code.ID_REASSIGNED]  # labelme group ids are integers


def test_z_order_becomes_the_shapes_order(tmp_path: Path) -> None:
    """labelme draws later shapes on top: shapes are written by z-order (then item order), reported."""
    item = Item("a.jpg", ImageRef("a.jpg", 10, 10), [
        Box((0, 0, 5, 5), label="top", z_order=1), Box((2, 2, 8, 8), label="middle"),
        Box((1, 1, 3, 3), label="bottom", z_order=-1)])
    report = write(Dataset(LabelSet([Label("top"), Label("middle"), Label("bottom")]), [item]), tmp_path / "out")
    assert [shape["label"] for shape in shapes_of(tmp_path / "out" / "a.json")] == ["bottom", "middle", "top"]
    assert [(s.code, s.count) for s in report.summary() if "z_order" in s.message] == [(Code.FIELD_DROPPED, 2)]

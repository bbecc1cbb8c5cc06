"""Bad input for semantic-png / instance-png: a clear error naming the file or item, or a Report
entry under on_error="skip" — never a silent wrong mask, never a raw traceback."""

from __future__ import annotations

import json
import re
import struct
import zlib
from pathlib import Path

import numpy as np
import pytest
from index_png_support import dataset, write_png

import annoconv
from annoconv import (Box, Code, Dataset, ImageRef, InputPathError, Item, Label, LabelSet, Mask, ParseError,
                      Polygon, SchemaError)
from annoconv.raster.png import encode_png


def _written(tmp_path: Path, fmt: str = "semantic-png", data: Dataset | None = None) -> Path:
    root = tmp_path / "maps"
    annoconv.write(data or dataset(), fmt, root)
    return root


def _sidecar(root: Path) -> dict:  # type: ignore[type-arg]
    return json.loads((root / "labels.json").read_text())


def _save_sidecar(root: Path, data: dict) -> None:  # type: ignore[type-arg]
    (root / "labels.json").write_text(json.dumps(data))


# --- writing -----------------------------------------------------------------------------------

def test_more_labels_than_a_palette_holds_is_a_schema_error(tmp_path: Path) -> None:
    names = [f"c{k}" for k in range(300)]
    item = Item("a.jpg", ImageRef("a.jpg", 20, 15),
                [Box((k % 20, k // 20, k % 20 + 1, k // 20 + 1), label=name) for k, name in enumerate(names)])
    data = Dataset(LabelSet(Label(name) for name in names), [item])
    with pytest.raises(SchemaError, match="300 drawable labels do not fit an 8-bit palette PNG"):
        annoconv.write(data, "semantic-png", tmp_path / "out")
    assert not (tmp_path / "out").exists()
    annoconv.write(data, "instance-png", tmp_path / "ins")  # instances: 16-bit, no palette needed
    assert [a.label for a in annoconv.read("instance-png", tmp_path / "ins").items[0].annotations] == names


def test_rle_of_another_size_names_item_and_annotation(tmp_path: Path) -> None:
    item = Item("a.jpg", ImageRef("a.jpg", 10, 8), [Mask.from_array(np.ones((8, 9), np.uint8), label="cat", id=7)])
    data = Dataset(LabelSet([Label("cat")]), [item])
    with pytest.raises(SchemaError, match=r"annotation 7 \(item 'a.jpg'\): RLE mask size \[8, 9\] differs"):
        annoconv.write(data, "semantic-png", tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_missing_image_size_names_the_item(tmp_path: Path) -> None:
    data = Dataset(LabelSet([Label("cat")]), [Item("x", ImageRef("img/x.jpg"), [Box((0, 0, 1, 1), label="cat")])])
    with pytest.raises(SchemaError, match=r"item 'x' \(img/x.jpg\): the image size is unknown"):
        annoconv.write(data, "instance-png", tmp_path / "out")
    report = annoconv.write(data, "instance-png", tmp_path / "skip", on_error="skip")
    assert report.by_code(Code.ITEM_SKIPPED)[0].item == "x"
    assert _sidecar(tmp_path / "skip")["images"] == []


def test_self_intersecting_polygons_are_written_even_odd(tmp_path: Path) -> None:
    angles = np.deg2rad(-90 + 144 * np.arange(5))
    star = np.stack([16 + 15 * np.cos(angles), 16 + 15 * np.sin(angles)], axis=1)
    bow_tie = [[0, 0], [8, 8], [8, 0], [0, 8]]
    item = Item("a.jpg", ImageRef("a.jpg", 32, 32), [Polygon.from_rings(star, label="star"),
                                                     Polygon.from_rings(bow_tie, label="tie")])
    data = Dataset(LabelSet([Label("star"), Label("tie")]), [item])
    back = annoconv.read("semantic-png", _written(tmp_path, data=data))
    star_mask, tie_mask = (a.decode() for a in back.items[0].annotations)
    assert star_mask[16, 16] == 0 and star_mask[3, 16] == 1  # the pentagon in the middle is a hole
    assert tie_mask[4, 1] == 1 and tie_mask[1, 4] == 0 and tie_mask[4, 6] == 1


def test_degenerate_and_outside_shapes_paint_nothing_and_are_reported(tmp_path: Path) -> None:
    item = Item("a.jpg", ImageRef("a.jpg", 10, 10), [
        Polygon.from_rings([[1, 1], [5, 5], [9, 9]], label="cat", id="line"),
        Box((3, 3, 3, 9), label="cat", id="flat"),
        Box((-20, -20, -10, -10), angle=20, label="cat", id="away"),
        Polygon.from_rings([[1e9, 1e9], [2e9, 1e9], [2e9, 2e9]], label="cat", id="far"),
    ])
    report = annoconv.write(Dataset(LabelSet([Label("cat")]), [item]), "semantic-png", tmp_path / "out")
    assert {(i.code, i.annotation) for i in report.issues if i.code in (Code.COORDINATE_CLIPPED,
                                                                       Code.PRECISION_REDUCED)} == {
        (Code.PRECISION_REDUCED, "line"), (Code.PRECISION_REDUCED, "flat"),
        (Code.COORDINATE_CLIPPED, "away"), (Code.COORDINATE_CLIPPED, "far")}
    assert annoconv.read("semantic-png", tmp_path / "out").items[0].annotations == []


# --- reading -----------------------------------------------------------------------------------

def test_index_not_in_the_sidecar(tmp_path: Path) -> None:
    root = _written(tmp_path)
    values = np.zeros((16, 20), np.uint8)
    values[3, 4] = 9
    (root / "val/sub/b.png").write_bytes(encode_png(values, np.zeros((256, 3), np.uint8)))
    with pytest.raises(SchemaError, match=r"val/sub/b.png \(b-id\): index 9 is not a class of labels.json"):
        annoconv.read("semantic-png", root)
    report = annoconv.Report()
    back = annoconv.read("semantic-png", root, on_error="skip", report=report)
    assert [item.id for item in back.items] == ["train/a.jpg", "c.jpg"]
    [skipped] = report.by_code(Code.ITEM_SKIPPED)
    assert skipped.item == "val/sub/b.png" and "index 9" in skipped.detail["reason"]


def test_16_bit_map_with_more_instances_than_the_sidecar(tmp_path: Path) -> None:
    root = _written(tmp_path, "instance-png")
    values = np.zeros((16, 20), np.uint16)
    values[0, :3] = [1, 2, 300]
    (root / "val/sub/b.png").write_bytes(encode_png(values))
    with pytest.raises(SchemaError, match=r"b.png \(b-id\): instance index 300 is not listed in the sidecar"):
        annoconv.read("instance-png", root)


def test_colour_not_in_the_palette(tmp_path: Path) -> None:
    root = _written(tmp_path)
    rgb = np.zeros((8, 8, 3), np.uint8)
    rgb[5, 2] = (1, 2, 3)
    write_png(root / "c.png", rgb, "RGB")
    with pytest.raises(SchemaError, match=r"c.png: colour \(1, 2, 3\) at x=2, y=5 is not a class colour"):
        annoconv.read("semantic-png", root)


def test_index_beyond_the_png_palette(tmp_path: Path) -> None:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    png = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 2, 1, 8, 3, 0, 0, 0))
           + chunk(b"PLTE", bytes([0, 0, 0, 128, 0, 0])) + chunk(b"IDAT", zlib.compress(bytes([0, 0, 5])))
           + chunk(b"IEND", b""))
    (tmp_path / "m.png").write_bytes(png)
    with pytest.raises(SchemaError, match=r"m.png \(m.png\): index 5 is beyond the PNG palette \(2 colours\)"):
        annoconv.read("semantic-png", tmp_path)


def test_size_disagreeing_with_the_sidecar(tmp_path: Path) -> None:
    root = _written(tmp_path)
    (root / "c.png").write_bytes(encode_png(np.zeros((8, 9), np.uint8)))
    with pytest.raises(SchemaError, match=r"c.png: the mask is 9 x 8 pixels but the sidecar says 8 x 8"):
        annoconv.read("semantic-png", root)


def test_mask_listed_but_missing(tmp_path: Path) -> None:
    root = _written(tmp_path)
    (root / "c.png").unlink()
    with pytest.raises(InputPathError, match=r"c.png: mask file not found"):
        annoconv.read("semantic-png", root)
    report = annoconv.Report()
    assert len(annoconv.read("semantic-png", root, on_error="skip", report=report).items) == 2
    assert report.by_code(Code.ITEM_SKIPPED)[0].item == "c.png"


def test_unlisted_pngs_are_reported(tmp_path: Path) -> None:
    root = _written(tmp_path)
    write_png(root / "extra" / "stray.png", np.zeros((2, 2), np.uint8))
    report = annoconv.Report()
    assert len(annoconv.read("semantic-png", root, report=report).items) == 3
    [issue] = [issue for issue in report.by_code(Code.SKIPPED_CONTENT) if "not listed" in issue.message]
    assert issue.detail["files"] == ["extra/stray.png"]


def test_broken_sidecars(tmp_path: Path) -> None:
    root = _written(tmp_path, "instance-png")
    good = _sidecar(root)
    (root / "labels.json").write_text("{not json")
    with pytest.raises(ParseError, match="labels.json"):
        annoconv.read("instance-png", root)
    _save_sidecar(root, {"images": []})
    with pytest.raises(SchemaError, match=r"labels.json: \$: expected an object with a 'classes' list"):
        annoconv.read("instance-png", root)
    _save_sidecar(root, {**good, "classes": [{"index": "one"}]})
    with pytest.raises(SchemaError, match=r"labels.json: \$.classes\[0\]: a class needs 'index', 'name'"):
        annoconv.read("instance-png", root)
    _save_sidecar(root, {**good, "images": [{"image": "x.jpg"}]})
    with pytest.raises(SchemaError, match=r"labels.json: \$.images\[0\]: an image entry needs a 'mask' path"):
        annoconv.read("instance-png", root)
    broken = json.loads(json.dumps(good))
    broken["images"][1]["instances"][0] = {"index": 1}
    _save_sidecar(root, broken)
    with pytest.raises(SchemaError, match=r"b.png: instances\[0\]: an instance needs an integer 'index' and a"):
        annoconv.read("instance-png", root)


def test_missing_inputs(tmp_path: Path) -> None:
    with pytest.raises(InputPathError, match="expected a folder of semantic PNG masks"):
        annoconv.read("semantic-png", tmp_path / "nowhere")
    (tmp_path / "maps").mkdir()
    with pytest.raises(InputPathError, match="classes.txt: labels file not found"):
        annoconv.read("semantic-png", tmp_path / "maps", labels=str(tmp_path / "classes.txt"))


@pytest.mark.parametrize("where, edit, fragment", [
    ("$.classes[0]", lambda d: d["classes"][0].update(skeleton=[[0, 5]]), "skeleton edge (0, 5) is outside"),
    ("$.classes[0].attributes", lambda d: d["classes"][0].update(attributes=[1]), "'attributes' must be an object"),
    ("$.labels_without_index[0]", lambda d: d.update(labels_without_index=[{"id": 3}]), "a label needs a 'name'"),
    ("", lambda d: d["images"][0].update(attributes="sunny"), "image 'attributes' must be an object"),
])
def test_bad_label_definitions_and_image_attributes_in_the_sidecar(tmp_path: Path, where: str, edit, fragment: str
                                                                   ) -> None:  # type: ignore[no-untyped-def]
    root = _written(tmp_path)
    data = _sidecar(root)
    edit(data)
    _save_sidecar(root, data)
    with pytest.raises(SchemaError, match=re.escape(fragment)) as caught:
        annoconv.read("semantic-png", root)
    assert where in str(caught.value)

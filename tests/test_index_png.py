"""semantic-png and instance-png through annoconv.write / read / convert and the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from index_png_support import CLASS_INDEX, crowd_pixels, dataset, write_png
from PIL import Image

import annoconv
from annoconv import Box, Code, Dataset, ImageRef, Item, Label, LabelSet, Mask, OptionError, Polygon, SchemaError
from annoconv.cli import main
from annoconv.formats._index_png_writer import mask_paths
from annoconv.raster.palette import fastlabel_palette, voc_palette
from annoconv.raster.rasterize import polygon_mask


def _sidecar(root: Path) -> dict:  # type: ignore[type-arg]
    return json.loads((root / "labels.json").read_text())


def _png(path: Path) -> tuple[np.ndarray, str, np.ndarray | None]:
    with Image.open(path) as image:
        palette = np.array(image.getpalette()).reshape(-1, 3) if image.mode == "P" else None
        return np.asarray(image), image.mode, palette


# --- semantic-png ------------------------------------------------------------------------------

def test_semantic_round_trip(tmp_path: Path) -> None:
    source = dataset()
    report = annoconv.write(source, "semantic-png", tmp_path / "out")
    sidecar = _sidecar(tmp_path / "out")
    # Drawable labels only (person has keypoints only), declared ones keep their index.
    assert [(c["index"], c["name"]) for c in sidecar["classes"]] == [(1, "cat"), (2, "dog"), (3, "unused")]
    assert [image["mask"] for image in sidecar["images"]] == ["train/a.png", "val/sub/b.png", "c.png"]
    for item, mask in zip(source.items, ("train/a.png", "val/sub/b.png", "c.png")):
        values, mode, palette = _png(tmp_path / "out" / mask)
        assert mode == "P" and np.array_equal(values, annoconv.rasterize(item, CLASS_INDEX))
    assert {s.code for s in report.summary()} >= {Code.GEOMETRY_CONVERTED, Code.UNSUPPORTED_KIND}

    back = annoconv.read("semantic-png", tmp_path / "out")
    # The whole label set comes back, in its order: person has no index but is listed in labels.json.
    assert back.labels.names() == ["cat", "dog", "person", "unused"]
    assert back.labels["dog"].parent == "animal" and back.labels["cat"].color == (10, 20, 30)
    assert back.labels["person"] == source.labels["person"]
    assert [(i.id, i.image.path, i.image.width, i.image.height, i.subset) for i in back.items] == [
        ("train/a.jpg", "train/a.jpg", 40, 30, "train"), ("b-id", "val/sub/b.png", 20, 16, "val"),
        ("c.jpg", "c.jpg", 8, 8, None)]
    for original, item in zip(source.items, back.items):
        expected = annoconv.rasterize(original, CLASS_INDEX)
        assert all(isinstance(a, Mask) for a in item.annotations)
        assert sorted(a.label for a in item.annotations) == sorted(
            name for name, index in CLASS_INDEX.items() if (expected == index).any())
        for annotation in item.annotations:
            assert np.array_equal(annotation.decode(), expected == CLASS_INDEX[annotation.label])



@pytest.mark.parametrize("fmt", ["semantic-png", "instance-png"])
def test_label_definitions_and_image_attributes_survive(fmt: str, tmp_path: Path) -> None:
    """labels.json keeps every label's definition (also labels with nothing to paint) and the
    sidecar each image's attributes: nothing of them is lost, so nothing is reported."""
    labels = LabelSet([Label("person", id=7, parent="human", color=(1, 2, 3), keypoints=("a", "b"),
                             skeleton=((0, 1),), attributes={"pose": {"type": "select", "options": ["up"]}}),
                       Label("weather", attributes={"kind": {"type": "text"}})])
    item = Item("i.jpg", ImageRef("i.jpg", 6, 5), [Box((1, 1, 4, 4), label="person"), annoconv.Tag(label="weather")],
                attributes={"time": "night"})
    report = annoconv.write(Dataset(labels, [item]), fmt, tmp_path / "out")
    assert not [s for s in report.summary() if s.code is Code.FIELD_DROPPED]
    back = annoconv.read(fmt, tmp_path / "out")
    assert list(back.labels) == list(labels)
    assert back.items[0].attributes == {"time": "night"}


def test_crowd_is_ignore_by_default_and_class_or_skip_on_request(tmp_path: Path) -> None:
    crowd = crowd_pixels().astype(bool)
    annoconv.write(dataset(), "semantic-png", tmp_path / "ignore")
    values, _, _ = _png(tmp_path / "ignore" / "train/a.png")
    assert (values[crowd] == 255).all() and _sidecar(tmp_path / "ignore")["ignore"] == 255
    report = annoconv.Report()
    back = annoconv.read("semantic-png", tmp_path / "ignore", report=report)
    assert report.by_code(Code.SKIPPED_CONTENT)[0].item == "train/a.jpg"  # void pixels reported, not read
    assert not any((a.decode().astype(bool) & crowd).any() for a in back.items[0].annotations)

    annoconv.write(dataset(), "semantic-png", tmp_path / "class", crowd="class")
    assert (_png(tmp_path / "class" / "train/a.png")[0][crowd] == CLASS_INDEX["dog"]).all()
    report = annoconv.write(dataset(), "semantic-png", tmp_path / "skip", crowd="skip")
    assert (_png(tmp_path / "skip" / "train/a.png")[0][crowd] == 0).all()
    [skipped] = report.by_code(Code.SKIPPED_CONTENT)
    assert skipped.annotation == 4 and "crowd" in skipped.message


def test_start_index_zero_needs_another_background(tmp_path: Path) -> None:
    with pytest.raises(OptionError, match="'cat' would get index 0, which is the background"):
        annoconv.write(dataset(), "semantic-png", tmp_path / "bad", start_index=0)
    assert not (tmp_path / "bad").exists()
    annoconv.write(dataset(), "semantic-png", tmp_path / "zero", start_index=0, background=254, crowd="skip")
    classes = _sidecar(tmp_path / "zero")["classes"]
    assert [(c["index"], c["name"]) for c in classes] == [(0, "cat"), (1, "dog"), (2, "unused")]
    values, _, _ = _png(tmp_path / "zero" / "c.png")
    assert (values == 254).all()
    back = annoconv.read("semantic-png", tmp_path / "zero")
    assert sorted(a.label for a in back.items[0].annotations) == ["cat", "dog"]


@pytest.mark.parametrize("name", ["voc", "fastlabel", "labels"])
def test_palettes(tmp_path: Path, name: str) -> None:
    annoconv.write(dataset(), "semantic-png", tmp_path / name, palette=name)
    values, _, palette = _png(tmp_path / name / "val/sub/b.png")
    assert palette is not None and len(palette) == int(values.max()) + 1  # entries up to the largest index
    expected = {"voc": voc_palette(), "fastlabel": fastlabel_palette()}.get(name, voc_palette())
    if name == "labels":
        assert tuple(palette[1]) == (10, 20, 30)  # cat's own colour; dog has none: VOC's
        assert np.array_equal(palette[2], voc_palette()[2])
    else:
        assert np.array_equal(palette, expected[:len(palette)])
    colors = {c["name"]: tuple(c["color"]) for c in _sidecar(tmp_path / name)["classes"]}
    assert colors["dog"] == tuple(int(v) for v in palette[2])


def test_line_width_gives_keypoint_labels_an_index(tmp_path: Path) -> None:
    annoconv.write(dataset(), "semantic-png", tmp_path / "out", line_width=2)
    assert [c["name"] for c in _sidecar(tmp_path / "out")["classes"]] == ["cat", "dog", "person", "unused"]
    values, _, _ = _png(tmp_path / "out" / "train/a.png")
    assert values[5, 5] == 3  # the person's keypoint, drawn


def test_as_polygons_reading_is_exact(tmp_path: Path) -> None:
    annoconv.write(dataset(), "semantic-png", tmp_path / "out")
    masks = annoconv.read("semantic-png", tmp_path / "out")
    polygons = annoconv.read("semantic-png", tmp_path / "out", as_polygons=True)
    for mask_item, polygon_item in zip(masks.items, polygons.items):
        for mask, polygon in zip(mask_item.annotations, polygon_item.annotations):
            assert isinstance(polygon, Polygon) and polygon.label == mask.label
            height, width = mask.size
            assert np.array_equal(polygon_mask(polygon.regions, height, width), mask.decode())


def test_labelme_labels_txt_and_rgb_and_grey_pngs(tmp_path: Path) -> None:
    root = tmp_path / "maps"
    indices = np.array([[0, 1, 1], [2, 255, 0]], np.uint8)
    write_png(root / "p.png", indices)
    write_png(root / "grey.png", indices, "L")
    write_png(root / "rgb.png", voc_palette()[indices], "RGB")
    (tmp_path / "labels.txt").write_text("__ignore__\n_background_\ncat\ndog\n")
    report = annoconv.Report()
    back = annoconv.read("semantic-png", root, labels=str(tmp_path / "labels.txt"), report=report)
    assert back.labels.names() == ["cat", "dog"]
    assert [item.id for item in back.items] == ["grey.png", "p.png", "rgb.png"]
    for item in back.items:
        assert {a.label: a.decode().tolist() for a in item.annotations} == {
            "cat": [[0, 1, 1], [0, 0, 0]], "dog": [[0, 0, 0], [1, 0, 0]]}
    assert len(report.by_code(Code.SKIPPED_CONTENT)) == 3  # the void pixel of each map


def test_labels_txt_in_the_folder_without_ignore_line(tmp_path: Path) -> None:
    write_png(tmp_path / "m.png", np.array([[0, 1, 255]], np.uint8))
    (tmp_path / "labels.txt").write_text("_background_\ncat\n")  # labelme's class_names.txt: 255 is void
    back = annoconv.read("semantic-png", tmp_path)
    assert [a.label for a in back.items[0].annotations] == ["cat"]


def test_palette_only_reading_names_classes_after_indices(tmp_path: Path) -> None:
    palette = voc_palette()
    palette[7] = (1, 2, 3)
    write_png(tmp_path / "m.png", np.array([[0, 7, 7, 3]], np.uint8), palette=palette)
    report = annoconv.Report()
    back = annoconv.read("semantic-png", tmp_path, report=report)
    assert back.labels.names() == ["class_3", "class_7"]
    assert back.labels["class_7"].color == (1, 2, 3)
    assert report.by_code(Code.LABEL_UNKNOWN)


def test_rgb_pngs_map_through_the_sidecar_colours(tmp_path: Path) -> None:
    annoconv.write(dataset(), "semantic-png", tmp_path / "out", palette="fastlabel")
    expected = annoconv.read("semantic-png", tmp_path / "out", as_polygons=True)
    for mask in ("train/a.png", "val/sub/b.png"):
        path = tmp_path / "out" / mask
        with Image.open(path) as image:
            image.convert("RGB").save(path)
    assert _png(tmp_path / "out" / "train/a.png")[1] == "RGB"
    again = annoconv.read("semantic-png", tmp_path / "out", as_polygons=True)
    assert [i.annotations for i in again.items] == [i.annotations for i in expected.items]
    assert sorted(a.label for a in again.items[1].annotations) == ["cat", "dog"]


# --- instance-png ------------------------------------------------------------------------------

def test_instance_round_trip_restores_labels_ids_and_crowd(tmp_path: Path) -> None:
    source = dataset()
    annoconv.write(source, "instance-png", tmp_path / "out")
    values, mode, _ = _png(tmp_path / "out" / "train/a.png")
    assert mode == "P" and np.array_equal(values, annoconv.rasterize(source.items[0], mode="instance"))
    back = annoconv.read("instance-png", tmp_path / "out")
    assert [[(a.label, a.id, a.iscrowd) for a in item.annotations] for item in back.items] == [
        [("cat", 1, False), ("dog", 2, False), ("cat", 3, False), ("dog", 4, True)],
        [("cat", 10, False), ("dog", 11, False)], []]
    crowd = back.items[0].annotations[3]
    assert np.array_equal(crowd.decode(), crowd_pixels())
    assert back.labels.names() == ["cat", "dog", "person", "unused"]
    assert back.items[1].image == ImageRef("val/sub/b.png", 20, 16) and back.items[1].subset == "val"


def test_instance_crowd_ignore_is_reported_and_read_as_void(tmp_path: Path) -> None:
    report = annoconv.write(dataset(), "instance-png", tmp_path / "out", crowd="ignore")
    [dropped] = report.by_code(Code.FIELD_DROPPED)
    assert dropped.annotation == 4 and "ignore value" in dropped.message
    entry = _sidecar(tmp_path / "out")["images"][0]
    assert entry["ignore"] == 255 and [row["id"] for row in entry["instances"]] == [1, 2, 3]
    back = annoconv.read("instance-png", tmp_path / "out")
    assert [a.id for a in back.items[0].annotations] == [1, 2, 3]


def test_more_than_255_instances_give_a_16_bit_png_read_back_whole(tmp_path: Path) -> None:
    shapes = [Box((k % 20, k // 20, k % 20 + 1, k // 20 + 1), label="cat" if k % 2 else "dog", id=k)
              for k in range(300)]
    item = Item("many.jpg", ImageRef("many.jpg", 20, 15), shapes)
    annoconv.write(Dataset(LabelSet([Label("cat"), Label("dog")]), [item]), "instance-png", tmp_path / "out")
    values, mode, _ = _png(tmp_path / "out" / "many.png")
    assert mode.startswith("I;16") and int(values.max()) == 300
    back = annoconv.read("instance-png", tmp_path / "out")
    assert [(a.label, a.id) for a in back.items[0].annotations] == [(s.label, s.id) for s in shapes]
    assert int(back.items[0].annotations[299].decode()[14, 19]) == 1


def test_instance_maps_without_sidecar_are_labelled_object(tmp_path: Path) -> None:
    write_png(tmp_path / "x.png", np.array([[0, 1, 2, 2]], np.uint8))
    report = annoconv.Report()
    back = annoconv.read("instance-png", tmp_path, report=report)
    assert [(a.label, a.id) for a in back.items[0].annotations] == [("object", 1), ("object", 2)]
    assert report.by_code(Code.LABEL_UNKNOWN)


# --- losses the rasterization itself causes ----------------------------------------------------

def test_clipped_outside_tiny_and_hidden_shapes_are_reported(tmp_path: Path) -> None:
    item = Item("x.jpg", ImageRef("x.jpg", 10, 10), [
        Box((-5, 2, 4, 6), label="cat", id="clipped"),
        Polygon.from_rings([[20, 20], [30, 20], [25, 30]], label="cat", id="outside"),
        Box((3.6, 3.6, 4.4, 4.4), label="cat", id="tiny"),
        Box((6, 6, 7, 7), label="dog", id="hidden"),
        Box((5, 5, 9, 9), label="dog", id="cover"),
    ])
    data = Dataset(LabelSet([Label("cat"), Label("dog")]), [item])
    report = annoconv.write(data, "instance-png", tmp_path / "out")
    found = {(issue.code, issue.annotation) for issue in report.issues if issue.code in
             (Code.COORDINATE_CLIPPED, Code.PRECISION_REDUCED)}
    assert found == {(Code.COORDINATE_CLIPPED, "clipped"), (Code.COORDINATE_CLIPPED, "outside"),
                     (Code.PRECISION_REDUCED, "tiny"), (Code.PRECISION_REDUCED, "hidden")}
    assert [a.id for a in annoconv.read("instance-png", tmp_path / "out").items[0].annotations] == [
        "clipped", "cover"]
    semantic = annoconv.write(data, "semantic-png", tmp_path / "sem")
    assert {issue.annotation for issue in semantic.by_code(Code.PRECISION_REDUCED)} == {"tiny"}


# --- paths, workers, progress, atomicity -------------------------------------------------------

def test_mask_paths_stay_inside_and_never_collide() -> None:
    items = [Item(str(k), ImageRef(path, 4, 4)) for k, path in enumerate(
        ["a.jpg", "a.png", "/abs/b.jpg", "../../up/c.jpg", "d.jpg", "d.jpg", "C:\\win\\e.jpg",
         "//server/share/f.jpg", "./g/./h.tar.gz", ".hidden", "name."])]
    paths = mask_paths(items)
    assert paths == ["a.jpg.png", "a.png.png", "abs/b.png", "up/c.png", "d.jpg.4.png", "d.jpg.5.png",
                     "win/e.png", "server/share/f.png", "g/h.tar.png", ".hidden.png", "name..png"]


def _many_items(count: int) -> Dataset:
    items = [Item(f"img{k:03d}.jpg", ImageRef(f"img{k:03d}.jpg", 12, 9), [
        Box((k % 5, 1, k % 5 + 4, 6), label="cat", id=2 * k),
        Polygon.from_rings([[1, 8], [11, 2.5], [10.5, 8.5]], label="dog", id=2 * k + 1)]) for k in range(count)]
    return Dataset(LabelSet([Label("cat"), Label("dog")]), items)


def test_workers_give_byte_identical_files_and_progress_is_reported(tmp_path: Path) -> None:
    data = _many_items(60)  # more than one chunk of 48, so the pool is really used
    calls: list[tuple[str, int, int | None]] = []
    for workers in (1, 2):
        annoconv.write(data, "instance-png", tmp_path / f"w{workers}", workers=workers,
                       progress=lambda phase, n, total: calls.append((phase, n, total)))
    one, two = (sorted(p.relative_to(tmp_path / w) for p in (tmp_path / w).rglob("*")) for w in ("w1", "w2"))
    assert one == two and len(one) == 61
    for path in one:
        assert (tmp_path / "w1" / path).read_bytes() == (tmp_path / "w2" / path).read_bytes()
    assert sum(n for phase, n, _ in calls if phase == "write") == 120
    assert {total for _, _, total in calls} == {60}
    read_calls: list[int] = []
    annoconv.read("instance-png", tmp_path / "w2", progress=lambda phase, n, total: read_calls.append(n))
    assert sum(read_calls) == 60


@pytest.mark.parametrize("workers", [1, 2])
def test_a_failure_leaves_nothing_behind(tmp_path: Path, workers: int) -> None:
    data = _many_items(60)
    data.items[55].image = ImageRef("img055.jpg")  # no size: cannot be rasterized
    with pytest.raises(SchemaError, match=r"item 'img055.jpg'.*image size is unknown"):
        annoconv.write(data, "semantic-png", tmp_path / "out", workers=workers)
    assert not (tmp_path / "out").exists() and list(tmp_path.iterdir()) == []


def test_skip_writes_the_other_items(tmp_path: Path) -> None:
    data = _many_items(3)
    data.items[1].image = ImageRef("img001.jpg")
    data.items[2].annotations.append(Mask.from_array(np.ones((4, 4), np.uint8), label="cat", id="small"))
    report = annoconv.write(data, "semantic-png", tmp_path / "out", on_error="skip")
    skipped = report.by_code(Code.ITEM_SKIPPED)
    assert [issue.item for issue in skipped] == ["img001.jpg", "img002.jpg"]
    assert "image size is unknown" in skipped[0].message and "[4, 4] differs" in skipped[1].message
    assert [e["mask"] for e in _sidecar(tmp_path / "out")["images"]] == ["img000.png"]
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["img000.png", "labels.json"]


# --- CLI ---------------------------------------------------------------------------------------

def test_cli_round_trip_and_options(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    native = tmp_path / "in.annoconv.json"
    annoconv.write(dataset(), "annoconv", native)
    assert main(["convert", "annoconv", "semantic-png", str(native), str(tmp_path / "sem"),
                 "--palette", "fastlabel", "--png-compression", "small", "--start-index", "1"]) == 0
    assert _sidecar(tmp_path / "sem")["palette"] == "fastlabel"
    assert main(["convert", "semantic-png", "annoconv", str(tmp_path / "sem"), str(tmp_path / "back.json"),
                 "--as-polygons"]) == 0
    back = annoconv.read("annoconv", tmp_path / "back.json")
    assert {type(a) for item in back.items for a in item.annotations} == {Polygon}
    assert main(["convert", "annoconv", "semantic-png", str(native), str(tmp_path / "zero"),
                 "--start-index", "0"]) == 4
    assert "index 0, which is the background" in capsys.readouterr().err
    assert not (tmp_path / "zero").exists()
    assert main(["convert", "annoconv", "semantic-png", str(native), str(tmp_path / "two"),
                 "--start-index", "2"]) == 4
    assert main(["convert", "annoconv", "instance-png", str(native), str(tmp_path / "ins"), "--workers", "2"]) == 0
    assert main(["convert", "instance-png", "annoconv", str(tmp_path / "ins"), str(tmp_path / "i.json")]) == 0
    ids = [a.id for item in annoconv.read("annoconv", tmp_path / "i.json").items for a in item.annotations]
    assert ids == [1, 2, 3, 4, 10, 11]


def test_cli_bad_png_is_a_read_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "maps").mkdir()
    (tmp_path / "maps" / "x.png").write_bytes(b"not a png")
    assert main(["convert", "semantic-png", "annoconv", str(tmp_path / "maps"), str(tmp_path / "o.json")]) == 5
    assert "x.png: not a readable PNG" in capsys.readouterr().err


def test_declared_formats_hold_what_they_say() -> None:
    for name in ("semantic-png", "instance-png"):
        fmt = annoconv.get_format(name)
        assert fmt.output_is_directory and fmt.reader and fmt.writer
    assert "crowd" in annoconv.get_format("instance-png").capabilities.native
    assert "crowd" not in annoconv.get_format("semantic-png").capabilities.native


def test_an_object_of_several_shapes_painted_as_several_instances_is_reported(tmp_path: Path) -> None:
    item = Item("a.jpg", ImageRef("a.jpg", 20, 20), [
        Box((1, 1, 5, 5), label="cat", id=1, group=7), Box((6, 6, 9, 9), label="cat", id=2, group=7),
        Box((10, 10, 15, 15), label="cat", id=3, group=8),  # a box and its outline: one instance
        Polygon.from_rings([[10, 10], [15, 10], [15, 15]], label="cat", id=3, group=8)])
    report = annoconv.write(Dataset(LabelSet([Label("cat")]), [item]), "instance-png", tmp_path / "out")
    assert [(i.code, i.count) for i in report if i.message.startswith("group of annotations")] == [
        (Code.FIELD_DROPPED, 1)]
    assert len(annoconv.read("instance-png", tmp_path / "out").items[0].annotations) == 3

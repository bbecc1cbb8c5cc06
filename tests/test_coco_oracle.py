"""pycocotools as the oracle for what annoconv writes, and hypothesis round trips COCO write -> read.

Every COCO file annoconv writes (the IR builders, the golden fixtures, the interop corpus) must
load with ``pycocotools.coco.COCO``; for each written annotation with a segmentation and a known
image size, ``COCO.annToMask`` must equal annoconv's own decoding (RLE: ``annoconv.ir.rle.decode``
of the written counts and the IR Mask's ``decode()``; polygons: pycocotools' ``frPyObjects`` of the
same polygon, i.e. the written JSON is consistent and loadable).
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import annoconv
import builders
import pycocotools.mask as mask_utils
from annoconv import (Annotation, Box, Caption, Dataset, ImageRef, Item, Keypoints, Label, LabelSet, Mask, Polygon,
                      Tag)
from annoconv.ir import rle
from annoconv.raster import polygon_mask
from coco_support import (GOLDEN, ROUND_TRIP_CASES, golden_input, interop_coco_files, interop_id, load, quiet_coco,
                          read_coco, write_coco, write_source)
from conftest import INTEROP

# pycocotools' decode trips a numpy 2 DeprecationWarning inside its own code.
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning:pycocotools")


# --- the oracle ---------------------------------------------------------------------------------

def check_with_pycocotools(path: Path, dataset: Dataset | None = None) -> int:
    """Load ``path`` with pycocotools and check every annotation with a segmentation and a known
    image size; RLE masks are also compared with the Mask of the same id in ``dataset`` (the IR
    that was written). Returns how many annotations were checked."""
    coco = quiet_coco(path)
    ir_masks = {a.id: a for _, a in dataset.annotations() if type(a) is Mask} if dataset is not None else {}
    checked = 0
    for ann in coco.dataset["annotations"]:
        segmentation = ann.get("segmentation")
        image = coco.imgs[ann["image_id"]]
        if not segmentation or not image.get("width") or not image.get("height"):
            continue
        height, width = image["height"], image["width"]
        mask = coco.annToMask(ann)
        assert mask.shape == (height, width)
        if isinstance(segmentation, dict):
            assert segmentation["size"] == [height, width], ann["id"]
            own = rle.decode(segmentation["counts"], (height, width))
            assert np.array_equal(mask, own), f"annotation {ann['id']}: pycocotools and annoconv decode differ"
            if ann["id"] in ir_masks:
                assert np.array_equal(mask, ir_masks[ann["id"]].decode()), f"annotation {ann['id']}: not the IR mask"
        else:
            reference = mask_utils.decode(mask_utils.merge(mask_utils.frPyObjects(segmentation, height, width)))
            assert np.array_equal(mask, reference), ann["id"]
        checked += 1
    return checked


def loads_in_pycocotools(path: Path) -> str | None:
    """None if pycocotools can load ``path``, else why not (used to skip sources it cannot load either)."""
    try:
        quiet_coco(path)
    except Exception as exc:  # noqa: BLE001 - any failure of the third-party loader
        return f"{type(exc).__name__}: {exc}"
    return None


def without_captions(dataset: Dataset) -> Dataset:
    """``dataset`` minus its Captions: pycocotools cannot index caption annotations (no category_id)
    in a file that also has categories, so mixed files are not pycocotools-loadable by design."""
    items = [Item(item.id, item.image, [a for a in item.annotations if type(a) is not Caption], item.subset,
                  item.attributes, item.extras) for item in dataset.items]
    return Dataset(dataset.labels, items, dataset.extras)


def test_detection_dataset_in_pycocotools(tmp_path) -> None:
    """The builder's polygons and crowd mask decode in pycocotools as in annoconv; the written
    area and bbox of the mask are pycocotools' own."""
    dataset = builders.detection_dataset()
    doc, _ = write_coco(dataset, tmp_path / "out.json")
    assert check_with_pycocotools(tmp_path / "out.json", dataset) == 3
    (mask,) = [a for a in doc["annotations"] if isinstance(a.get("segmentation"), dict)]
    reference = mask_utils.encode(np.asfortranarray(builders.square_mask(48, 64, 5, 20, 8)))
    assert mask["segmentation"]["counts"] == reference["counts"].decode()
    assert mask["area"] == float(mask_utils.area(reference))
    assert mask["bbox"] == mask_utils.toBbox(reference).tolist()


def test_lossy_dataset_in_pycocotools(tmp_path) -> None:
    """The rotated box's polygon and the holed polygon's RLE load and decode consistently; the RLE
    is annoconv's own rasterization of the polygon (hole cleared)."""
    dataset = without_captions(builders.lossy_dataset())
    doc, _ = write_coco(dataset, tmp_path / "out.json")
    assert check_with_pycocotools(tmp_path / "out.json", dataset) == 2
    (holed,) = [a for a in doc["annotations"] if a["id"] == 2]
    (polygon,) = [a for a in dataset.items[0].annotations if a.id == 2]
    coco_mask = quiet_coco(tmp_path / "out.json").annToMask(holed)
    assert np.array_equal(coco_mask, polygon_mask(polygon.regions, 30, 40))
    assert coco_mask[7, 7] == 0 and coco_mask[2, 2] == 1


@pytest.mark.parametrize("case", ROUND_TRIP_CASES)
def test_golden_outputs_in_pycocotools(case: str, tmp_path) -> None:
    """What annoconv writes for each golden fixture loads in pycocotools whenever the fixture does."""
    source = golden_input(case)
    reason = loads_in_pycocotools(source)
    if reason is not None:
        pytest.skip(f"pycocotools cannot load the source either ({reason})")
    dataset, _ = read_coco(source)
    write_coco(dataset, tmp_path / "out.json")
    checked = check_with_pycocotools(tmp_path / "out.json", dataset)
    expected = sum(1 for a in load(source)["annotations"] if a.get("segmentation"))
    assert checked == expected


@pytest.mark.parametrize("with_gt", [False, True], ids=["without-gt", "with-gt"])
def test_results_outputs_in_pycocotools(with_gt: bool, tmp_path) -> None:
    """A results list written as COCO loads; with gt= the image sizes are known and the mask is checked."""
    options = {"gt": str(GOLDEN / "results" / "gt.json")} if with_gt else {}
    dataset, _ = read_coco(GOLDEN / "results" / "results.json", **options)
    write_coco(dataset, tmp_path / "out.json")
    assert check_with_pycocotools(tmp_path / "out.json", dataset) == (1 if with_gt else 0)


def test_captions_file_in_pycocotools(tmp_path) -> None:
    """A captions file laid out like COCO's own captions_*.json (no "categories") loads in
    pycocotools, and so must annoconv's rewrite of it."""
    source = write_source({"info": {"year": 2017}, "licenses": [],
                           "images": [{"id": 1, "file_name": "a.jpg", "width": 4, "height": 3}],
                           "annotations": [{"id": 9, "image_id": 1, "caption": "a cat"}]}, tmp_path / "in.json")
    assert loads_in_pycocotools(source) is None
    dataset, _ = read_coco(source)
    write_coco(dataset, tmp_path / "out.json")
    assert loads_in_pycocotools(tmp_path / "out.json") is None


_INTEROP = interop_coco_files()
_INTEROP_FILES = _INTEROP["instances"] + _INTEROP["panoptic"] + _INTEROP["results"]


@pytest.mark.parametrize("path", [pytest.param(p, id=interop_id(p)) for p in _INTEROP_FILES] or [
    pytest.param(None, marks=pytest.mark.skip(reason=f"interop corpus not found at {INTEROP}"))])
def test_interop_outputs_in_pycocotools(path: Path, tmp_path) -> None:
    """annoconv's rewrite of each corpus file loads in pycocotools whenever the source does (results
    lists and panoptic files always: they are written as plain COCO documents), and its masks decode the same."""
    if path in _INTEROP["instances"]:
        reason = loads_in_pycocotools(path)
        if reason is not None:
            pytest.skip(f"pycocotools cannot load the source either ({reason})")
    dataset, _ = read_coco(path)
    write_coco(dataset, tmp_path / "out.json")
    check_with_pycocotools(tmp_path / "out.json", dataset)


# --- hypothesis: IR -> COCO -> IR ---------------------------------------------------------------

# derandomize: the same examples on every run (deterministic CI); raise max_examples locally to search more.
SETTINGS = settings(max_examples=60, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
KEYPOINT_NAMES = ("head", "left", "right")


def round_trip_labels() -> LabelSet:
    """Labels of the generated datasets: two plain classes (non-contiguous ids) and one with keypoints."""
    return LabelSet([Label("cat", id=1, parent="animal"), Label("dog", id=4),
                     Label("person", id=9, parent="human", keypoints=KEYPOINT_NAMES, skeleton=((0, 1), (0, 2)))])


# Polygon and keypoint coordinates: any finite float. Box corners: multiples of 1/64, for which
# x + (x2 - x) == x2 holds, since COCO stores width and height (see the golden file for the rest).
COORDS = st.floats(-1e4, 1e4, allow_nan=False, allow_infinity=False)
BOX_COORDS = st.integers(-64_000, 64_000).map(lambda k: k / 64)
ATTRIBUTE_VALUES = st.one_of(st.text(max_size=6), st.integers(-2**53, 2**53), st.booleans(),
                             st.floats(allow_nan=False, allow_infinity=False),
                             st.lists(st.text(max_size=4), max_size=3))


@st.composite
def common_fields(draw: st.DrawFn) -> dict[str, Any]:
    """Score, crowd flag and attributes of one annotation."""
    return {"score": draw(st.none() | st.floats(0, 1)), "iscrowd": draw(st.booleans()),
            "attributes": draw(st.dictionaries(st.text(min_size=1, max_size=5), ATTRIBUTE_VALUES, max_size=3))}


@st.composite
def box_xyxy(draw: st.DrawFn) -> tuple[float, float, float, float]:
    x1, x2 = sorted((draw(BOX_COORDS), draw(BOX_COORDS)))
    y1, y2 = sorted((draw(BOX_COORDS), draw(BOX_COORDS)))
    return (x1, y1, x2, y2)


@st.composite
def objects(draw: st.DrawFn, width: int, height: int, ann_id: int) -> list[Annotation]:
    """One COCO object: a Box, a (multi-part) Polygon, a Mask, a Box with Keypoints, or a plain Tag."""
    kind = draw(st.sampled_from(["box", "polygon", "mask", "keypoints", "tag"]))
    label = draw(st.sampled_from(["cat", "dog"]))
    if kind == "box":
        return [Box(draw(box_xyxy()), label=label, id=ann_id, **draw(common_fields()))]
    if kind == "polygon":
        rings = draw(st.lists(st.lists(st.tuples(COORDS, COORDS), min_size=3, max_size=12), min_size=1, max_size=3))
        return [Polygon([[ring] for ring in rings], label=label, id=ann_id, **draw(common_fields()))]
    if kind == "mask":
        dense = draw(arrays(np.uint8, (height, width)))
        return [Mask.from_array(dense, label=label, id=ann_id, **draw(common_fields()))]
    if kind == "keypoints":  # COCO's person: its box and its keypoints, one annotation
        fields = draw(common_fields())
        xy = draw(st.lists(st.tuples(COORDS, COORDS), min_size=3, max_size=3))
        visibility = draw(st.lists(st.integers(0, 2), min_size=3, max_size=3))
        return [Box(draw(box_xyxy()), label="person", id=ann_id, group=ann_id, **fields),
                Keypoints(xy, visibility, label="person", id=ann_id, group=ann_id, **fields)]
    return [Tag(label=label, id=ann_id)]


@st.composite
def datasets(draw: st.DrawFn) -> Dataset:
    """1-3 items of random sizes (one may be empty) with 0-4 objects each; annotation ids unique."""
    items, next_id = [], 1
    for index in range(draw(st.integers(1, 3))):
        width, height = draw(st.integers(1, 16)), draw(st.integers(1, 16))
        annotations: list[Annotation] = []
        for _ in range(draw(st.integers(0, 4))):
            annotations += draw(objects(width, height, next_id))
            next_id += draw(st.integers(1, 3))  # ids need not be contiguous
        path = f"split{index % 2}/img {index}.png"
        items.append(Item(path, ImageRef(path, width, height), annotations))
    return Dataset(round_trip_labels(), items)


def assert_same_annotation(original: Annotation, read: Annotation) -> None:
    """Same kind, label, id, group, score, crowd flag, attributes, and exactly the same float64 geometry
    (extras ignored: they hold the written source values)."""
    assert type(read) is type(original), (original, read)
    for name in ("label", "id", "group", "score", "iscrowd", "attributes"):
        assert getattr(read, name) == getattr(original, name), (name, original, read)
    for key, value in original._geometry().items():
        got = read._geometry()[key]
        if isinstance(value, tuple) and value and isinstance(value[0], tuple):  # Polygon regions
            assert len(got) == len(value) and all(len(a) == len(b) for a, b in zip(got, value)), (original, read)
            pairs = [(ring_a, ring_b) for region_a, region_b in zip(value, got) for ring_a, ring_b in
                     zip(region_a, region_b)]
        else:
            pairs = [(value, got)]
        for expected, actual in pairs:
            if isinstance(expected, np.ndarray) and expected.dtype.kind == "f":
                assert actual.dtype == np.float64, (key, actual.dtype)
            assert np.array_equal(np.asarray(actual), np.asarray(expected)), (key, original, read)


@SETTINGS
@given(dataset=datasets())
def test_round_trip_write_read(dataset: Dataset) -> None:
    """IR -> COCO -> IR gives back every item and annotation; writing the result again gives the same bytes."""
    with tempfile.TemporaryDirectory() as tmp:
        first, second = Path(tmp) / "first.json", Path(tmp) / "second.json"
        report = annoconv.write(dataset, "coco", first)
        assert not report.has_warnings, [issue.to_dict() for issue in report]
        back = annoconv.read("coco", first)
        assert [(item.id, item.image) for item in back.items] == [(item.id, item.image) for item in dataset.items]
        assert [(label.name, label.id, label.parent, label.keypoints, label.skeleton) for label in back.labels] == [
            (label.name, label.id, label.parent, label.keypoints, label.skeleton) for label in dataset.labels]
        for original_item, read_item in zip(dataset.items, back.items):
            assert len(read_item.annotations) == len(original_item.annotations), read_item.id
            for original, read in zip(original_item.annotations, read_item.annotations):
                assert_same_annotation(original, read)
        annoconv.write(back, "coco", second)
        assert second.read_bytes() == first.read_bytes()


@SETTINGS
@given(xy=st.lists(st.tuples(COORDS, COORDS), min_size=3, max_size=3),
       visibility=st.lists(st.integers(0, 2), min_size=3, max_size=3))
def test_lone_keypoints_round_trip(xy: list[tuple[float, float]], visibility: list[int]) -> None:
    """Keypoints without a shape come back exactly (COCO needs a bbox, so the reader may add the Box
    of that bbox to the group; the keypoints themselves must not change)."""
    dataset = Dataset(round_trip_labels(), [Item("a.jpg", ImageRef("a.jpg", 8, 8), [
        Keypoints(xy, visibility, label="person", id=3, score=0.5)])])
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "out.json"
        annoconv.write(dataset, "coco", path)
        written = json.loads(path.read_text())["annotations"][0]
        assert written["num_keypoints"] == sum(v > 0 for v in visibility)
        (points,) = [a for a in annoconv.read("coco", path).items[0].annotations if type(a) is Keypoints]
    assert np.array_equal(points.xy, np.array(xy, dtype=np.float64)) and points.xy.dtype == np.float64
    assert points.visibility.tolist() == visibility
    assert (points.label, points.id, points.score) == ("person", 3, 0.5)

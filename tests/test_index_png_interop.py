"""semantic-png / instance-png on real files written by other tools (../shared/interop; skipped when
absent, never copied into the repository):

- Pascal VOC SegmentationClass PNGs (labelformat's fixtures) read with a labels.json built from
  their class_id_to_name.json: every class pixel becomes exactly one Mask, void (255) is skipped;
- labelme2voc's SegmentationClass / SegmentationObject PNGs with its class_names.txt;
- labelme JSON -> semantic-png agrees with labelme2voc's own SegmentationClass PNGs (labelme fills
  polygons boundary-inclusively with PIL; annoconv samples pixel centres: only edge pixels differ).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import annoconv
from annoconv import Code, Dataset, Label, LabelSet
from conftest import INTEROP

PASCALVOC = [INTEROP / "labelformat" / sub / "semantic_segmentation" / "pascalvoc" for sub in (".", "fixtures")]
LABELME_VOC = INTEROP / "labelme" / "instance_segmentation" / "data_dataset_voc"
LABELME_JSON = INTEROP / "labelme" / "instance_segmentation" / "data_annotated"


def _pixels(path: Path) -> np.ndarray:
    with Image.open(path) as image:
        return np.asarray(image)


def _pascalvoc() -> Path:
    found = [root for root in PASCALVOC if (root / "class_id_to_name.json").is_file()]
    if not found:
        pytest.skip(f"labelformat pascalvoc fixtures not found under {INTEROP}")
    return found[0]


def test_pascalvoc_segmentation_class_pngs(tmp_path: Path) -> None:
    root = _pascalvoc()
    names = {int(k): v for k, v in json.loads((root / "class_id_to_name.json").read_text()).items()}
    classes = [{"index": index, "name": name} for index, name in sorted(names.items()) if index not in (0, 255)]
    (tmp_path / "labels.json").write_text(json.dumps({"classes": classes, "background": 0, "ignore": 255}))
    report = annoconv.Report()
    data = annoconv.read("semantic-png", root / "SegmentationClass", labels=str(tmp_path / "labels.json"),
                         report=report)
    pngs = sorted((root / "SegmentationClass").rglob("*.png"))
    assert [item.image.path for item in data.items] == [p.relative_to(root / "SegmentationClass").as_posix()
                                                        for p in pngs]
    assert data.labels.names() == [c["name"] for c in classes]
    for item, png in zip(data.items, pngs):
        values = _pixels(png)
        assert item.image.size == values.shape
        present = sorted(set(np.unique(values).tolist()) - {0, 255})
        assert [a.label for a in item.annotations] == [names[i] for i in present]
        for annotation in item.annotations:
            index = next(k for k, v in names.items() if v == annotation.label)
            assert np.array_equal(annotation.decode(), values == index)
    assert len(report.by_code(Code.SKIPPED_CONTENT)) == sum((_pixels(p) == 255).any() for p in pngs)


def test_pascalvoc_as_polygons_rasterize_back_exactly(tmp_path: Path) -> None:
    root = _pascalvoc()
    names = json.loads((root / "class_id_to_name.json").read_text())
    (tmp_path / "labels.txt").write_text("\n".join(names[str(k)] for k in range(21)))
    data = annoconv.read("semantic-png", root / "SegmentationClass", labels=str(tmp_path / "labels.txt"),
                         as_polygons=True)
    index = {names[str(k)]: k for k in range(21)}
    for item in data.items:
        values = _pixels(root / "SegmentationClass" / item.image.path)
        expected = np.where(values == 255, 0, values)
        assert np.array_equal(annoconv.rasterize(item, index), expected)


def _labelme_voc() -> Path:
    if not (LABELME_VOC / "class_names.txt").is_file():
        pytest.skip(f"labelme data_dataset_voc not found under {INTEROP}")
    return LABELME_VOC


def test_labelme_segmentation_class_with_class_names_txt() -> None:
    root = _labelme_voc()
    class_names = (root / "class_names.txt").read_text().split("\n")
    data = annoconv.read("semantic-png", root / "SegmentationClass", labels=str(root / "class_names.txt"))
    assert len(data.items) == len(list((root / "SegmentationClass").glob("*.png")))
    for item in data.items:
        values = _pixels(root / "SegmentationClass" / item.image.path)
        for annotation in item.annotations:
            assert np.array_equal(annotation.decode(), values == class_names.index(annotation.label))
        assert sum(a.area() for a in item.annotations) == int(((values != 0) & (values != 255)).sum())


def test_labelme_segmentation_object_without_sidecar() -> None:
    root = _labelme_voc()
    report = annoconv.Report()
    data = annoconv.read("instance-png", root / "SegmentationObject", report=report)
    for item in data.items:
        values = _pixels(root / "SegmentationObject" / item.image.path)
        present = sorted(set(np.unique(values).tolist()) - {0, 255})
        assert [(a.label, a.id) for a in item.annotations] == [("object", k) for k in present]
    assert report.by_code(Code.LABEL_UNKNOWN)


def test_labelme_json_to_semantic_png_agrees_with_labelme2voc(tmp_path: Path) -> None:
    root = _labelme_voc()
    if not LABELME_JSON.is_dir() or "labelme" not in annoconv.available_formats():
        pytest.skip("labelme JSON files or the labelme format not available")
    class_names = (root / "class_names.txt").read_text().split("\n")  # _background_ first: index 0
    for png in sorted((root / "SegmentationClass").glob("*.png")):
        source = annoconv.read("labelme", LABELME_JSON / f"{png.stem}.json")
        # labelme2voc paints __ignore__ shapes with 255 (-1): crowd regions under crowd=ignore here.
        items = [item for item in source.items]
        for item in items:
            item.annotations = [a.replace(iscrowd=True, label=class_names[1]) if a.label == "__ignore__" else a
                                for a in item.annotations]
        labels = LabelSet(Label(name) for name in class_names[1:])
        annoconv.write(Dataset(labels, items), "semantic-png", tmp_path / png.stem)
        ours = _pixels(next((tmp_path / png.stem).rglob("*.png")))
        theirs = _pixels(png)
        assert ours.shape == theirs.shape
        agree = (ours == theirs).mean()
        assert agree > 0.98, (png.name, agree)
        # Where they differ, it is along shape edges: labelme's PIL fill includes boundary pixels.
        differ = ours != theirs
        one_side_empty = (ours[differ] == 0) | (theirs[differ] == 0) | (ours[differ] == 255) | (theirs[differ] == 255)
        assert one_side_empty.mean() > 0.9
        # ... and mostly pixels labelme adds (boundary-inclusive) rather than ones it leaves out.
        assert ((ours == 0) & (theirs != 0)).sum() > 5 * ((ours != 0) & (theirs == 0)).sum()

"""Helpers shared by the YOLO tests (no tests here): tiny datasets built in tmp_path, IR comparison."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

import annoconv
from annoconv import Dataset, Report

YOLO_FIXTURES = Path(__file__).resolve().parent / "fixtures" / "yolo"


def png(path: Path, width: int, height: int) -> Path:
    """A black ``width`` x ``height`` PNG at ``path`` (folders created)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("L", (width, height), 0).save(path)
    return path


def jpeg(path: Path, width: int, height: int, orientation: int) -> Path:
    """A JPEG stored as ``width`` x ``height`` pixels with EXIF orientation ``orientation``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    exif = Image.Exif()
    exif[0x0112] = orientation
    Image.new("RGB", (width, height)).save(path, exif=exif)
    return path


def ultralytics(root: Path, labels: dict[str, str | bytes], images: dict[str, tuple[int, int]],
                yaml: str = "train: images/train\nval: images/train\nnames: [cat, dog]\n") -> Path:
    """An Ultralytics dataset: ``images`` {relative path: (w, h)}, ``labels`` {relative path: content}."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "data.yaml").write_text(yaml, encoding="utf-8")
    for rel, (width, height) in images.items():
        png(root / rel, width, height)
    for rel, content in labels.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    return root


def one_image(root: Path, rows: str | bytes, size: tuple[int, int] = (20, 10), **kwargs: Any) -> Path:
    """An Ultralytics dataset with one image images/train/a.png and its label file."""
    return ultralytics(root, {"labels/train/a.txt": rows}, {"images/train/a.png": size}, **kwargs)


def read(fmt: str, path: Path, **options: Any) -> tuple[Dataset, Report]:
    report = Report()
    return annoconv.read(fmt, path, report=report, **options), report


def write(dataset: Dataset, fmt: str, path: Path, **options: Any) -> Report:
    return annoconv.write(dataset, fmt, path, **options)


def label_file(root: Path, rel: str) -> list[list[str]]:
    """The rows of a written label file, split into fields."""
    return [line.split() for line in (root / rel).read_text(encoding="utf-8").splitlines()]


def issues(report: Report, code: str) -> list[dict[str, Any]]:
    return [issue.to_dict() for issue in report.issues if issue.code.value == code]


def assert_same_ir(first: Dataset, second: Dataset, tolerance: float, same_paths: bool = True) -> None:
    """Same labels, items, subsets, sizes and annotations; coordinates equal within ``tolerance`` px.
    With ``same_paths=False`` item ids and image paths may differ (a layout written differently)."""
    assert list(first.labels) == list(second.labels)

    def described(dataset: Dataset) -> list[tuple[Any, ...]]:
        return [((i.id, i.image.path) if same_paths else (Path(i.image.path).name,))
                + (i.image.width, i.image.height, i.subset) for i in dataset.items]

    assert described(first) == described(second)
    for a_item, b_item in zip(first.items, second.items):
        assert len(a_item.annotations) == len(b_item.annotations), a_item.id
        for a, b in zip(a_item.annotations, b_item.annotations):
            assert type(a) is type(b) and a._common() == b._common(), (a, b)
            for key, value in a._geometry().items():
                other = b._geometry()[key]
                if key == "regions":
                    assert len(value) == len(other)
                    for ring_a, ring_b in zip((r for region in value for r in region),
                                              (r for region in other for r in region)):
                        np.testing.assert_allclose(ring_a, ring_b, atol=tolerance)
                elif key == "angle":
                    assert abs(value - other) < 1e-3, (a, b)
                elif key == "visibility":
                    assert np.array_equal(value, other)
                else:
                    np.testing.assert_allclose(value, other, atol=tolerance)

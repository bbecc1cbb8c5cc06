"""Inputs derived from the generated COCO file, made once (untimed) and cached beside it.

All live in ``data/derived/<coco file stem>/`` and are remade when the COCO file changes:

* ``fastlabel_tasks.json``: the same shapes as FastLabel image tasks, ``{"tasks": [...],
  "annotations": [...classes]}`` as ``get_image_tasks`` / ``get_annotations`` return them. Made
  with annoconv's own mapping (``annoconv.convert("coco", "fastlabel", ...)``), or by the small
  converter below when that format is not available. Every shape is then a ``polygon``
  annotation (one per part; segmentation annotations are split into their outer rings) because
  the SDK's segmentation rasterizer crashes on some small polygons (PERFORMANCE.md); classes and
  annotations get a ``color`` and classes a ``keypoints`` list, as the API returns them (the
  SDK's export_coco needs both).
* ``yolo/``: the dataset as YOLO boxes (Ultralytics layout, written by annoconv) plus one small
  black JPEG per image of the right size, since YOLO readers take image sizes from the images.
* ``datumaro_coco/``: the layout Datumaro's COCO importer insists on (annotations/instances_val.json,
  a link to the COCO file, and an empty images/val/).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import orjson

from rows_base import Context, describe

_STAMP = "source.stamp"


def _fresh(ctx: Context, folder: Path, name: str) -> Path | None:
    """``folder/name`` when it was made from the current COCO file, else None (folder emptied)."""
    stamp = folder / _STAMP
    source = ctx.path.stat()
    wanted = f"{ctx.path}\n{source.st_size}\n{source.st_mtime_ns}\n"
    target = folder / name
    if stamp.is_file() and stamp.read_text() == wanted and target.exists():
        return target
    if target.is_dir():
        shutil.rmtree(target)
    elif target.exists() or target.is_symlink():
        target.unlink()
    folder.mkdir(parents=True, exist_ok=True)
    stamp.unlink(missing_ok=True)
    return None


def _stamp(ctx: Context, folder: Path) -> None:
    source = ctx.path.stat()
    (folder / _STAMP).write_text(f"{ctx.path}\n{source.st_size}\n{source.st_mtime_ns}\n")


# --------------------------------------------------------------------------- FastLabel tasks


def fastlabel_tasks(ctx: Context) -> tuple[Path, str]:
    """The tasks file and how it was made."""
    folder = ctx.derived / "fastlabel"
    how_file = folder / "how.txt"
    if (done := _fresh(ctx, folder, "fastlabel_tasks.json")) is not None and how_file.is_file():
        return done, how_file.read_text()
    target = folder / "fastlabel_tasks.json"
    ctx.log(f"making {target} ...")
    try:
        import annoconv

        annoconv.convert("coco", "fastlabel", str(ctx.path), str(target), overwrite=True)
        document = orjson.loads(target.read_bytes())
        how = "annoconv.convert('coco', 'fastlabel'), segmentations split into polygons"
    except Exception as exc:  # the fastlabel format is someone else's work in progress
        document = _coco_to_tasks(ctx.parsed())
        how = f"the benchmark's own converter (annoconv's fastlabel format failed: {describe(exc)})"
    target.write_bytes(orjson.dumps(_as_sdk_input(document)))
    how_file.write_text(how)
    _stamp(ctx, folder)
    return target, how


def _as_sdk_input(document: dict[str, Any]) -> dict[str, Any]:
    """Polygon annotations only, with colours, as the SDK's exporters need (module docstring)."""
    classes = document.get("annotations") or []
    colors: dict[str, str] = {}
    for k, cls in enumerate(classes):
        cls.setdefault("color", _color(k))
        cls.setdefault("keypoints", [])
        colors[cls["value"]] = cls["color"]
    for task in document["tasks"]:
        annotations: list[dict[str, Any]] = []
        for ann in task["annotations"]:
            ann.setdefault("color", colors.setdefault(ann["value"], _color(len(colors))))
            if ann["type"] != "segmentation":
                annotations.append(ann)
                continue
            for k, region in enumerate(ann["points"]):
                ring = region[0]
                if len(ring) >= 4 and ring[:2] == ring[-2:]:
                    ring = ring[:-2]  # segmentation rings are closed, polygons are not
                annotations.append({**ann, "id": f"{ann.get('id')}-{k}", "type": "polygon", "points": ring})
        task["annotations"] = annotations
    return document


def _color(k: int) -> str:
    return "#{:02x}{:02x}{:02x}".format((k * 37 + 80) % 256, (k * 91 + 40) % 256, (k * 53 + 160) % 256)


def _coco_to_tasks(coco: dict[str, Any]) -> dict[str, Any]:
    """A minimal COCO -> FastLabel tasks converter: each polygon part one ``polygon``
    annotation; crowd RLE regions (pixels, not polygons) are left out."""
    names = {cat["id"]: cat["name"] for cat in coco["categories"]}
    by_image: dict[Any, list[dict[str, Any]]] = {}
    for ann in coco["annotations"]:
        if ann.get("iscrowd") or not isinstance(ann.get("segmentation"), list):
            continue
        for part in ann["segmentation"]:
            by_image.setdefault(ann["image_id"], []).append(
                {"type": "polygon", "value": names[ann["category_id"]], "title": names[ann["category_id"]],
                 "points": part, "rotation": 0, "attributes": []})
    tasks = [{"name": img["file_name"], "width": img["width"], "height": img["height"],
              "annotations": by_image.get(img["id"], [])} for img in coco["images"]]
    classes = [{"type": "polygon", "value": cat["name"], "title": cat["name"], "order": k + 1,
                "attributes": []} for k, cat in enumerate(coco["categories"])]
    return {"tasks": tasks, "annotations": classes}


# --------------------------------------------------------------------------- YOLO with images


def yolo_dataset(ctx: Context) -> Path:
    """A YOLO (boxes) dataset with image files: the input of the YOLO -> COCO rows."""
    folder = ctx.derived / "yolo"
    if (done := _fresh(ctx, folder, "dataset")) is not None:
        return done
    import annoconv
    from PIL import Image

    target = folder / "dataset"
    ctx.log(f"making {target} (YOLO boxes + {len(ctx.parsed()['images'])} small JPEGs) ...")
    annoconv.convert("coco", "yolo", str(ctx.path), str(target), overwrite=True)
    images = target / "images" / "train"
    images.mkdir(parents=True, exist_ok=True)
    blank: dict[tuple[int, int], bytes] = {}
    for img in ctx.parsed()["images"]:
        size = (img["width"], img["height"])
        if size not in blank:
            path = images / "_blank.jpg"
            Image.new("L", size).save(path, quality=10)
            blank[size] = path.read_bytes()
        (images / Path(img["file_name"]).with_suffix(".jpg").name).write_bytes(blank[size])
    (images / "_blank.jpg").unlink(missing_ok=True)
    _stamp(ctx, folder)
    return target


# --------------------------------------------------------------------------- Datumaro layout


def datumaro_coco(ctx: Context) -> Path:
    """A folder Datumaro's ``coco_instances`` importer accepts, pointing at the COCO file."""
    root = ctx.derived / "datumaro_coco"
    (root / "images" / "val").mkdir(parents=True, exist_ok=True)
    (root / "annotations").mkdir(exist_ok=True)
    link = root / "annotations" / "instances_val.json"
    if link.is_symlink() and Path(os.readlink(link)) == ctx.path:
        return root
    link.unlink(missing_ok=True)
    try:
        link.symlink_to(ctx.path)
    except OSError:  # no symlinks here: a copy does as well
        shutil.copyfile(ctx.path, link)
    return root

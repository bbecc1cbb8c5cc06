"""Issue 4 rows: COCO -> YOLO, COCO -> YOLO-seg, YOLO -> COCO and COCO -> VOC.

Each row times ``annoconv.convert`` beside globox 2.9 and Datumaro 1.13 (each in its own venv,
timed inside its process: from its input files to its output files) and beside the floor
measured in the same run:

* from COCO: msgspec decode of the COCO bytes (GC paused) + creating annoconv's output files
  with their final bytes (read from an untimed annoconv run), i.e. everything but the work of
  turning shapes into text;
* VOC is timed as the peers write it (XML only: ``segmentation="never"``) and, separately, with
  annoconv's default, which also renders SegmentationClass/SegmentationObject PNGs;
* from YOLO: reading every label file and the first 64 KiB of every image (where the size is) +
  writing annoconv's output COCO bytes.

Peers that cannot write a row's target (globox and Datumaro have no YOLO segmentation writer)
print "skipped: why". The YOLO -> COCO input is annoconv's own YOLO boxes output with one small
JPEG per image (rows_inputs.yolo_dataset); globox reads no class names there, so its categories
are the class indices (``auto_ids``), while annoconv and Datumaro name them from data.yaml.
"""

from __future__ import annotations

import gc
import time
from pathlib import Path
from typing import Any

import msgspec

from rows_base import Context, Op, Ratio, annoconv_convert_op, describe, peer_op, remove
from rows_inputs import datumaro_coco, yolo_dataset

ROWS = {
    "yolo": "COCO -> YOLO boxes: annoconv vs floor, globox, Datumaro",
    "yolo-seg": "COCO -> YOLO-seg polygons: annoconv vs floor (no peer writes YOLO-seg)",
    "yolo-to-coco": "YOLO boxes (+ images) -> COCO: annoconv vs floor, globox, Datumaro",
    "voc": "COCO -> Pascal VOC XML: annoconv (XML only; default + masks) vs floor, globox, Datumaro",
}

RATIOS = [
    Ratio("yolo: globox / annoconv (speed-up)", "globox.yolo", "annoconv.yolo", ">= 4x", lambda v: v >= 4),
    Ratio("yolo: Datumaro / annoconv (speed-up)", "datumaro.yolo", "annoconv.yolo", ">= 4x", lambda v: v >= 4),
    Ratio("yolo: annoconv seconds", "annoconv.yolo", None, "<= 0.45s", lambda v: v <= 0.45, unit="s"),
    Ratio("yolo: annoconv / floor", "annoconv.yolo", "floor.yolo", "-", None),
    Ratio("yolo-seg: annoconv seconds", "annoconv.yolo-seg", None, "<= 1s", lambda v: v <= 1, unit="s"),
    Ratio("yolo-seg: annoconv / floor", "annoconv.yolo-seg", "floor.yolo-seg", "-", None),
    Ratio("yolo-to-coco: globox / annoconv (speed-up)", "globox.yolo-to-coco", "annoconv.yolo-to-coco", "-",
          None),
    Ratio("yolo-to-coco: Datumaro / annoconv (speed-up)", "datumaro.yolo-to-coco", "annoconv.yolo-to-coco",
          "-", None),
    Ratio("yolo-to-coco: annoconv / floor", "annoconv.yolo-to-coco", "floor.yolo-to-coco", "-", None),
    Ratio("voc: globox / annoconv (speed-up)", "globox.voc", "annoconv.voc", "-", None),
    Ratio("voc: Datumaro / annoconv (speed-up)", "datumaro.voc", "annoconv.voc", "-", None),
    Ratio("voc: annoconv / floor", "annoconv.voc", "floor.voc", "-", None),
]


# Per row: format, the options that make annoconv write what the peers write, and a label for them.
_FROM_COCO: dict[str, tuple[str, dict[str, Any], str]] = {
    "yolo": ("yolo", {}, ""),
    "yolo-seg": ("yolo-seg", {}, ""),
    "voc": ("voc", {"segmentation": "never"}, " (XML only)"),
}


def ops(ctx: Context) -> list[Op]:
    out: list[Op] = []
    for row, (fmt, options, note) in _FROM_COCO.items():
        if not ctx.want(row):
            continue
        out.append(annoconv_convert_op(f"annoconv.{row}", f"annoconv coco -> {fmt}{note}", row, "coco", fmt,
                                       ctx.path, ctx.out / f"annoconv_{row}", **options))
        if row == "voc":  # its default also writes SegmentationClass/SegmentationObject PNGs for the polygons
            out.append(annoconv_convert_op("annoconv.voc-masks", "annoconv coco -> voc (default: + mask PNGs)", row,
                                           "coco", fmt, ctx.path, ctx.out / "annoconv_voc_masks"))
        floor = _from_coco_floor(ctx, row, fmt, options)
        if floor is not None:
            out.append(floor)
        out.extend(_coco_peers(ctx, row))
    if ctx.want("yolo-to-coco"):
        out.extend(_yolo_to_coco(ctx))
    return out


# --------------------------------------------------------------------------- floors


def _annoconv_output(ctx: Context, key: str, src_fmt: str, dst_fmt: str, src: Path,
                     options: dict[str, Any] | None = None) -> dict[Path, bytes] | None:
    """Relative path -> bytes of what annoconv writes (one untimed run), or None (skipped)."""
    sample = ctx.out / f"floor_sample_{key}"
    try:
        import annoconv
        annoconv.convert(src_fmt, dst_fmt, str(src), str(sample), overwrite=True, **(options or {}))
        if sample.is_file():
            return {Path(sample.name): sample.read_bytes()}
        return {path.relative_to(sample): path.read_bytes() for path in sample.rglob("*") if path.is_file()}
    except Exception as exc:
        ctx.skip(f"floor.{key}", key, f"skipped: needs annoconv's {dst_fmt} output ({describe(exc)})")
        return None
    finally:
        remove(sample)


def _write_files(target: Path, files: dict[Path, bytes]) -> None:
    for folder in sorted({(target / rel).parent for rel in files}):
        folder.mkdir(parents=True, exist_ok=True)
    for rel, data in files.items():
        (target / rel).write_bytes(data)


def _from_coco_floor(ctx: Context, row: str, fmt: str, options: dict[str, Any]) -> Op | None:
    files = _annoconv_output(ctx, row, "coco", fmt, ctx.path, options)
    if files is None:
        return None
    decoder = msgspec.json.Decoder()
    target = ctx.out / f"floor_{row}"

    def run() -> float:
        gc.disable()
        t0 = time.perf_counter()
        document = decoder.decode(ctx.raw)
        elapsed = time.perf_counter() - t0
        gc.enable()
        t0 = time.perf_counter()
        _write_files(target, files)
        elapsed += time.perf_counter() - t0
        del document  # freeing the decoded document is not part of the floor
        return elapsed

    return Op(f"floor.{row}", "floor: decode + create the files", row, run, cleanup=lambda: remove(target),
              inner=True, output=target)


# --------------------------------------------------------------------------- peers


def _coco_peers(ctx: Context, row: str) -> list[Op]:
    if row == "yolo-seg":
        for peer in ("globox", "datumaro"):
            ctx.skip(f"{peer}.{row}", row, f"skipped: {peer} has no YOLO segmentation writer")
        return []
    op = {"yolo": "coco2yolo", "voc": "coco2voc"}[row]
    names = [cat["name"] for cat in ctx.parsed()["categories"]]
    candidates = [
        peer_op(ctx, "globox", f"globox.{row}", f"globox {op}", row,
                {"op": f"globox.{op}", "coco": str(ctx.path), "label_to_id": {n: k for k, n in enumerate(names)}},
                ctx.out / f"globox_{row}"),
        peer_op(ctx, "datumaro", f"datumaro.{row}", f"Datumaro {op}", row,
                {"op": f"datumaro.{op}", "root": str(datumaro_coco(ctx))}, ctx.out / f"datumaro_{row}"),
    ]
    return [c for c in candidates if c is not None]


def _yolo_to_coco(ctx: Context) -> list[Op]:
    row = "yolo-to-coco"
    try:
        dataset = yolo_dataset(ctx)
    except Exception as exc:
        for key in ("annoconv", "floor", "globox", "datumaro"):
            ctx.skip(f"{key}.{row}", row, f"skipped: no YOLO input ({describe(exc)})")
        return []
    out = [annoconv_convert_op(f"annoconv.{row}", "annoconv yolo -> coco", row, "yolo", "coco", dataset,
                               ctx.out / "annoconv_yolo_to_coco.json")]
    files = _annoconv_output(ctx, row, "yolo", "coco", dataset)
    if files is not None:
        out.append(_from_yolo_floor(ctx, dataset, files))
    candidates = [
        peer_op(ctx, "globox", f"globox.{row}", "globox yolo2coco", row,
                {"op": "globox.yolo2coco", "labels": str(dataset / "labels" / "train"),
                 "images": str(dataset / "images" / "train")},
                ctx.out / "globox_yolo_to_coco.json"),
        peer_op(ctx, "datumaro", f"datumaro.{row}", "Datumaro yolo2coco", row,
                {"op": "datumaro.yolo2coco", "root": str(dataset)}, ctx.out / "datumaro_yolo_to_coco"),
    ]
    return out + [c for c in candidates if c is not None]


def _from_yolo_floor(ctx: Context, dataset: Path, files: dict[Path, bytes]) -> Op:
    labels = sorted((dataset / "labels").rglob("*.txt"))
    images = sorted(p for p in (dataset / "images").rglob("*") if p.is_file())
    target = ctx.out / "floor_yolo_to_coco"

    def run() -> Any:
        for path in labels:
            with open(path, "rb") as f:
                f.read()
        for path in images:
            with open(path, "rb") as f:
                f.read(65536)  # image headers: where YOLO readers get the image size
        _write_files(target, files)

    return Op("floor.yolo-to-coco", f"floor: read {len(labels)} labels + image headers, write", "yolo-to-coco",
              run, cleanup=lambda: remove(target), output=target)

"""Issue 3 rows: COCO -> index-map PNGs end to end, rasterization alone, RLE encode/decode.

* ``semantic-png`` / ``instance-png``: ``annoconv.convert("coco", "<fmt>", ...)`` with 1 and 2
  workers, beside
  (a) the floor measured in the same run: msgspec decode of the COCO bytes (GC paused) +
      ``np.zeros`` per image + ISA-L level 1 deflate of the very bytes annoconv deflated (its
      filtered rows, read back from its output untimed) + creating the PNG files;
  (b) the official FastLabel SDK's exporter on the same shapes as polygon tasks (rows_fastlabel);
  (c) pycocotools: ``COCO(path)``, ``annToMask`` per object painted in file order, Pillow palette
      save at its default level (the usual hand-written pipeline).
* ``rasterize``: ``annoconv.raster.rasterize.burn`` over the plans of all items in chunks of
  ``render.CHUNK`` (as the renderer does; plans made untimed, crowd regions left out) beside raw
  ``cv2.fillPoly``, one call per polygon part, coordinates converted once per image (8 fraction
  bits). burn decides every pixel by its centre; fillPoly is boundary-inclusive.
* ``rle``: per mask, ``to_string(encode(mask))`` / ``decode(from_string(s))`` of annoconv.ir.rle
  beside pycocotools ``mask.encode`` / ``mask.decode`` on the same masks (a sample of the
  dataset's objects, full-image masks; annoconv gets the C-ordered mask a rasterizer returns,
  pycocotools the Fortran-ordered copy it requires, made untimed). Outputs are compared.
"""

from __future__ import annotations

import contextlib
import gc
import io
import struct
import time
import zlib
from functools import partial
from pathlib import Path
from typing import Any, Callable

import msgspec
import numpy as np

from rows_base import Context, Op, Ratio, annoconv_convert_op, describe, remove

ROWS = {
    "semantic-png": "COCO -> semantic-png (1, 2 workers) vs floor, FastLabel SDK, pycocotools + Pillow",
    "instance-png": "COCO -> instance-png (1, 2 workers) vs floor, FastLabel SDK, pycocotools + Pillow",
    "rasterize": "annoconv burn over all items vs raw cv2.fillPoly on the same polygons",
    "rle": "RLE encode/decode per mask: annoconv.ir.rle vs pycocotools",
}

RLE_MASKS = 500  # full-image masks held twice (C and Fortran order): ~300 MB at 640x480
_FLOOR_BATCH = 64  # images whose rows are inflated (untimed) before each timed floor segment
_AVX_RESET = np.zeros(4)


def _ratios(fmt: str, sdk: str) -> list[Ratio]:
    w1, w2 = f"annoconv.{fmt}.w1", f"annoconv.{fmt}.w2"
    return [
        Ratio(f"{fmt}: annoconv 1 worker / floor", w1, f"floor.{fmt}", "<= 2x", lambda v: v <= 2),
        Ratio(f"{fmt}: FastLabel SDK / annoconv 1w (speed-up)", sdk, w1, ">= 10x", lambda v: v >= 10),
        Ratio(f"{fmt}: pycocotools+PIL / annoconv 1w (speed-up)", f"pycocotools.{fmt}", w1, ">= 10x",
              lambda v: v >= 10),
        Ratio(f"{fmt}: annoconv 1 worker / 2 workers (speed-up)", w1, w2, ">= 1.6x", lambda v: v >= 1.6),
    ]


RATIOS = [
    *_ratios("semantic-png", "sdk.semantic"),
    *_ratios("instance-png", "sdk.instance"),
    Ratio("rasterize: annoconv burn / cv2.fillPoly", "raster.annoconv", "raster.cv2", "-", None),
    Ratio("rle encode: pycocotools / annoconv (speed-up)", "rle.encode.pycocotools", "rle.encode.annoconv",
          "-", None),
    Ratio("rle decode: pycocotools / annoconv (speed-up)", "rle.decode.pycocotools", "rle.decode.annoconv",
          "-", None),
]


def ops(ctx: Context) -> list[Op]:
    out: list[Op] = []
    for fmt, mode in (("semantic-png", "semantic"), ("instance-png", "instance")):
        if not ctx.want(fmt):
            continue
        for workers in (1, 2):
            out.append(annoconv_convert_op(f"annoconv.{fmt}.w{workers}",
                                           f'annoconv coco -> {fmt}, workers={workers}', fmt, "coco", fmt,
                                           ctx.path, ctx.out / f"annoconv_{mode}_w{workers}", workers=workers))
        floor = _png_floor(ctx, fmt)
        if floor is not None:
            out.append(floor)
        target = ctx.out / f"pycocotools_{mode}"
        out.append(Op(f"pycocotools.{fmt}", f"pycocotools annToMask + Pillow save ({mode})", fmt,
                      partial(_pycocotools_pipeline, ctx.path, target, mode), cleanup=partial(remove, target),
                      max_samples=ctx.peer_repeat, output=target))
    if ctx.want("rasterize"):
        out.extend(_rasterize_ops(ctx))
    if ctx.want("rle"):
        out.extend(_rle_ops(ctx))
    return out


# --------------------------------------------------------------------------- (a) the floor


def _png_floor(ctx: Context, fmt: str) -> Op | None:
    key = f"floor.{fmt}"
    sample = ctx.out / f"floor_sample_{fmt}"
    try:  # annoconv's own output, once and untimed: the floor deflates exactly these rows
        import annoconv
        annoconv.convert("coco", fmt, str(ctx.path), str(sample), overwrite=True)
        masks = [(png.relative_to(sample), *_split_png(png)) for png in sorted(sample.rglob("*.png"))]
    except Exception as exc:
        ctx.skip(key, fmt, f"skipped: needs annoconv's {fmt} output ({describe(exc)})")
        return None
    finally:
        remove(sample)
    target = ctx.out / f"floor_{fmt}"
    decoder = msgspec.json.Decoder()
    return Op(key, f"floor: decode+zeros+isal-1+files ({fmt[:-4]})", fmt,
              lambda: _floor_run(ctx.raw, decoder, masks, target), cleanup=lambda: remove(target), inner=True,
              output=target)


def _split_png(path: Path) -> tuple[int, int, bytes, bytes]:
    """(height, width, the bytes before IDAT, the IDAT payload) of a PNG annoconv wrote."""
    data = path.read_bytes()
    head, idat, pos = bytearray(data[:8]), bytearray(), 8
    width = height = 0
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            width, height = struct.unpack(">II", body[:8])
        if kind == b"IDAT":
            idat += body
        elif kind != b"IEND":
            head += data[pos:pos + 12 + length]
        pos += 12 + length
    return height, width, bytes(head), bytes(idat)


def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(body, zlib.crc32(kind)))


_IEND = _chunk(b"IEND", b"")


def _floor_run(raw: bytes, decoder: msgspec.json.Decoder, masks: list[tuple[Path, int, int, bytes, bytes]],
               target: Path) -> float:
    """Seconds of the timed parts only; inflating annoconv's rows back happens between them."""
    from isal import isal_zlib

    gc.disable()
    t0 = time.perf_counter()
    document = decoder.decode(raw)
    elapsed = time.perf_counter() - t0
    gc.enable()
    t0 = time.perf_counter()
    for folder in sorted({(target / rel).parent for rel, *_ in masks}):
        folder.mkdir(parents=True, exist_ok=True)
    elapsed += time.perf_counter() - t0
    for start in range(0, len(masks), _FLOOR_BATCH):
        batch = masks[start:start + _FLOOR_BATCH]
        rows = [zlib.decompress(idat) for *_, idat in batch]  # untimed: the bytes annoconv deflated
        t0 = time.perf_counter()
        for (rel, height, width, head, _), filtered in zip(batch, rows):
            np.zeros((height, width), dtype=np.uint8)  # the mask a renderer would fill
            body = isal_zlib.compress(filtered, 1)
            np.add(_AVX_RESET, 0.0, out=_AVX_RESET)  # as annoconv's png.py: ISA-L leaves AVX state dirty
            (target / rel).write_bytes(head + _chunk(b"IDAT", body) + _IEND)
        elapsed += time.perf_counter() - t0
    del document
    return elapsed


# --------------------------------------------------------------------------- (c) pycocotools


def _voc_palette() -> list[int]:
    palette = []
    for index in range(256):
        r = g = b = 0
        c = index
        for shift in range(7, -1, -1):
            r, g, b = r | ((c >> 0) & 1) << shift, g | ((c >> 1) & 1) << shift, b | ((c >> 2) & 1) << shift
            c >>= 3
        palette += [r, g, b]
    return palette


def _pycocotools_pipeline(path: Path, target: Path, mode: str) -> None:
    """The usual hand-written COCO -> index PNG code: class index = category position + 1 (crowd
    255) or instance number in file order, later objects painted over earlier ones."""
    from PIL import Image
    from pycocotools.coco import COCO

    with contextlib.redirect_stdout(io.StringIO()):  # COCO() prints progress
        coco = COCO(str(path))
    index = {cat_id: k + 1 for k, cat_id in enumerate(coco.getCatIds())}
    palette = _voc_palette()
    target.mkdir(parents=True, exist_ok=True)
    for image_id, info in coco.imgs.items():
        canvas = np.zeros((info["height"], info["width"]), dtype=np.uint8)
        for k, ann in enumerate(coco.imgToAnns.get(image_id, []), start=1):
            value = k if mode == "instance" else (255 if ann.get("iscrowd") else index[ann["category_id"]])
            canvas[coco.annToMask(ann) > 0] = value
        picture = Image.fromarray(canvas)
        picture.putpalette(palette)  # an "L" image becomes "P" with its values as indices
        picture.save(target / Path(info["file_name"]).with_suffix(".png").name)


# --------------------------------------------------------------------------- rasterization alone


def _rasterize_ops(ctx: Context) -> list[Op]:
    try:
        import annoconv
        from annoconv.ir import Polygon
        from annoconv.raster.rasterize import burn, class_indices, plan_semantic
        from annoconv.raster.render import CHUNK

        dataset = annoconv.read("coco", str(ctx.path))
        index = class_indices(dataset.labels)
        plans = [plan_semantic(item, index, crowd="skip") for item in dataset.items]
    except Exception as exc:
        for key in ("raster.annoconv", "raster.cv2"):
            ctx.skip(key, "rasterize", f"skipped: {describe(exc)}")
        return []
    # The same polygons for cv2: per image its rings (IR corner coordinates) and their values.
    images: list[tuple[tuple[int, int], list[np.ndarray], list[int]]] = []
    for plan in plans:
        rings: list[np.ndarray] = []
        values: list[int] = []
        for annotation, value in plan.steps:
            if type(annotation) is Polygon:
                for region in annotation.regions:
                    rings.append(region[0])
                    values.append(value)
        images.append((plan.size, rings, values))
    parts = sum(len(rings) for _, rings, _ in images)

    def annoconv_burn() -> None:
        for start in range(0, len(plans), CHUNK):
            burn(plans[start:start + CHUNK])

    return [
        Op("raster.annoconv", f"annoconv burn, chunks of {CHUNK} ({parts} parts)", "rasterize", annoconv_burn,
           annoconv=True),
        Op("raster.cv2", "cv2.fillPoly, one call per part", "rasterize", lambda: _cv2_fill(images)),
    ]


def _cv2_fill(images: list[tuple[tuple[int, int], list[np.ndarray], list[int]]]) -> None:
    import cv2

    for (height, width), rings, values in images:
        canvas = np.zeros((height, width), dtype=np.uint8)
        if not rings:
            continue
        # OpenCV's pixel centres are at integers: shift the IR's corner coordinates by half a pixel.
        points = np.round((np.concatenate(rings) - 0.5) * 256).astype(np.int32)
        for ring, value in zip(np.split(points, np.cumsum([len(r) for r in rings[:-1]])), values):
            cv2.fillPoly(canvas, [ring], value, cv2.LINE_8, 8)


# --------------------------------------------------------------------------- RLE


def _rle_ops(ctx: Context) -> list[Op]:
    try:
        import annoconv
        from annoconv.ir import Mask, Polygon, rle
        from annoconv.raster.rasterize import polygon_mask

        dataset = annoconv.read("coco", str(ctx.path))
    except Exception as exc:
        for key in ("rle.encode.annoconv", "rle.decode.annoconv"):
            ctx.skip(key, "rle", f"skipped: {describe(exc)}")
        return []
    from pycocotools import mask as coco_mask

    shapes = [(a, item.image.size) for item in dataset.items for a in item.annotations
              if type(a) in (Polygon, Mask) and item.image.size is not None]
    step = max(1, len(shapes) // RLE_MASKS)
    masks: list[np.ndarray] = []
    for annotation, (height, width) in shapes[::step][:RLE_MASKS]:
        if type(annotation) is Mask:
            masks.append(np.ascontiguousarray(annotation.decode()))
        else:
            masks.append(polygon_mask(annotation.regions, height, width))
    del dataset, shapes
    fortran = [np.asfortranarray(m[:, :, None]) for m in masks]
    strings = [rle.to_string(rle.encode(m)) for m in masks]
    theirs = [coco_mask.encode(f)[0] for f in fortran]
    mismatches = sum(s.encode() != t["counts"] for s, t in zip(strings, theirs))
    mismatches += sum(not np.array_equal(rle.decode(rle.from_string(s), m.shape), m) for s, m in zip(strings, masks))
    ctx.notes.append(f"rle: {len(masks)} masks (1 object in {step}, full image size, "
                     f"{sum(int(m.sum()) for m in masks) / max(1, len(masks)):.0f} px foreground on average); "
                     f"{mismatches} mismatches between annoconv and pycocotools")
    n = len(masks)

    def each(fn: Callable[[Any], Any], inputs: list[Any]) -> Callable[[], None]:
        def run() -> None:
            for value in inputs:
                fn(value)
        return run

    return [
        Op("rle.encode.annoconv", "rle encode: annoconv to_string(encode)", "rle",
           each(lambda m: rle.to_string(rle.encode(m)), masks), annoconv=True, per=n),
        Op("rle.encode.pycocotools", "rle encode: pycocotools mask.encode", "rle",
           each(coco_mask.encode, fortran), per=n),
        Op("rle.decode.annoconv", "rle decode: annoconv decode(from_string)", "rle",
           each(lambda pair: rle.decode(rle.from_string(pair[0]), pair[1]),
                [(s, m.shape) for s, m in zip(strings, masks)]), annoconv=True, per=n),
        Op("rle.decode.pycocotools", "rle decode: pycocotools mask.decode", "rle",
           each(coco_mask.decode, theirs), per=n),
    ]

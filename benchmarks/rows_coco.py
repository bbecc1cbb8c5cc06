"""The Foundation rows: reading and writing COCO against the JSON floor, json and pycocotools,
and the peak memory of a read.

* ``floor``: the raw JSON decode of the same bytes with the cyclic GC paused, msgspec and
  orjson (the faster of the two is "floor").
* ``json.load`` / ``json.dump``: the standard library on the same file / the same parsed data.
* ``pycocotools``: ``COCO(path)``, load + index.
* ``read`` / ``write`` / ``convert``: ``annoconv.read("coco")``, ``annoconv.write(ds, "coco")``,
  ``annoconv.convert("coco", "coco")``.
* ``memory``: peak RSS of ``json.load`` and of ``annoconv.read``, each in a fresh subprocess.
"""

from __future__ import annotations

import contextlib
import gc
import io
import json
import subprocess
import sys
from pathlib import Path
from typing import Any, Callable

import msgspec
import orjson

from rows_base import UNFINISHED, Context, Op, Ratio, describe, remove

ROWS = {
    "floor": "JSON decode floor (msgspec, orjson; GC paused)",
    "json.load": "json.load of the COCO file",
    "json.dump": "json.dump of the parsed COCO data",
    "pycocotools": "pycocotools COCO(path): load + index",
    "read": 'annoconv.read("coco", path)',
    "write": 'annoconv.write(ds, "coco", out)',
    "convert": 'annoconv.convert("coco", "coco", in, out)',
    "memory": "peak RSS of json.load and annoconv.read (fresh subprocesses)",
}

MEMORY_METHOD = ("peak RSS (VmHWM, else ru_maxrss) minus RSS after imports, "
                 "one fresh subprocess per measurement")

RATIOS = [
    Ratio("annoconv read / floor", "annoconv.read", "floor", "<= 3x", lambda v: v <= 3),
    Ratio("pycocotools / annoconv read (speed-up)", "pycocotools", "annoconv.read", "> 1x", lambda v: v > 1),
    Ratio("json.dump / annoconv write (speed-up)", "json.dump", "annoconv.write", ">= 5x", lambda v: v >= 5),
    Ratio("annoconv read peak mem / json.load peak mem", "memory.annoconv.read", "memory.json.load", "<= 2x",
          lambda v: v <= 2),
]


def ops(ctx: Context) -> list[Op]:
    return _reference_ops(ctx) + _annoconv_ops(ctx)


def _reference_ops(ctx: Context) -> list[Op]:
    path, raw = ctx.path, ctx.raw
    out: list[Op] = []
    if ctx.want("floor"):
        decoder = msgspec.json.Decoder()
        out.append(Op("floor.msgspec", "floor: msgspec.json.decode (GC off)", "floor",
                      lambda: decoder.decode(raw), gc_off=True))
        out.append(Op("floor.orjson", "floor: orjson.loads (GC off)", "floor", lambda: orjson.loads(raw), gc_off=True))
    if ctx.want("json.load"):
        def json_load() -> Any:
            with open(path, encoding="utf-8") as f:
                return json.load(f)
        out.append(Op("json.load", "json.load", "json.load", json_load))
    if ctx.want("json.dump"):
        loaded = orjson.loads(raw)
        target = ctx.out / "json_dump.json"

        def json_dump() -> None:
            with open(target, "w", encoding="utf-8") as f:
                json.dump(loaded, f)
        out.append(Op("json.dump", "json.dump (default options)", "json.dump", json_dump,
                      cleanup=lambda: remove(target), output=target))
    if ctx.want("pycocotools"):
        from pycocotools.coco import COCO

        def peer() -> COCO:
            with contextlib.redirect_stdout(io.StringIO()):  # COCO() prints progress
                return COCO(str(path))
        out.append(Op("pycocotools", "pycocotools COCO(path)", "pycocotools", peer))
    return out


def _annoconv_ops(ctx: Context) -> list[Op]:
    path = str(ctx.path)
    out: list[Op] = []
    if ctx.want("read"):
        def read() -> Any:
            import annoconv
            return annoconv.read("coco", path)
        out.append(Op("annoconv.read", 'annoconv.read("coco", path)', "read", read, annoconv=True))
    if ctx.want("write"):
        target = ctx.out / "annoconv_write.json"
        try:
            import annoconv
            dataset = annoconv.read("coco", path)  # read once, untimed
        except Exception as exc:
            ctx.skip("annoconv.write", "write", f"skipped: needs annoconv.read: {describe(exc)}")
        else:
            out.append(Op("annoconv.write", 'annoconv.write(ds, "coco", out)', "write",
                          lambda: annoconv.write(dataset, "coco", str(target), overwrite=True),
                          cleanup=lambda: remove(target), annoconv=True, output=target))
    if ctx.want("convert"):
        target_c = ctx.out / "annoconv_convert.json"

        def convert() -> Any:
            import annoconv
            return annoconv.convert("coco", "coco", path, str(target_c), overwrite=True)
        out.append(Op("annoconv.convert", 'annoconv.convert("coco", "coco", ...)', "convert", convert,
                      cleanup=lambda: remove(target_c), annoconv=True, output=target_c))
    return out


def summarise_floor(times: dict[str, dict[str, Any]]) -> None:
    """Add "floor": the faster (by median) of the msgspec and orjson floors."""
    floors = [k for k in ("floor.msgspec", "floor.orjson") if k in times]
    if floors:
        best = min(floors, key=lambda k: times[k]["median"])
        times["floor"] = {**times[best], "label": f"floor = fastest of the two ({best[6:]})"}


# --------------------------------------------------------------------------- memory


def _proc_status_bytes(name: str) -> int | None:
    """A ``kB`` field of /proc/self/status (Linux); None elsewhere."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(name + ":"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


def rss_now() -> int:
    """Current resident set size; the peak so far where /proc is missing."""
    return _proc_status_bytes("VmRSS") or peak_rss()


def peak_rss() -> int:
    """Peak resident set size of this process image.

    Prefers Linux's VmHWM: ``ru_maxrss`` is the same high-water mark, except that Linux carries
    the *parent's* peak into a child across fork/vfork + exec, so a child spawned by this (big)
    runner would report the runner's peak. Elsewhere: ``ru_maxrss`` (bytes on macOS, else KiB).
    """
    hwm = _proc_status_bytes("VmHWM")
    if hwm is not None:
        return hwm
    import resource

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak if sys.platform == "darwin" else peak * 1024


def memory_child(kind: str, path: str) -> int:
    """Runs in a fresh interpreter: one load, prints a JSON line with the peak increase."""
    load: Callable[[], Any]
    if kind == "json.load":
        def load() -> Any:
            with open(path, encoding="utf-8") as f:
                return json.load(f)
    else:
        try:
            import annoconv

            read = annoconv.read
        except UNFINISHED as exc:
            print(json.dumps({"skipped": describe(exc)}))
            return 0

        def load() -> Any:
            return read("coco", path)
    gc.collect()
    baseline = rss_now()
    try:
        obj = load()
    except UNFINISHED as exc:
        if kind == "json.load":
            raise
        print(json.dumps({"skipped": describe(exc)}))
        return 0
    peak = peak_rss()
    del obj
    print(json.dumps({"baseline": baseline, "peak": peak, "delta": peak - baseline}))
    return 0


def measure_memory(runner: Path, path: Path, skipped: dict[str, str]) -> dict[str, dict[str, int]]:
    out: dict[str, dict[str, int]] = {}
    for kind in ("json.load", "annoconv.read"):
        proc = subprocess.run([sys.executable, str(runner), "--memory-child", kind, str(path)],
                              capture_output=True, text=True)
        if proc.returncode != 0:
            raise RuntimeError(f"memory subprocess for {kind} failed:\n{proc.stderr}")
        res = json.loads(proc.stdout.strip().splitlines()[-1])
        if "skipped" in res:
            skipped[f"memory.{kind}"] = f"skipped: {res['skipped']}"
        else:
            out[f"memory.{kind}"] = res
    return out

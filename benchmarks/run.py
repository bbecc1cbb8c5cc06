"""COCO read/write benchmark: annoconv against the JSON-parse floor, json and pycocotools.

Generates the synthetic dataset (generate_coco.py) if it is missing, runs every selected
operation ``--repeat`` times interleaved (one of each per round, order rotated every round),
reports median and min wall time, measures peak memory in fresh subprocesses and prints the
ratios next to the project's goals.

Usage: python benchmarks/run.py [--scale N] [--repeat R] [--only NAME,...] [--json FILE]
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import io
import json
import platform
import shutil
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any, Callable

import msgspec
import orjson
from pycocotools.coco import COCO

HERE = Path(__file__).resolve().parent
DATA = HERE / "data"
OUT = DATA / "out"
sys.path.insert(0, str(HERE.parent))  # benchmark the working tree's annoconv

# What an unfinished annoconv raises; only these are turned into "skipped" rows.
UNFINISHED = (ImportError, AttributeError, NotImplementedError)

MEMORY_METHOD = ("peak RSS (VmHWM, else ru_maxrss) minus RSS after imports, "
                 "one fresh subprocess per measurement")

ROW_NAMES = ("floor", "json.load", "json.dump", "pycocotools", "read", "write", "convert",
             "memory")
ANNOCONV_ROWS = ("read", "write", "convert", "memory")


@dataclass
class Op:
    """One timed operation. ``run`` is timed; ``cleanup`` runs after it, untimed."""

    key: str  # result key
    label: str  # table label
    row: str  # the --only name selecting it
    run: Callable[[], Any]
    cleanup: Callable[[], None] = lambda: None
    gc_off: bool = False  # pause the cyclic GC during the timed call
    annoconv: bool = False
    samples: list[float] = field(default_factory=list)


@dataclass
class Ratio:
    label: str
    num: str  # result keys; value = median(num) / median(den)
    den: str
    goal: str
    ok: Callable[[float], bool]
    unit: str = "x"


RATIOS = [
    Ratio("annoconv read / floor", "annoconv.read", "floor", "<= 3x", lambda v: v <= 3),
    Ratio("pycocotools / annoconv read (speed-up)", "pycocotools", "annoconv.read", "> 1x",
          lambda v: v > 1),
    Ratio("json.dump / annoconv write (speed-up)", "json.dump", "annoconv.write", ">= 5x",
          lambda v: v >= 5),
    Ratio("annoconv read peak mem / json.load peak mem", "memory.annoconv.read",
          "memory.json.load", "<= 2x", lambda v: v <= 2),
]


# --------------------------------------------------------------------------- helpers


def remove(path: Path) -> None:
    """Delete a written output, whether a file or a directory."""
    if path.is_dir():
        shutil.rmtree(path)
    elif path.exists():
        path.unlink()


def describe(exc: BaseException) -> str:
    """``Type: message``, plus ``(raised at file:line)`` when raised inside annoconv, to tell
    an unfinished package from a bug."""
    tb = exc.__traceback__
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    where = ""
    if tb is not None and Path(tb.tb_frame.f_code.co_filename).resolve() != Path(__file__).resolve():
        where = f" (raised at {tb.tb_frame.f_code.co_filename}:{tb.tb_lineno})"
    return f"{type(exc).__name__}: {exc}{where}"


def time_once(op: Op) -> float:
    gc.collect()  # do not make the next op pay for the previous one's garbage
    if op.gc_off:
        gc.disable()
    try:
        t0 = time.perf_counter()
        result = op.run()
        elapsed = time.perf_counter() - t0
    finally:
        if op.gc_off:
            gc.enable()
    del result
    op.cleanup()
    return elapsed


def ensure_dataset(path: Path, scale: int) -> None:
    if path.exists():
        return
    print(f"generating {path} (scale {scale}) ...", file=sys.stderr)
    subprocess.run([sys.executable, str(HERE / "generate_coco.py"), "--scale", str(scale),
                    "--out", str(path)], check=True)


def version(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "not installed"


# --------------------------------------------------------------------------- operations


def reference_ops(path: Path, raw: bytes, rows: set[str]) -> list[Op]:
    ops: list[Op] = []
    if "floor" in rows:
        decoder = msgspec.json.Decoder()
        ops.append(Op("floor.msgspec", "floor: msgspec.json.decode (GC off)", "floor",
                      lambda: decoder.decode(raw), gc_off=True))
        ops.append(Op("floor.orjson", "floor: orjson.loads (GC off)", "floor",
                      lambda: orjson.loads(raw), gc_off=True))
    if "json.load" in rows:
        def json_load() -> Any:
            with open(path, encoding="utf-8") as f:
                return json.load(f)
        ops.append(Op("json.load", "json.load", "json.load", json_load))
    if "json.dump" in rows:
        with open(path, encoding="utf-8") as f:
            loaded = json.load(f)
        target = OUT / "json_dump.json"

        def json_dump() -> None:
            with open(target, "w", encoding="utf-8") as f:
                json.dump(loaded, f)
        ops.append(Op("json.dump", "json.dump (default options)", "json.dump", json_dump,
                      cleanup=lambda: remove(target)))
    if "pycocotools" in rows:
        def peer() -> COCO:
            with contextlib.redirect_stdout(io.StringIO()):  # COCO() prints progress
                return COCO(str(path))
        ops.append(Op("pycocotools", "pycocotools COCO(path)", "pycocotools", peer))
    return ops


def annoconv_ops(path: Path, rows: set[str], skipped: dict[str, str]) -> list[Op]:
    """The annoconv rows; anything UNFINISHED about the package lands in ``skipped``."""
    wanted = [r for r in ("read", "write", "convert") if r in rows]
    if not wanted:
        return []
    try:
        import annoconv
    except ImportError as exc:
        skipped.update({f"annoconv.{r}": describe(exc) for r in wanted})
        return []

    ops: list[Op] = []
    for row in wanted:
        try:
            fn = getattr(annoconv, row)
        except AttributeError as exc:
            skipped[f"annoconv.{row}"] = describe(exc)
            continue
        target = OUT / f"annoconv_{row}.json"
        if row == "read":
            ops.append(Op("annoconv.read", 'annoconv.read("coco", path)', row,
                          lambda fn=fn: fn("coco", str(path)), annoconv=True))
        elif row == "write":
            try:
                dataset = annoconv.read("coco", str(path))  # read once, untimed
            except UNFINISHED as exc:
                skipped["annoconv.write"] = f"needs annoconv.read: {describe(exc)}"
                continue
            ops.append(Op("annoconv.write", 'annoconv.write(ds, "coco", out)', row,
                          lambda fn=fn, ds=dataset, t=target: fn(ds, "coco", str(t),
                                                                 overwrite=True),
                          cleanup=lambda t=target: remove(t), annoconv=True))
        else:
            ops.append(Op("annoconv.convert", 'annoconv.convert("coco", "coco", ...)', row,
                          lambda fn=fn, t=target: fn("coco", "coco", str(path), str(t),
                                                     overwrite=True),
                          cleanup=lambda t=target: remove(t), annoconv=True))
    return ops


def run_rounds(ops: list[Op], repeat: int, skipped: dict[str, str]) -> None:
    """Interleaved rounds; an annoconv op failing as UNFINISHED is dropped and reported."""
    active = list(ops)
    for rnd in range(repeat):
        shift = rnd % len(active) if active else 0
        for op in active[shift:] + active[:shift]:  # rotate to spread drift evenly
            if not op.annoconv:
                op.samples.append(time_once(op))
                continue
            try:
                op.samples.append(time_once(op))
            except UNFINISHED as exc:
                skipped[op.key] = describe(exc)
                op.cleanup()
        active = [op for op in active if op.key not in skipped]
        print(f"  round {rnd + 1}/{repeat} done", file=sys.stderr)


# --------------------------------------------------------------------------- memory


def _proc_status_bytes(field: str) -> int | None:
    """A ``kB`` field of /proc/self/status (Linux); None elsewhere."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(field + ":"):
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


def measure_memory(path: Path, skipped: dict[str, str]) -> dict[str, dict[str, int]]:
    out: dict[str, dict[str, int]] = {}
    for kind in ("json.load", "annoconv.read"):
        proc = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--memory-child",
                               kind, str(path)], capture_output=True, text=True)
        if proc.returncode != 0:
            raise RuntimeError(f"memory subprocess for {kind} failed:\n{proc.stderr}")
        res = json.loads(proc.stdout.strip().splitlines()[-1])
        if "skipped" in res:
            skipped[f"memory.{kind}"] = res["skipped"]
        else:
            out[f"memory.{kind}"] = res
    return out


# --------------------------------------------------------------------------- report


def summarise(ops: list[Op]) -> dict[str, dict[str, Any]]:
    res = {op.key: {"label": op.label, "median": statistics.median(op.samples),
                    "min": min(op.samples), "samples": op.samples}
           for op in ops if op.samples}
    floors = [k for k in ("floor.msgspec", "floor.orjson") if k in res]
    if floors:
        best = min(floors, key=lambda k: res[k]["median"])
        res["floor"] = {**res[best], "label": f"floor = fastest of the two ({best[6:]})"}
    return res


def print_report(header: str, ops: list[Op], times: dict[str, dict[str, Any]],
                 memory: dict[str, dict[str, int]], skipped: dict[str, str],
                 ratios: list[dict[str, Any]]) -> None:
    print(header)
    print()
    print(f"{'operation':<44}{'median s':>10}{'min s':>10}")
    keys = [op.key for op in ops]
    if "floor.orjson" in keys:
        keys.insert(keys.index("floor.orjson") + 1, "floor")
    for key in keys:
        if key in times:
            r = times[key]
            print(f"{r['label']:<44}{r['median']:>10.3f}{r['min']:>10.3f}")
        else:
            label = next(op.label for op in ops if op.key == key)
            print(f"{label:<44}{'skipped':>10}")
    for key in sorted(k for k in skipped if k not in keys and not k.startswith("memory.")):
        print(f"{key:<44}{'skipped':>10}")

    mem_keys = [k for k in ("memory.json.load", "memory.annoconv.read")
                if k in memory or k in skipped]
    if mem_keys:
        print()
        print(f"peak memory: {MEMORY_METHOD}")
        for key in mem_keys:
            name = key.removeprefix("memory.")
            val = f"{memory[key]['delta'] / 2**20:.1f} MiB" if key in memory else "skipped"
            print(f"  {name:<42}{val:>12}")

    print()
    print(f"{'ratio':<46}{'value':>8}  {'goal':<7}{'status'}")
    for r in ratios:
        val = f"{r['value']:.2f}x" if r["value"] is not None else "-"
        print(f"{r['label']:<46}{val:>8}  {r['goal']:<7}{r['status']}")

    if skipped:
        print()
        reasons: dict[str, list[str]] = {}
        for key, why in skipped.items():
            reasons.setdefault(why, []).append(key)
        for why, keys_ in reasons.items():
            print(f"SKIPPED annoconv rows {', '.join(keys_)}: {why}")


def compute_ratios(times: dict[str, dict[str, Any]], memory: dict[str, dict[str, int]]
                   ) -> list[dict[str, Any]]:
    values = {k: v["median"] for k, v in times.items()}
    values.update({k: float(v["delta"]) for k, v in memory.items()})
    out = []
    for r in RATIOS:
        if r.num in values and r.den in values and values[r.den] > 0:
            v = values[r.num] / values[r.den]
            status = "PASS" if r.ok(v) else "FAIL"
        else:
            v, status = None, "n/a"
        out.append({"label": r.label, "value": v, "goal": r.goal, "status": status})
    return out


# --------------------------------------------------------------------------- main


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--scale", type=int, default=1, help="dataset scale (see generate_coco.py)")
    p.add_argument("--data", type=Path, help="benchmark this COCO file instead of the generated one")
    p.add_argument("--repeat", type=int, default=5, help="interleaved repetitions (default 5)")
    p.add_argument("--only", help=f"comma-separated subset of: {','.join(ROW_NAMES)}")
    p.add_argument("--json", type=Path, help="also write the results to this JSON file")
    p.add_argument("--memory-child", nargs=2, metavar=("KIND", "PATH"), help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.repeat < 1 or args.scale < 1:
        p.error("--repeat and --scale must be >= 1")
    rows = set(ROW_NAMES) if not args.only else {r.strip() for r in args.only.split(",") if r.strip()}
    if unknown := rows - set(ROW_NAMES):
        p.error(f"unknown --only name(s) {sorted(unknown)}; choose from {','.join(ROW_NAMES)}")
    args.rows = rows
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.memory_child:
        return memory_child(*args.memory_child)

    if args.data is not None:
        path = args.data.resolve()
        if not path.exists():
            raise SystemExit(f"{path}: no such file")
    else:
        suffix = "" if args.scale == 1 else f"_x{args.scale}"
        path = DATA / f"coco_val_like{suffix}.json"
        ensure_dataset(path, args.scale)
    OUT.mkdir(parents=True, exist_ok=True)

    raw = path.read_bytes()  # read once, outside every timing
    parsed = orjson.loads(raw)
    header = (f"dataset: {path} ({len(raw) / 1e6:.1f} MB, {len(parsed['images'])} images, "
              f"{len(parsed['annotations'])} annotations); {args.repeat} interleaved "
              f"repetitions; Python {platform.python_version()}")
    del parsed

    skipped: dict[str, str] = {}
    ops = reference_ops(path, raw, args.rows) + annoconv_ops(path, args.rows, skipped)
    run_rounds(ops, args.repeat, skipped)
    memory = measure_memory(path, skipped) if "memory" in args.rows else {}

    times = summarise(ops)
    ratios = compute_ratios(times, memory)
    print_report(header, ops, times, memory, skipped, ratios)

    if args.json:
        result = {
            "dataset": {"path": str(path), "bytes": len(raw), "scale": args.scale},
            "repeat": args.repeat,
            "environment": {
                "python": platform.python_version(), "platform": platform.platform(),
                **{d: version(d) for d in ("annoconv", "numpy", "orjson", "msgspec",
                                           "pycocotools")},
            },
            "times": times,
            "memory": {**memory, "method": MEMORY_METHOD},
            "ratios": ratios,
            "skipped": skipped,
        }
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

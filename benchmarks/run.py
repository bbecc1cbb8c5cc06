"""annoconv benchmarks: every row beside its floor and its peers, side by side in one run.

Generates the synthetic dataset (generate_coco.py) if it is missing, builds the selected rows
(rows_coco: COCO read/write; rows_raster: issue 3, PNG masks, rasterization, RLE; rows_yolo:
issue 4, YOLO/VOC; rows_fastlabel: issue 5 and the FastLabel SDK), runs every operation
``--repeat`` times interleaved (one of each per round, order rotated every round; slow peers at
most ``--peer-repeat`` times), reports median and min wall time and prints the ratios next to
the project's goals. Peers run in their own venvs under benchmarks/.venvs/, made on first use.

Usage: python benchmarks/run.py [--scale N] [--repeat R] [--peer-repeat P] [--only ROW,...] [--json FILE]
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from importlib import metadata
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))  # the rows_* modules
sys.path.insert(0, str(HERE.parent))  # benchmark the working tree's annoconv

import rows_coco  # noqa: E402
import rows_fastlabel  # noqa: E402
import rows_raster  # noqa: E402
import rows_yolo  # noqa: E402
import venvs  # noqa: E402
from rows_base import DATA, OUT, UNFINISHED, Context, Op, describe, time_once  # noqa: E402

MODULES = (rows_coco, rows_raster, rows_yolo, rows_fastlabel)
ROWS: dict[str, str] = {name: what for module in MODULES for name, what in module.ROWS.items()}
GROUPS = {"coco": list(rows_coco.ROWS), "issue3": list(rows_raster.ROWS), "issue4": list(rows_yolo.ROWS),
          "issue5": list(rows_fastlabel.ROWS)}
RATIOS = [ratio for module in MODULES for ratio in module.RATIOS]


# --------------------------------------------------------------------------- running


def build_ops(ctx: Context) -> list[Op]:
    ops: list[Op] = []
    for module in MODULES:
        ops.extend(module.ops(ctx))
    return ops


def run_rounds(ops: list[Op], repeat: int, ctx: Context) -> None:
    """Interleaved rounds. A failing operation is dropped and reported ("skipped" when annoconv
    is unfinished, else "FAILED"), so that one broken row does not cost the others."""
    active = list(ops)
    for rnd in range(repeat):
        todo = [op for op in active if op.max_samples is None or len(op.samples) < op.max_samples]
        if not todo:
            break
        shift = rnd % len(todo)
        for op in todo[shift:] + todo[:shift]:  # rotate to spread drift evenly
            try:
                op.samples.append(time_once(op))
            except Exception as exc:
                unfinished = op.annoconv and isinstance(exc, UNFINISHED)
                ctx.skip(op.key, op.row, f"{'skipped' if unfinished else 'FAILED'}: {describe(exc)}")
                try:
                    op.cleanup()
                except OSError:
                    pass
                continue
            shown = op.samples[-1] * 1e6 / op.per if op.per else op.samples[-1]
            print(f"  round {rnd + 1}/{repeat}: {op.key} {shown:.3f} {'us/item' if op.per else 's'}",
                  file=sys.stderr)
        active = [op for op in active if op.key not in ctx.skipped]


def summarise(ops: list[Op]) -> dict[str, dict[str, Any]]:
    times = {op.key: {"label": op.label, "row": op.row, "median": statistics.median(op.samples),
                      "min": min(op.samples), "samples": op.samples, "per": op.per,
                      "files": op.files}
             for op in ops if op.samples}
    rows_coco.summarise_floor(times)
    return times


def compute_ratios(times: dict[str, dict[str, Any]], memory: dict[str, dict[str, int]],
                   scheduled: set[str]) -> list[dict[str, Any]]:
    """Ratios of the selected rows, on medians and on minima."""
    values = {k: (v["median"], v["min"]) for k, v in times.items()}
    values.update({k: (float(v["delta"]),) * 2 for k, v in memory.items()})
    out = []
    for r in RATIOS:
        if r.num not in scheduled or (r.den is not None and r.den not in scheduled):
            continue  # a row that was not selected
        pair: list[float | None] = [None, None]
        if r.num in values and (r.den is None or (r.den in values and min(values[r.den]) > 0)):
            for i in (0, 1):
                pair[i] = values[r.num][i] / (1.0 if r.den is None else values[r.den][i])
        if pair[0] is None:
            status = "n/a"
        elif r.ok is None:
            status = "info"
        elif r.ok(pair[0]):
            status = "PASS"
        else:
            status = "FAIL (min: PASS)" if pair[1] is not None and r.ok(pair[1]) else "FAIL"
        out.append({"label": r.label, "value": pair[0], "value_min": pair[1], "goal": r.goal, "unit": r.unit,
                    "status": status})
    return out


# --------------------------------------------------------------------------- report


def _cell(seconds: float, per: int) -> str:
    return f"{seconds * 1e6 / per:.1f} us" if per else f"{seconds:.3f} s"


def print_report(header: list[str], ops: list[Op], times: dict[str, dict[str, Any]],
                 memory: dict[str, dict[str, int]], ctx: Context, ratios: list[dict[str, Any]]) -> None:
    skipped, notes = ctx.skipped, ctx.notes
    print("\n".join(header))
    width = 58
    for row in ROWS:
        keys = [op.key for op in ops if op.row == row or row in op.also]
        if row == "floor" and "floor.orjson" in keys:
            keys.insert(keys.index("floor.orjson") + 1, "floor")
        keys += [k for k, r in ctx.skipped_row.items() if r == row and k not in keys]
        if not keys:
            continue
        print()
        print(f"[{row}] {ROWS[row]}")
        print(f"  {'operation':<{width}}{'median':>12}{'min':>12}{'n':>4}{'files':>7}")
        for key in keys:
            if key in times:
                r = times[key]
                files = "" if r["files"] is None else str(r["files"])
                print(f"  {r['label'][:width]:<{width}}{_cell(r['median'], r['per']):>12}"
                      f"{_cell(r['min'], r['per']):>12}{len(r['samples']):>4}{files:>7}")
            elif key in skipped:
                label = next((op.label for op in ops if op.key == key), key)
                print(f"  {label[:width]:<{width}}{skipped[key].split(':')[0]:>12}")

    mem_keys = [k for k in ("memory.json.load", "memory.annoconv.read") if k in memory or k in skipped]
    if mem_keys:
        print()
        print(f"[memory] {rows_coco.MEMORY_METHOD}")
        for key in mem_keys:
            val = f"{memory[key]['delta'] / 2**20:.1f} MiB" if key in memory else "skipped"
            print(f"  {key.removeprefix('memory.'):<{width}}{val:>12}")

    if ratios:
        print()
        print(f"  {'ratio (on medians; on minima)':<{width}}{'median':>9}{'min':>9}  {'goal':<9}status")
        for r in ratios:
            cells = [("-" if v is None else f"{v:.2f}{r['unit']}") for v in (r["value"], r["value_min"])]
            print(f"  {r['label'][:width]:<{width}}{cells[0]:>9}{cells[1]:>9}  {r['goal']:<9}{r['status']}")

    if skipped or notes:
        print()
    for note in notes:
        print(f"note: {note}")
    for key, why in skipped.items():
        print(f"{key}: {why}")


# --------------------------------------------------------------------------- main


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--scale", type=float, default=1,
                   help="dataset scale (see generate_coco.py); a fraction such as 0.05 for a smoke run")
    p.add_argument("--data", type=Path, help="benchmark this COCO file instead of the generated one")
    p.add_argument("--repeat", type=int, default=5, help="interleaved repetitions (default 5)")
    p.add_argument("--peer-repeat", type=int, help="repetitions of the slow peers (default min(3, --repeat))")
    p.add_argument("--only", help=f"comma-separated rows or groups: {', '.join(GROUPS)}; rows: {', '.join(ROWS)}")
    p.add_argument("--json", type=Path, help="also write the results to this JSON file")
    p.add_argument("--out", type=Path, help="write the outputs into DIR/annoconv-bench-out/ (default "
                   "benchmarks/data/out/), e.g. a tmpfs such as /dev/shm to take disk stalls out")
    p.add_argument("--memory-child", nargs=2, metavar=("KIND", "PATH"), help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.repeat < 1 or args.scale <= 0 or (args.peer_repeat is not None and args.peer_repeat < 1):
        p.error("--repeat and --peer-repeat must be >= 1, --scale > 0")
    args.peer_repeat = args.peer_repeat or min(3, args.repeat)
    rows: set[str] = set()
    for name in (args.only.split(",") if args.only else list(ROWS)):
        name = name.strip()
        if name in GROUPS:
            rows.update(GROUPS[name])
        elif name in ROWS:
            rows.add(name)
        elif name:
            p.error(f"unknown --only name {name!r}; choose from groups {', '.join(GROUPS)} or rows {', '.join(ROWS)}")
    args.rows = rows
    return args


def dataset_path(args: argparse.Namespace) -> Path:
    if args.data is not None:
        path = args.data.resolve()
        if not path.exists():
            raise SystemExit(f"{path}: no such file")
        return path
    suffix = "" if args.scale == 1 else f"_x{args.scale:g}"
    path = DATA / f"coco_val_like{suffix}.json"
    if not path.exists():
        print(f"generating {path} (scale {args.scale:g}) ...", file=sys.stderr)
        subprocess.run([sys.executable, str(HERE / "generate_coco.py"), "--scale", f"{args.scale:g}",
                        "--out", str(path)], check=True)
    return path


def version(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "not installed"


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.memory_child:
        return rows_coco.memory_child(*args.memory_child)

    path = dataset_path(args)
    out = OUT if args.out is None else args.out.resolve() / "annoconv-bench-out"
    shutil.rmtree(out, ignore_errors=True)  # outputs of an interrupted run
    out.mkdir(parents=True, exist_ok=True)
    raw = path.read_bytes()  # read once, outside every timing
    ctx = Context(path=path, raw=raw, rows=args.rows, repeat=args.repeat, peer_repeat=args.peer_repeat,
                  skipped={}, derived=DATA / "derived" / path.stem, out=out)
    parsed = ctx.parsed()
    header = [f"dataset: {path} ({len(raw) / 1e6:.1f} MB, {len(parsed['images'])} images, "
              f"{len(parsed['annotations'])} annotations)",
              f"{args.repeat} interleaved repetitions (slow peers: {args.peer_repeat}); Python "
              f"{platform.python_version()}; {os.cpu_count()} CPUs; load average at start "
              f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}; outputs in {out}",
              "peers: " + ", ".join(" ".join(reqs) for reqs in venvs.PEERS.values()) + ", pycocotools "
              + version("pycocotools")]
    ctx.drop_parsed()  # the rows that need it decode it again
    del parsed

    started = time.perf_counter()
    ops = build_ops(ctx)
    ctx.drop_parsed()
    # What setup built stays alive for the whole run: freeze it out of the cyclic GC so that it
    # does not make the collections inside the timed operations slower.
    gc.collect()
    gc.freeze()
    print(f"setup {time.perf_counter() - started:.1f} s; timing {len(ops)} operations", file=sys.stderr)
    run_rounds(ops, args.repeat, ctx)
    memory = rows_coco.measure_memory(Path(__file__).resolve(), path, ctx.skipped) if "memory" in args.rows else {}
    header.append(f"load average at end {' '.join(f'{x:.2f}' for x in os.getloadavg())}; "
                  f"wall time {time.perf_counter() - started:.0f} s")

    times = summarise(ops)
    scheduled = {op.key for op in ops} | set(ctx.skipped) | set(memory)
    if "floor.msgspec" in scheduled:
        scheduled.add("floor")
    if "memory" in args.rows:
        scheduled |= {"memory.json.load", "memory.annoconv.read"}
    ratios = compute_ratios(times, memory, scheduled)
    print_report(header, ops, times, memory, ctx, ratios)

    if args.json:
        result = {
            "dataset": {"path": str(path), "bytes": len(raw), "scale": args.scale},
            "repeat": args.repeat, "peer_repeat": args.peer_repeat, "header": header,
            "environment": {
                "python": platform.python_version(), "platform": platform.platform(),
                **{d: version(d) for d in ("annoconv", "numpy", "orjson", "msgspec", "pycocotools", "isal",
                                           "opencv-python-headless", "pillow")},
                "peers": {name: list(reqs) for name, reqs in venvs.PEERS.items()},
            },
            "times": times,
            "memory": {**memory, "method": rows_coco.MEMORY_METHOD},
            "ratios": ratios,
            "skipped": ctx.skipped,
            "notes": ctx.notes,
        }
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

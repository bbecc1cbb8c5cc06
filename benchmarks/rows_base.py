"""What every benchmark row is made of: timed operations, goal ratios, the shared run context,
and the helpers to time an operation and to run a peer tool in its own venv.

An :class:`Op` is timed in interleaved rounds by ``run.py``: either by wall clock around
``run()`` in this process, or (``inner=True``) ``run()`` itself returns the seconds it measured,
e.g. inside a peer's subprocess or over only the timed segments of a floor.
"""

from __future__ import annotations

import gc
import json
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

HERE = Path(__file__).resolve().parent
DATA = HERE / "data"
OUT = DATA / "out"

# What an unfinished annoconv raises; these rows print "skipped", any other exception "FAILED".
UNFINISHED = (ImportError, AttributeError, NotImplementedError)


@dataclass
class Op:
    """One timed operation. ``run`` is timed (or returns its own seconds when ``inner``);
    ``cleanup`` runs after it, untimed. ``max_samples`` caps the rounds it takes part in (slow
    peers); ``per`` > 0 prints the times divided by it, in microseconds (per-mask rows)."""

    key: str  # result key
    label: str  # table label
    row: str  # the --only name selecting it
    run: Callable[[], Any]
    cleanup: Callable[[], None] = lambda: None
    gc_off: bool = False  # pause the cyclic GC during the timed call
    annoconv: bool = False  # failures are reported per row instead of stopping the run
    inner: bool = False
    max_samples: int | None = None
    per: int = 0
    also: tuple[str, ...] = ()  # further rows whose table shows this op (one measurement, two rows)
    output: Path | None = None  # what it writes: its files are counted once (untimed), as a sanity check
    files: int | None = None
    samples: list[float] = field(default_factory=list)


@dataclass
class Ratio:
    """``value = time(num) / time(den)`` on medians (and on minima), or the time of ``num`` itself
    when ``den`` is None (an absolute goal in seconds). ``ok`` None: shown for information."""

    label: str
    num: str  # result keys
    den: str | None
    goal: str
    ok: Callable[[float], bool] | None
    unit: str = "x"


@dataclass
class Context:
    """What the row builders share: the COCO file and its bytes, the selected rows, where
    derived inputs and outputs go, repetitions, and the rows skipped so far (key -> why)."""

    path: Path
    raw: bytes
    rows: set[str]
    repeat: int
    peer_repeat: int
    skipped: dict[str, str]
    derived: Path  # cached inputs made from ``path`` (tasks file, YOLO dataset with images, ...)
    out: Path = OUT
    log: Callable[[str], None] = lambda message: print(message, file=sys.stderr)
    notes: list[str] = field(default_factory=list)  # printed under the table
    skipped_row: dict[str, str] = field(default_factory=dict)  # key -> the row whose table lists it
    _parsed: Any = None

    def parsed(self) -> Any:
        """The COCO document (decoded once, untimed)."""
        if self._parsed is None:
            import orjson
            self._parsed = orjson.loads(self.raw)
        return self._parsed

    def drop_parsed(self) -> None:
        """Free the decoded document (the timed operations should not carry it around)."""
        self._parsed = None

    def want(self, *rows: str) -> bool:
        return any(row in self.rows for row in rows)

    def skip(self, key: str, row: str, why: str) -> None:
        """Record that ``key`` (listed in ``row``'s table) is not measured; ``why`` starts with
        "skipped:" or "FAILED:"."""
        self.skipped[key] = why
        self.skipped_row[key] = row


def remove(path: Path) -> None:
    """Delete a written output, whether a file or a directory."""
    if path.is_dir():
        shutil.rmtree(path)
    elif path.exists() or path.is_symlink():
        path.unlink()


def count_files(path: Path) -> int:
    """Files under ``path`` (1 for a file, 0 when missing)."""
    if path.is_dir():
        return sum(1 for p in path.rglob("*") if p.is_file())
    return int(path.is_file())


def describe(exc: BaseException) -> str:
    """``Type: message``, plus ``(raised at file:line)`` when raised outside the benchmarks, to
    tell an unfinished package from a bug."""
    tb = exc.__traceback__
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    where = ""
    if tb is not None and Path(tb.tb_frame.f_code.co_filename).resolve().parent != HERE:
        where = f" (raised at {tb.tb_frame.f_code.co_filename}:{tb.tb_lineno})"
    message = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {message[0] if message else ''}{where}"


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
    if op.inner:
        elapsed = float(result)
    del result
    if op.output is not None and op.files is None:
        op.files = count_files(op.output)
    op.cleanup()
    return elapsed


class PeerFailed(RuntimeError):
    """A peer's subprocess exited with an error (its last stderr line is the message)."""


def run_peer(python: Path, job: dict[str, Any], cwd: Path) -> float:
    """Run ``job`` in peer_worker.py under ``python``; the seconds measured inside it."""
    proc = subprocess.run([str(python), str(HERE / "peer_worker.py"), json.dumps(job)],
                          capture_output=True, text=True, cwd=str(cwd))
    if proc.returncode != 0:
        lines = [line for line in proc.stderr.splitlines() if line.strip()]
        raise PeerFailed(lines[-1] if lines else f"exit status {proc.returncode}")
    return float(json.loads(proc.stdout.strip().splitlines()[-1])["seconds"])


def peer_op(ctx: Context, peer: str, key: str, label: str, row: str, job: dict[str, Any],
            output: Path) -> Op | None:
    """An inner-timed Op running ``job`` in ``peer``'s venv, or None (and ``ctx.skip``)
    when that venv cannot be created."""
    import venvs

    try:
        python = venvs.ensure(peer, log=ctx.log)
    except venvs.VenvUnavailable as exc:
        ctx.skip(key, row, f"skipped: no {peer} venv ({exc})")
        return None
    job = {**job, "out": str(output)}
    return Op(key, label, row, lambda: run_peer(python, job, ctx.out), cleanup=lambda: remove(output),
              inner=True, max_samples=ctx.peer_repeat, output=output)


def annoconv_convert_op(key: str, label: str, row: str, src_fmt: str, dst_fmt: str, src: Path,
                        dst: Path, **options: Any) -> Op:
    """``annoconv.convert(src_fmt, dst_fmt, src, dst, overwrite=True, **options)``, timed whole."""
    def run() -> Any:
        import annoconv
        return annoconv.convert(src_fmt, dst_fmt, str(src), str(dst), overwrite=True, **options)
    return Op(key, label, row, run, cleanup=lambda: remove(dst), annoconv=True, output=dst)

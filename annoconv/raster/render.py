"""Render many items into index-map PNG files, in chunks and optionally in worker processes.

Per-image work is independent, so ``workers > 1`` splits the items into chunks handled by a
process pool (forked where the platform allows, so the dataset is not copied); each worker
rasterizes, encodes and writes its files itself. Results come back in item order. Chunks of a
few dozen images let the span computation run vectorized over all their shapes at once.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .._io import Folders
from ..errors import AnnoconvError
from ..ir import Item
from .png import Compression, encode_png
from .rasterize import Note, Plan, burn_each, paint_notes, plan_instances, plan_semantic

CHUNK = 48  # images per vectorized burn (measured: 16-64 are within a few per cent)

@dataclass(frozen=True)
class Rendered:
    """What rendering one item gave: its instances (instance maps; see :func:`instance_table`) and what was lost."""

    # instance maps: (index, position of its annotation in the item) per instance, in index order
    instances: list[tuple[int, int]] | None
    notes: list[Note]
    ignore: int | None = None  # the value crowd regions were painted with, if any


@dataclass(frozen=True)
class RenderJob:
    mode: str                      # "semantic" or "instance"
    root: Path                     # output folder
    masks: Sequence[str]           # mask path of each item, relative to root
    class_index: dict[str, int]
    background: int
    crowd: str
    ignore_value: int | None
    line_width: float | None
    palette: np.ndarray            # (256, 3) uint8, used for 8-bit maps
    compression: Compression
    on_error: str                  # "fail" or "skip"


def _plan(item: Item, job: RenderJob) -> Plan:
    if job.mode == "semantic":
        return plan_semantic(item, job.class_index, background=job.background, crowd=job.crowd,  # type: ignore[arg-type]
                             ignore_value=job.ignore_value if job.ignore_value is not None else 255,
                             line_width=job.line_width)
    return plan_instances(item, background=job.background, crowd=job.crowd, ignore_value=job.ignore_value,
                          line_width=job.line_width)


def _instances(plan: Plan) -> list[tuple[int, int]]:
    """Each instance index and the position of its annotation in the item, in index order (crowd
    regions painted with the shared ignore value are not instances and are left out). Positions,
    not the annotations' labels and ids: a worker process that touched every id (to send it back)
    would copy the memory pages holding them, which costs more than building the table."""
    position = {id(annotation): k for k, annotation in enumerate(plan.item.annotations)}
    return sorted((value, position[id(annotation)]) for annotation, value in plan.steps
                  if not (annotation.iscrowd and value == plan.ignore))


def instance_table(item: Item, instances: list[tuple[int, int]]) -> list[dict[str, Any]]:
    """The instances of a rendered item as the sidecar lists them: index, label, annotation id and
    crowd flag (from :attr:`Rendered.instances`)."""
    table = []
    for value, position in instances:
        annotation = item.annotations[position]
        entry: dict[str, Any] = {"index": value, "label": annotation.label, "id": annotation.id}
        if annotation.iscrowd:
            entry["iscrowd"] = True
        table.append(entry)
    return table


def render_chunk(items: Sequence[Item], masks: Sequence[str], job: RenderJob) -> list[Any]:
    """Rasterize, encode and write the masks of ``items``. Per item: a :class:`Rendered`, or,
    under on_error="skip", the reason it was skipped (a str)."""
    results: list[Any] = [None] * len(items)
    plans: list[Plan] = []
    where: list[int] = []
    for k, item in enumerate(items):
        try:
            plans.append(_plan(item, job))
            where.append(k)
        except AnnoconvError as exc:
            if job.on_error == "fail":
                raise
            results[k] = str(exc)
    folders = Folders()
    try:
        # One map at a time in one reused buffer: each is encoded and checked before the next is painted.
        for k, plan, array in zip(where, plans, burn_each(plans, framed=True, reuse=True)):
            top = max([plan.background] + [value for _, value in plan.steps])  # the largest value it may hold
            _write(array, os.path.join(job.root, masks[k]), job, top, folders)
            results[k] = Rendered(_instances(plan) if job.mode == "instance" else None, paint_notes(plan, array),
                                  plan.ignore)
    except AnnoconvError as exc:
        if job.on_error == "fail":
            raise
        if len(plans) == 1:
            results[where[0]] = str(exc)
            return results
        # Find the bad item(s) one by one; the others are (still) written.
        return [result if k not in where else _one(items[k], masks[k], job)
                for k, result in enumerate(results)]
    return results


def _one(item: Item, mask: str, job: RenderJob) -> Any:
    try:
        return render_chunk([item], [mask], job)[0]
    except AnnoconvError as exc:
        return str(exc)


def _write(array: np.ndarray, path: str, job: RenderJob, top: int, folders: Folders) -> None:
    palette = job.palette if array.dtype == np.uint8 else None
    framed = array.dtype == np.uint8  # burn(framed=True) lays uint8 maps out as PNG rows
    data = encode_png(array, palette, job.compression, top, framed)
    folders.write(path, data)


_STATE: tuple[Sequence[Item], RenderJob] | None = None


def _initialize(items: Sequence[Item], job: RenderJob) -> None:
    global _STATE
    _STATE = (items, job)


def _render_range(bounds: tuple[int, int]) -> list[Any]:
    assert _STATE is not None
    items, job = _STATE
    start, stop = bounds
    return render_chunk(items[start:stop], job.masks[start:stop], job)


def render_items(items: Sequence[Item], job: RenderJob, workers: int = 1,
                 progress: Callable[[int], None] | None = None) -> list[Any]:
    """Results for all items, in order. ``workers`` > 1 uses a process pool."""
    ranges = [(start, min(start + CHUNK, len(items))) for start in range(0, len(items), CHUNK)]
    results: list[Any] = []
    if workers <= 1 or len(ranges) <= 1:
        for start, stop in ranges:
            results.extend(render_chunk(items[start:stop], job.masks[start:stop], job))
            if progress is not None:
                progress(stop - start)
        return results
    method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
    context = multiprocessing.get_context(method)
    with context.Pool(min(workers, len(ranges)), _initialize, (items, job)) as pool:
        for (start, stop), chunk in zip(ranges, pool.imap(_render_range, ranges)):
            results.extend(chunk)
            if progress is not None:
                progress(stop - start)
    return results

"""Issue 5 rows (FastLabel tasks -> COCO / semantic PNG) and every row of the official SDK.

The tasks are the generated COCO dataset as FastLabel image tasks (rows_inputs.fastlabel_tasks:
polygon annotations, as the SDK's PNG exporter needs). Both tools get the same tasks:

* ``fastlabel-coco``: ``annoconv.convert("fastlabel", "coco", tasks.json, out)`` (reads the file),
  annoconv_fastlabel's mapping alone (``tasks_to_dataset`` on the tasks already in memory), and
  the SDK's ``export_coco(project, tasks, annotations=classes)``.
* ``fastlabel-png``: ``annoconv.convert("fastlabel", "semantic-png", ..., palette="fastlabel")``
  (1 worker, reads the file), the same from the tasks already in memory (``tasks_to_dataset`` +
  ``annoconv.write``), and the SDK's ``export_semantic_segmentation(tasks)``.

The SDK runs in its own venv (fastlabel==0.26.0); its time is measured inside that process and
covers the export call only: the tasks list it is handed is loaded untimed, as if it came from
``get_image_tasks``. annoconv is timed both ways: from the file (decoding it included) and, like
the SDK, from the decoded tasks. The same
``sdk.semantic`` / ``sdk.instance`` measurements are the SDK column of the issue 3 rows.
"""

from __future__ import annotations

from typing import Any

import orjson

from rows_base import Context, Op, Ratio, annoconv_convert_op, describe, peer_op, remove
from rows_inputs import fastlabel_tasks

ROWS = {
    "fastlabel-coco": "FastLabel tasks -> COCO: annoconv (file, mapping alone) vs SDK export_coco",
    "fastlabel-png": "FastLabel tasks -> semantic PNG: annoconv vs SDK export_semantic_segmentation",
}

RATIOS = [
    Ratio("fastlabel-png: SDK / annoconv from the file (speed-up)", "sdk.semantic", "annoconv.fastlabel-png",
          ">= 10x", lambda v: v >= 10),
    Ratio("fastlabel-png: SDK / annoconv from tasks in memory, like the SDK (speed-up)", "sdk.semantic",
          "annoconv.fastlabel-png-memory", ">= 10x", lambda v: v >= 10),
    Ratio("fastlabel-coco: SDK export_coco / annoconv (speed-up)", "sdk.coco", "annoconv.fastlabel-coco", "-",
          None),
]


def ops(ctx: Context) -> list[Op]:
    if not ctx.want("fastlabel-coco", "fastlabel-png", "semantic-png", "instance-png"):
        return []
    tasks, how = fastlabel_tasks(ctx)
    document = orjson.loads(tasks.read_bytes())
    shapes = sum(len(task["annotations"]) for task in document["tasks"])
    ctx.notes.append(f"FastLabel tasks: {len(document['tasks'])} tasks, {shapes} annotations "
                     f"({tasks.stat().st_size / 1e6:.1f} MB), made by {how}")
    out: list[Op] = []
    memory = _memory_ops(ctx, document)
    if ctx.want("fastlabel-coco"):
        out.append(annoconv_convert_op("annoconv.fastlabel-coco", "annoconv fastlabel -> coco", "fastlabel-coco",
                                       "fastlabel", "coco", tasks, ctx.out / "annoconv_fastlabel.json"))
        out.extend(op for op in memory if op.row == "fastlabel-coco")
        op = peer_op(ctx, "fastlabel", "sdk.coco", "FastLabel SDK export_coco", "fastlabel-coco",
                     {"op": "fastlabel.coco", "tasks": str(tasks)}, ctx.out / "sdk_coco" / "annotations.json")
        if op is not None:
            op.cleanup, op.output = (lambda: remove(ctx.out / "sdk_coco")), ctx.out / "sdk_coco"
            out.append(op)
    if ctx.want("fastlabel-png"):
        out.append(annoconv_convert_op("annoconv.fastlabel-png", "annoconv fastlabel -> semantic-png, 1 worker",
                                       "fastlabel-png", "fastlabel", "semantic-png", tasks,
                                       ctx.out / "annoconv_fastlabel_png", palette="fastlabel", workers=1))
        out.extend(op for op in memory if op.row == "fastlabel-png")
    for mode, rows in (("semantic", ("semantic-png", "fastlabel-png")), ("instance", ("instance-png",))):
        wanted = [row for row in rows if row in ctx.rows]
        if wanted:
            op = peer_op(ctx, "fastlabel", f"sdk.{mode}", f"FastLabel SDK export_{mode}_segmentation", wanted[0],
                         {"op": f"fastlabel.{mode}", "tasks": str(tasks)}, ctx.out / f"sdk_{mode}")
            if op is not None:
                op.also = tuple(wanted[1:])
                out.append(op)
    return out


def _memory_ops(ctx: Context, document: dict[str, Any]) -> list[Op]:
    """annoconv_fastlabel from the tasks and classes already decoded, the SDK's own starting point
    (as the API returns them): the mapping alone (fastlabel-coco) and the PNG export (fastlabel-png)."""
    wanted = [(key, row) for key, row in (("annoconv.fastlabel-mapping", "fastlabel-coco"),
                                          ("annoconv.fastlabel-png-memory", "fastlabel-png")) if ctx.want(row)]
    try:
        import annoconv
        from annoconv_fastlabel import tasks_to_dataset
    except Exception as exc:
        for key, row in wanted:
            ctx.skip(key, row, f"skipped: {describe(exc)}")
        return []
    tasks, classes = document["tasks"], document["annotations"]
    dst = ctx.out / "annoconv_fastlabel_png_memory"

    def png() -> Any:
        dataset = tasks_to_dataset(tasks, classes)
        return annoconv.write(dataset, "semantic-png", str(dst), overwrite=True, palette="fastlabel", workers=1)
    ops = {"fastlabel-coco": Op("annoconv.fastlabel-mapping", "annoconv tasks_to_dataset (in memory)",
                                "fastlabel-coco", lambda: tasks_to_dataset(tasks, classes), annoconv=True),
           "fastlabel-png": Op("annoconv.fastlabel-png-memory", "annoconv tasks (in memory) -> semantic-png, 1 worker",
                               "fastlabel-png", png, cleanup=lambda: remove(dst), annoconv=True, output=dst)}
    return [ops[row] for _, row in wanted]

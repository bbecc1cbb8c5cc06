"""FastLabel image tasks and annotation classes <-> annoconv IR: pure functions, no I/O.

Coordinates: FastLabel points are continuous pixel-corner coordinates in absolute float pixels
(origin at the top-left corner of pixel (0, 0), x right, y down; a bbox [10, 12, 50, 40] covers
pixels x 10..49, y 12..39) — the IR's own convention, so they pass through unchanged and are
never rounded. ``rotation`` is in degrees about the box centre, positive = clockwise on screen,
as the IR's Box angle.

What each type becomes is documented in :mod:`.mapping_read` (tasks -> IR), :mod:`.mapping_write`
(IR -> tasks) and :mod:`.mapping_labels` (classes <-> labels). In short:

==================  =================================================  ==========================
FastLabel           IR                                                 back to FastLabel
==================  =================================================  ==========================
bbox + rotation     Box(xyxy, angle) (+ Keypoints in its group)        bbox (with keypoints)
polygon             Polygon (one ring)                                 polygon, clockwise
segmentation        Polygon (regions with holes)                       segmentation, outer
                                                                       clockwise, holes counter-
                                                                       clockwise, rings closed
keypoint / line     Point / Polyline                                   keypoint / line
circle [cx, cy, r]  Polygon approximation + extras "fastlabel:circle"  circle, exactly
pose_estimation     Keypoints (visibility FL 1/0/[] -> COCO 2/1/0)     pose_estimation
classification      Tag with the attributes                            classification
confidenceScore     score                                              confidenceScore
attributes          {key: value} (definitions on the label)            [{key, name, type, value}]
task tags/metadatas item attributes ("tags", others)                   tags / metadatas
status, priority…   item extras "fastlabel:<key>"                      as they were
(none)              Mask                                               segmentation (traced)
(none)              Caption, crowd flag, subset                        dropped, reported
==================  =================================================  ==========================

Every drop or approximation goes into the Report with a stable code; inputs are never mutated.
Errors are :class:`annoconv.errors.SchemaError` naming the JSON path (``tasks[3].annotations[2]
.points``) and the task; with ``on_error="skip"`` a bad task or annotation is skipped and reported.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from annoconv._io import gc_paused
from annoconv.errors import OptionError, SchemaError
from annoconv.formats._base import record_label_losses
from annoconv.ir import Dataset, Item, LabelSet
from annoconv.report import Code, Report

from .mapping_labels import LabelCollector, classes_from_labels, kind_of, labels_from_classes
from .mapping_read import TaskReader
from .mapping_write import CAPABILITIES, FORMAT_NAME, TaskWriter, write_items

__all__ = ["CAPABILITIES", "classes_from_labels", "dataset_to_tasks", "item_to_annotations", "item_to_task",
           "labels_from_classes", "labels_from_tasks", "task_to_item", "tasks_to_dataset"]


def labels_from_tasks(tasks: list[Any], classes: list[dict[str, Any]] | None = None,
                      report: Report | None = None, *, classes_where: str = "classes") -> LabelSet:
    """The labels of ``classes`` (if given), completed with every class value the tasks use.

    A value missing from the given classes is added from what its annotations say (type, title,
    colour, attribute names and types, keypoint keys) and reported as ``label-unknown``: nothing is
    dropped (unlike the SDK's COCO export, D13). A pose class without keypoints takes the tasks' keys.
    """
    report = report if report is not None else Report()
    base = labels_from_classes(classes, report, where=classes_where) if classes is not None else LabelSet()
    collector = LabelCollector(frozenset(label.name for label in base if label.keypoints))
    for task in tasks if isinstance(tasks, list) else ():
        annotations = task.get("annotations") if isinstance(task, dict) else None
        if isinstance(annotations, list):
            for annotation in annotations:
                collector.add(annotation)
    return collector.merged(base, report, classes is not None)


def task_to_item(task: dict[str, Any], labels: LabelSet | None = None, report: Report | None = None, *,
                 where: str = "task") -> Item:
    """One image task (``get_image_tasks`` / ``find_image_task`` shape) as an Item.

    ``labels`` give the keypoint order of pose annotations and the classes' titles, colours and
    types (an annotation saying otherwise keeps its own in extras); without them they are taken
    from the task. A value missing from ``labels`` is reported (``label-unknown``).
    """
    report = report if report is not None else Report()
    if labels is None:
        labels = labels_from_tasks([task], report=report)
    with gc_paused():
        return TaskReader(labels, report, where=where).read([task], single=True)[0]


def tasks_to_dataset(tasks: list[dict[str, Any]], classes: list[dict[str, Any]] | None = None,
                     report: Report | None = None, *, on_error: str = "fail", where: str = "tasks",
                     classes_where: str = "classes", file: str | Path | None = None,
                     progress: Callable[[int], None] | None = None) -> Dataset:
    """Image tasks (and optionally the project's annotation classes) as a Dataset.

    ``on_error="skip"``: a bad task or annotation is skipped and reported (item-skipped /
    annotation-skipped) instead of raising. ``where``/``classes_where`` prefix the JSON paths in
    messages; ``file`` names the source file in them; ``progress(n)`` is called per task.
    """
    if on_error not in ("fail", "skip"):
        raise OptionError(f"on_error must be 'fail' or 'skip', got {on_error!r}")
    report = report if report is not None else Report()
    if not isinstance(tasks, list):
        raise SchemaError(f"expected a list of image tasks, got {kind_of(tasks)}", file=file, location=where)
    with gc_paused():
        labels = labels_from_tasks(tasks, classes, report, classes_where=classes_where)
        items = TaskReader(labels, report, skip=on_error == "skip", where=where, file=file,
                           progress=progress).read(tasks)
    return Dataset(labels, items)


def item_to_task(item: Item, labels: LabelSet, report: Report | None = None) -> dict[str, Any]:
    """One Item as an image task dict in the shape ``get_image_tasks`` returns (id, name, width,
    height, status, tags, ..., annotations), losses recorded in ``report``."""
    writer = TaskWriter(labels, report if report is not None else Report())
    task = writer.task(item)
    writer.finish()
    return task


def item_to_annotations(item: Item, labels: LabelSet, report: Report | None = None) -> list[dict[str, Any]]:
    """The ``annotations`` payload of ``create_image_task`` / ``update_image_task`` for ``item``:
    ``{type, value, points, rotation, confidenceScore, keypoints[{key, value}], attributes[{key, value}]}``
    — none of the read-only fields (id, title, color, names, edges) that the SDK strips."""
    writer = TaskWriter(labels, report if report is not None else Report(), api=True)
    annotations = writer.annotations(item)
    writer.finish()
    return annotations


def dataset_to_tasks(dataset: Dataset, report: Report | None = None, *, progress: Callable[[int], None] | None = None
                     ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """A Dataset as (image tasks, annotation classes). Classes follow the label order; a label that
    does not name its FastLabel type gets the type its annotations were written as, and attribute
    definitions are inferred for attribute keys the labels do not define."""
    report = report if report is not None else Report()
    with gc_paused():
        tasks, writer = write_items(dataset.items, dataset.labels, report, progress)
        classes = classes_from_labels(dataset.labels, types=writer.types, attributes=writer.inferred)
        record_label_losses(dataset.labels, CAPABILITIES, FORMAT_NAME, report)
        foreign = [label.name for label in dataset.labels if label.id is not None and not isinstance(label.id, str)]
        if foreign:
            report.add(Code.ID_REASSIGNED, "label ids not written: FastLabel class ids are the server's own strings",
                       labels=foreign)
    writer.report_mixed_types()
    report.stats["items_written"] = report.stats.get("items_written", 0) + len(tasks)
    report.stats["annotations_written"] = report.stats.get("annotations_written", 0) + writer.annotations_written
    return tasks, classes

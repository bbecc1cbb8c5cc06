"""Pull a FastLabel project into an annoconv Dataset; push a Dataset into a project.

:func:`pull` reads the project's annotation classes and every image task matching the filters
(all pages) and maps them with :mod:`annoconv_fastlabel.mapping`; with ``images_dir`` it also
downloads each task's image to ``images_dir/<task name>``. Coordinates are FastLabel's, which are
the IR's (absolute pixels, origin at the top-left corner of the top-left pixel): nothing is shifted.

:func:`push` creates one task per item (task name = the item's image path, the image uploaded from
``images_dir/<image path>``) with its annotations. It is resumable and never loses FastLabel data:

- tasks that exist already (by name, from ``GET tasks/map/id-name``) are skipped, updated (their
  annotations *replaced*: the only case where anything on FastLabel is overwritten) or refused
  up front, by ``on_existing`` = ``"skip"`` | ``"update"`` | ``"fail"``; so a push that was
  interrupted, re-run with ``"skip"``, completes without duplicates;
- a create request is never repeated: when its answer is lost (connection dropped, timeout, 5xx)
  the task is looked up by name to learn whether it was created;
- labels the project has no class for are created with ``create_missing_classes``, else the push
  stops before changing anything, naming them (:class:`MissingClassesError`);
- one item's failure does not stop the others: :class:`PushResult` lists the failed items and why
  (each also an ``item-skipped`` issue in the report); only errors that would fail every item
  (bad token, no permission, unknown project) stop the push.

``progress(phase, advance, total)`` is called as work advances (phases ``fetch``, ``download``,
``push``); an exception it raises stops the pull or push where it is (a re-run resumes a push).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from annoconv.errors import AnnoconvError, InputPathError, OptionError
from annoconv.ir import Dataset, Item, LabelSet
from annoconv.report import Code, Report, Severity

from . import mapping, mapping_labels
from .client import FastLabelClient
from .uploads import validate_upload
from .errors import (APIConnectionError, APIError, AuthenticationError, ConfigurationError, ConflictError,
                     MissingClassesError, NotFoundError, PermissionDeniedError, ServerError, SyncError)

Progress = Callable[[str, int, "int | None"], None]
ON_EXISTING = ("skip", "update", "fail")
DOWNLOAD_FAILED = "image not downloaded"       # messages of the item-skipped issues the sync records
PUSH_FAILED = "item not pushed to FastLabel"
# Errors that would fail every item alike: stop instead of trying the rest.
_FATAL = (AuthenticationError, PermissionDeniedError, ConfigurationError)


def _client(client: FastLabelClient | None) -> FastLabelClient:
    return client if client is not None else FastLabelClient()


def _check_project(client: FastLabelClient, project: str) -> None:
    if client.find_project(project) is None:
        raise NotFoundError(f"no FastLabel project with slug {project!r} (or the token may not see it)",
                            location="GET projects")


# --- pull --------------------------------------------------------------------------------------
def pull(project: str, *, client: FastLabelClient | None = None, status: str | None = None,
         external_status: str | None = None, tags: Iterable[str] = (), images_dir: str | Path | None = None,
         overwrite_images: bool = False, progress: Progress | None = None,
         report: Report | None = None) -> Dataset:
    """The project's classes and image tasks (filtered by ``status``, ``external_status`` and any of
    ``tags``) as a Dataset. With ``images_dir``, images are downloaded there (existing files are kept
    unless ``overwrite_images``); a failed download is an ``item-skipped`` issue in ``report``
    naming the item, and the others go on."""
    client = _client(client)
    report = report if report is not None else Report()
    tags = list(tags)
    _check_project(client, project)
    classes = list(client.iter_annotation_classes(project))
    total = client.count_tasks(project, status=status, external_status=external_status, tags=tags)
    tasks = []
    for task in client.iter_tasks(project, status=status, external_status=external_status, tags=tags):
        tasks.append(task)
        if progress is not None:
            progress("fetch", 1, max(total, len(tasks)))
    dataset = mapping.tasks_to_dataset(tasks, classes, report=report)
    report.stats["tasks_pulled"] = len(tasks)
    if images_dir is not None:
        download_images(client, tasks, Path(images_dir), overwrite=overwrite_images, progress=progress,
                        report=report)
    return dataset


def download_images(client: FastLabelClient, tasks: list[dict[str, Any]], images_dir: Path, *,
                    overwrite: bool = False, progress: Progress | None = None, report: Report) -> int:
    """Download each task's ``url`` to ``images_dir/<task name>``; returns how many were downloaded."""
    root = images_dir.resolve()
    downloaded = 0
    for task in tasks:
        name = str(task.get("name") or "")
        try:
            target = (root / name).resolve()
            if not name or root not in target.parents:  # a name like "../x.jpg" must not escape the folder
                raise InputPathError(f"task name {name!r} is not a relative path inside the images folder",
                                     file=images_dir)
            if not task.get("url"):
                raise APIError("the task has no image url", item=name)
            if overwrite or not target.exists():
                client.download(task["url"], target, item=name)
                downloaded += 1
        except _FATAL:
            raise
        except AnnoconvError as exc:
            report.add(Code.ITEM_SKIPPED, DOWNLOAD_FAILED, item=name or str(task.get("id")),
                       reason=str(exc))
        if progress is not None:
            progress("download", 1, len(tasks))
    report.stats["images_downloaded"] = downloaded
    return downloaded


# --- push --------------------------------------------------------------------------------------
@dataclass
class PushResult:
    """What a push did (or, with ``dry_run``, would do). Lists hold task names."""

    project: str
    dry_run: bool = False
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)             # existed already (on_existing="skip")
    failed: dict[str, str] = field(default_factory=dict)         # item id -> why
    classes_created: list[str] = field(default_factory=list)
    annotations: int = 0                                         # annotations sent (or to send)

    @property
    def ok(self) -> bool:
        return not self.failed

    def summary(self) -> str:
        would = "would be " if self.dry_run else ""
        parts = [f"{len(self.created):,} tasks {would}created", f"{len(self.updated):,} {would}updated",
                 f"{len(self.skipped):,} skipped (already in the project)"]
        if self.classes_created:
            parts.append(f"{len(self.classes_created):,} classes {would}created")
        if self.failed:
            parts.append(f"{len(self.failed):,} failed")
        return f"project {self.project!r}: " + ", ".join(parts)


@dataclass
class _Planned:
    item: Item
    task: dict[str, Any]
    existing: str | None  # the id of the task of that name already in the project


def push(dataset: Dataset, project: str, images_dir: str | Path, *, client: FastLabelClient | None = None,
         on_existing: str = "skip", create_missing_classes: bool = False, dry_run: bool = False,
         progress: Progress | None = None, report: Report | None = None) -> PushResult:
    """Create one task per item of ``dataset`` in ``project`` (see the module docstring).

    ``dataset`` is not modified. Raises MissingClassesError / SyncError before changing anything
    when the project lacks classes or (``on_existing="fail"``) has some of the tasks already.
    """
    if on_existing not in ON_EXISTING:
        raise OptionError(f"on_existing must be one of {', '.join(ON_EXISTING)}, got {on_existing!r}")
    client = _client(client)
    report = report if report is not None else Report()
    images = Path(images_dir)
    result = PushResult(project, dry_run=dry_run)
    _check_project(client, project)
    classes = list(client.iter_annotation_classes(project))
    typed = Dataset(_with_project_types(dataset.labels, classes), dataset.items, dataset.extras)
    tasks, class_bodies = mapping.dataset_to_tasks(typed, report)  # losses recorded as the fastlabel format does
    planned = _plan(dataset, tasks, result, report)
    new_classes = _missing_classes(planned, class_bodies, classes, create_missing_classes, project)
    existing: dict[str, str] = {}
    for task_id, name in client.iter_task_id_name_map(project):
        existing.setdefault(name, task_id)
    for plan in planned:
        plan.existing = existing.get(plan.task["name"])
    if on_existing == "fail":
        clashes = [plan.task["name"] for plan in planned if plan.existing is not None]
        if clashes:
            shown = ", ".join(map(repr, clashes[:10])) + (f" and {len(clashes) - 10} more" if len(clashes) > 10 else "")
            raise SyncError(f"{len(clashes)} tasks exist already in project {project!r}: {shown} (nothing was "
                            "changed; use --on-existing skip or update)")
    for cls in new_classes:
        if not dry_run:
            try:
                client.create_annotation_class(project, cls)
            except ConflictError:  # created meanwhile (another push): what we need is there
                continue
        result.classes_created.append(cls["value"])
    for plan in planned:
        _push_one(client, project, images, plan, on_existing, dry_run, result, report)
        if progress is not None:
            progress("push", 1, len(planned))
    report.stats.update(tasks_created=len(result.created), tasks_updated=len(result.updated),
                        tasks_skipped=len(result.skipped), tasks_failed=len(result.failed))
    return result


def _with_project_types(labels: LabelSet, classes: list[dict[str, Any]]) -> LabelSet:
    """Copies of ``labels`` that take the type of the project's class of the same name when they
    do not say theirs (a COCO polygon label pushed into a segmentation class is written as one)."""
    types = {cls.get("value"): cls.get("type") for cls in classes}
    out = LabelSet()
    for label in labels:
        known = types.get(label.name)
        if known and mapping_labels.P + "type" not in label.extras:
            label = dataclasses.replace(label, extras={**label.extras, mapping_labels.P + "type": known})
        out.add(label)
    return out


def _plan(dataset: Dataset, tasks: list[dict[str, Any]], result: PushResult, report: Report) -> list[_Planned]:
    """Items with their task bodies; an item whose task name another item has already is failed."""
    planned: list[_Planned] = []
    names: dict[str, str] = {}
    for item, task in zip(dataset.items, tasks):
        name = task["name"]
        if name in names:
            _fail(result, report, item.id, f"item {names[name]!r} has the same task name {name!r}")
            continue
        names[name] = item.id
        planned.append(_Planned(item, task, None))
    return planned


def _missing_classes(planned: list[_Planned], bodies: list[dict[str, Any]], classes: list[dict[str, Any]],
                     create: bool, project: str) -> list[dict[str, Any]]:
    """Class bodies for the annotation values the tasks use and the project lacks (raises unless
    ``create``); ``bodies`` are the dataset's labels as classes, typed by how they were written."""
    known = {cls.get("value") for cls in classes}
    used: set[str] = set()
    regions: dict[str, int] = {}  # segmentation value -> most regions in one annotation
    for plan in planned:
        for annotation in plan.task.get("annotations") or ():
            used.add(annotation["value"])
            if annotation["type"] == "segmentation":
                regions[annotation["value"]] = max(regions.get(annotation["value"], 0), len(annotation["points"]))
    missing = sorted(used - known)
    if not missing:
        return []
    if not create:
        raise MissingClassesError(
            f"project {project!r} has no annotation class for {len(missing)} label(s) the dataset uses: "
            f"{', '.join(map(repr, missing))} (create them in FastLabel, or use --create-missing-classes)",
            missing=missing)
    out = []
    for body in bodies:
        if body["value"] in missing:
            cls = {key: value for key, value in body.items() if key not in ("id", "createdAt", "updatedAt")}
            if cls["type"] == "segmentation" and (cls.get("maxAreaCount") or 0) < regions.get(cls["value"], 0):
                cls["maxAreaCount"] = None  # unlimited: the API's default (1 region) would refuse multi-part shapes
            out.append(cls)
    return out


def _push_one(client: FastLabelClient, project: str, images: Path, plan: _Planned, on_existing: str,
              dry_run: bool, result: PushResult, report: Report) -> None:
    task, name, item = plan.task, plan.task["name"], plan.item
    annotations = task.get("annotations") or []
    try:
        if plan.existing is not None and on_existing == "skip":
            result.skipped.append(name)
            return
        if plan.existing is not None:  # update: replace the task's annotations (and status, tags)
            if not dry_run:
                _update(client, plan.existing, task, name)
            result.updated.append(name)
        else:
            image = images / item.image.path
            validate_upload(image)
            outcome = "created" if dry_run else _create(client, project, image, task, name, on_existing)
            getattr(result, outcome).append(name)
            if outcome == "skipped":
                return
        result.annotations += len(annotations)
    except _FATAL:
        raise
    except AnnoconvError as exc:
        _fail(result, report, item.id, str(exc))


def _update(client: FastLabelClient, task_id: str, task: dict[str, Any], name: str) -> None:
    annotations = task.get("annotations") or []
    client.update_image_task(task_id, annotations=annotations, status=task.get("status"),
                             external_status=task.get("externalStatus"), tags=task.get("tags") or (), item=name)
    if not annotations:  # an empty list in the body would not clear them (SDK semantics)
        client.delete_task_annotations(task_id, item=name)


def _create(client: FastLabelClient, project: str, image: Path, task: dict[str, Any], name: str,
            on_existing: str) -> str:
    """POST the task once; returns what happened: "created", or for a name that turned out to
    exist, "skipped" / "updated" by ``on_existing``."""
    try:
        client.create_image_task(project, name, image, annotations=task.get("annotations") or [],
                                 status=task.get("status"), external_status=task.get("externalStatus"),
                                 priority=task.get("priority"), tags=task.get("tags") or (),
                                 metadatas=task.get("metadatas") or ())
    except (APIConnectionError, ServerError) as exc:
        # The answer was lost or the server failed midway: the task may exist. Ask (a GET, retried)
        # rather than POST again, which could make a duplicate.
        try:
            found = client.find_task_by_name(project, name)
        except APIError as check:
            raise SyncError(f"{exc.problem}; whether the task was created is unknown ({check.problem}): "
                            "re-run the push to complete it", location=exc.location, item=name) from None
        if found is None:
            raise
    except ConflictError:
        # Created meanwhile (another push, or a lost answer before the id-name map was read).
        if on_existing == "fail":
            raise
        found = client.find_task_by_name(project, name)
        if found is None:
            raise
        if on_existing == "skip":
            return "skipped"
        _update(client, found["id"], task, name)
        return "updated"
    return "created"


def _fail(result: PushResult, report: Report, item_id: str, reason: str) -> None:
    result.failed[item_id] = reason
    report.add(Code.ITEM_SKIPPED, PUSH_FAILED, item=item_id, severity=Severity.ERROR,
               reason=reason)

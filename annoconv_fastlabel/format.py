"""The offline ``fastlabel`` format: FastLabel image tasks in one JSON file, no network.

The file is either a list of image tasks, exactly as ``get_image_tasks`` returns them, or an
object ``{"tasks": [...], "annotations": [...]}`` whose ``annotations`` are the project's
annotation classes as ``GET annotations`` returns them (class order, colours, attribute
definitions with options, keypoint names and skeleton). The writer writes the object form, so
that labels survive the round trip; ``tasks_only`` writes the bare list.

Coordinates are FastLabel's: absolute pixel-corner coordinates, the IR's own convention; see
:mod:`annoconv_fastlabel.mapping` for what each annotation type becomes.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from annoconv._io import dump_json, load_json
from annoconv.errors import AnnoconvError, SchemaError
from annoconv.formats._base import ON_ERROR, Context, Format, Option, boolean
from annoconv.ir import Dataset
from annoconv.report import Code, Severity

from .mapping import CAPABILITIES, dataset_to_tasks, tasks_to_dataset
from .mapping_labels import P, kind_of

_TOP_KEYS = {"tasks", "annotations"}


def read_fastlabel(path: Path, context: Context) -> Dataset:
    """Read a FastLabel tasks file (see the module docstring)."""
    data = load_json(path, "a FastLabel tasks JSON file")
    extras: dict[str, Any] = {}
    if isinstance(data, list):
        tasks, classes, where, classes_where = data, None, "$", "$.annotations"
    elif isinstance(data, dict):
        if "tasks" not in data:
            raise SchemaError("expected a list of image tasks, or an object with 'tasks' (and optionally "
                              "'annotations', the project's classes); found keys "
                              f"{', '.join(map(repr, data)) or 'none'}", file=path, location="$")
        tasks, classes, where, classes_where = data["tasks"], data.get("annotations"), "$.tasks", "$.annotations"
        if not isinstance(tasks, list):
            raise SchemaError(f"'tasks' must be a list of image tasks, got {kind_of(tasks)}", file=path,
                              location="$.tasks")
        extras = {P + key: value for key, value in data.items() if key not in _TOP_KEYS}
    else:
        raise SchemaError(f"expected a list of FastLabel image tasks (or an object with 'tasks'), got "
                          f"{kind_of(data)}", file=path, location="$")
    try:
        dataset = tasks_to_dataset(tasks, classes, context.report, on_error=context.options.get("on_error", "fail"),
                                   where=where, classes_where=classes_where, file=path, progress=context.step)
    except AnnoconvError as exc:
        raise exc.located(file=path) from None
    dataset.extras.update(extras)
    return dataset


def write_fastlabel(dataset: Dataset, path: Path, context: Context) -> None:
    """Write ``dataset`` as a FastLabel tasks file (see the module docstring)."""
    tasks, classes = dataset_to_tasks(dataset, context.report, progress=context.step)
    data: Any
    if context.options.get("tasks_only"):
        data = tasks
        if classes:
            context.report.add(Code.FIELD_DROPPED, "project classes not written (tasks_only): unused labels, class "
                               "order, attribute options and keypoint definitions are not kept",
                               severity=Severity.INFO, count=len(classes))
    else:
        data = {"tasks": tasks, "annotations": classes}
        data.update((key[len(P):], value) for key, value in dataset.extras.items()
                    if key.startswith(P) and key[len(P):] not in _TOP_KEYS)
    dump_json(data, path, indent=bool(context.options.get("indent")))


FORMAT = Format(
    name="fastlabel",
    summary="FastLabel image tasks JSON (get_image_tasks output, optionally with the project's classes)",
    spec_url="https://github.com/fastlabel/fastlabel-python-sdk#response",
    capabilities=CAPABILITIES,
    reader=read_fastlabel,
    writer=write_fastlabel,
    read_options=(ON_ERROR,),
    write_options=(
        Option("indent", boolean, False, "pretty-print the JSON with 2-space indentation"),
        Option("tasks_only", boolean, False, "write a bare list of tasks (as get_image_tasks returns) "
               "without the project's classes"),
    ),
    extensions=(".json",),
)

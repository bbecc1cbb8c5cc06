"""read -> predict losses -> write: the library API behind the CLI."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from ._io import atomic_output, gc_paused
from .errors import AnnoconvError, LossError, OptionError, WriteError
from .formats import get_format
from .formats._base import FEATURES, Context, FeatureCounter, Format, label_features, record_label_losses
from .ir import Dataset
from .report import Report, Severity

# progress(phase, advance, total): phase is "read" or "write"; total is None while unknown.
Progress = Callable[[str, int, "int | None"], None]


def _context(fmt: Format, options: Mapping[str, Any], report: Report, writing: bool,
             progress: Progress | None, total: int | None, source: Path) -> Context:
    phase = "write" if writing else "read"
    callback = (lambda n: progress(phase, n, total)) if progress is not None else None
    return Context(fmt, fmt.resolve_options(options, writing), report, callback, source)


def read(fmt: str, path: str | Path, *, report: Report | None = None, progress: Progress | None = None,
         **options: Any) -> Dataset:
    """Read the dataset at ``path`` in format ``fmt``; issues found while reading go into ``report``."""
    format_ = get_format(fmt)
    if format_.reader is None:
        raise OptionError(f"format {fmt!r} can only be written, not read")
    report = report if report is not None else Report()
    path = Path(path)
    context = _context(format_, options, report, False, progress, None, path)
    with gc_paused():
        return format_.reader(path, context)


def predict_losses(dataset: Dataset, fmt: str) -> Report:
    """What writing ``dataset`` as ``fmt`` will lose, from the format's Capabilities (nothing is written)."""
    format_ = get_format(fmt)
    return _predicted(dataset, format_, _item_features(dataset, format_))


def _item_features(dataset: Dataset, format_: Format) -> list[dict[str, int]]:
    """Per item, the features it uses that ``format_`` does not hold as they are (annotation counts)."""
    counter = FeatureCounter(frozenset(FEATURES) - format_.capabilities.native)  # only these can be lost
    return [counter.count(item) for item in dataset.items]


def _predicted(dataset: Dataset, format_: Format, item_features: list[dict[str, int]]) -> Report:
    occurrences: Counter[str] = Counter()  # feature -> annotations (or items) using it
    items_using: Counter[str] = Counter()  # feature -> items using it
    for counts in item_features:
        if counts:
            occurrences.update(counts)
            items_using.update(counts.keys())
    for feature, names in label_features(dataset.labels).items():
        occurrences[feature] = len(names)
    report = Report()
    for feature, count in occurrences.items():
        loss = format_.capabilities.loss(feature, format_.name)
        if loss is not None:
            report.predict(loss[0], loss[1], count=count, items=items_using[feature])
    return report


def write(dataset: Dataset, fmt: str, path: str | Path, *, overwrite: bool = False, strict: bool = False,
          report: Report | None = None, progress: Progress | None = None, **options: Any) -> Report:
    """Write ``dataset`` to ``path`` in format ``fmt``, atomically; return the Report.

    With ``strict=True`` nothing is written if any loss is predicted (raises LossError).
    A failure leaves ``path`` exactly as it was.
    """
    format_ = get_format(fmt)
    if format_.writer is None:
        raise OptionError(f"format {fmt!r} can only be read, not written")
    report = report if report is not None else Report()
    path = Path(path)
    context = _context(format_, options, report, True, progress, len(dataset.items), path)
    with gc_paused():
        # counted once: writers that report losses per item take the counts from the context
        context.item_features = _item_features(dataset, format_)
        predicted = _predicted(dataset, format_, context.item_features).predicted
    report.predicted.extend(predicted)
    if strict:
        _refuse_losses(report, fmt)
    recorded_before = len(report.issues)
    with atomic_output(path, format_.output_is_directory, overwrite) as target, gc_paused():
        try:
            record_label_losses(dataset.labels, format_.capabilities, format_.name, report)  # for every format
            format_.writer(dataset, target, context)
        except AnnoconvError:
            raise
        except OSError as exc:
            raise WriteError(f"cannot write: {exc.strerror or exc}", file=path) from None
    # A safety net for writers (plugins) that do not record a loss their capabilities predict:
    # the prediction itself goes into the report, so that nothing is lost silently.
    recorded = {(issue.code, issue.message) for issue in report.issues[recorded_before:]}
    report.issues.extend(issue for issue in predicted if (issue.code, issue.message) not in recorded)
    return report


def _refuse_losses(report: Report, fmt: str) -> None:
    losses = [s for s in report.summary(predicted=True) if s.severity is not Severity.INFO]
    if losses:
        raise LossError(f"strict: writing {fmt} would lose information: " + "; ".join(map(str, losses)))


def split_options(src: Format, dst: Format, options: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Route ``options`` to the reader, the writer, or both, by the names each declares."""
    read_names = {o.name for o in src.read_options}
    write_names = {o.name for o in dst.write_options}
    unknown = sorted(set(options) - read_names - write_names)
    if unknown:
        raise OptionError(f"unknown option {', '.join(map(repr, unknown))} for reading {src.name!r} "
                          f"or writing {dst.name!r} (known: {', '.join(sorted(read_names | write_names)) or 'none'})")
    return ({k: v for k, v in options.items() if k in read_names},
            {k: v for k, v in options.items() if k in write_names})


def convert(src_fmt: str, dst_fmt: str, src: str | Path, dst: str | Path, *, overwrite: bool = False,
            strict: bool = False, dry_run: bool = False, progress: Progress | None = None,
            **options: Any) -> Report:
    """Convert ``src`` (format ``src_fmt``) into ``dst`` (format ``dst_fmt``) and return the Report.

    ``options`` go to the reader and/or the writer that declare them. With ``dry_run`` nothing is
    written and the Report holds the predicted losses only.
    """
    read_options, write_options = split_options(get_format(src_fmt), get_format(dst_fmt), options)
    report = Report()
    dataset = read(src_fmt, src, report=report, progress=progress, **read_options)
    if dry_run:
        get_format(dst_fmt).resolve_options(write_options, writing=True)  # still reject bad values
        report.predicted.extend(predict_losses(dataset, dst_fmt).predicted)
        return report
    return write(dataset, dst_fmt, dst, overwrite=overwrite, strict=strict, report=report, progress=progress,
                 **write_options)

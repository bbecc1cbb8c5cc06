"""What a format plugin declares: name, reader, writer, options and capabilities.

A reader is ``read(path, context) -> Dataset``; a writer is ``write(dataset, path, context)``
and writes into ``path`` (a temporary sibling of the real destination: annoconv renames it
into place only when the writer returns). Neither prints nor exits; everything they have to
say goes into ``context.report``.

Capabilities are stated per *feature* (an annotation kind, or a property such as holes or
scores): a feature is held natively, converted into something else (``converted`` says into
what), or dropped. The same :meth:`Capabilities.loss` text is used to predict losses before
writing and by the writer when it records them, so the two can be compared.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import OptionError
from ..ir import Annotation, Box, Dataset, Item, Label, LabelSet, Polygon
from ..report import DEFAULT_SEVERITY, Code, Issue, Report, Severity

# feature -> human name, in the order of the capability matrix
FEATURES: dict[str, str] = {
    "box": "Box",
    "rotated-box": "Rotated box",
    "polygon": "Polygon",
    "polygon-multipart": "Multi-part polygon",
    "polygon-holes": "Polygon holes",
    "polyline": "Polyline",
    "point": "Point",
    "keypoints": "Keypoints",
    "mask": "Mask",
    "tag": "Tag",
    "caption": "Caption",
    "attributes": "Attributes",
    "score": "Score",
    "crowd": "Crowd flag",
    "z-order": "Drawing order (z_order)",
    "subset": "Subsets",
    "image-attributes": "Image attributes",
    "label-color": "Label colours",
    "label-parent": "Label parents (supercategories)",
    "label-keypoints": "Label keypoint names and skeletons",
    "label-attributes": "Label attribute definitions",
}

_KIND_FEATURES = {"box", "polygon", "polyline", "point", "keypoints", "mask", "tag", "caption"}
_GEOMETRY_FEATURES = {"rotated-box", "polygon-multipart", "polygon-holes"}


# Features beyond an annotation's kind, and how to tell whether an annotation uses them.
FEATURE_TESTS: dict[str, Callable[[Annotation], bool]] = {
    "rotated-box": lambda a: type(a) is Box and a.angle % 360.0 != 0.0,  # type: ignore[attr-defined]
    "polygon-multipart": lambda a: type(a) is Polygon and len(a.regions) > 1,  # type: ignore[attr-defined]
    "polygon-holes": lambda a: type(a) is Polygon and a.has_holes,  # type: ignore[attr-defined]
    "attributes": lambda a: bool(a.attributes),
    "score": lambda a: a.score is not None,
    "crowd": lambda a: a.iscrowd,
    "z-order": lambda a: a.z_order != 0,
}


# The annotation type a feature test applies to (the others apply to every type).
FEATURE_KINDS: dict[str, type] = {"rotated-box": Box, "polygon-multipart": Polygon, "polygon-holes": Polygon}


def item_features(item: Item) -> list[str]:
    features = ["subset"] if item.subset is not None else []
    if item.attributes:
        features.append("image-attributes")
    return features


# Features of a label definition (counted per label), and how to tell whether a label uses them.
LABEL_FEATURES: dict[str, Callable[[Label], bool]] = {
    "label-color": lambda label: label.color is not None,
    "label-parent": lambda label: label.parent is not None,
    "label-keypoints": lambda label: bool(label.keypoints or label.skeleton),
    "label-attributes": lambda label: bool(label.attributes),
}


def label_features(labels: LabelSet) -> dict[str, list[str]]:
    """feature -> names of the labels using it (features no label uses are left out)."""
    out: dict[str, list[str]] = {}
    for feature, test in LABEL_FEATURES.items():
        names = [label.name for label in labels if test(label)]
        if names:
            out[feature] = names
    return out


def record_label_losses(labels: LabelSet, capabilities: "Capabilities", format_name: str, report: Report) -> None:
    """Record every label-definition feature the format does not hold: one entry per feature,
    counting the labels (their names in ``labels``); entries already in ``report`` are not repeated."""
    recorded = {(issue.code, issue.message) for issue in report.issues}
    for feature, names in label_features(labels).items():
        loss = capabilities.loss(feature, format_name)
        if loss is not None and loss not in recorded:
            report.add(loss[0], loss[1], count=len(names), labels=names)


def report_unkept_ids(dataset: Dataset, report: Report, format_name: str) -> None:
    """One info entry counting the annotation ids a format has no place for (readers number or
    leave out ids of their own)."""
    count = sum(annotation.id is not None for item in dataset.items for annotation in item.annotations)
    if count:
        report.add(Code.ID_REASSIGNED, f"annotation ids not written: {format_name} has no place for them", count=count)


def report_split_groups(report: Report, item: Item, written: list[Annotation], what: str) -> None:
    """One entry per item whose ``written`` annotations (each written on its own: a row, an
    annotation, an instance) include several of one (group, label) object: the link between them
    is lost. ``what`` says what they became ("separate COCO annotations")."""
    seen: set[Any] = set()
    split: set[Any] = set()
    for annotation in written:
        if annotation.group is not None:
            key = (annotation.group, annotation.label)
            if key in seen:
                split.add(key)
            seen.add(key)
    if split:
        report.add(Code.FIELD_DROPPED, f"group of annotations of one object written as {what}: the link between "
                   "them is lost", item=item.id, count=len(split))


class FeatureCounter:
    """Which of ``features`` an item uses, and how often (per annotation; ``subset`` per item).

    Only the tests of features in ``features`` run, and of those only the ones that apply to each
    annotation's type (:data:`FEATURE_KINDS`), so that counting stays cheap on large datasets."""

    def __init__(self, features: frozenset[str]) -> None:
        self.features = features
        self.tests = [(feature, test) for feature, test in FEATURE_TESTS.items() if feature in features]
        # annotation type -> (its kind if that is counted, else None; the tests that apply to it)
        self.by_type: dict[type, tuple[str | None, list[tuple[str, Callable[[Annotation], bool]]]]] = {}

    def count(self, item: Item) -> dict[str, int]:
        counts = {feature: 1 for feature in item_features(item) if feature in self.features}
        for annotation in item.annotations:
            kind, tests = self.by_type.get(type(annotation)) or self._of(type(annotation))
            if kind is not None:
                counts[kind] = counts.get(kind, 0) + 1
            for feature, test in tests:
                if test(annotation):
                    counts[feature] = counts.get(feature, 0) + 1
        return counts

    def _of(self, kind: type) -> tuple[str | None, list[tuple[str, Callable[[Annotation], bool]]]]:
        entry = self.by_type[kind] = (
            kind.kind if kind.kind in self.features else None,  # type: ignore[attr-defined]
            [(feature, test) for feature, test in self.tests if issubclass(kind, FEATURE_KINDS.get(feature, object))])
        return entry


def loss_counts(dataset: Dataset, context: "Context") -> list[dict[str, int]]:
    """Per item, the features the format does not hold as they are, with their annotation counts:
    the counts write() made for its prediction, or counted here for a writer run on its own."""
    counts = context.item_features
    if counts is None or len(counts) != len(dataset.items):
        # Only features this format does not hold need counting (the others record nothing).
        counter = FeatureCounter(frozenset(FEATURES) - context.format.capabilities.native)
        counts = [counter.count(item) for item in dataset.items]
    return counts


@dataclass(frozen=True)
class Capabilities:
    """``native``: features held as they are; ``converted``: feature -> what it is written as."""

    native: frozenset[str]
    converted: Mapping[str, str] = field(default_factory=dict)

    def loss(self, feature: str, format_name: str) -> tuple[Code, str] | None:
        """The (code, message) recorded when ``feature`` is written in this format, or None if kept."""
        if feature in self.native:
            return None
        name = FEATURES[feature]
        if feature in self.converted:
            code = Code.GEOMETRY_CONVERTED if feature in _KIND_FEATURES | _GEOMETRY_FEATURES else Code.FIELD_DROPPED
            return code, f"{name} written as {self.converted[feature]} ({format_name})"
        if feature in _KIND_FEATURES:
            return Code.UNSUPPORTED_KIND, f"{name} annotations dropped: {format_name} cannot hold them"
        if feature in _GEOMETRY_FEATURES:
            return Code.GEOMETRY_CONVERTED, f"{name} dropped: {format_name} cannot hold it"
        code = {"attributes": Code.ATTRIBUTE_DROPPED, "score": Code.SCORE_DROPPED}.get(feature, Code.FIELD_DROPPED)
        return code, f"{name} dropped: {format_name} cannot hold it"

    def cell(self, feature: str) -> str:
        """Capability-matrix cell: 'yes', '→ what it becomes', or '—'."""
        if feature in self.native:
            return "yes"
        if feature in self.converted:
            return f"→ {self.converted[feature]}"
        return "—"


@dataclass(frozen=True)
class Option:
    """A format option: ``name`` (Python identifier; ``--name-with-dashes`` on the CLI)."""

    name: str
    type: Callable[[Any], Any]
    default: Any
    help: str
    choices: tuple[Any, ...] | None = None

    def coerce(self, value: Any, format_name: str) -> Any:
        try:
            converted = self.type(value) if value is not None else None
        except (TypeError, ValueError):
            raise OptionError(f"option {self.name!r} of format {format_name!r}: cannot use {value!r} "
                              f"({self.help})") from None
        if self.choices is not None and converted not in self.choices:
            raise OptionError(f"option {self.name!r} of format {format_name!r}: expected one of "
                              f"{', '.join(map(str, self.choices))}, got {value!r}")
        return converted


def boolean(value: Any) -> bool:
    """Option type for flags: accepts bools and the usual strings."""
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in {"1", "true", "yes", "on"}:
        return True
    if text in {"0", "false", "no", "off"}:
        return False
    raise ValueError(value)


ON_ERROR = Option("on_error", str, "fail", "what to do with a bad item: fail, or skip it and report it",
                  ("fail", "skip"))


@dataclass
class Context:
    """What a reader or writer gets besides the path: options, the report, a progress callback."""

    format: "Format"
    options: dict[str, Any]
    report: Report
    progress: Callable[[int], None] | None = None
    source: Path | None = None  # the user-facing path (writers get a temporary one)
    # write(): per item of the dataset, the features it uses that the format does not hold (counts)
    item_features: list[dict[str, int]] | None = None
    _losses: dict[str, tuple[Code, str] | None] = field(default_factory=dict, repr=False)

    def step(self, count: int = 1) -> None:
        if self.progress is not None:
            self.progress(count)

    def record_loss(self, feature: str, *, item: Item | None = None, annotation: Annotation | None = None,
                    count: int = 1, **detail: Any) -> None:
        """Record in the report that ``feature`` was not kept as it is (no-op if the format holds it)."""
        if feature in self._losses:
            loss = self._losses[feature]
        else:
            loss = self._losses[feature] = self.format.capabilities.loss(feature, self.format.name)
        if loss is not None:
            # Report.add's work without its keyword handling: this runs once per annotation.
            self.report.issues.append(Issue(loss[0], loss[1], DEFAULT_SEVERITY.get(loss[0], Severity.WARNING),
                                            item.id if item is not None else None,
                                            annotation.id if annotation is not None else None, count, detail))


@dataclass(frozen=True)
class Format:
    name: str
    summary: str
    spec_url: str
    capabilities: Capabilities
    reader: Callable[[Path, Context], Dataset] | None = None
    writer: Callable[[Dataset, Path, Context], None] | None = None
    read_options: tuple[Option, ...] = ()
    write_options: tuple[Option, ...] = ()
    output_is_directory: bool = False
    extensions: tuple[str, ...] = ()

    def resolve_options(self, given: Mapping[str, Any], writing: bool) -> dict[str, Any]:
        """Defaults overlaid with ``given``; an unknown name raises OptionError."""
        declared = {option.name: option for option in (self.write_options if writing else self.read_options)}
        unknown = sorted(set(given) - set(declared))
        if unknown:
            known = ", ".join(sorted(declared)) or "none"
            raise OptionError(f"format {self.name!r} has no {'write' if writing else 'read'} option "
                              f"{', '.join(map(repr, unknown))} (known: {known})")
        return {name: option.coerce(given[name], self.name) if name in given else option.default
                for name, option in declared.items()}

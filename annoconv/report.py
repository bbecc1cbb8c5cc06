"""Conversion reports: every drop, approximation, clip or rounding, with a stable code.

An :class:`Issue` is one kind of loss at one place (an item, an annotation) and may stand
for several occurrences (``count``). Its ``message`` is the *aggregation key*: it says what
happened in general ("Polygon with holes written as an RLE mask"), while the specifics of one
occurrence go into ``detail``. :meth:`Report.summary` groups issues by (code, message) into
lines such as ``geometry-converted: Polygon with holes written as RLE (12 annotations in 9 items)``.

``Report.predicted`` holds what the capability check expected before writing;
``Report.issues`` what readers and writers recorded while running.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

import orjson


class Severity(str, Enum):
    INFO = "info"        # nothing lost, but worth knowing (e.g. an id was renumbered)
    WARNING = "warning"  # information lost or approximated
    ERROR = "error"      # an item or file was skipped because it was bad (on_error="skip")


class Code(str, Enum):
    """Stable issue codes. Their string values are public API: never rename one."""

    UNSUPPORTED_KIND = "unsupported-kind"          # annotation dropped: the format cannot hold its kind
    GEOMETRY_CONVERTED = "geometry-converted"      # annotation kept in another geometric form
    ATTRIBUTE_DROPPED = "attribute-dropped"        # attributes, flags or extras not representable
    SCORE_DROPPED = "score-dropped"                # confidence scores not representable
    PRECISION_REDUCED = "precision-reduced"        # coordinates rounded on write
    COORDINATE_CLIPPED = "coordinate-clipped"      # coordinates moved into the image
    LABEL_UNKNOWN = "label-unknown"                # a label with no definition (e.g. category id not declared)
    IMAGE_SIZE_MISSING = "image-size-missing"      # an image size was needed but not known
    SKIPPED_CONTENT = "skipped-content"            # input content annoconv does not read
    ITEM_SKIPPED = "item-skipped"                  # a bad item skipped under on_error="skip"
    ANNOTATION_SKIPPED = "annotation-skipped"      # a bad annotation skipped under on_error="skip"
    ID_REASSIGNED = "id-reassigned"                # source ids could not be kept and were renumbered
    FIELD_DROPPED = "field-dropped"                # a dataset/item-level field the format cannot hold


DEFAULT_SEVERITY: dict[Code, Severity] = {
    Code.ID_REASSIGNED: Severity.INFO,
    Code.ITEM_SKIPPED: Severity.ERROR,
    Code.ANNOTATION_SKIPPED: Severity.ERROR,
}


@dataclass(slots=True)
class Issue:
    code: Code
    message: str
    severity: Severity = Severity.WARNING
    item: str | None = None
    annotation: str | int | None = None
    count: int = 1
    detail: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "code": self.code.value, "severity": self.severity.value, "message": self.message,
            "count": self.count,
        }
        if self.item is not None:
            out["item"] = self.item
        if self.annotation is not None:
            out["annotation"] = self.annotation
        if self.detail:
            out["detail"] = self.detail
        return out


@dataclass(slots=True)
class Summary:
    """One aggregated line: all issues with the same code and message."""

    code: Code
    severity: Severity
    message: str
    count: int
    items: int

    def __str__(self) -> str:
        where = f" in {self.items:,} item{'s' if self.items != 1 else ''}" if self.items else ""
        return f"{self.code.value}: {self.message} ({self.count:,}{where})"


class Report:
    """Issues recorded by one conversion (or one read/write), plus counters."""

    def __init__(self) -> None:
        self.issues: list[Issue] = []
        self.predicted: list[Issue] = []
        self.stats: dict[str, int] = {}

    def add(
        self,
        code: Code,
        message: str,
        *,
        item: str | None = None,
        annotation: str | int | None = None,
        count: int = 1,
        severity: Severity | None = None,
        **detail: Any,
    ) -> Issue:
        issue = Issue(code, message, severity or DEFAULT_SEVERITY.get(code, Severity.WARNING),
                      item, annotation, count, detail)
        self.issues.append(issue)
        return issue

    def predict(self, code: Code, message: str, *, count: int, items: int,
                severity: Severity | None = None) -> None:
        """Record a loss expected before writing (``items`` = how many items it touches)."""
        self.predicted.append(Issue(code, message, severity or DEFAULT_SEVERITY.get(code, Severity.WARNING),
                                    count=count, detail={"items": items}))

    def extend(self, other: "Report") -> None:
        self.issues.extend(other.issues)
        self.predicted.extend(other.predicted)
        for key, value in other.stats.items():
            self.stats[key] = self.stats.get(key, 0) + value

    def __iter__(self) -> Iterator[Issue]:
        return iter(self.issues)

    def __len__(self) -> int:
        return len(self.issues)

    def codes(self) -> set[str]:
        return {issue.code.value for issue in self.issues}

    def by_code(self, code: Code | str) -> list[Issue]:
        code = Code(code)
        return [issue for issue in self.issues if issue.code is code]

    @property
    def has_warnings(self) -> bool:
        return _warns(self.issues)

    @property
    def predicts_warnings(self) -> bool:
        return _warns(self.predicted)

    def summary(self, predicted: bool = False) -> list[Summary]:
        """Aggregate by (code, message), most frequent first."""
        return _aggregate(self.predicted if predicted else self.issues)

    def to_dict(self) -> dict[str, Any]:
        return {
            "stats": self.stats,
            "summary": [
                {"code": s.code.value, "severity": s.severity.value, "message": s.message,
                 "count": s.count, "items": s.items}
                for s in self.summary()
            ],
            "predicted": [issue.to_dict() for issue in self.predicted],
            "issues": [issue.to_dict() for issue in self.issues],
        }

    def to_json(self) -> str:
        return orjson.dumps(self.to_dict(), option=orjson.OPT_INDENT_2 | orjson.OPT_SERIALIZE_NUMPY).decode()


def _warns(issues: Iterable[Issue]) -> bool:
    """Anything lost or skipped (INFO entries lose nothing)."""
    return any(issue.severity is not Severity.INFO for issue in issues)


def _aggregate(issues: Iterable[Issue]) -> list[Summary]:
    groups: dict[tuple[Code, str], tuple[Severity, int, set[str], int]] = {}
    for issue in issues:
        key = (issue.code, issue.message)
        severity, count, items, predicted_items = groups.get(key, (issue.severity, 0, set(), 0))
        if issue.item is not None:
            items.add(issue.item)
        predicted_items += int(issue.detail.get("items", 0)) if issue.item is None else 0
        groups[key] = (severity, count + issue.count, items, predicted_items)
    out = [Summary(code, severity, message, count, len(items) or predicted_items)
           for (code, message), (severity, count, items, predicted_items) in groups.items()]
    out.sort(key=lambda s: (-s.count, s.code.value, s.message))
    return out

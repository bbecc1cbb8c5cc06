"""Report: stable codes, aggregation, JSON; predicted losses appear in the actual report."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from builders import detection_dataset, lossy_dataset

import annoconv
from annoconv import Code, Report, Severity
from annoconv.formats import available_formats

STABLE_CODES = {
    "unsupported-kind", "geometry-converted", "attribute-dropped", "score-dropped", "precision-reduced",
    "coordinate-clipped", "label-unknown", "image-size-missing", "skipped-content", "item-skipped",
    "annotation-skipped", "id-reassigned", "field-dropped",
}


def test_codes_are_stable_public_strings() -> None:
    assert {code.value for code in Code} == STABLE_CODES


def test_summary_aggregates_by_code_and_message() -> None:
    report = Report()
    for item in ("a", "a", "b"):
        report.add(Code.UNSUPPORTED_KIND, "Point annotations dropped", item=item, annotation=1)
    report.add(Code.ID_REASSIGNED, "ids renumbered", count=5)
    lines = report.summary()
    assert [(s.code, s.count, s.items) for s in lines] == [(Code.ID_REASSIGNED, 5, 0), (Code.UNSUPPORTED_KIND, 3, 2)]
    assert str(lines[1]) == "unsupported-kind: Point annotations dropped (3 in 2 items)"
    assert lines[0].severity is Severity.INFO and report.has_warnings


def test_to_json_carries_stats_summary_predictions_and_details() -> None:
    report = Report()
    report.stats["items_read"] = 2
    report.add(Code.GEOMETRY_CONVERTED, "converted", item="x", annotation=4, ring=3)
    report.predict(Code.GEOMETRY_CONVERTED, "converted", count=1, items=1)
    data = json.loads(report.to_json())
    assert data["stats"] == {"items_read": 2}
    assert data["summary"][0]["code"] == "geometry-converted"
    assert data["issues"][0] == {"code": "geometry-converted", "severity": "warning", "message": "converted",
                                 "count": 1, "item": "x", "annotation": 4, "detail": {"ring": 3}}
    assert data["predicted"][0]["detail"] == {"items": 1}


@pytest.mark.parametrize("target", sorted(name for name, fmt in available_formats().items() if fmt.writer))
@pytest.mark.parametrize("build", [detection_dataset, lossy_dataset])
def test_predicted_losses_are_the_reported_losses(build, target: str, tmp_path: Path) -> None:
    """For every writer: what the capability check predicts is exactly what the writer reports."""
    report = annoconv.write(build(), target, tmp_path / "out.json")
    predicted_counts = {(s.code, s.message): s.count for s in report.summary(predicted=True)}
    actual_counts = {(s.code, s.message): s.count for s in report.summary() if s.severity is not Severity.INFO}
    assert predicted_counts == actual_counts


def test_strict_refuses_before_writing_anything(tmp_path: Path) -> None:
    target = tmp_path / "out.json"
    with pytest.raises(annoconv.LossError, match="unsupported-kind"):
        annoconv.write(lossy_dataset(), "coco", target, strict=True)
    assert not target.exists()
    annoconv.write(detection_dataset(), "coco", target, strict=True)  # nothing lost: written
    assert target.exists()

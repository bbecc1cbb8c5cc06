"""Format plugins from the ``annoconv.formats`` entry-point group."""

from __future__ import annotations

from importlib.metadata import EntryPoint
from pathlib import Path

import pytest

import annoconv
import annoconv.formats as registry
from annoconv.formats import Capabilities, Format

TEXT_FORMAT = Format(
    name="item-list",
    summary="one image path per line (test plugin)",
    spec_url="",
    capabilities=Capabilities(native=frozenset()),
    writer=lambda dataset, path, context: path.write_text("".join(f"{i.image.path}\n" for i in dataset.items)),
)


@pytest.fixture
def plugins(monkeypatch: pytest.MonkeyPatch) -> list[EntryPoint]:
    """Entry points the registry will see (the registry is rebuilt for the test and afterwards)."""
    found: list[EntryPoint] = []
    monkeypatch.setattr(registry, "entry_points", lambda group: [e for e in found if e.group == group])
    monkeypatch.setattr(registry, "_registry", None)
    monkeypatch.setattr(registry, "_broken", {})
    return found


def _entry(name: str, target: str) -> EntryPoint:
    return EntryPoint(name, target, "annoconv.formats")


def test_a_plugin_is_used_like_a_built_in(plugins: list[EntryPoint], tmp_path: Path) -> None:
    plugins.append(_entry("item-list", f"{__name__}:TEXT_FORMAT"))
    assert "item-list" in annoconv.available_formats()
    report = annoconv.convert("coco", "item-list", Path(__file__).parent / "fixtures/coco/sample/instances.json",
                              tmp_path / "list.txt")
    assert (tmp_path / "list.txt").read_text().splitlines()[0] == "street/0001.jpg"
    # It holds no annotations and records nothing itself: the predicted losses stand in for it.
    assert "unsupported-kind" in {s.code.value for s in report.summary()}
    assert report.summary() == report.summary(predicted=True)
    assert "`item-list`" in annoconv.capability_matrix()


def test_a_broken_plugin_fails_only_when_asked_for(plugins: list[EntryPoint]) -> None:
    plugins.append(_entry("broken", "no_such_module_anywhere:FORMAT"))
    plugins.append(_entry("not-a-format", f"{__name__}:pytest"))
    builtin = {fmt.name for fmt in annoconv.formats.BUILTIN}
    assert set(annoconv.available_formats()) == builtin  # the others still work
    with pytest.raises(annoconv.AnnoconvError, match="format plugin 'broken'.*failed to load"):
        annoconv.get_format("broken")
    with pytest.raises(annoconv.AnnoconvError, match="is not an annoconv Format"):
        annoconv.get_format("not-a-format")


def test_a_plugin_cannot_replace_a_built_in(plugins: list[EntryPoint]) -> None:
    plugins.append(_entry("coco", f"{__name__}:TEXT_FORMAT"))
    assert annoconv.get_format("coco").summary.startswith("COCO JSON")

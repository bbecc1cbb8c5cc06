"""The ``annoconv`` command through ``main(argv)``: exit codes, one-line errors that name the
file and the place, nothing left behind on failure, and the formats / info / dry-run / log /
quiet / help behaviours."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import annoconv
from annoconv.cli import main
from annoconv.formats import available_formats
from builders import lossy_dataset
from conftest import REPO, SAMPLE

EXIT_OK, EXIT_INTERNAL, EXIT_USAGE, EXIT_LOSSES = 0, 1, 2, 3
EXIT_UNKNOWN, EXIT_READ, EXIT_WRITE, EXIT_API = 4, 5, 6, 7


# --- helpers ------------------------------------------------------------------------------------

def run(capsys: pytest.CaptureFixture[str], *argv: Any) -> tuple[int, str, str]:
    """``main(argv)`` -> (exit code, stdout, stderr); argparse's SystemExit counts as a return."""
    try:
        code = main([str(arg) for arg in argv])
    except SystemExit as exc:  # argparse: --help, usage errors
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    out, err = capsys.readouterr()
    return code, out, err


def snapshot(root: Path) -> dict[str, str]:
    """Every file and folder under ``root`` -> digest of its bytes ('dir' for folders)."""
    state = {}
    for path in sorted(root.rglob("*")):
        key = str(path.relative_to(root))
        state[key] = "dir" if path.is_dir() else hashlib.sha256(path.read_bytes()).hexdigest()
    return state


def error_line(err: str, quiet: bool = False) -> str:
    """The single ``error:`` line of ``err``; checks there is no traceback and nothing after it.

    Normal output (``read ...``) may precede it unless ``quiet``; with ``quiet`` stderr is that line only.
    """
    assert "Traceback" not in err, err
    lines = err.strip("\n").splitlines()
    assert lines, "nothing on stderr"
    errors = [line for line in lines if line.startswith("error:")]
    assert len(errors) == 1, err
    assert lines[-1] == errors[0], f"the error is not the last line:\n{err}"
    if quiet:
        assert len(lines) == 1, f"-q: stderr is not a single line:\n{err}"
    return errors[0]


def write_coco(path: Path, data: Any) -> Path:
    path.write_text(json.dumps(data))
    return path


@pytest.fixture
def lossy(tmp_path: Path) -> Path:
    """``lossy_dataset()`` as a native file (what COCO cannot hold as it is)."""
    path = tmp_path / "lossy.annoconv.json"
    annoconv.write(lossy_dataset(), "annoconv", path)
    return path


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    """An empty folder for outputs (inputs live next to it in tmp_path)."""
    folder = tmp_path / "work"
    folder.mkdir()
    return folder


# --- success --------------------------------------------------------------------------------------

def test_round_trip_coco_native_coco(capsys: pytest.CaptureFixture[str], workdir: Path) -> None:
    native = workdir / "sample.annoconv.json"
    back = workdir / "back" / "instances.json"
    assert run(capsys, "convert", "coco", "annoconv", SAMPLE, native)[0] == EXIT_OK
    assert json.loads(native.read_text())["format"] == "annoconv"
    code, out, err = run(capsys, "convert", "annoconv", "coco", native, back)
    assert code == EXIT_OK, err
    assert "error" not in err
    source, result = json.loads(SAMPLE.read_text()), json.loads(back.read_text())
    assert len(result["images"]) == len(source["images"])
    assert len(result["annotations"]) == len(source["annotations"])
    assert [c["name"] for c in result["categories"]] == [c["name"] for c in source["categories"]]
    assert "wrote" in err and "read" in err


def test_quiet_silences_normal_output(capsys: pytest.CaptureFixture[str], workdir: Path, lossy: Path) -> None:
    code, out, err = run(capsys, "convert", "annoconv", "coco", lossy, workdir / "out.json", "-q")
    assert code == EXIT_OK
    assert (out, err) == ("", "")
    assert (workdir / "out.json").is_file()


def test_log_writes_the_report(capsys: pytest.CaptureFixture[str], workdir: Path, lossy: Path) -> None:
    log = workdir / "report.json"
    code, _, err = run(capsys, "convert", "annoconv", "coco", lossy, workdir / "out.json", "--log", log)
    assert code == EXIT_OK, err
    report = json.loads(log.read_text())
    assert {"summary", "issues"} <= set(report)
    codes = {issue["code"] for issue in report["issues"]}
    assert {"unsupported-kind", "geometry-converted"} <= codes
    assert {entry["code"] for entry in report["summary"]} == codes
    assert report["stats"]["items_written"] == 1


def test_dry_run_writes_nothing_and_predicts_losses(capsys: pytest.CaptureFixture[str], workdir: Path,
                                                    lossy: Path) -> None:
    before = snapshot(workdir)
    code, _, err = run(capsys, "convert", "annoconv", "coco", lossy, workdir / "new" / "out.json", "--dry-run")
    assert code == EXIT_OK, err
    assert snapshot(workdir) == before
    would = [line for line in err.splitlines() if line.startswith("would lose")]
    assert any("Polyline" in line for line in would), err
    assert any("Point" in line for line in would), err
    assert any("Polygon holes" in line for line in would), err


def test_dry_run_without_losses_says_so(capsys: pytest.CaptureFixture[str], workdir: Path) -> None:
    code, _, err = run(capsys, "convert", "coco", "annoconv", SAMPLE, workdir / "x.json", "--dry-run")
    assert code == EXIT_OK
    assert "nothing would be lost" in err
    assert snapshot(workdir) == {}


# --- exit 3: losses -------------------------------------------------------------------------------

def test_strict_refuses_lossy_conversion(capsys: pytest.CaptureFixture[str], workdir: Path, lossy: Path) -> None:
    code, _, err = run(capsys, "convert", "annoconv", "coco", lossy, workdir / "a" / "b" / "out.json",
                       "--strict")
    assert code == EXIT_LOSSES
    line = error_line(err)
    assert "strict" in line and "Polyline" in line
    assert snapshot(workdir) == {}, "--strict wrote something"


@pytest.mark.parametrize("case", ["strict", "destination-exists"])
def test_errors_after_reading_are_one_line_with_quiet(capsys: pytest.CaptureFixture[str], workdir: Path,
                                                      lossy: Path, case: str) -> None:
    out = workdir / "out.json"
    if case == "destination-exists":
        out.write_text("precious")
    code, stdout, err = run(capsys, "convert", "annoconv", "coco", lossy, out, "-q",
                            *(["--strict"] if case == "strict" else []))
    assert code == (EXIT_LOSSES if case == "strict" else EXIT_WRITE)
    assert stdout == ""
    line = error_line(err, quiet=True)
    assert (str(out) in line) if case == "destination-exists" else ("strict" in line)


def test_strict_allows_lossless_conversion(capsys: pytest.CaptureFixture[str], workdir: Path,
                                           lossy: Path) -> None:
    code, _, err = run(capsys, "convert", "annoconv", "annoconv", lossy, workdir / "out.json", "--strict")
    assert code == EXIT_OK, err
    assert annoconv.read("annoconv", workdir / "out.json") == lossy_dataset()


def test_fail_if_warnings_writes_then_exits_3(capsys: pytest.CaptureFixture[str], workdir: Path,
                                              lossy: Path) -> None:
    out = workdir / "out.json"
    code, _, err = run(capsys, "convert", "annoconv", "coco", lossy, out, "--fail-if-warnings")
    assert code == EXIT_LOSSES
    assert len(json.loads(out.read_text())["images"]) == 1
    assert "warning" in err


def test_fail_if_warnings_without_warnings_is_ok(capsys: pytest.CaptureFixture[str], workdir: Path) -> None:
    code, _, err = run(capsys, "convert", "coco", "annoconv", SAMPLE, workdir / "o.json", "--fail-if-warnings")
    assert code == EXIT_OK, err


def test_dry_run_fail_if_warnings(capsys: pytest.CaptureFixture[str], workdir: Path, lossy: Path) -> None:
    code, _, _ = run(capsys, "convert", "annoconv", "coco", lossy, workdir / "o.json", "--dry-run",
                     "--fail-if-warnings")
    assert code == EXIT_LOSSES
    assert snapshot(workdir) == {}


# --- exit 2: usage ---------------------------------------------------------------------------------

@pytest.mark.parametrize("argv", [
    [],
    ["convert"],
    ["convert", "coco"],
    ["convert", "coco", "annoconv", "in.json"],
    ["frobnicate"],
    ["formats", "--bogus"],
    ["--bogus", "formats"],
    ["info"],
    ["convert", "coco", "annoconv", "in.json", "out.json", "-q", "-v"],
], ids=["nothing", "convert-alone", "one-format", "no-output", "unknown-command", "formats-unknown-flag",
        "global-unknown-flag", "info-alone", "quiet-and-verbose"])
def test_usage_errors_exit_2(capsys: pytest.CaptureFixture[str], argv: list[str], workdir: Path,
                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(workdir)
    code, _, err = run(capsys, *argv)
    assert code == EXIT_USAGE
    assert "error:" in err and "Traceback" not in err
    assert snapshot(workdir) == {}


# --- exit 4: unknown format / option ----------------------------------------------------------------

@pytest.mark.parametrize("argv, names", [
    (["convert", "nosuch", "coco", SAMPLE, "{out}"], "'nosuch'"),
    (["convert", "coco", "nosuch", SAMPLE, "{out}"], "'nosuch'"),
    (["info", "nosuch", SAMPLE], "'nosuch'"),
    (["convert", "coco", "annoconv", SAMPLE, "{out}", "--no-such-option", "1"], "--no-such-option"),
    (["convert", "coco", "annoconv", SAMPLE, "{out}", "--no-such-option=1"], "--no-such-option"),
    (["convert", "coco", "annoconv", SAMPLE, "{out}", "--on-error", "maybe"], "maybe"),
    (["convert", "coco", "annoconv", SAMPLE, "{out}", "--indent", "sideways"], "sideways"),
    (["convert", "coco", "annoconv", SAMPLE, "{out}", "--on-error"], "--on-error"),
    (["info", "coco", SAMPLE, "--indent", "1"], "--indent"),
], ids=["unknown-source", "unknown-destination", "info-unknown", "unknown-option", "unknown-option-equals",
        "bad-choice", "bad-boolean", "missing-value", "write-option-on-read"])
def test_unknown_format_or_option_exits_4(capsys: pytest.CaptureFixture[str], workdir: Path,
                                          argv: list[Any], names: str) -> None:
    out = workdir / "new" / "out.json"
    argv = [str(out) if arg == "{out}" else arg for arg in argv]
    code, _, err = run(capsys, *argv)
    assert code == EXIT_UNKNOWN, err
    assert names in error_line(err)
    assert snapshot(workdir) == {}


# --- exit 5: read errors -------------------------------------------------------------------------

def make_bad_input(kind: str, tmp_path: Path) -> tuple[Path, str]:
    """A bad COCO input of ``kind`` under ``tmp_path``; returns (path, the place the error must name)."""
    if kind == "missing":
        return tmp_path / "missing.json", "no such file"
    if kind == "directory":
        folder = tmp_path / "folder.json"
        folder.mkdir()
        return folder, "directory"
    if kind == "malformed":
        path = tmp_path / "malformed.json"
        path.write_text('{"images": [\n  {"id": 1,, }\n]}')
        return path, "line 2, column 12"
    if kind == "empty":
        path = tmp_path / "empty.json"
        path.write_text("")
        return path, "empty"
    if kind == "schema":
        return write_coco(tmp_path / "schema.json", {
            "images": [{"id": 1, "file_name": "a.jpg"}], "categories": [{"id": 1, "name": "c"}],
            "annotations": [{"id": 1, "image_id": 1, "category_id": 1, "bbox": "0,0,1,1"}]}), \
            "$.annotations[0].bbox"
    if kind == "dangling-id":
        return write_coco(tmp_path / "dangling.json", {
            "images": [{"id": 1, "file_name": "a.jpg"}], "categories": [{"id": 1, "name": "c"}],
            "annotations": [{"id": 1, "image_id": 1, "category_id": 1, "bbox": [0, 0, 1, 1]},
                            {"id": 2, "image_id": 7, "category_id": 1, "bbox": [0, 0, 1, 1]}]}), \
            "$.annotations[1].image_id"
    if kind == "not-utf8":
        path = tmp_path / "latin1.json"
        path.write_bytes('{"images": [{"id": 1, "file_name": "café.jpg"}]}'.encode("latin-1"))
        return path, "utf-8"
    raise AssertionError(kind)


READ_ERRORS = ["missing", "directory", "malformed", "empty", "schema", "dangling-id", "not-utf8"]


@pytest.mark.parametrize("quiet", [False, True], ids=["normal", "quiet"])
@pytest.mark.parametrize("kind", READ_ERRORS)
def test_read_errors_exit_5(capsys: pytest.CaptureFixture[str], tmp_path: Path, kind: str, quiet: bool) -> None:
    source, place = make_bad_input(kind, tmp_path)
    before = snapshot(tmp_path)
    flags = ["-q"] if quiet else []
    code, out, err = run(capsys, "convert", "coco", "annoconv", source, tmp_path / "x" / "y" / "out.json", *flags)
    assert code == EXIT_READ, err
    line = error_line(err, quiet=True)  # nothing was read: the error is the only line either way
    assert str(source) in line
    assert place.lower() in line.lower()
    assert out == ""
    assert snapshot(tmp_path) == before, "something was left behind"


@pytest.mark.parametrize("kind", ["missing", "malformed", "schema"])
def test_info_read_errors_exit_5(capsys: pytest.CaptureFixture[str], tmp_path: Path, kind: str) -> None:
    source, place = make_bad_input(kind, tmp_path)
    code, out, err = run(capsys, "info", "coco", source)
    assert code == EXIT_READ
    line = error_line(err, quiet=True)
    assert str(source) in line and place in line
    assert out == ""


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root can read a chmod 000 file")
def test_unreadable_input_exits_5(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    source = tmp_path / "in.json"
    source.write_bytes(SAMPLE.read_bytes())
    source.chmod(0)
    try:
        code, _, err = run(capsys, "convert", "coco", "annoconv", source, tmp_path / "out.json")
    finally:
        source.chmod(0o644)
    assert code == EXIT_READ
    assert str(source) in error_line(err, quiet=True)
    assert not (tmp_path / "out.json").exists()


def test_on_error_skip_option_reads_the_rest(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    source, _ = make_bad_input("dangling-id", tmp_path)
    out = tmp_path / "out.json"
    code, _, err = run(capsys, "convert", "coco", "annoconv", source, out, "--on-error", "skip", "-v")
    assert code == EXIT_OK, err
    assert "annotation-skipped" in err
    assert len(annoconv.read("annoconv", out).items[0].annotations) == 1


# --- exit 6: write errors --------------------------------------------------------------------------

def test_existing_destination_without_overwrite_exits_6(capsys: pytest.CaptureFixture[str], workdir: Path) -> None:
    out = workdir / "out.json"
    out.write_text("precious")
    code, _, err = run(capsys, "convert", "coco", "annoconv", SAMPLE, out)
    assert code == EXIT_WRITE
    line = error_line(err)
    assert str(out) in line and "--overwrite" in line
    assert out.read_text() == "precious"
    assert snapshot(workdir) == {"out.json": hashlib.sha256(b"precious").hexdigest()}


def test_existing_destination_with_overwrite(capsys: pytest.CaptureFixture[str], workdir: Path) -> None:
    out = workdir / "out.json"
    out.write_text("old")
    code, _, err = run(capsys, "convert", "coco", "annoconv", SAMPLE, out, "--overwrite")
    assert code == EXIT_OK, err
    assert json.loads(out.read_text())["format"] == "annoconv"
    assert sorted(p.name for p in workdir.iterdir()) == ["out.json"]


def test_destination_is_a_directory_exits_6(capsys: pytest.CaptureFixture[str], workdir: Path) -> None:
    out = workdir / "out.json"
    out.mkdir()
    code, _, err = run(capsys, "convert", "coco", "annoconv", SAMPLE, out, "--overwrite")
    assert code == EXIT_WRITE
    assert str(out) in error_line(err) and "directory" in err
    assert snapshot(workdir) == {"out.json": "dir"}


def test_parent_is_a_file_exits_6(capsys: pytest.CaptureFixture[str], workdir: Path) -> None:
    blocker = workdir / "blocker"
    blocker.write_text("x")
    out = blocker / "sub" / "out.json"
    before = snapshot(workdir)
    code, _, err = run(capsys, "convert", "coco", "annoconv", SAMPLE, out, "-q")
    assert code == EXIT_WRITE
    assert str(out) in error_line(err, quiet=True)
    assert snapshot(workdir) == before


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root can write into a read-only folder")
def test_read_only_directory_exits_6(capsys: pytest.CaptureFixture[str], workdir: Path) -> None:
    locked = workdir / "locked"
    locked.mkdir()
    locked.chmod(0o555)
    try:
        code, _, err = run(capsys, "convert", "coco", "annoconv", SAMPLE, locked / "new" / "out.json")
        assert code == EXIT_WRITE
        assert str(locked / "new" / "out.json") in error_line(err)
        assert list(locked.iterdir()) == []
    finally:
        locked.chmod(0o755)


def test_write_failure_in_the_writer_exits_6_and_leaves_nothing(
        capsys: pytest.CaptureFixture[str], workdir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The disk fills up half-way through: exit 6, the error names the destination (not a temporary file)."""
    def full_disk(dataset: Any, path: Path, context: Any) -> None:
        path.write_bytes(b'{"format": "annoconv", "items": [')
        raise OSError(28, "No space left on device", str(path))

    monkeypatch.setitem(available_formats(), "annoconv",
                        dataclasses.replace(available_formats()["annoconv"], writer=full_disk))
    out = workdir / "deep" / "er" / "out.json"
    code, _, err = run(capsys, "convert", "coco", "annoconv", SAMPLE, out)
    assert code == EXIT_WRITE
    line = error_line(err)
    assert "No space left on device" in line
    assert str(out) in line and ".partial" not in line, line
    assert snapshot(workdir) == {}


def test_unwritable_log_does_not_hide_a_read_error(capsys: pytest.CaptureFixture[str], workdir: Path) -> None:
    """--log into a missing folder: the read error (exit 5) is what the user sees, not an internal error."""
    code, _, err = run(capsys, "convert", "coco", "annoconv", workdir / "missing.json", workdir / "out.json",
                       "--log", workdir / "no" / "such" / "dir" / "log.json")
    assert code == EXIT_READ, err
    assert str(workdir / "missing.json") in error_line(err)


def test_unwritable_log_is_not_an_internal_error(capsys: pytest.CaptureFixture[str], workdir: Path) -> None:
    """A log that cannot be written is a write error (exit 6) naming the log, or is written after all."""
    log = workdir / "blocker" / "log.json"
    (workdir / "blocker").write_text("a file, not a folder")
    code, _, err = run(capsys, "convert", "coco", "annoconv", SAMPLE, workdir / "out.json", "--log", log)
    assert "internal error" not in err, err
    assert code == EXIT_WRITE, err
    assert str(log) in error_line(err)


# --- exit 1: internal errors -------------------------------------------------------------------------

@pytest.fixture
def broken_reader(monkeypatch: pytest.MonkeyPatch) -> None:
    """The coco reader raises a RuntimeError (a bug)."""
    def boom(path: Path, context: Any) -> Any:
        raise RuntimeError("kaboom in the reader")

    monkeypatch.setitem(available_formats(), "coco", dataclasses.replace(available_formats()["coco"], reader=boom))


@pytest.mark.usefixtures("broken_reader")
def test_internal_error_is_one_line_without_traceback(capsys: pytest.CaptureFixture[str], workdir: Path) -> None:
    code, _, err = run(capsys, "convert", "coco", "annoconv", SAMPLE, workdir / "a" / "out.json")
    assert code == EXIT_INTERNAL
    line = error_line(err, quiet=True)
    assert "internal error" in line and "RuntimeError" in line and "kaboom in the reader" in line
    assert "-v" in line
    assert snapshot(workdir) == {}


@pytest.mark.usefixtures("broken_reader")
def test_internal_error_with_verbose_shows_the_traceback(capsys: pytest.CaptureFixture[str], workdir: Path) -> None:
    code, _, err = run(capsys, "convert", "coco", "annoconv", SAMPLE, workdir / "out.json", "-v")
    assert code == EXIT_INTERNAL
    assert "Traceback" in err and "kaboom in the reader" in err
    assert err.strip().splitlines()[-1].startswith("error: internal error")
    assert snapshot(workdir) == {}


def test_internal_error_in_the_writer_leaves_nothing(capsys: pytest.CaptureFixture[str], workdir: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    def half_then_boom(dataset: Any, path: Path, context: Any) -> None:
        path.write_bytes(b'{"images": [')
        raise RuntimeError("kaboom in the writer")

    monkeypatch.setitem(available_formats(), "coco",
                        dataclasses.replace(available_formats()["coco"], writer=half_then_boom))
    code, _, err = run(capsys, "convert", "coco", "coco", SAMPLE, workdir / "x" / "y" / "out.json")
    assert code == EXIT_INTERNAL
    assert "kaboom in the writer" in error_line(err)
    assert snapshot(workdir) == {}


# --- formats, info, help ---------------------------------------------------------------------------

def test_formats_lists_formats_and_the_matrix(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "formats")
    assert code == EXIT_OK
    lines = out.splitlines()
    assert any(line.startswith("coco") and "read/write" in line for line in lines)
    assert any(line.startswith("annoconv") and "read/write" in line for line in lines)
    assert "| feature | `coco` | `annoconv` |" in out
    assert out.rstrip().endswith(annoconv.capability_matrix().rstrip())


def test_formats_verbose_lists_options(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "formats", "-v")
    assert code == EXIT_OK
    assert "--on-error" in out and "--indent" in out


def test_formats_markdown_is_only_the_table(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "formats", "--markdown")
    assert code == EXIT_OK
    lines = out.strip().splitlines()
    assert all(line.startswith("|") and line.endswith("|") for line in lines), out
    assert lines[0].startswith("| feature |") and set(lines[1]) <= set("|-")
    columns = {line.count("|") for line in lines}
    assert len(columns) == 1, "rows have different numbers of cells"
    rows = {line.split("|")[1].strip() for line in lines[2:]}
    assert {"Box", "Polygon", "Polygon holes", "Keypoints", "Mask"} <= rows


def sample_expectations() -> dict[str, Any]:
    """Facts about SAMPLE read from its JSON (not from annoconv)."""
    data = json.loads(SAMPLE.read_text())
    used = {a["image_id"] for a in data["annotations"]}
    return {
        "items": len(data["images"]),
        "labels": len(data["categories"]),
        "empty": [image["file_name"] for image in data["images"] if image["id"] not in used],
        "label_ids": {c["name"]: c["id"] for c in data["categories"]},
    }


def test_info_text(capsys: pytest.CaptureFixture[str]) -> None:
    expected = sample_expectations()
    code, out, err = run(capsys, "info", "coco", SAMPLE)
    assert code == EXIT_OK, err
    assert f"{expected['items']} items" in out
    assert "7 annotations" in out  # 6 COCO annotations, one of them a polygon plus keypoints
    assert f"{expected['labels']} labels" in out
    assert "annotations per kind:" in out and "polygon 4" in out and "keypoints 1" in out
    for name, label_id in expected["label_ids"].items():
        assert f"{name} (id {label_id})" in out
    assert f"images without annotations: {len(expected['empty'])} ({', '.join(expected['empty'])})" in out


def test_info_json(capsys: pytest.CaptureFixture[str]) -> None:
    expected = sample_expectations()
    code, out, _ = run(capsys, "info", "coco", SAMPLE, "--json")
    assert code == EXIT_OK
    info = json.loads(out)
    assert info["items"] == expected["items"]
    assert info["labels"] == expected["labels"]
    assert info["annotations"] == 7
    assert info["per_kind"] == {"polygon": 4, "keypoints": 1, "mask": 1, "box": 1}
    assert info["per_label"] == {"person": {"polygon": 1, "keypoints": 1, "mask": 1}, "car": {"polygon": 2},
                                 "dog": {"polygon": 1}, "bottle": {"box": 1}}
    assert info["label_ids"] == expected["label_ids"]
    assert info["items_without_annotations"] == expected["empty"]


def test_help_lists_the_exit_codes(capsys: pytest.CaptureFixture[str]) -> None:
    for argv in (["--help"], ["convert", "--help"]):
        code, out, _ = run(capsys, *argv)
        assert code == EXIT_OK
        assert "exit codes" in out
        for number in range(8):
            assert f"\n  {number}  " in out, f"exit code {number} missing from {argv} help"


def test_python_dash_m_help() -> None:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))}
    result = subprocess.run([sys.executable, "-m", "annoconv", "--help"], capture_output=True, text=True,
                            env=env, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "usage: annoconv" in result.stdout and "exit codes" in result.stdout


def test_python_dash_m_exit_code(tmp_path: Path) -> None:
    """The process exit status is main()'s return value."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))}
    result = subprocess.run([sys.executable, "-m", "annoconv", "convert", "coco", "annoconv",
                             str(tmp_path / "missing.json"), str(tmp_path / "out.json")],
                            capture_output=True, text=True, env=env, timeout=60)
    assert result.returncode == EXIT_READ
    assert result.stderr.startswith("error:")


def test_version_names_the_compiled_kernels_and_the_fallbacks(capsys: pytest.CaptureFixture[str],
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    from annoconv.raster import spans
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.startswith(f"annoconv {annoconv.__version__}; compiled kernels: ")
    monkeypatch.setattr(spans, "_spanfill", None)
    assert main(["--version"]) == 0
    assert "numpy fallback for spans" in capsys.readouterr().out

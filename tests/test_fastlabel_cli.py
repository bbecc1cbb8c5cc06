"""``annoconv fastlabel pull|push`` through ``annoconv.cli.main``: exit codes (0, 2, 4, 6, 7, 8),
one-line errors, dry runs, re-runs, and the token never printed."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from annoconv.cli import main
from annoconv_fastlabel.cli import EXIT_PARTIAL
from annoconv_fastlabel.testing import FakeFastLabel
from test_fastlabel_sync import CLASSES, IMAGES, TOKEN, by_name, source_project

EXIT_OK, EXIT_USAGE, EXIT_UNKNOWN, EXIT_WRITE, EXIT_API = 0, 2, 4, 6, 7


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch):
    with FakeFastLabel(token=TOKEN, projects={"src": source_project(), "dst": {}}) as fake:
        monkeypatch.setenv("FASTLABEL_ACCESS_TOKEN", TOKEN)
        monkeypatch.setenv("FASTLABEL_API_URL", fake.url)
        yield fake


def run(capsys: pytest.CaptureFixture[str], *argv: Any) -> tuple[int, str, str]:
    code = main(["fastlabel", *map(str, argv)])
    out, err = capsys.readouterr()
    assert TOKEN not in out + err
    assert "Traceback" not in err
    return code, out, err


def error_line(err: str) -> str:
    lines = [line for line in err.splitlines() if line.startswith("error:")]
    assert len(lines) == 1 and err.rstrip().endswith(lines[0]), err
    return lines[0]


def test_pull_then_push_through_coco_and_re_run(server: FakeFastLabel, capsys: pytest.CaptureFixture[str],
                                                tmp_path: Path) -> None:
    out_json, images = tmp_path / "coco.json", tmp_path / "images"
    code, _, err = run(capsys, "pull", "src", "--to", "coco", out_json, "--images-dir", images)
    assert code == EXIT_OK, err
    assert "pulled 3 tasks, 10 annotations, 8 classes from 'src'" in err and "3 images downloaded" in err
    assert "warning:" in err  # what COCO cannot hold is reported, as by `annoconv convert`
    coco = json.loads(out_json.read_text())
    assert sorted(image["file_name"] for image in coco["images"]) == sorted(IMAGES)
    assert (images / "sub" / "scene_2.jpg").read_bytes() == IMAGES["sub/scene_2.jpg"]

    code, _, err = run(capsys, "push", "dst", "--from", "coco", out_json, "--images-dir", images,
                       "--create-missing-classes")
    assert code == EXIT_OK, err
    assert "3 tasks created" in err
    assert sorted(task["name"] for task in server.tasks("dst")) == sorted(IMAGES)
    code, _, err = run(capsys, "push", "dst", "--from", "coco", out_json, "--images-dir", images)
    assert code == EXIT_OK and "0 tasks created, 0 updated, 3 skipped" in err
    assert len(server.tasks("dst")) == 3


def test_pull_writes_any_format_losslessly_with_its_options(server: FakeFastLabel,
                                                           capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    out = tmp_path / "native.json"
    code, _, err = run(capsys, "pull", "src", "--to", "annoconv", out, "--status", "completed", "--indent")
    assert code == EXIT_OK, err
    assert "pulled 2 tasks" in err
    warnings = [line for line in err.splitlines() if line.startswith("warning:")]
    assert len(warnings) == 1 and "circle held as a polygon" in warnings[0]  # said by the task reader
    assert out.read_text().startswith("{\n")  # --indent reached the writer
    code, _, err = run(capsys, "push", "dst", "--from", "annoconv", out, "--images-dir", tmp_path, "--dry-run",
                       "--create-missing-classes")  # no images were pulled: the dry run finds them missing
    assert code == EXIT_PARTIAL and "2 failed" in err and f"  empty.png: {tmp_path / 'empty.png'}: image file" in err


def test_push_dry_run_prints_the_plan_and_changes_nothing(server: FakeFastLabel, capsys: pytest.CaptureFixture[str],
                                                          tmp_path: Path) -> None:
    data = tmp_path / "tasks.json"
    run(capsys, "pull", "src", "--to", "annoconv", data, "--images-dir", tmp_path / "img")
    before = len(server.requests)
    code, out, err = run(capsys, "push", "dst", "--from", "annoconv", data, "--images-dir", tmp_path / "img",
                         "--dry-run", "--create-missing-classes")
    assert code == EXIT_OK, err
    assert out.splitlines() == [f"create class {c['value']}" for c in CLASSES] + \
        [f"create task  {name}" for name in ("scene_1.png", "sub/scene_2.jpg", "empty.png")]
    assert "dry run: project 'dst': 3 tasks would be created" in err
    assert all(r.method == "GET" for r in server.requests[before:])


def test_some_items_failing_exits_8_and_lists_them(server: FakeFastLabel, capsys: pytest.CaptureFixture[str],
                                                   tmp_path: Path) -> None:
    data, images = tmp_path / "tasks.json", tmp_path / "img"
    run(capsys, "pull", "src", "--to", "annoconv", data, "--images-dir", images)
    (images / "empty.png").unlink()
    server.conflict(skip=0)  # the first create answers a duplicate-name 409
    code, _, err = run(capsys, "push", "dst", "--from", "annoconv", data, "--images-dir", images,
                       "--create-missing-classes", "--log", tmp_path / "log.json")
    assert code == EXIT_PARTIAL == 8
    assert "failed items (2):" in err
    assert "  scene_1.png: POST tasks/image (scene_1.png): HTTP 409" in err
    assert "  empty.png: " in err and "image file not found" in err
    assert "1 tasks created, 0 updated, 0 skipped (already in the project), 8 classes created, 2 failed" in err
    log = json.loads((tmp_path / "log.json").read_text())
    assert {issue["item"] for issue in log["issues"] if issue["code"] == "item-skipped"} == {"scene_1.png",
                                                                                              "empty.png"}
    (images / "empty.png").write_bytes(IMAGES["empty.png"])
    code, _, err = run(capsys, "push", "dst", "--from", "annoconv", data, "--images-dir", images)
    assert code == EXIT_OK and "2 tasks created, 0 updated, 1 skipped" in err
    assert by_name(server.tasks("dst")) == by_name(source_project()["tasks"])


def test_missing_classes_stop_with_exit_7_naming_them(server: FakeFastLabel, capsys: pytest.CaptureFixture[str],
                                                      tmp_path: Path) -> None:
    data = tmp_path / "tasks.json"
    run(capsys, "pull", "src", "--to", "annoconv", data)
    code, _, err = run(capsys, "push", "dst", "--from", "annoconv", data, "--images-dir", tmp_path)
    assert code == EXIT_API
    assert "has no annotation class for 8 label(s) the dataset uses: 'ball', 'car'" in error_line(err)
    assert "--create-missing-classes" in error_line(err)
    assert server.tasks("dst") == [] and all(r.method == "GET" for r in server.requests if r.endpoint != "")


def test_api_and_configuration_errors_exit_7(server: FakeFastLabel, capsys: pytest.CaptureFixture[str],
                                             tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    code, _, err = run(capsys, "pull", "nope", "--to", "coco", tmp_path / "x.json")
    assert code == EXIT_API and "no FastLabel project with slug 'nope'" in error_line(err)
    monkeypatch.setenv("FASTLABEL_ACCESS_TOKEN", "wrong")
    code, _, err = run(capsys, "pull", "src", "--to", "coco", tmp_path / "x.json")
    assert code == EXIT_API and error_line(err).endswith("HTTP 401 Unauthorized: Unauthorized")
    monkeypatch.delenv("FASTLABEL_ACCESS_TOKEN")
    code, _, err = run(capsys, "pull", "src", "--to", "coco", tmp_path / "x.json")
    assert code == EXIT_API and "FASTLABEL_ACCESS_TOKEN" in error_line(err)
    assert not (tmp_path / "x.json").exists()


def test_usage_format_and_write_errors(server: FakeFastLabel, capsys: pytest.CaptureFixture[str],
                                       tmp_path: Path) -> None:
    code, _, err = run(capsys, "pull", "src", tmp_path / "x.json")
    assert code == EXIT_USAGE and "--to" in err
    code, _, err = run(capsys, "pull", "src", "--to", "nope", tmp_path / "x.json")
    assert code == EXIT_UNKNOWN and "unknown format 'nope'" in error_line(err)
    code, _, err = run(capsys, "pull", "src", "--to", "coco", tmp_path / "x.json", "--no-such-option", "1")
    assert code == EXIT_UNKNOWN and server.requests == []  # refused before any request
    (tmp_path / "x.json").write_text("keep me")
    code, _, err = run(capsys, "pull", "src", "--to", "coco", tmp_path / "x.json")
    assert code == EXIT_WRITE and "destination exists" in error_line(err)
    assert (tmp_path / "x.json").read_text() == "keep me"


def test_help_lists_the_command_and_its_exit_codes(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--help"]) == 0
    assert "fastlabel" in capsys.readouterr().out
    assert main(["fastlabel", "push", "--help"]) == 0
    text = capsys.readouterr().out
    assert "--on-existing {skip,update,fail}" in text and "FASTLABEL_ACCESS_TOKEN" in text
    assert "8  finished, but some items failed" in text and "7  FastLabel API error" in text

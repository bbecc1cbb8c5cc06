"""Contract check: the official ``fastlabel`` SDK (0.26.0) and annoconv's client speak the same API.

The SDK pins opencv-python (which clashes with opencv-python-headless), so it lives in its own
virtual environment, created on demand in REPO/.cache/sdk-venv (git-ignored) and driven over the
loopback fake server by a small script run with subprocess. Each scenario runs twice, on two fake
servers seeded alike: once through the SDK, once through FastLabelClient; the requests the servers
record, and the answers, must be the same. The SDK's own golden requests (shared/fastlabel) are
compared too when present. Skipped, saying why, when the venv cannot be built (no registry).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from annoconv_fastlabel.client import FastLabelClient
from annoconv_fastlabel.throttle import RetryPolicy
from annoconv_fastlabel.errors import APIError
from annoconv_fastlabel.sync import pull
from annoconv_fastlabel.testing import FakeFastLabel, RecordedRequest
from conftest import REPO
from test_fastlabel_sync import CLASSES, IMAGES, TASKS, TOKEN, by_name

SDK = "fastlabel==0.26.0"
VENV = REPO / ".cache" / "sdk-venv"
GOLDEN = REPO.parent / "shared" / "fastlabel" / "sdk-golden"

# Runs in the SDK's venv: calls the steps read from stdin, prints each result or exception as JSON.
SDK_SCRIPT = r"""
import json, sys
import fastlabel
from fastlabel.exceptions import FastLabelException
clients, out = {}, []
for step in json.load(sys.stdin):
    token = step.get("token")
    try:
        if token not in clients:
            clients[token] = fastlabel.Client(token) if token else fastlabel.Client()
        result = getattr(clients[token], step["call"])(**step.get("kwargs", {}))
        out.append({"ok": True, "result": result})
    except FastLabelException as exc:
        out.append({"ok": False, "error": type(exc).__name__, "code": exc.code, "message": exc.message})
    except Exception as exc:
        out.append({"ok": False, "error": type(exc).__name__, "code": None, "message": str(exc)})
json.dump(out, sys.stdout)
"""


def _venv_python(root: Path) -> Path:
    return root / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


@pytest.fixture(scope="session")
def sdk_python() -> Path:
    """The python of a venv with the SDK: reused when complete, else built (about 20 s) and moved into place."""
    marker = VENV / ".annoconv-sdk"
    if marker.is_file() and marker.read_text() == SDK and _venv_python(VENV).exists():
        return _venv_python(VENV)
    building = VENV.with_name(f"sdk-venv.building-{os.getpid()}")
    shutil.rmtree(building, ignore_errors=True)
    steps = [[sys.executable, "-m", "venv", str(building)],
             [str(_venv_python(building)), "-m", "pip", "install", "--disable-pip-version-check", "-q", SDK]]
    for step in steps:
        try:
            done = subprocess.run(step, capture_output=True, text=True, timeout=600)
        except (OSError, subprocess.TimeoutExpired) as exc:
            shutil.rmtree(building, ignore_errors=True)
            pytest.skip(f"cannot build the fastlabel SDK venv ({' '.join(step[-3:])}): {exc}")
        if done.returncode != 0:
            shutil.rmtree(building, ignore_errors=True)
            lines = (done.stderr or done.stdout).strip().splitlines()
            tail = " | ".join([line for line in lines if line.startswith("ERROR")] or lines[-1:])[-300:]
            pytest.skip(f"cannot build the fastlabel SDK venv ({' '.join(step[-3:])}): {tail}")
    (building / ".annoconv-sdk").write_text(SDK)
    shutil.rmtree(VENV, ignore_errors=True)  # an incomplete or older one
    try:
        building.rename(VENV)
    except OSError:  # another session finished first: use its venv
        shutil.rmtree(building, ignore_errors=True)
    return _venv_python(VENV)


def run_sdk(python: Path, server: FakeFastLabel, steps: list[dict[str, Any]]) -> list[dict[str, Any]]:
    env = {**os.environ, **server.env()}
    done = subprocess.run([str(python), "-c", SDK_SCRIPT], input=json.dumps(steps), capture_output=True, text=True,
                          env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def wire(requests: list[RecordedRequest]) -> list[tuple[Any, ...]]:
    """What a request says on the wire, without what may differ between two HTTP clients."""
    return [(r.method, r.path, r.raw_query, r.json, r.headers.get("Authorization"), r.headers.get("Content-Type"))
            for r in requests]


def seeded(images: Path) -> FakeFastLabel:
    """Two of these are seeded alike: tasks with fixed ids, and faults keyed on their own paths."""
    tasks = [{**task, "id": f"task-{i}"} for i, task in enumerate(TASKS, 1)]
    server = FakeFastLabel(token=TOKEN, projects={"proj": {"classes": CLASSES, "tasks": tasks, "images": IMAGES},
                                                  "new": {"classes": CLASSES}})
    server.fail(429, method="GET", path="projects/rate-limited", retry_after=1)
    server.fail(400, method="GET", path="projects/error-key", body={"error": "no message key"})
    server.fail(502, method="GET", path="projects/html-502", body=b"<html>Bad Gateway</html>")
    server.fail(201, method="POST", path="tasks/tags/add")
    return server


UPDATE = [{"type": "polygon", "value": "sign", "title": "Sign", "color": "#377eb8", "points": [1, 2, 9, 2, 5, 8],
           "rotation": 0, "attributes": []}]
NEW_CLASS = {"type": "segmentation", "value": "water", "title": "Water", "color": "#0000ff",
             "attributes": [{"key": "depth", "name": "Depth", "type": "text"}]}


def scenario(images: Path) -> list[tuple[dict[str, Any], Callable[[FastLabelClient], Any]]]:
    """(SDK step, the same operation through FastLabelClient), in order."""
    scene = TASKS[0]
    sdk_create = {"project": "new", "name": scene["name"], "file_path": str(images / scene["name"]),
                  "status": "completed", "annotations": scene["annotations"], "tags": ["batch-1"], "priority": 0}
    return [
        ({"call": "find_project_by_slug", "kwargs": {"slug": "proj"}}, lambda c: c.find_project("proj")),
        ({"call": "get_annotations", "kwargs": {"project": "proj", "limit": 1000}},
         lambda c: next(c.pages("annotations", {"project": "proj"}))),
        ({"call": "create_annotation", "kwargs": {"project": "proj", **NEW_CLASS, "max_area_count": None}},
         lambda c: c.create_annotation_class("proj", {**NEW_CLASS, "maxAreaCount": None})),
        ({"call": "get_image_tasks", "kwargs": {"project": "proj", "status": "completed", "tags": ["batch-1"],
                                                "limit": 1000}},
         lambda c: next(c.pages("tasks/image", {"project": "proj", "status": "completed", "tags": ["batch-1"]}))),
        ({"call": "count_tasks", "kwargs": {"project": "proj", "status": "completed", "tags": ["batch-1"]}},
         lambda c: c.count_tasks("proj", status="completed", tags=["batch-1"])),
        ({"call": "get_task_id_name_map", "kwargs": {"project": "proj"}},
         lambda c: next(c.pages("tasks/map/id-name", {"project": "proj"}))),
        ({"call": "find_image_task_by_name", "kwargs": {"project": "proj", "task_name": "sub/scene_2.jpg"}},
         lambda c: c.find_task_by_name("proj", "sub/scene_2.jpg")),
        ({"call": "find_image_task", "kwargs": {"task_id": "task-2"}}, lambda c: c.find_task("task-2")),
        ({"call": "create_image_task", "kwargs": sdk_create},
         lambda c: c.create_image_task("new", scene["name"], images / scene["name"], status="completed",
                                       annotations=scene["annotations"], tags=["batch-1"], priority=0)),
        ({"call": "update_image_task", "kwargs": {"task_id": "task-2", "status": "approved", "annotations": UPDATE}},
         lambda c: c.update_image_task("task-2", status="approved", annotations=UPDATE)),
        ({"call": "delete_task_annotations", "kwargs": {"task_id": "task-1"}},
         lambda c: c.delete_task_annotations("task-1")),
        ({"call": "delete_task", "kwargs": {"task_id": "task-3"}}, lambda c: c.delete_task("task-3")),
        # error semantics
        ({"call": "find_image_task", "kwargs": {"task_id": "nope"}}, lambda c: c.find_task("nope")),
        ({"call": "count_tasks", "token": "wrong", "kwargs": {"project": "proj"}},
         lambda c: FastLabelClient("wrong", c.base_url).count_tasks("proj")),
        ({"call": "find_project", "kwargs": {"project_id": "rate-limited"}}, lambda c: c.get("projects/rate-limited")),
        ({"call": "find_project", "kwargs": {"project_id": "error-key"}}, lambda c: c.get("projects/error-key")),
        ({"call": "find_project", "kwargs": {"project_id": "html-502"}}, lambda c: c.get("projects/html-502")),
        ({"call": "add_task_tags", "kwargs": {"project": "proj", "task_ids": ["task-2"], "tags": ["x"]}},
         lambda c: c.post("tasks/tags/add", {"project": "proj", "taskIds": ["task-2"], "tags": ["x"]})),
        ({"call": "get_image_tasks", "kwargs": {"project": "proj", "limit": 1001}},
         lambda c: list(c.iter_tasks("proj", page_size=1001))),
    ]


def run_ours(server: FakeFastLabel, steps: list[Callable[[FastLabelClient], Any]]) -> list[dict[str, Any]]:
    client = FastLabelClient(TOKEN, server.url, retry=RetryPolicy(attempts=1))  # the SDK never retries
    out = []
    for step in steps:
        try:
            out.append({"ok": True, "result": step(client)})
        except APIError as exc:
            out.append({"ok": False, "error": type(exc).__name__, "code": exc.status, "message": exc.api_message})
    return out


@pytest.fixture
def images(tmp_path: Path) -> Path:
    for name, data in IMAGES.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(data)
    return tmp_path


def comparable(value: Any, server: FakeFastLabel) -> Any:
    """``value`` without createdAt/updatedAt and with the server's origin in urls as "<origin>":
    what two servers seeded alike answer the same."""
    def strip(node: Any) -> Any:
        if isinstance(node, dict):
            return {k: strip(v) for k, v in node.items() if k not in ("createdAt", "updatedAt")}
        if isinstance(node, (list, tuple)):
            return [strip(v) for v in node]
        return node
    return json.loads(json.dumps(strip(value)).replace(server.origin, "<origin>"))


def test_sdk_and_client_send_the_same_requests_and_read_the_same_answers(sdk_python: Path, images: Path) -> None:
    steps = scenario(images)
    with seeded(images) as server:
        sdk = run_sdk(sdk_python, server, [sdk_step for sdk_step, _ in steps])
        sdk_wire, sdk_state = wire(server.requests), comparable([server.tasks("proj"), server.tasks("new")], server)
        sdk_results = comparable(sdk, server)
    with seeded(images) as server:
        ours = comparable(run_ours(server, [our_step for _, our_step in steps]), server)
        ours_wire, ours_state = wire(server.requests), comparable([server.tasks("proj"), server.tasks("new")], server)
    port = lambda rows: [tuple(json.loads(json.dumps(row))) for row in rows]  # noqa: E731  (tuples of JSON)
    assert port(ours_wire) == port(sdk_wire)  # same method, path, query, body and auth, request by request
    ok_steps = 12
    assert [r["ok"] for r in sdk_results[:ok_steps]] == [True] * ok_steps, sdk_results
    assert ours[:ok_steps] == sdk_results[:ok_steps]
    assert ours_state == sdk_state

    errors = list(zip(sdk_results[ok_steps:], ours[ok_steps:]))
    by_status = [(s["error"], s["code"], o["error"], o["code"]) for s, o in errors]
    assert by_status == [
        ("FastLabelInvalidException", 404, "NotFoundError", 404),
        ("FastLabelInvalidException", 401, "AuthenticationError", 401),
        ("FastLabelInvalidException", 429, "RateLimitError", 429),       # the SDK never waits and retries
        ("KeyError", None, "BadRequestError", 400),                       # SDK crash on a body without message
        ("FastLabelException", 502, "ServerError", 502),
        ("FastLabelException", 201, "UnexpectedResponseError", 201),     # 201 is not a success for either
        ("FastLabelInvalidException", 422, "ValidationError", None),      # limit > 1000: both refuse before sending
    ]
    for s, o in errors:
        if s["code"] is not None and o["code"] is not None:
            assert s["message"] == o["message"]


def test_sdk_reads_what_a_push_created_and_a_pull_reads_what_the_sdk_created(sdk_python: Path, images: Path,
                                                                           tmp_path: Path) -> None:
    with FakeFastLabel(token=TOKEN, projects={"src": {"classes": CLASSES, "tasks": TASKS, "images": IMAGES},
                                              "dst": {}, "sdk": {"classes": CLASSES}}) as server:
        client = FastLabelClient(TOKEN, server.url)
        from annoconv_fastlabel.sync import push
        dataset = pull("src", client=client, images_dir=tmp_path / "pulled")
        assert push(dataset, "dst", tmp_path / "pulled", client=client, create_missing_classes=True).ok
        creates = [{"call": "create_image_task", "kwargs": {
            "project": "sdk", "name": task["name"], "file_path": str(images / task["name"]),
            "status": task["status"], "tags": task["tags"], "annotations": task["annotations"]}} for task in TASKS]
        sdk = run_sdk(sdk_python, server, [
            {"call": "get_image_tasks", "kwargs": {"project": "dst", "limit": 1000}},
            {"call": "get_annotations", "kwargs": {"project": "dst", "limit": 1000}},
            *creates])
        assert all(step["ok"] for step in sdk), sdk
        assert by_name(sdk[0]["result"]) == by_name(TASKS)  # the SDK sees our push as the source project
        assert sorted(c["value"] for c in sdk[1]["result"]) == sorted(c["value"] for c in CLASSES)
        from_sdk = pull("sdk", client=client)
        assert by_name(server.tasks("sdk")) == by_name(TASKS)
        assert [len(item.annotations) for item in from_sdk.items] == [len(item.annotations) for item in dataset.items]


def test_sdk_requests_match_its_golden_recording(sdk_python: Path, images: Path) -> None:
    path = GOLDEN / "api_requests.json"
    if not path.is_file():
        pytest.skip(f"SDK golden requests not found at {path}")
    golden = {(r["method"], r["path"], r["raw_query"]) for r in json.loads(path.read_text())}
    with seeded(images) as server:
        run_sdk(sdk_python, server, [
            {"call": "get_annotations", "kwargs": {"project": "img-all"}},
            {"call": "get_task_id_name_map", "kwargs": {"project": "img-all"}},
            {"call": "get_image_tasks", "kwargs": {"project": "img-all", "offset": 100}},
            {"call": "find_image_task_by_name", "kwargs": {"project": "img-all", "task_name": "a.jpg"}},
            {"call": "count_tasks", "kwargs": {"project": "img-all", "status": "completed"}},
            {"call": "find_project_by_slug", "kwargs": {"slug": "img-all"}}])
        seen = {(r.method, r.path, r.raw_query) for r in server.requests}
    assert seen <= golden, seen - golden

"""FastLabel pull / push against the loopback fake server: a pull -> convert -> push round trip
keeps every annotation; pushes interrupted in every way we can inject re-run to exactly one task
per item; nothing on FastLabel is deleted or overwritten unless on_existing="update"."""

from __future__ import annotations

import copy
import io
from pathlib import Path
from typing import Any

import orjson
import pytest
from PIL import Image

import annoconv
from annoconv.errors import OptionError
from annoconv.ir import Box, Dataset, ImageRef, Item, Label, LabelSet
from annoconv.report import Code, Report
from annoconv_fastlabel.client import FastLabelClient
from annoconv_fastlabel.throttle import RetryPolicy
from annoconv_fastlabel.errors import (AuthenticationError, MissingClassesError, NotFoundError, SyncError)
from annoconv_fastlabel.sync import PUSH_FAILED, pull, push
from annoconv_fastlabel.testing import FakeFastLabel, ManualClock

TOKEN = "sync-token"

CLASSES: list[dict[str, Any]] = [
    {"id": "c-car", "type": "bbox", "value": "car", "title": "Car", "color": "#e41a1c",
     "attributes": [{"key": "occluded", "name": "Occluded", "type": "switch"},
                    {"key": "paint", "name": "Paint", "type": "text"}]},
    {"id": "c-sign", "type": "polygon", "value": "sign", "title": "Sign", "color": "#377eb8", "attributes": []},
    {"id": "c-road", "type": "segmentation", "value": "road", "title": "Road", "color": "#4daf4a",
     "attributes": [], "maxAreaCount": None},
    {"id": "c-lane", "type": "line", "value": "lane", "title": "Lane", "color": "#ffff33", "attributes": []},
    {"id": "c-nose", "type": "keypoint", "value": "nose", "title": "Nose", "color": "#984ea3", "attributes": []},
    {"id": "c-ball", "type": "circle", "value": "ball", "title": "Ball", "color": "#ff7f00", "attributes": []},
    {"id": "c-person", "type": "pose_estimation", "value": "person", "title": "Person", "color": "#10c414",
     "attributes": [], "keypoints": [
         {"id": "k-head", "name": "Head", "key": "head", "color": "#0033cc", "edges": ["k-lh", "k-rh"], "value": []},
         {"id": "k-lh", "name": "Left hand", "key": "left_hand", "color": "#0033cc", "edges": ["k-head"], "value": []},
         {"id": "k-rh", "name": "Right hand", "key": "right_hand", "color": "#0033cc", "edges": ["k-head"],
          "value": []}]},
    {"id": "c-weather", "type": "classification", "value": "weather", "title": "Weather", "color": "#999999",
     "attributes": [{"key": "sky", "name": "Sky", "type": "select"}]},
]


def _annotation(kind: str, value: str, title: str, color: str, **fields: Any) -> dict[str, Any]:
    out = {"type": kind, "value": value, "title": title, "color": color}
    out.update(fields)
    out.setdefault("attributes", [])
    return out


TASKS: list[dict[str, Any]] = [
    {"id": "task-1", "name": "scene_1.png", "width": 64, "height": 48, "status": "completed", "tags": ["batch-1"],
     "annotations": [
         _annotation("bbox", "car", "Car", "#e41a1c", points=[10, 12, 50, 40], rotation=15, confidenceScore=0.9,
                     attributes=[{"key": "occluded", "name": "Occluded", "type": "switch", "value": True},
                                 {"key": "paint", "name": "Paint", "type": "text", "value": "red"}]),
         _annotation("polygon", "sign", "Sign", "#377eb8", points=[40, 5, 60, 5, 50.5, 20.25], rotation=0),
         _annotation("segmentation", "road", "Road", "#4daf4a", rotation=0, points=[
             [[2, 30, 30, 30, 30, 46, 2, 46, 2, 30], [10, 34, 10, 40, 20, 40, 20, 34, 10, 34]],
             [[40, 30, 60, 30, 60, 45, 40, 45, 40, 30]]]),
         _annotation("line", "lane", "Lane", "#ffff33", points=[0, 47, 30, 25.5, 63, 20], rotation=0),
         _annotation("keypoint", "nose", "Nose", "#984ea3", points=[33.5, 21], rotation=0),
         _annotation("circle", "ball", "Ball", "#ff7f00", points=[20, 8, 5], rotation=0),
         _annotation("pose_estimation", "person", "Person", "#10c414", keypoints=[
             {"key": "head", "name": "Head", "value": [30, 10, 1], "edges": ["left_hand", "right_hand"]},
             {"key": "left_hand", "name": "Left hand", "value": [25, 20, 0], "edges": ["head"]},
             {"key": "right_hand", "name": "Right hand", "value": [], "edges": ["head"]}]),
         _annotation("classification", "weather", "Weather", "#999999",
                     attributes=[{"key": "sky", "name": "Sky", "type": "select", "value": "cloudy"}]),
     ]},
    {"id": "task-2", "name": "sub/scene_2.jpg", "width": 32, "height": 24, "status": "registered", "tags": [],
     "annotations": [
         _annotation("bbox", "car", "Car", "#e41a1c", points=[1.5, 2.25, 20.75, 12], rotation=0,
                     attributes=[{"key": "occluded", "name": "Occluded", "type": "switch", "value": False}]),
         _annotation("polygon", "sign", "Sign", "#377eb8", points=[20, 14, 30, 14, 30, 22, 20, 22], rotation=0)]},
    {"id": "task-3", "name": "empty.png", "width": 16, "height": 16, "status": "completed", "tags": ["batch-1"],
     "annotations": []},
]


def image_bytes(name: str, width: int, height: int) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (width, height, 7)).save(buffer, "JPEG" if name.endswith(".jpg") else "PNG")
    return buffer.getvalue()


IMAGES = {task["name"]: image_bytes(task["name"], task["width"], task["height"]) for task in TASKS}


def source_project() -> dict[str, Any]:
    return {"type": "image_all", "classes": copy.deepcopy(CLASSES), "tasks": copy.deepcopy(TASKS), "images": IMAGES}


@pytest.fixture
def server():
    with FakeFastLabel(token=TOKEN, projects={"src": source_project(), "dst": {}}) as fake:
        yield fake


@pytest.fixture
def client(server: FakeFastLabel) -> FastLabelClient:
    clock = ManualClock()
    return FastLabelClient(TOKEN, server.url, sleep=clock.sleep, clock=clock, timeout=(2.0, 5.0))


@pytest.fixture
def pulled(client: FastLabelClient, tmp_path: Path) -> tuple[Dataset, Path]:
    images = tmp_path / "images"
    return pull("src", client=client, images_dir=images), images


def comparable(task: dict[str, Any]) -> dict[str, Any]:
    """What a round trip must keep of a task: name, size, status, tags and every annotation field."""
    keep = ("name", "width", "height", "status", "tags", "annotations")
    return orjson.loads(orjson.dumps({key: task.get(key) for key in keep}))


def by_name(tasks: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {task["name"]: comparable(task) for task in tasks}


def writes(server: FakeFastLabel) -> list[str]:
    return [f"{r.method} {r.endpoint}" for r in server.requests if r.method != "GET"]


# --- pull ----------------------------------------------------------------------------------------

def test_pull_reads_every_task_and_downloads_the_images(server: FakeFastLabel, client: FastLabelClient,
                                                        tmp_path: Path) -> None:
    calls: list[tuple[str, int, int | None]] = []
    report = Report()
    dataset = pull("src", client=client, images_dir=tmp_path / "img", report=report,
                   progress=lambda phase, n, total: calls.append((phase, n, total)))
    assert [item.image.path for item in dataset.items] == ["scene_1.png", "sub/scene_2.jpg", "empty.png"]
    assert [len(item.annotations) for item in dataset.items] == [8, 2, 0]
    assert dataset.labels.names() == [c["value"] for c in CLASSES]
    assert dataset.labels["person"].keypoints == ("head", "left_hand", "right_hand")
    assert (tmp_path / "img" / "sub" / "scene_2.jpg").read_bytes() == IMAGES["sub/scene_2.jpg"]
    assert report.stats["images_downloaded"] == 3 and not report.by_code(Code.ITEM_SKIPPED)
    assert calls == [("fetch", 1, 3)] * 3 + [("download", 1, 3)] * 3


def test_pull_filters_by_status_and_tags(client: FastLabelClient) -> None:
    def names(**filters: Any) -> list[str]:
        return [item.image.path for item in pull("src", client=client, **filters).items]

    assert names(status="completed") == ["scene_1.png", "empty.png"]
    assert names(tags=["batch-1"], status="registered") == []
    assert names(tags=["nope", "batch-1"]) == ["scene_1.png", "empty.png"]


def test_pull_keeps_going_when_a_download_fails(server: FakeFastLabel, tmp_path: Path) -> None:
    clock = ManualClock()
    client = FastLabelClient(TOKEN, server.url, sleep=clock.sleep, clock=clock, retry=RetryPolicy(attempts=2))
    server.fail(503, path="storage/*", skip=1, times=2)  # the second image fails twice: given up
    report = Report()
    dataset = pull("src", client=client, images_dir=tmp_path / "img", report=report)
    assert len(dataset.items) == 3
    failed = report.by_code(Code.ITEM_SKIPPED)
    assert [(issue.item, issue.message) for issue in failed] == [("sub/scene_2.jpg", "image not downloaded")]
    assert "HTTP 503" in failed[0].detail["reason"]
    assert sorted(p.name for p in (tmp_path / "img").rglob("*.*")) == ["empty.png", "scene_1.png"]
    server.faults.clear()  # a re-run fetches only what is missing
    pull("src", client=client, images_dir=tmp_path / "img", report=(again := Report()))
    assert again.stats["images_downloaded"] == 1


def test_pull_refuses_task_names_escaping_the_images_folder(tmp_path: Path) -> None:
    evil = {"id": "x", "name": "../../evil.png", "width": 4, "height": 4, "annotations": []}
    projects = {"p": {"tasks": [evil], "images": {"../../evil.png": IMAGES["empty.png"]}}}
    with FakeFastLabel(token=TOKEN, projects=projects) as server:
        report = Report()
        pull("p", client=FastLabelClient(TOKEN, server.url), images_dir=tmp_path / "img", report=report)
    assert "not a relative path inside" in report.by_code(Code.ITEM_SKIPPED)[0].detail["reason"]
    assert not (tmp_path.parent / "evil.png").exists()


def test_pull_of_an_unknown_project_or_with_a_bad_token(server: FakeFastLabel, client: FastLabelClient) -> None:
    with pytest.raises(NotFoundError, match="no FastLabel project with slug 'nope'"):
        pull("nope", client=client)
    with pytest.raises(AuthenticationError):
        pull("src", client=FastLabelClient("wrong", server.url))


# --- round trip ----------------------------------------------------------------------------------

@pytest.mark.parametrize("via", ["annoconv", "fastlabel"])
def test_pull_convert_push_round_trip_keeps_every_annotation(server: FakeFastLabel, client: FastLabelClient,
                                                            pulled: tuple[Dataset, Path], tmp_path: Path,
                                                            via: str) -> None:
    dataset, images = pulled
    path = tmp_path / f"converted.{via}.json"
    report = annoconv.write(dataset, via, path)
    assert not report.has_warnings, report.summary()
    converted = annoconv.read(via, path)
    result = push(converted, "dst", images, client=client, create_missing_classes=True)
    assert result.ok and sorted(result.created) == sorted(IMAGES) and result.annotations == 10
    assert by_name(server.tasks("dst")) == by_name(TASKS)
    for name, data in IMAGES.items():
        assert server.image("dst", name) == data
    created = {c["value"]: c for c in server.classes("dst")}
    assert sorted(created) == sorted(c["value"] for c in CLASSES)
    assert [kp["key"] for kp in created["person"]["keypoints"]] == ["head", "left_hand", "right_hand"]
    assert {c["value"]: (c["type"], c["title"], c["color"]) for c in server.classes("dst")} == \
        {c["value"]: (c["type"], c["title"], c["color"]) for c in CLASSES}


def test_push_from_coco_creates_the_classes_it_needs(server: FakeFastLabel, client: FastLabelClient,
                                                    tmp_path: Path) -> None:
    (tmp_path / "a.png").write_bytes(image_bytes("a.png", 20, 10))
    dataset = Dataset(LabelSet([Label("cat", id=1)]), [
        Item("a.png", ImageRef("a.png", 20, 10), [Box((1, 2, 5, 6), label="cat", id=1)])])
    with pytest.raises(MissingClassesError, match="'cat'") as raised:
        push(dataset, "dst", tmp_path, client=client)
    assert raised.value.missing == ["cat"] and writes(server) == []
    result = push(dataset, "dst", tmp_path, client=client, create_missing_classes=True)
    assert result.classes_created == ["cat"] and result.created == ["a.png"]
    assert server.classes("dst")[0]["type"] == "bbox"
    assert server.tasks("dst")[0]["annotations"][0]["points"] == [1, 2, 5, 6]


# --- resumable, never duplicating ---------------------------------------------------------------

def _names(server: FakeFastLabel) -> list[str]:
    return sorted(task["name"] for task in server.tasks("dst"))


def test_push_stopped_by_its_progress_callback_resumes_without_duplicates(
        server: FakeFastLabel, client: FastLabelClient, pulled: tuple[Dataset, Path]) -> None:
    dataset, images = pulled

    def stop_after_two(phase: str, advance: int, total: int | None) -> None:
        if len(server.tasks("dst")) == 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        push(dataset, "dst", images, client=client, create_missing_classes=True, progress=stop_after_two)
    assert _names(server) == ["scene_1.png", "sub/scene_2.jpg"]
    result = push(dataset, "dst", images, client=client)
    assert result.created == ["empty.png"] and sorted(result.skipped) == ["scene_1.png", "sub/scene_2.jpg"]
    assert _names(server) == sorted(IMAGES)
    assert by_name(server.tasks("dst")) == by_name(TASKS)
    assert {r.method for r in server.requests} <= {"GET", "POST"}  # nothing deleted or overwritten


@pytest.mark.parametrize("fault", ["drop-before", "drop-after", "conflict", "500", "timeout"])
def test_push_with_an_injected_failure_reruns_to_one_task_per_item(
        server: FakeFastLabel, pulled: tuple[Dataset, Path], fault: str) -> None:
    dataset, images = pulled
    clock = ManualClock()
    client = FastLabelClient(TOKEN, server.url, sleep=clock.sleep, clock=clock, timeout=(2.0, 0.3))
    inject = {"drop-before": lambda: server.drop(method="POST", path="tasks/image", skip=1),
              "drop-after": lambda: server.drop(method="POST", path="tasks/image", skip=1, after=True),
              "conflict": lambda: server.conflict(skip=1),
              "500": lambda: server.fail(500, method="POST", path="tasks/image", skip=1),
              "timeout": lambda: server.delay(1.0, method="POST", path="tasks/image", skip=1, after=True)}
    inject[fault]()
    first = push(dataset, "dst", images, client=client, create_missing_classes=True)
    posts = [r for r in server.requests_to("POST", "tasks/image")]
    assert [r.json["name"] for r in posts] == ["scene_1.png", "sub/scene_2.jpg", "empty.png"]  # none repeated
    if fault in ("drop-after", "timeout"):  # the task was created; the lost answer is resolved by name
        assert first.ok and sorted(first.created) == sorted(IMAGES)
    else:
        assert list(first.failed) == ["sub/scene_2.jpg"] and sorted(first.created) == ["empty.png", "scene_1.png"]
    second = push(dataset, "dst", images, client=client)
    assert second.ok and sorted(second.created + second.skipped) == sorted(IMAGES)
    assert _names(server) == sorted(IMAGES)  # exactly one task per item
    assert by_name(server.tasks("dst")) == by_name(TASKS)
    assert {r.method for r in server.requests} <= {"GET", "POST"}


def test_a_failed_item_does_not_stop_the_others(server: FakeFastLabel, client: FastLabelClient,
                                                pulled: tuple[Dataset, Path]) -> None:
    dataset, images = pulled
    (images / "scene_1.png").unlink()
    report = Report()
    result = push(dataset, "dst", images, client=client, create_missing_classes=True, report=report)
    assert sorted(result.created) == ["empty.png", "sub/scene_2.jpg"]
    assert list(result.failed) == ["scene_1.png"] and "image file not found" in result.failed["scene_1.png"]
    assert [(i.item, i.message) for i in report.by_code(Code.ITEM_SKIPPED)] == [("scene_1.png", PUSH_FAILED)]
    assert "1 failed" in result.summary()


def test_fatal_errors_stop_the_push(server: FakeFastLabel, client: FastLabelClient,
                                    pulled: tuple[Dataset, Path]) -> None:
    dataset, images = pulled
    with pytest.raises(NotFoundError):
        push(dataset, "nope", images, client=client)
    server.fail(401, method="POST", path="tasks/image", skip=1)  # the token is revoked midway
    with pytest.raises(AuthenticationError):
        push(dataset, "dst", images, client=client, create_missing_classes=True)
    assert _names(server) == ["scene_1.png"]
    with pytest.raises(OptionError, match="on_existing"):
        push(dataset, "dst", images, client=client, on_existing="replace")


# --- on_existing and dry runs -------------------------------------------------------------------

def test_on_existing_fail_refuses_before_changing_anything(server: FakeFastLabel, client: FastLabelClient,
                                                           pulled: tuple[Dataset, Path]) -> None:
    dataset, images = pulled
    push(Dataset(dataset.labels, dataset.items[:1]), "dst", images, client=client, create_missing_classes=True)
    before = writes(server)
    with pytest.raises(SyncError, match="1 tasks exist already in project 'dst': 'scene_1.png'"):
        push(dataset, "dst", images, client=client, on_existing="fail")
    assert writes(server) == before


def test_on_existing_update_replaces_annotations_and_skip_keeps_them(
        server: FakeFastLabel, client: FastLabelClient, pulled: tuple[Dataset, Path]) -> None:
    dataset, images = pulled
    push(dataset, "dst", images, client=client, create_missing_classes=True)
    edited = copy.deepcopy(dataset)
    edited.items[0].annotations = edited.items[0].annotations[:1]   # keep only the car
    edited.items[1].annotations = []                               # clear scene_2
    skipped = push(edited, "dst", images, client=client)
    assert sorted(skipped.skipped) == sorted(IMAGES) and by_name(server.tasks("dst")) == by_name(TASKS)
    assert {r.method for r in server.requests} <= {"GET", "POST"}
    updated = push(edited, "dst", images, client=client, on_existing="update")
    assert sorted(updated.updated) == sorted(IMAGES)
    tasks = {task["name"]: task for task in server.tasks("dst")}
    assert [a["value"] for a in tasks["scene_1.png"]["annotations"]] == ["car"]
    assert tasks["sub/scene_2.jpg"]["annotations"] == []
    deleted = [r.endpoint for r in server.requests_to("DELETE")]  # the items without annotations
    assert deleted == [f"tasks/{tasks[name]['id']}/task-annotations" for name in ("sub/scene_2.jpg", "empty.png")]
    assert len(server.tasks("dst")) == 3


def test_dry_run_changes_nothing_and_says_what_it_would_do(server: FakeFastLabel, client: FastLabelClient,
                                                           pulled: tuple[Dataset, Path], tmp_path: Path) -> None:
    dataset, images = pulled
    annoconv.write(dataset, "annoconv", tmp_path / "before.json")
    result = push(dataset, "dst", images, client=client, create_missing_classes=True, dry_run=True)
    assert result.dry_run and sorted(result.created) == sorted(IMAGES)
    assert result.classes_created == [c["value"] for c in CLASSES]
    assert writes(server) == [] and server.tasks("dst") == []
    assert "would be created" in result.summary()
    annoconv.write(dataset, "annoconv", tmp_path / "after.json")
    assert (tmp_path / "before.json").read_bytes() == (tmp_path / "after.json").read_bytes()  # not modified


def test_items_sharing_a_task_name_fail_the_later_one(server: FakeFastLabel, client: FastLabelClient,
                                                      tmp_path: Path) -> None:
    (tmp_path / "a.png").write_bytes(image_bytes("a.png", 20, 10))
    items = [Item(f"a{i}", ImageRef("a.png", 20, 10), [Box((1, 2, 5, 6), label="car")]) for i in range(2)]
    server.add_project("p", classes=[CLASSES[0]])
    result = push(Dataset(LabelSet([Label("car")]), items), "p", tmp_path, client=client)
    assert result.created == ["a.png"] and "same task name" in result.failed["a1"]


def test_missing_image_folder_is_reported_per_item(server: FakeFastLabel, client: FastLabelClient,
                                                   pulled: tuple[Dataset, Path], tmp_path: Path) -> None:
    dataset, _ = pulled
    result = push(dataset, "dst", tmp_path / "nowhere", client=client, create_missing_classes=True)
    assert sorted(result.failed) == sorted(IMAGES) and not result.created
    assert all("image file not found" in why for why in result.failed.values())


def test_push_writes_polygons_as_the_projects_segmentation_class(server: FakeFastLabel, client: FastLabelClient,
                                                                 tmp_path: Path) -> None:
    from annoconv.ir import Polygon
    (tmp_path / "a.png").write_bytes(image_bytes("a.png", 20, 10))
    road = Polygon.from_rings([[1, 1], [9, 1], [9, 8], [1, 8]], label="road")
    dataset = Dataset(LabelSet([Label("road", id=3)]), [Item("a.png", ImageRef("a.png", 20, 10), [road])])
    server.add_project("seg", classes=[c for c in CLASSES if c["value"] == "road"])
    assert push(dataset, "seg", tmp_path, client=client).created == ["a.png"]
    annotation = server.tasks("seg")[0]["annotations"][0]
    assert annotation["type"] == "segmentation" and annotation["points"] == [[[1, 1, 9, 1, 9, 8, 1, 8, 1, 1]]]
    assert dataset.labels["road"].extras == {}  # the caller's labels are not changed

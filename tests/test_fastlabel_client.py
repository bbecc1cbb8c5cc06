"""FastLabel client against the loopback fake server: success/error semantics, retries and backoff,
the rate limiter, paging under injected faults (no request lost, no POST repeated), upload checks,
and the token kept secret. Time is a ManualClock wherever the client would wait."""

from __future__ import annotations

import copy
import io
import json
import logging
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from annoconv.errors import AnnoconvError, InputPathError
from annoconv_fastlabel.client import FastLabelClient
from annoconv_fastlabel.throttle import RateLimiter, RetryPolicy
from annoconv_fastlabel.uploads import annotation_for_upload
from annoconv_fastlabel.errors import (APIConnectionError, APIError, APITimeoutError, AuthenticationError,
                                       ConfigurationError, ConflictError, NotFoundError, PermissionDeniedError,
                                       RateLimitError, ServerError, UnexpectedResponseError, ValidationError)
from annoconv_fastlabel.testing import FakeFastLabel, ManualClock
from conftest import REPO

TOKEN = "s3cret-token-value"
GOLDEN = REPO.parent / "shared" / "fastlabel" / "sdk-golden"
CLASSES = [{"type": "bbox", "value": "car", "title": "Car", "color": "#e41a1c",
            "attributes": [{"key": "paint", "name": "Paint", "type": "text"}]},
           {"type": "segmentation", "value": "road", "title": "Road", "color": "#4daf4a"}]


def png(width: int = 40, height: int = 30) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (10, 20, 30)).save(buffer, "PNG")
    return buffer.getvalue()


def seeded_tasks(count: int) -> list[dict[str, Any]]:
    return [{"id": f"t{i:05d}", "name": f"img/{i:05d}.png", "width": 40, "height": 30,
             "tags": ["even"] if i % 2 == 0 else [], "annotations": []} for i in range(count)]


@pytest.fixture
def server():
    with FakeFastLabel(token=TOKEN, projects={"demo": {"classes": CLASSES}}) as fake:
        yield fake


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


def client_for(server: FakeFastLabel, clock: ManualClock, **kwargs: Any) -> FastLabelClient:
    kwargs.setdefault("timeout", 5.0)
    return FastLabelClient(TOKEN, server.url, sleep=clock.sleep, clock=clock, random=lambda: 0.5, **kwargs)


@pytest.fixture
def image(tmp_path: Path) -> Path:
    path = tmp_path / "a.png"
    path.write_bytes(png())
    return path


# --- configuration and secrecy ---------------------------------------------------------------

def test_token_and_url_come_from_the_environment(server: FakeFastLabel, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FASTLABEL_ACCESS_TOKEN", TOKEN)
    monkeypatch.setenv("FASTLABEL_API_URL", server.url.rstrip("/"))  # the missing "/" is added
    client = FastLabelClient()
    assert client.base_url == server.url
    assert client.find_project("demo")["slug"] == "demo"
    monkeypatch.delenv("FASTLABEL_ACCESS_TOKEN")
    with pytest.raises(ConfigurationError, match="FASTLABEL_ACCESS_TOKEN"):
        FastLabelClient()


def test_token_is_never_shown(server: FakeFastLabel, clock: ManualClock, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    client = client_for(server, clock)
    server.fail(500, times=None)
    with pytest.raises(ServerError) as raised:
        client.count_tasks("demo")
    shown = [repr(client), str(client.__dict__), str(raised.value), repr(raised.value), caplog.text]
    assert not [text for text in shown if TOKEN in text]
    assert server.requests[0].headers["Authorization"] == f"Bearer {TOKEN}"


def test_a_bad_url_is_refused() -> None:
    with pytest.raises(ConfigurationError, match="http"):
        FastLabelClient(TOKEN, "ftp://example.invalid/v1/")


# --- success and error semantics -------------------------------------------------------------

def test_error_statuses_map_to_typed_errors(server: FakeFastLabel, clock: ManualClock) -> None:
    client = client_for(server, clock, retry=RetryPolicy(attempts=1))
    with pytest.raises(AuthenticationError) as raised:
        FastLabelClient("wrong", server.url).count_tasks("demo")
    assert raised.value.status == 401 and raised.value.api_message == "Unauthorized"
    assert raised.value.body == {"statusCode": 401, "message": "Unauthorized"}
    assert "GET tasks/count" in str(raised.value) and "HTTP 401" in str(raised.value)
    with pytest.raises(NotFoundError, match="Task not found"):
        client.find_task("nope")
    server.fail(403)
    with pytest.raises(PermissionDeniedError):
        client.count_tasks("demo")
    with pytest.raises(ValidationError, match="Limit must be less than or equal to 1000") as raised_422:
        client.get("tasks/image", {"project": "demo", "limit": 1001})
    assert raised_422.value.status == 422
    assert isinstance(raised_422.value, ValueError) and isinstance(raised_422.value, AnnoconvError)


def test_error_bodies_without_message_do_not_crash(server: FakeFastLabel, clock: ManualClock) -> None:
    client = client_for(server, clock, retry=RetryPolicy(attempts=1))
    server.fail(400, body={"error": "bad thing"})  # the SDK raises a bare KeyError here
    with pytest.raises(APIError, match='bad thing') as raised:
        client.count_tasks("demo")
    assert raised.value.status == 400 and raised.value.body == {"error": "bad thing"}
    server.fail(502, body=b"<html>Bad Gateway</html>")
    with pytest.raises(ServerError, match="<html>Bad Gateway</html>") as raised_502:
        client.count_tasks("demo")
    assert raised_502.value.body == "<html>Bad Gateway</html>"


def test_201_is_an_error_as_in_the_sdk(server: FakeFastLabel, clock: ManualClock, image: Path) -> None:
    server.fail(201, method="POST")
    with pytest.raises(UnexpectedResponseError, match="HTTP 201"):
        client_for(server, clock).create_image_task("demo", "a.png", image)


def test_delete_answers_204_and_put_returns_the_id(server: FakeFastLabel, clock: ManualClock, image: Path) -> None:
    client = client_for(server, clock)
    task_id = client.create_image_task("demo", "a.png", image, annotations=[
        {"type": "bbox", "value": "car", "points": [1, 2, 3, 4]}])
    assert client.update_image_task(task_id, status="completed") == task_id
    assert client.delete_task_annotations(task_id) is None
    assert client.find_task(task_id)["annotations"] == [] and client.find_task(task_id)["status"] == "completed"
    assert client.delete_task(task_id) is None
    assert [r.status for r in server.requests_to("DELETE")] == [204, 204]
    assert client.task_id_name_map("demo") == {}


def test_upload_body_is_the_sdks_and_inputs_are_not_mutated(server: FakeFastLabel, clock: ManualClock,
                                                            image: Path) -> None:
    annotations = [{"type": "bbox", "value": "car", "title": "Car", "color": "#e41a1c", "points": [10, 12, 50, 40],
                    "rotation": 0, "confidenceScore": 0.87,
                    "attributes": [{"key": "paint", "name": "Paint", "type": "text", "value": "red"}],
                    "keypoints": []}]
    before = copy.deepcopy(annotations)
    client = client_for(server, clock)
    task_id = client.create_image_task("demo", "sub/a.png", image, annotations=annotations, tags=["t1"], priority=0)
    assert annotations == before
    body = server.requests_to("POST", "tasks/image")[0].json
    assert list(body) == ["project", "name", "file", "priority", "annotations", "tags"]
    assert body["annotations"] == [{"type": "bbox", "value": "car", "points": [10, 12, 50, 40], "rotation": 0,
                                    "confidenceScore": 0.87, "attributes": [{"key": "paint", "value": "red"}],
                                    "keypoints": [], "content": "sub/a.png"}]
    task = client.find_task(task_id)
    assert (task["width"], task["height"]) == (40, 30)
    assert task["annotations"][0]["attributes"] == [{"key": "paint", "name": "Paint", "type": "text", "value": "red"}]


def test_upload_body_matches_the_sdk_golden_request() -> None:
    path = GOLDEN / "api_requests.json"
    if not path.is_file():
        pytest.skip(f"SDK golden requests not found at {path}")
    sdk = next(r for r in json.loads(path.read_text()) if r["method"] == "POST" and r["path"] == "/v1/tasks/image")
    tasks = json.loads((GOLDEN / "input_tasks.json").read_text())
    # The SDK was given task-a's first bbox and pose annotation (as task objects carry them).
    given = [tasks[0]["annotations"][0], tasks[0]["annotations"][-1]]
    assert [annotation_for_upload(a, "scene_a.jpg") for a in given] == sdk["json"]["annotations"]


# --- retries, backoff and the limiter ----------------------------------------------------------

def test_idempotent_requests_retry_with_backoff(server: FakeFastLabel, clock: ManualClock) -> None:
    client = client_for(server, clock)
    server.fail(503, method="GET", times=2)
    server.fail(500, method="GET", times=1)
    assert client.count_tasks("demo") == 0
    assert len(server.requests) == 4
    assert clock.sleeps == [0.375, 0.75, 1.5]  # 0.5 * 2**n, times the jitter factor 0.5 + 0.5 * 0.5
    assert client.stats == {"requests": 4, "retries": 3}


def test_retry_after_is_honoured_for_every_following_request(server: FakeFastLabel, clock: ManualClock) -> None:
    client = client_for(server, clock)
    server.fail(429, method="GET", retry_after=7)
    assert client.count_tasks("demo") == 0
    assert clock.sleeps == [7.0]
    server.fail(429, method="POST", retry_after=3)
    with pytest.raises(RateLimitError) as raised:
        client.create_annotation_class("demo", {"type": "bbox", "value": "bus"})
    assert raised.value.retry_after == 3.0 and raised.value.status == 429
    assert len(server.requests_to("POST")) == 1  # never repeated
    client.count_tasks("demo")  # waits out the POST's Retry-After before sending
    assert clock.sleeps == [7.0, 3.0]


def test_giving_up_says_how_many_attempts(server: FakeFastLabel, clock: ManualClock) -> None:
    client = client_for(server, clock, retry=RetryPolicy(attempts=4))
    server.fail(502, times=None)
    with pytest.raises(ServerError, match="gave up after 4 attempts"):
        client.count_tasks("demo")
    assert len(server.requests) == 4
    server.faults.clear()
    server.fail(429, retry_after=3600)  # longer than the policy waits: raised at once
    with pytest.raises(RateLimitError):
        client.count_tasks("demo")
    assert len(server.requests) == 5


def test_posts_are_never_repeated(server: FakeFastLabel, clock: ManualClock, image: Path) -> None:
    client = client_for(server, clock)
    server.fail(503, method="POST")
    with pytest.raises(ServerError):
        client.create_image_task("demo", "a.png", image)
    server.drop(method="POST", after=True)  # created, but the answer is lost
    with pytest.raises(APIConnectionError):
        client.create_image_task("demo", "a.png", image)
    assert len(server.requests_to("POST")) == 2 and clock.sleeps == []
    assert client.find_task_by_name("demo", "a.png") is not None  # how a caller learns the outcome
    with pytest.raises(ConflictError):
        client.create_image_task("demo", "a.png", image)


def test_dropped_connections_and_timeouts_are_retried_for_gets(server: FakeFastLabel, clock: ManualClock) -> None:
    client = client_for(server, clock, timeout=(2.0, 0.3))
    server.drop(method="GET")
    server.delay(1.5, method="GET")  # beyond the read timeout
    assert client.count_tasks("demo") == 0
    assert client.stats["retries"] == 2 and len(server.requests) == 3
    server.delay(1.5, method="GET", times=2)
    with pytest.raises(APITimeoutError, match=r"no response from 127.0.0.1:\d+ within 0.3 s \(gave up after 2"):
        client_for(server, clock, timeout=(2.0, 0.3), retry=RetryPolicy(attempts=2)).count_tasks("demo")


def test_rate_limiter_keeps_every_window_within_the_limit() -> None:
    clock = ManualClock(start=0.0)
    limiter = RateLimiter(limit=3, period=10.0, clock=clock, sleep=clock.sleep)
    sent = []
    for _ in range(10):
        limiter.acquire()
        sent.append(clock())
    assert all(sum(1 for t in sent if start <= t < start + 10.0) <= 3 for start in sent)
    assert sent == [0, 0, 0, 10, 10, 10, 20, 20, 20, 30]
    limiter.pause(4.0)
    assert limiter.acquire() == 4.0


def test_default_limiter_is_ten_thousand_per_ten_minutes(server: FakeFastLabel, clock: ManualClock) -> None:
    client = client_for(server, clock)
    assert (client.limiter.limit, client.limiter.period) == (10_000, 600.0)


def test_client_limiter_avoids_server_429s(clock: ManualClock) -> None:
    with FakeFastLabel(token=TOKEN, projects={"demo": {}}, rate_limit=(4, 0.4)) as server:
        real = FastLabelClient(TOKEN, server.url, limiter=RateLimiter(4, 0.45))
        for _ in range(10):
            real.count_tasks("demo")
        assert [r.status for r in server.requests] == [200] * 10
        unlimited = client_for(server, clock, limiter=RateLimiter(10**6, 1.0), retry=RetryPolicy(attempts=1))
        with pytest.raises(RateLimitError) as raised:
            for _ in range(10):
                unlimited.count_tasks("demo")
        assert raised.value.retry_after == 1.0  # the fake's real Retry-After


# --- paging --------------------------------------------------------------------------------------

def test_paging_under_faults_loses_nothing(clock: ManualClock) -> None:
    tasks = seeded_tasks(2345)
    with FakeFastLabel(token=TOKEN, projects={"big": {"tasks": tasks}}) as server:
        client = client_for(server, clock)
        server.fail(503, method="GET", path="tasks/image", skip=1)   # the second page, once
        server.drop(method="GET", path="tasks/image", skip=2)        # then a dropped connection
        server.fail(429, method="GET", path="tasks/image", skip=3, retry_after=2)
        got = [task["id"] for task in client.iter_tasks("big")]
        assert got == [task["id"] for task in tasks]
        pages = [r.raw_query for r in server.requests_to("GET", "tasks/image") if r.status == 200]
        assert pages == ["project=big&limit=1000", "project=big&offset=1000&limit=1000",
                         "project=big&offset=2000&limit=1000", "project=big&offset=2345&limit=1000"]
        assert client.task_id_name_map("big") == {t["id"]: t["name"] for t in tasks}
        even = list(client.iter_tasks("big", tags=["even"], page_size=500))
        assert len(even) == 1173 == client.count_tasks("big", tags=["even"])
        assert server.requests_to("GET", "tasks/count")[-1].raw_query == "project=big&tags=even"


def test_class_iterator_reads_past_the_sdks_default_of_ten(clock: ManualClock) -> None:
    classes = [{"type": "bbox", "value": f"c{i:02d}"} for i in range(25)]
    with FakeFastLabel(token=TOKEN, projects={"p": {"classes": classes}}) as server:
        client = client_for(server, clock)
        assert [c["value"] for c in client.iter_annotation_classes("p", page_size=10)] == [c["value"] for c in classes]
        assert len(server.requests_to("GET", "annotations")) == 4
        with pytest.raises(ValidationError, match="page size"):
            list(client.iter_annotation_classes("p", page_size=1001))


# --- uploads and downloads ---------------------------------------------------------------------

def test_uploads_are_checked_before_sending(server: FakeFastLabel, clock: ManualClock, tmp_path: Path) -> None:
    client = client_for(server, clock)
    bmp = tmp_path / "a.bmp"
    Image.new("RGB", (4, 4)).save(bmp)
    with pytest.raises(ValidationError, match="png, jpg and jpeg"):
        client.create_image_task("demo", "a.bmp", bmp)
    big = tmp_path / "big.PNG"
    with big.open("wb") as handle:
        handle.truncate(20 * 1024 * 1024 + 1)
    with pytest.raises(ValidationError, match="at most 20 MB"):
        client.create_image_task("demo", "big.png", big)
    with pytest.raises(InputPathError, match="not found"):
        client.create_image_task("demo", "gone.jpg", tmp_path / "gone.jpg")
    assert server.requests == []


def test_the_fake_enforces_the_20_mb_rule_itself(server: FakeFastLabel, clock: ManualClock) -> None:
    import base64
    client = client_for(server, clock)
    too_big = base64.b64encode(png() + b"\0" * (20 * 1024 * 1024)).decode()
    with pytest.raises(ValidationError, match="under 20 MB"):
        client.post("tasks/image", {"project": "demo", "name": "x.png", "file": too_big})
    with pytest.raises(ValidationError, match="png, jpg, jpeg"):
        client.post("tasks/image", {"project": "demo", "name": "x.png", "file": base64.b64encode(b"GIF89a").decode()})


def test_download_sends_no_token(server: FakeFastLabel, clock: ManualClock, image: Path, tmp_path: Path) -> None:
    client = client_for(server, clock)
    task_id = client.create_image_task("demo", "sub/a.png", image)
    server.fail(503, path="storage/*")
    size = client.download(client.find_task(task_id)["url"], tmp_path / "out" / "a.png")
    assert (tmp_path / "out" / "a.png").read_bytes() == image.read_bytes() and size == image.stat().st_size
    storage = [r for r in server.requests if r.path.startswith("/storage/")]
    assert len(storage) == 2 and all("Authorization" not in r.headers for r in storage)
    assert not list((tmp_path / "out").glob(".*partial"))


# --- the fake server itself ----------------------------------------------------------------------

def test_fake_server_answers_as_the_api_does(server: FakeFastLabel, image: Path) -> None:
    import base64

    import requests
    auth = {"Authorization": f"Bearer {TOKEN}"}
    answer = requests.get(server.url + "tasks/count", params={"project": "demo"}, timeout=5)
    assert (answer.status_code, answer.json()) == (401, {"statusCode": 401, "message": "Unauthorized"})
    answer = requests.get(server.url + "nope", headers=auth, timeout=5)
    assert answer.status_code == 404 and answer.json()["message"] == "Cannot GET /v1/nope"
    answer = requests.post(server.url + "annotations", headers=auth, timeout=5,
                           json={"project": "demo", "type": "bbox", "value": "car", "title": "Car"})
    assert answer.status_code == 409
    for value, count in (("pond", 1), ("lake", None)):  # maxAreaCount: the API's default is 1; None = any
        body = {"project": "demo", "type": "segmentation", "value": value, "title": value}
        assert requests.post(server.url + "annotations", headers=auth, timeout=5,
                             json=body if count == 1 else {**body, "maxAreaCount": None}).status_code == 200
    two_regions = [[[0, 0, 4, 0, 4, 4, 0, 0]], [[5, 5, 9, 5, 9, 9, 5, 5]]]
    file = base64.b64encode(image.read_bytes()).decode()
    for value, status in (("pond", 422), ("lake", 200), ("unknown", 422)):
        task = {"project": "demo", "name": f"{value}.png", "file": file,
                "annotations": [{"type": "segmentation", "value": value, "points": two_regions}]}
        answer = requests.post(server.url + "tasks/image", headers=auth, json=task, timeout=5)
        assert answer.status_code == status, answer.text
    task_id = server.tasks("demo")[0]["id"]  # lake.png, the only one created
    answer = requests.put(server.url + f"tasks/image/{task_id}", headers=auth, json={"annotations": 5}, timeout=5)
    assert answer.status_code == 400 and "Malformed request" in answer.json()["message"]
    seeded = server.tasks("demo")
    seeded[0]["name"] = "changed"
    assert server.tasks("demo")[0]["name"] == "lake.png"  # inspection returns copies

"""A stateful fake FastLabel API server for tests (yours and annoconv's): real HTTP on loopback.

    from annoconv_fastlabel.testing import FakeFastLabel

    with FakeFastLabel(token="t", projects={"demo": {"classes": [...], "tasks": [...]}}) as server:
        client = FastLabelClient("t", server.url)        # or FASTLABEL_API_URL=server.url (SDK too)
        server.fail(503, method="GET", path="tasks/image", times=2)   # fault injection
        ...
        assert len(server.tasks("demo")) == 3
        assert [r.method for r in server.requests] == [...]

It runs a ``ThreadingHTTPServer`` in a thread on 127.0.0.1 (random port) and implements the
endpoints of shared/fastlabel/API.md §4.5 with the SDK's success/error semantics: 200 with a JSON
body (204 for DELETE), errors as ``{"statusCode": N, "message": ...}``, bearer auth (401), limit
<= 1000 (422), offset/limit pages, base64 uploads decoded to learn the image size (png/jpeg only,
<= 20 MB, else 422). Task images are served unauthenticated at the task's ``url`` (``/storage/...``).

Assumptions where the API is not documented (kept in one place here): task names are unique in a
project (a second POST of a name answers 409); annotation values must be classes of the project
(422) and a segmentation may have at most ``maxAreaCount`` regions (default 1, ``null`` = any; the
SDK documents that default); the ``tags`` filter matches tasks having any of the tags; image sizes
are as displayed (EXIF orientation applied, as annoconv reads them).

Faults (each matched by method and an ``fnmatch`` pattern on the path after ``/v1/``; ``skip``
lets that many matching requests through first; ``times=None`` means forever):
:meth:`fail` (any status, ``Retry-After``), :meth:`conflict` (409), :meth:`delay` (a slow
response), :meth:`drop` (close the connection without answering, before or after the request took
effect). ``rate_limit=(n, seconds)`` enforces a real sliding-window limit with 429 + Retry-After.
"""

from __future__ import annotations

import base64
import binascii
import copy
import fnmatch
import io
import itertools
import math
import socket
import threading
import time
import uuid
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, quote, unquote, urlsplit

import orjson
from PIL import Image, UnidentifiedImageError

MAX_UPLOAD_BYTES = 20 * 1024 * 1024
_TRANSPOSED = {5, 6, 7, 8}  # EXIF orientations that swap width and height
ANNOTATION_TYPES = {"bbox", "polygon", "keypoint", "line", "circle", "segmentation", "classification",
                    "pose_estimation"}


class ManualClock:
    """A clock that moves only when slept on: pass ``clock`` as the clock and ``clock.sleep`` as sleep.
    ``sleeps`` records every wait, so tests of backoff and limiting take no real time."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += max(0.0, seconds)


@dataclass
class RecordedRequest:
    """One request as the server saw it; ``status`` is None when the connection was dropped."""

    method: str
    path: str                      # e.g. "/v1/tasks/image"
    query: dict[str, list[str]]
    raw_query: str
    headers: dict[str, str]
    json: Any
    status: int | None = None

    @property
    def endpoint(self) -> str:
        """The path after ``/v1/`` (``tasks/image``)."""
        return self.path[4:] if self.path.startswith("/v1/") else self.path.lstrip("/")


@dataclass
class Fault:
    kind: str                      # "status" | "delay" | "drop"
    method: str | None = None
    path: str | None = None
    times: int | None = 1
    skip: int = 0
    status: int = 500
    message: str = "Internal Server Error"
    retry_after: float | None = None
    seconds: float = 0.0
    after: bool = False            # drop/delay: the request takes effect first (only the answer is lost/late)
    body: Any = None               # status: a body other than {"statusCode", "message"}
    fired: int = 0

    def matches(self, method: str, endpoint: str) -> bool:
        return ((self.method is None or self.method == method)
                and (self.path is None or fnmatch.fnmatchcase(endpoint, self.path)))


class _Reply(Exception):
    """An error answer: raised inside an endpoint, turned into ``{"statusCode", "message"}``."""

    def __init__(self, status: int, message: str, headers: Mapping[str, str] | None = None,
                 body: Any = None) -> None:
        super().__init__(message)
        self.status, self.message, self.headers, self.body = status, message, dict(headers or {}), body

    def payload(self) -> tuple[bytes, str]:
        """The body: the standard error object, or the fault's own (bytes as text/html, else JSON)."""
        if self.body is None:
            return orjson.dumps({"statusCode": self.status, "message": self.message}), "application/json"
        if isinstance(self.body, bytes):
            return self.body, "text/html"
        return orjson.dumps(self.body), "application/json"


@dataclass
class _Project:
    slug: str
    info: dict[str, Any]
    classes: list[dict[str, Any]] = field(default_factory=list)
    tasks: dict[str, dict[str, Any]] = field(default_factory=dict)   # id -> task, in creation order
    images: dict[str, bytes] = field(default_factory=dict)          # task id -> file bytes


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class FakeFastLabel:
    """The fake server; a context manager (see the module docstring). ``projects`` maps a slug to
    ``{"type", "name", "classes": [class], "tasks": [task], "images": {task name: bytes}}``."""

    def __init__(self, token: str = "test-token", projects: Mapping[str, Mapping[str, Any]] | None = None, *,
                 rate_limit: tuple[int, float] | None = None, unique_task_names: bool = True,
                 strict_classes: bool = True) -> None:
        self.token = token
        self.rate_limit = rate_limit
        self.unique_task_names = unique_task_names
        self.strict_classes = strict_classes
        self.requests: list[RecordedRequest] = []
        self.faults: list[Fault] = []
        self._projects: dict[str, _Project] = {}
        self._lock = threading.RLock()
        self._stopping = threading.Event()
        self._served: deque[float] = deque()
        self._ids = itertools.count(1)  # ids are uuids in sequence: two servers seeded alike agree
        # Bound now (the port is known to seeded task urls), served from start() on.
        self._httpd: ThreadingHTTPServer | None = ThreadingHTTPServer(("127.0.0.1", 0),
                                                                      type("Handler", (_Handler,), {"fake": self}))
        self._httpd.daemon_threads = True
        host, port = self._httpd.server_address[:2]
        self.origin = f"http://{host}:{port}"
        self._thread: threading.Thread | None = None
        for slug, spec in (projects or {}).items():
            self.add_project(slug, **spec)

    # --- lifecycle ------------------------------------------------------------------------
    def start(self) -> "FakeFastLabel":
        if self._httpd is None or self._thread is not None:
            raise RuntimeError("FakeFastLabel: start() once per server")
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="FakeFastLabel", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()  # wakes slow responses
        if self._httpd is not None:
            if self._thread is not None:
                self._httpd.shutdown()
                self._thread.join(timeout=5)
            self._httpd.server_close()
            self._httpd = None

    def __enter__(self) -> "FakeFastLabel":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        """The base URL to give the client or the SDK (``FASTLABEL_API_URL``), ending in ``/v1/``."""
        return self.origin + "/v1/"

    def env(self) -> dict[str, str]:
        return {"FASTLABEL_API_URL": self.url, "FASTLABEL_ACCESS_TOKEN": self.token}

    # --- seeding and inspection --------------------------------------------------------------
    def add_project(self, slug: str, *, type: str = "image_all", name: str | None = None,
                    classes: Iterable[Mapping[str, Any]] = (), tasks: Iterable[Mapping[str, Any]] = (),
                    images: Mapping[str, bytes] | None = None) -> dict[str, Any]:
        with self._lock:
            info = {"id": self._new_id(), "type": type, "slug": slug, "name": name or slug, "isPixel": False,
                    "jobSize": 10, "status": "active", "createdAt": _now(), "updatedAt": _now()}
            project = self._projects[slug] = _Project(slug, info)
            for cls in classes:  # seeded as they are: a segmentation class without maxAreaCount is unlimited
                cls = {"maxAreaCount": None, **copy.deepcopy(dict(cls))}
                project.classes.append(self._new_class(project, cls, keep_id=True))
            for task in tasks:
                task = copy.deepcopy(dict(task))
                task.setdefault("id", self._new_id())
                image = (images or {}).get(task.get("name", ""))
                if image is not None:
                    project.images[task["id"]] = image
                    task["url"] = self._storage_url(task)
                project.tasks[task["id"]] = {**self._task_defaults(), **task}
            return copy.deepcopy(info)

    def tasks(self, project: str) -> list[dict[str, Any]]:
        """Copies of the project's tasks, in creation order."""
        with self._lock:
            return copy.deepcopy(list(self._projects[project].tasks.values()))

    def classes(self, project: str) -> list[dict[str, Any]]:
        with self._lock:
            return copy.deepcopy(self._projects[project].classes)

    def image(self, project: str, task_name: str) -> bytes | None:
        with self._lock:
            p = self._projects[project]
            return next((p.images.get(t["id"]) for t in p.tasks.values() if t["name"] == task_name), None)

    def requests_to(self, method: str | None = None, path: str | None = None) -> list[RecordedRequest]:
        """Recorded requests by method and ``fnmatch`` pattern on the endpoint (``tasks/image*``)."""
        with self._lock:
            return [r for r in self.requests if (method is None or r.method == method)
                    and (path is None or fnmatch.fnmatchcase(r.endpoint, path))]

    # --- fault injection -----------------------------------------------------------------
    def _inject(self, fault: Fault) -> Fault:
        with self._lock:
            self.faults.append(fault)
        return fault

    def fail(self, status: int, *, method: str | None = None, path: str | None = None, times: int | None = 1,
             skip: int = 0, message: str | None = None, retry_after: float | None = None,
             body: Any = None) -> Fault:
        """Answer matching requests with ``status`` without processing them: the body is
        ``{"statusCode", "message"}`` unless ``body`` is given (bytes: sent as text/html; else JSON).
        ``retry_after`` (seconds) adds a ``Retry-After`` header."""
        text = message or HTTPStatus(status).phrase
        return self._inject(Fault("status", method, path, times, skip, status, text, retry_after, body=body))

    def conflict(self, *, method: str | None = "POST", path: str | None = "tasks/image", times: int | None = 1,
                 skip: int = 0) -> Fault:
        """A duplicate-name 409 (the object is not created)."""
        return self.fail(409, method=method, path=path, times=times, skip=skip,
                         message="The name is already used in this project.")

    def delay(self, seconds: float, *, method: str | None = None, path: str | None = None,
              times: int | None = 1, skip: int = 0, after: bool = False) -> Fault:
        """Answer matching requests only after ``seconds``: the request takes effect after the
        wait, or with ``after`` at once (only the answer is late)."""
        return self._inject(Fault("delay", method, path, times, skip, seconds=seconds, after=after))

    def drop(self, *, method: str | None = None, path: str | None = None, times: int | None = 1, skip: int = 0,
             after: bool = False) -> Fault:
        """Close the connection without an answer; with ``after`` the request takes effect first."""
        return self._inject(Fault("drop", method, path, times, skip, after=after))

    def _take_fault(self, method: str, endpoint: str) -> Fault | None:
        with self._lock:
            for fault in self.faults:
                if fault.matches(method, endpoint) and (fault.times is None or fault.fired < fault.times):
                    if fault.skip > 0:
                        fault.skip -= 1
                        continue
                    fault.fired += 1
                    return fault
        return None

    # --- request handling ----------------------------------------------------------------
    def _serve(self, handler: "_Handler") -> None:
        parts = urlsplit(handler.path)
        path, method = unquote(parts.path), handler.command
        length = int(handler.headers.get("Content-Length") or 0)
        raw = handler.rfile.read(length) if length else b""
        try:
            body = orjson.loads(raw) if raw else None
        except orjson.JSONDecodeError:
            body = _Reply(400, "Request body is not valid JSON.")
        record = RecordedRequest(method, path, parse_qs(parts.query, keep_blank_values=True), parts.query,
                                 dict(handler.headers.items()), None if isinstance(body, _Reply) else body)
        with self._lock:
            self.requests.append(record)
        fault = self._take_fault(method, record.endpoint)
        if fault is not None and fault.kind == "delay" and not fault.after:
            self._stopping.wait(fault.seconds)
        if fault is not None and fault.kind == "drop" and not fault.after:
            handler.close_connection = True
            return
        headers: dict[str, str] = {}
        try:
            if fault is not None and fault.kind == "status":
                if fault.retry_after is not None:
                    headers["Retry-After"] = f"{fault.retry_after:g}"
                raise _Reply(fault.status, fault.message, headers, fault.body)
            if isinstance(body, _Reply):
                raise body
            try:
                status, payload, content_type = self._dispatch(method, path, record, body)
            except (TypeError, ValueError, KeyError, AttributeError) as exc:  # a body of the wrong shape
                raise _Reply(400, f"Malformed request: {type(exc).__name__}: {exc}") from None
        except _Reply as reply:
            status, headers = reply.status, reply.headers
            payload, content_type = reply.payload()
        if fault is not None and fault.kind == "drop":  # after=True: done, but the answer is lost
            handler.close_connection = True
            return
        if fault is not None and fault.kind == "delay" and fault.after:
            self._stopping.wait(fault.seconds)
        record.status = status
        handler.answer(status, payload, content_type, headers)

    def _dispatch(self, method: str, path: str, record: RecordedRequest, body: Any) -> tuple[int, bytes, str]:
        if method == "GET" and path.startswith("/storage/"):
            return self._storage(path)
        if not path.startswith("/v1/"):
            raise _Reply(404, f"Cannot {method} {path}")
        if record.headers.get("Authorization") != f"Bearer {self.token}":
            raise _Reply(401, "Unauthorized")
        self._check_rate()
        query = {key: values[-1] for key, values in record.query.items()}
        route = record.endpoint.strip("/").split("/")
        with self._lock:
            result = self._route(method, route, query, record.query, body)
        if result is _NO_CONTENT:
            return 204, b"", "application/json"
        return 200, orjson.dumps(result), "application/json"

    def _check_rate(self) -> None:
        if self.rate_limit is None:
            return
        limit, period = self.rate_limit
        with self._lock:
            now = time.monotonic()
            while self._served and self._served[0] <= now - period:
                self._served.popleft()
            if len(self._served) >= limit:
                wait = self._served[0] + period - now
                raise _Reply(429, "Too Many Requests", {"Retry-After": str(max(1, math.ceil(wait)))})
            self._served.append(now)

    def _storage(self, path: str) -> tuple[int, bytes, str]:
        task_id = path.split("/")[2] if path.count("/") >= 3 else ""
        with self._lock:
            for project in self._projects.values():
                if task_id in project.images:
                    data = project.images[task_id]
                    return 200, data, "image/png" if data.startswith(b"\x89PNG") else "image/jpeg"
        raise _Reply(404, "Not Found")

    # --- endpoints (API.md §4.3); called with the lock held -----------------------------------
    def _route(self, method: str, route: list[str], q: dict[str, str], multi: dict[str, list[str]],
               body: Any) -> Any:
        match method, route:
            case "GET", ["projects"]:
                found = [p.info for p in self._projects.values() if q.get("slug") in (None, p.slug)]
                return _page(found, q, 100)
            case "GET", ["projects", project_id]:
                return next((p.info for p in self._projects.values() if p.info["id"] == project_id), None) \
                    or _missing("Project")
            case "GET", ["annotations"]:
                project = self._project(q.get("project"))
                return _page([c for c in project.classes if q.get("value") in (None, c["value"])], q, 10)
            case "POST", ["annotations"]:
                project = self._project(_body(body).get("project"))
                project.classes.append(self._new_class(project, dict(body)))
                return project.classes[-1]["id"]
            case "GET" | "PUT" | "DELETE", ["annotations", class_id]:
                project, cls = next(((p, c) for p in self._projects.values() for c in p.classes
                                     if c["id"] == class_id), (None, None))
                if project is None or cls is None:
                    _missing("Annotation")
                if method == "DELETE":
                    project.classes.remove(cls)
                    return _NO_CONTENT
                if method == "PUT":
                    keys = ("value", "title", "color", "order", "attributes", "maxAreaCount")
                    cls.update({k: v for k, v in _body(body).items() if k in keys}, updatedAt=_now())
                    return cls["id"]
                return cls
            case "GET", ["tasks", "image"]:
                return _page(self._filtered(q, multi), q, 100)
            case "POST", ["tasks", "image"]:
                return self._create_task(_body(body))
            case "GET" | "PUT", ["tasks", "image", task_id]:
                project, task = self._find_task(task_id)
                if method == "PUT":
                    self._update_task(project, task, _body(body))
                    return task["id"]
                return task
            case "DELETE", ["tasks", task_id]:
                project, task = self._find_task(task_id)
                del project.tasks[task_id]
                project.images.pop(task_id, None)
                return _NO_CONTENT
            case "DELETE", ["tasks", task_id, "task-annotations"]:
                self._find_task(task_id)[1].update(annotations=[], updatedAt=_now())
                return _NO_CONTENT
            case "GET", ["tasks", "count"]:
                return len(self._filtered(q, multi))
            case "GET", ["tasks", "map", "id-name"]:
                project = self._project(q.get("project"))
                return dict(_page([(t["id"], t["name"]) for t in project.tasks.values()], q, 1000))
            case "POST", ["tasks", "tags", ("add" | "remove") as operation]:
                body = _body(body)
                project = self._project(body.get("project"))
                changed = 0
                for task_id in dict.fromkeys(body.get("taskIds") or []):
                    task = project.tasks.get(task_id)
                    if task is not None:
                        tags = [t for t in task["tags"] if t not in body.get("tags", [])]
                        task["tags"] = tags + list(body.get("tags", [])) if operation == "add" else tags
                        changed += 1
                return {"updatedTaskCount": changed}
        raise _Reply(404, f"Cannot {method} /v1/{'/'.join(route)}")

    def _filtered(self, q: dict[str, str], multi: dict[str, list[str]]) -> list[dict[str, Any]]:
        project = self._project(q.get("project"))
        tags = set(multi.get("tags", []))
        return [t for t in project.tasks.values()
                if q.get("status") in (None, t.get("status")) and q.get("externalStatus") in (None, t.get("externalStatus"))
                and q.get("taskName") in (None, t.get("name")) and (not tags or tags & set(t.get("tags") or []))]

    def _create_task(self, body: dict[str, Any]) -> str:
        project = self._project(body.get("project"))
        name = body.get("name")
        if not isinstance(name, str) or not name:
            raise _Reply(400, "name is required.")
        if self.unique_task_names and any(t["name"] == name for t in project.tasks.values()):
            raise _Reply(409, f"Task name already exists: {name}")
        raw, width, height = self._decode_image(body.get("file"))
        annotations = [self._task_annotation(project, a, f"annotations[{i}]")
                       for i, a in enumerate(body.get("annotations") or [])]
        task = {"id": self._new_id(), "name": name, "width": width, "height": height, **self._task_defaults()}
        task.update({k: body[k] for k in ("status", "externalStatus", "priority", "tags", "metadatas") if k in body})
        task.update(url=self._storage_url(task), annotations=annotations)
        project.tasks[task["id"]] = task
        project.images[task["id"]] = raw
        return task["id"]

    def _update_task(self, project: _Project, task: dict[str, Any], body: dict[str, Any]) -> None:
        if "annotations" in body:
            task["annotations"] = [self._task_annotation(project, a, f"annotations[{i}]")
                                   for i, a in enumerate(body["annotations"] or [])]
        task.update({k: body[k] for k in ("status", "externalStatus", "priority", "tags", "metadatas") if k in body})
        task["updatedAt"] = _now()

    # --- helpers used by the endpoints -----------------------------------------------------
    def _new_id(self) -> str:
        return str(uuid.UUID(int=next(self._ids)))

    def _project(self, slug: str | None) -> _Project:
        if not slug:
            raise _Reply(400, "project is required.")
        project = self._projects.get(slug)
        if project is None:
            raise _Reply(404, f"Project not found: {slug}")
        return project

    def _find_task(self, task_id: str) -> tuple[_Project, dict[str, Any]]:
        for project in self._projects.values():
            if task_id in project.tasks:
                return project, project.tasks[task_id]
        raise _Reply(404, "Task not found.")

    def _storage_url(self, task: Mapping[str, Any]) -> str:
        return f"{self.origin}/storage/{task['id']}/{quote(str(task.get('name', '')))}"

    @staticmethod
    def _task_defaults() -> dict[str, Any]:
        return {"status": "registered", "externalStatus": "registered", "priority": 0, "tags": [],
                "assignee": None, "reviewer": None, "approver": None, "annotations": [], "metadatas": [],
                "createdAt": _now(), "updatedAt": _now()}

    def _new_class(self, project: _Project, cls: dict[str, Any], keep_id: bool = False) -> dict[str, Any]:
        for key in ("type", "value"):
            if not isinstance(cls.get(key), str) or not cls[key]:
                raise _Reply(400, f"{key} is required.")
        if cls["type"] not in ANNOTATION_TYPES:
            raise _Reply(422, f"Unsupported annotation type: {cls['type']}")
        if any(c["value"] == cls["value"] for c in project.classes):
            raise _Reply(409, f"Annotation value already exists: {cls['value']}")
        keypoints = [{"id": kp.get("id") or self._new_id(), "name": kp.get("name") or kp.get("key"),
                      "key": kp.get("key"), "color": kp.get("color"), "edges": list(kp.get("edges") or []),
                      "value": kp.get("value") or []} for kp in cls.get("keypoints") or []]
        attributes = [{"id": a.get("id") or self._new_id(), "key": a.get("key"), "name": a.get("name") or a.get("key"),
                       "type": a.get("type") or "text", "options": a.get("options") or [], "order": i + 1,
                       "value": a.get("value")} for i, a in enumerate(cls.get("attributes") or [])]
        out = {"id": cls.get("id") if keep_id and cls.get("id") else self._new_id(), "type": cls["type"],
               "value": cls["value"], "title": cls.get("title") or cls["value"], "color": cls.get("color") or "#000000",
               "order": cls.get("order") or len(project.classes) + 1, "vertex": cls.get("vertex", 0),
               "attributes": attributes, "keypoints": keypoints,
               "maxAreaCount": cls.get("maxAreaCount", 1) if cls["type"] == "segmentation" else None,
               "createdAt": _now(), "updatedAt": _now()}
        return out

    def _task_annotation(self, project: _Project, annotation: Any, where: str) -> dict[str, Any]:
        """A task annotation as responses carry it: title, color and names filled from the class."""
        if not isinstance(annotation, dict) or annotation.get("type") not in ANNOTATION_TYPES \
                or not isinstance(annotation.get("value"), str):
            raise _Reply(400, f"{where}: an annotation needs a known type and a value.")
        cls = next((c for c in project.classes if c["value"] == annotation["value"]), None)
        if cls is None and self.strict_classes:
            raise _Reply(422, f"{where}: annotation value '{annotation['value']}' is not defined in the project.")
        if cls is not None and annotation["type"] == "segmentation" and cls.get("maxAreaCount") is not None \
                and len(annotation.get("points") or []) > cls["maxAreaCount"]:
            raise _Reply(422, f"{where}: '{cls['value']}' allows at most {cls['maxAreaCount']} region(s).")
        definitions = {a["key"]: a for a in (cls or {}).get("attributes", [])}
        out = {"type": annotation["type"], "value": annotation["value"],
               "title": cls["title"] if cls else annotation["value"], "color": cls["color"] if cls else None}
        if "points" in annotation:
            out["points"] = annotation["points"]
        if annotation["type"] not in ("pose_estimation", "classification") or "rotation" in annotation:
            out["rotation"] = annotation.get("rotation", 0)
        if "confidenceScore" in annotation:
            out["confidenceScore"] = annotation["confidenceScore"]
        out["attributes"] = [{"key": a.get("key"), "name": definitions.get(a.get("key"), {}).get("name", a.get("key")),
                              "type": definitions.get(a.get("key"), {}).get("type", "text"), "value": a.get("value")}
                             for a in annotation.get("attributes") or []]
        class_keypoints = {kp["key"]: kp for kp in (cls or {}).get("keypoints", [])}
        ids_to_keys = {kp["id"]: kp["key"] for kp in class_keypoints.values()}
        if annotation.get("keypoints") is None and annotation["type"] != "pose_estimation":
            return out
        out["keypoints"] = [{"key": kp.get("key"), "name": class_keypoints.get(kp.get("key"), {}).get("name", kp.get("key")),
                             "value": kp.get("value") or [],
                             "edges": [ids_to_keys.get(e, e) for e in class_keypoints.get(kp.get("key"), {}).get("edges", [])]}
                            for kp in annotation.get("keypoints") or []]
        return out

    def _decode_image(self, data: Any) -> tuple[bytes, int, int]:
        if not isinstance(data, str) or not data:
            raise _Reply(400, "file is required.")
        try:
            raw = base64.b64decode(data, validate=True)
        except (binascii.Error, ValueError):
            raise _Reply(400, "file is not valid base64.") from None
        if len(raw) > MAX_UPLOAD_BYTES:
            raise _Reply(422, "Supported image size is under 20 MB.")
        try:
            with Image.open(io.BytesIO(raw)) as image:
                if image.format not in ("PNG", "JPEG"):
                    raise _Reply(422, "Supported extensions are png, jpg, jpeg.")
                width, height = image.size
                orientation = image.getexif().get(0x0112)
        except (UnidentifiedImageError, OSError):
            raise _Reply(422, "Supported extensions are png, jpg, jpeg.") from None
        return (raw, height, width) if orientation in _TRANSPOSED else (raw, width, height)


_NO_CONTENT = object()


def _body(body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise _Reply(400, "A JSON object body is required.")
    return body


def _missing(what: str) -> Any:
    raise _Reply(404, f"{what} not found.")


def _page(items: list[Any], q: Mapping[str, str], default_limit: int) -> list[Any]:
    """The offset/limit slice; limit > 1000 is refused as the API does."""
    try:
        limit, offset = int(q.get("limit", default_limit)), int(q.get("offset", 0))
    except ValueError:
        raise _Reply(400, "offset and limit must be integers.") from None
    if limit > 1000:
        raise _Reply(422, "Limit must be less than or equal to 1000.")
    if limit < 1 or offset < 0:
        raise _Reply(400, "limit must be positive and offset not negative.")
    return items[offset:offset + limit]


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as requests' Session uses it
    fake: FakeFastLabel

    def setup(self) -> None:
        super().setup()
        # Headers and body go out in separate writes: without this, Nagle's algorithm meets the
        # client's delayed ACK and every answer waits ~40 ms.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def _any(self) -> None:
        try:
            self.fake._serve(self)
        except (BrokenPipeError, ConnectionResetError):  # the client gave up (timeout): nothing to answer
            self.close_connection = True

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _any

    def answer(self, status: int, payload: bytes, content_type: str, headers: Mapping[str, str]) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(payload)))
        for key, value in headers.items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format: str, *args: Any) -> None:  # quiet: tests read server.requests
        pass


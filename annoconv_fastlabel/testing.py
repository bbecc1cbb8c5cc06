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

import copy
import fnmatch
import itertools
import math
import socket
import threading
import time
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import orjson

from ._fake_endpoints import _NO_CONTENT, _Endpoints, _now, _Project, _Reply



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


class FakeFastLabel(_Endpoints):
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


"""HTTP client for the FastLabel API (image tasks, annotation classes, projects).

    >>> client = FastLabelClient()            # token: FASTLABEL_ACCESS_TOKEN, URL: FASTLABEL_API_URL
    >>> for task in client.iter_tasks("my-project", status="completed"):
    ...     print(task["name"], len(task["annotations"]))

The wire contract is the official SDK's (``fastlabel`` 0.26.0; shared/fastlabel/API.md §4): bearer
token, JSON bodies, ``Content-Type: application/json`` on every call, lists as repeated query keys,
``offset`` omitted when 0, images uploaded as base64 in ``file``. Success is 200 (any method) or
204 (POST/PUT/DELETE); every other status, 201 included, is an error (:mod:`.errors`).

What this client adds to the SDK:

- one ``requests.Session`` (connection reuse) and a timeout on every request;
- retries with exponential backoff and jitter on 429/500/502/503/504, timeouts and connection
  errors, honouring ``Retry-After``, for GET/PUT/DELETE only. A POST is never sent twice: its
  failure is raised and the caller decides (the push checks by name whether the task exists);
- a client-side limiter keeping within the documented 10,000 requests per 10 minutes, paused
  by a 429's ``Retry-After`` for every following request;
- iterators over offset/limit pages (limit <= 1000) that stop at the first empty page;
- uploads checked before sending (png/jpg/jpeg, <= 20 MB), input annotations never mutated;
- the token is never printed, logged, put in an error or a repr, nor sent to storage URLs.

``sleep``, ``clock`` and ``random`` are injectable so that tests of backoff and limiting run instantly.
"""

from __future__ import annotations

import base64
import os
import random as _random
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import orjson
import requests

from annoconv.errors import InputPathError

from .errors import (APIConnectionError, APIError, APITimeoutError, ConfigurationError, RateLimitError,
                     UnexpectedResponseError, ValidationError, error_for_status)
from .throttle import RateLimiter, RetryPolicy, parse_retry_after
from .uploads import annotation_for_upload, check_upload

DEFAULT_API_URL = "https://api.fastlabel.ai/v1/"
MAX_LIMIT = 1000                       # the API's largest page
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
IDEMPOTENT_METHODS = frozenset({"GET", "PUT", "DELETE"})

Timeout = float | tuple[float, float]


class _Secret:
    """A string that never shows itself in a repr, a traceback's locals or ``vars()``."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "'***'"


class FastLabelClient:
    """A FastLabel API client (see the module docstring).

    ``access_token`` defaults to ``$FASTLABEL_ACCESS_TOKEN``; ``base_url`` to ``$FASTLABEL_API_URL``,
    then the public v1 URL. ``timeout`` is seconds, or (connect, read) seconds. ``limiter`` defaults
    to a new 10,000-per-10-minutes :class:`RateLimiter` using ``clock`` and ``sleep``.
    """

    def __init__(self, access_token: str | None = None, base_url: str | None = None, *,
                 timeout: Timeout = (10.0, 120.0), retry: RetryPolicy = RetryPolicy(),
                 limiter: RateLimiter | None = None, session: requests.Session | None = None,
                 sleep: Callable[[float], None] = time.sleep, clock: Callable[[], float] = time.monotonic,
                 random: Callable[[], float] = _random.random) -> None:
        token = access_token or os.environ.get("FASTLABEL_ACCESS_TOKEN")
        if not token:
            raise ConfigurationError("no FastLabel access token: pass access_token or set FASTLABEL_ACCESS_TOKEN")
        url = base_url or os.environ.get("FASTLABEL_API_URL") or DEFAULT_API_URL
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ConfigurationError(f"FastLabel API URL must be an http(s) URL, got {url!r}")
        self.base_url = url if url.endswith("/") else url + "/"  # endpoints are joined as base_url + path
        self._token = _Secret(token)
        self.timeout = timeout
        self.retry = retry
        self.limiter = limiter if limiter is not None else RateLimiter(clock=clock, sleep=sleep)
        self.session = session if session is not None else requests.Session()
        self._sleep, self._random = sleep, random
        self.stats = {"requests": 0, "retries": 0}

    def __repr__(self) -> str:
        return f"FastLabelClient(base_url={self.base_url!r})"

    def close(self) -> None:
        self.session.close()

    def __enter__(self) -> "FastLabelClient":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- transport --------------------------------------------------------------------------
    def request(self, method: str, path: str, *, params: Mapping[str, Any] | None = None,
                json: Any = None, item: str | None = None) -> Any:
        """Send one API call (``path`` relative to the base URL) and return its decoded result.

        Success follows the SDK: 200 -> the JSON body (PUT: ``None`` when empty; DELETE: ``None``),
        204 -> ``None`` except for GET. ``item`` names the dataset item in error messages.
        """
        method = method.upper()
        body = None if json is None else orjson.dumps(json, option=orjson.OPT_SERIALIZE_NUMPY)
        response = self._send(method, self.base_url + path.lstrip("/"), where=f"{method} {path}", item=item,
                               params=_query(params), data=body, api=True)
        return self._result(method, path, response, item)

    def _send(self, method: str, url: str, *, where: str, item: str | None, api: bool,
              stream: bool = False, **kwargs: Any) -> requests.Response:
        """The retry loop: a successful (2xx) response, or the mapped APIError."""
        attempts = self.retry.attempts if method in IDEMPOTENT_METHODS else 1
        headers = {"Content-Type": "application/json", "Authorization": f"Bearer {self._token.reveal()}"} if api else {}
        for attempt in range(1, attempts + 1):
            if api:
                self.limiter.acquire()
            error = self._attempt(method, url, where, item, headers, stream, kwargs)
            if not isinstance(error, APIError):
                return error
            retryable = isinstance(error, APIConnectionError) or error.status in RETRY_STATUSES
            retry_after = getattr(error, "retry_after", None)
            if retry_after is not None and api:
                self.limiter.pause(min(retry_after, self.retry.max_retry_after))  # for every request
            if not retryable or attempt == attempts or (retry_after or 0) > self.retry.max_retry_after:
                if attempt > 1:
                    error.problem += f" (gave up after {attempt} attempts)"
                    error.args = (error.message,)
                raise error
            self.stats["retries"] += 1
            if retry_after is None:
                self._sleep(self.retry.delay(attempt - 1, self._random))
            elif not api:
                self._sleep(retry_after)
            # API calls after a Retry-After: the paused limiter does the waiting in acquire().
        raise AssertionError("unreachable")

    def _attempt(self, method: str, url: str, where: str, item: str | None, headers: dict[str, str],
                 stream: bool, kwargs: dict[str, Any]) -> requests.Response | APIError:
        self.stats["requests"] += 1
        try:
            response = self.session.request(method, url, headers=headers, timeout=self.timeout, stream=stream,
                                            **kwargs)
        except requests.Timeout as exc:
            seconds = self.timeout[0 if isinstance(exc, requests.ConnectTimeout) else 1] \
                if isinstance(self.timeout, tuple) else self.timeout
            return APITimeoutError(f"no response from {urlsplit(url).netloc} within {seconds:g} s", location=where,
                                   item=item)
        except requests.ConnectionError as exc:
            return APIConnectionError(f"connection to {urlsplit(url).netloc} failed: {_reason(exc)}",
                                      location=where, item=item)
        except requests.RequestException as exc:  # invalid URL, too many redirects...: retrying cannot help
            raise APIError(f"request failed: {_reason(exc)}", location=where, item=item) from None
        if 200 <= response.status_code < 300:
            return response
        return _error(response, where, item)

    def _result(self, method: str, path: str, response: requests.Response, item: str | None) -> Any:
        status, where = response.status_code, f"{method} {path}"
        if status == 204 and method != "GET":
            return None
        if status != 200:  # a 2xx the contract does not allow (201, 202...): the SDK fails on it too
            raise _error(response, where, item)
        if method == "DELETE" or (method == "PUT" and not response.content):
            return None
        try:
            return orjson.loads(response.content)
        except orjson.JSONDecodeError:
            raise UnexpectedResponseError(f"HTTP 200 without a JSON body: {_snippet(response.text)!r}",
                                          status=200, body=response.text, location=where, item=item) from None

    def get(self, path: str, params: Mapping[str, Any] | None = None, *, item: str | None = None) -> Any:
        return self.request("GET", path, params=params, item=item)

    def post(self, path: str, json: Any = None, *, item: str | None = None) -> Any:
        return self.request("POST", path, json=json if json is not None else {}, item=item)

    def put(self, path: str, json: Any = None, *, item: str | None = None) -> Any:
        return self.request("PUT", path, json=json if json is not None else {}, item=item)

    def delete(self, path: str, *, item: str | None = None) -> Any:
        return self.request("DELETE", path, item=item)

    def pages(self, path: str, params: Mapping[str, Any], *, page_size: int = MAX_LIMIT) -> Iterator[Any]:
        """Pages of an offset/limit endpoint, until the first empty page.

        A page shorter than ``page_size`` does not end the iteration: a server that caps pages
        lower than asked would otherwise lose the rest silently.
        """
        if not 1 <= page_size <= MAX_LIMIT:
            raise ValidationError(f"page size must be between 1 and {MAX_LIMIT}, got {page_size}")
        offset = 0
        while True:
            query = dict(params)
            if offset:  # the SDK never sends offset=0
                query["offset"] = offset
            query["limit"] = page_size
            page = self.get(path, query)
            if not page:
                return
            yield page
            offset += len(page)

    # --- projects and annotation classes -------------------------------------------------
    def find_project(self, slug: str) -> dict[str, Any] | None:
        """The project with this slug, or None."""
        projects = _expect(self.get("projects", {"slug": slug, "limit": 100}), list, "GET projects")
        return next((p for p in projects if p.get("slug") == slug), None)

    def iter_annotation_classes(self, project: str, *, value: str | None = None,
                                page_size: int = MAX_LIMIT) -> Iterator[dict[str, Any]]:
        """The project's annotation classes, all pages (the SDK's default limit is 10)."""
        params = {"project": project, "value": value}
        for page in self.pages("annotations", params, page_size=page_size):
            yield from _expect(page, list, "GET annotations")

    def create_annotation_class(self, project: str, cls: Mapping[str, Any]) -> Any:
        """Create an annotation class from a class dict (``type``, ``value``, ``title``, ``color``,
        ``order``, ``attributes``, ``keypoints``, ``maxAreaCount`` — the last sent even when None,
        which means "any number of regions"). Returns the new class id."""
        body: dict[str, Any] = {"project": project, "type": cls["type"], "value": cls["value"],
                                "title": cls.get("title") or cls["value"]}
        for key in ("color", "order", "attributes", "keypoints"):
            if cls.get(key):
                body[key] = cls[key]
        if "maxAreaCount" in cls:
            body["maxAreaCount"] = cls["maxAreaCount"]
        return self.post("annotations", body, item=f"class {cls['value']!r}")

    # --- tasks ---------------------------------------------------------------------------
    def iter_tasks(self, project: str, *, status: str | None = None, external_status: str | None = None,
                   tags: Iterable[str] = (), task_name: str | None = None,
                   page_size: int = MAX_LIMIT) -> Iterator[dict[str, Any]]:
        """Image tasks of ``project`` matching the filters, all pages; a task seen twice (the list
        shifted while paging) is yielded once."""
        params = {"project": project, "status": status, "externalStatus": external_status,
                  "tags": list(tags), "taskName": task_name}
        seen: set[Any] = set()
        for page in self.pages("tasks/image", params, page_size=page_size):
            for task in _expect(page, list, "GET tasks/image"):
                key = task.get("id", id(task))
                if key not in seen:
                    seen.add(key)
                    yield task

    def count_tasks(self, project: str, *, status: str | None = None, external_status: str | None = None,
                    tags: Iterable[str] = ()) -> int:
        params = {"project": project, "status": status, "externalStatus": external_status, "tags": list(tags)}
        return int(_expect(self.get("tasks/count", params), int, "GET tasks/count"))

    def find_task(self, task_id: str) -> dict[str, Any]:
        return _expect(self.get(f"tasks/image/{task_id}"), dict, "GET tasks/image/{id}")

    def find_task_by_name(self, project: str, name: str) -> dict[str, Any] | None:
        """The image task named exactly ``name``, or None."""
        tasks = _expect(self.get("tasks/image", {"project": project, "taskName": name, "limit": 100}),
                        list, "GET tasks/image")
        return next((task for task in tasks if task.get("name") == name), None)

    def iter_task_id_name_map(self, project: str, *, page_size: int = MAX_LIMIT) -> Iterator[tuple[str, str]]:
        """(task id, task name) for every task of ``project``."""
        for page in self.pages("tasks/map/id-name", {"project": project}, page_size=page_size):
            yield from _expect(page, dict, "GET tasks/map/id-name").items()

    def task_id_name_map(self, project: str) -> dict[str, str]:
        return dict(self.iter_task_id_name_map(project))

    def create_image_task(self, project: str, name: str, image: str | Path, *,
                          annotations: Iterable[Mapping[str, Any]] = (), status: str | None = None,
                          external_status: str | None = None, priority: int | None = None,
                          tags: Iterable[str] = (), metadatas: Iterable[Mapping[str, Any]] = ()) -> Any:
        """Upload ``image`` as a new task ``name`` with its annotations; returns the task id.

        Sent once (a POST is never retried): on APIConnectionError or ServerError the task may
        exist; :meth:`find_task_by_name` tells.
        """
        data = check_upload(image)
        body: dict[str, Any] = {"project": project, "name": name, "file": base64.b64encode(data).decode("ascii")}
        optional = {"status": status, "externalStatus": external_status, "priority": priority,
                    "annotations": [annotation_for_upload(a, name) for a in annotations],
                    "tags": list(tags), "metadatas": [dict(m) for m in metadatas]}
        body.update((key, value) for key, value in optional.items()
                    if value or (key == "priority" and value is not None))
        return self.post("tasks/image", body, item=name)

    def update_image_task(self, task_id: str, *, annotations: Iterable[Mapping[str, Any]] | None = None,
                          status: str | None = None, external_status: str | None = None,
                          priority: int | None = None, tags: Iterable[str] = (), item: str | None = None) -> Any:
        """Update a task; ``annotations`` (when non-empty) replace the task's annotations.

        As in the SDK an empty list is not sent (it would not clear them): use
        :meth:`delete_task_annotations` for that.
        """
        optional = {"status": status, "externalStatus": external_status, "priority": priority,
                    "tags": list(tags), "annotations": [annotation_for_upload(a, "") for a in annotations or ()]}
        body = {key: value for key, value in optional.items() if value or (key == "priority" and value is not None)}
        return self.put(f"tasks/image/{task_id}", body, item=item)

    def delete_task_annotations(self, task_id: str, *, item: str | None = None) -> None:
        self.delete(f"tasks/{task_id}/task-annotations", item=item)

    def delete_task(self, task_id: str, *, item: str | None = None) -> None:
        self.delete(f"tasks/{task_id}", item=item)

    # --- files ---------------------------------------------------------------------------
    def download(self, url: str, dest: str | Path, *, item: str | None = None) -> int:
        """Save the file at ``url`` (a task's ``url``; relative URLs resolve against the API URL)
        to ``dest`` atomically and return its size. Storage URLs are signed: no token is sent."""
        dest = Path(dest)
        full = urljoin(self.base_url, url)
        response = self._send("GET", full, where=f"GET {urlsplit(full).path}", item=item, api=False, stream=True)
        try:
            dest.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".partial", dir=dest.parent)
            size = 0
            try:
                with os.fdopen(fd, "wb") as out:
                    for chunk in response.iter_content(1 << 16):
                        out.write(chunk)
                        size += len(chunk)
                os.replace(tmp, dest)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
        except requests.RequestException as exc:
            raise APIConnectionError(f"download interrupted: {_reason(exc)}", location=f"GET {url}",
                                     item=item) from None
        except OSError as exc:
            raise InputPathError(f"cannot save the image: {exc.strerror or exc}", file=dest, item=item) from None
        finally:
            response.close()
        return size


# --- helpers ---------------------------------------------------------------------------------
def _query(params: Mapping[str, Any] | None) -> list[tuple[str, str]]:
    """Query pairs: None and empty values left out, lists as repeated keys (``tags=a&tags=b``)."""
    pairs: list[tuple[str, str]] = []
    for key, value in (params or {}).items():
        if value is None or (isinstance(value, (list, tuple)) and not value):
            continue
        for one in value if isinstance(value, (list, tuple)) else (value,):
            pairs.append((key, str(one).lower() if isinstance(one, bool) else str(one)))
    return pairs


def _error(response: requests.Response, where: str, item: str | None) -> APIError:
    """The APIError for a response that is not a success: the message from the JSON ``message``
    field, else the body text (the SDK's rule; a JSON body without ``message`` does not crash)."""
    status = response.status_code
    try:
        body: Any = response.json()
    except ValueError:
        body = response.text
    if isinstance(body, dict) and "message" in body:
        message = body["message"]
        message = "; ".join(map(str, message)) if isinstance(message, list) else str(message)
    else:
        message = _snippet(body if isinstance(body, str) else orjson.dumps(body).decode())
    cls = error_for_status(status)
    problem = f"HTTP {status}{' ' + response.reason if response.reason else ''}: {message or '(empty body)'}"
    kwargs: dict[str, Any] = {"status": status, "api_message": message, "body": body, "location": where,
                              "item": item}
    if cls is RateLimitError:
        kwargs["retry_after"] = parse_retry_after(response.headers.get("Retry-After"))
    return cls(problem, **kwargs)


def _expect(value: Any, kind: type, where: str) -> Any:
    if kind is int and isinstance(value, bool) or not isinstance(value, kind):
        raise UnexpectedResponseError(f"expected a JSON {_KIND_NAMES[kind]}, got {type(value).__name__}: "
                                      f"{_snippet(repr(value))}", status=200, body=value, location=where)
    return value


_KIND_NAMES = {list: "array", dict: "object", int: "integer"}


def _snippet(text: str, limit: int = 300) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit] + "..."


def _reason(exc: BaseException) -> str:
    """The innermost cause of a requests error, e.g. "Remote end closed connection without response"."""
    inner: Any = exc.args[0] if exc.args else exc
    inner = getattr(inner, "reason", inner)  # urllib3's MaxRetryError wraps the cause
    if isinstance(inner, BaseException) and len(inner.args) > 1 and isinstance(inner.args[-1], BaseException):
        inner = inner.args[-1]  # ProtocolError("Connection aborted.", RemoteDisconnected(...))
    text = str(inner)
    if text.startswith(("HTTPConnection(", "HTTPSConnection(")):  # "...(host=.., port=..): Failed to ..."
        text = text.split("): ", 1)[-1]
    return _snippet(text or type(inner).__name__, 200)

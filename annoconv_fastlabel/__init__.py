"""annoconv_fastlabel: FastLabel tasks <-> annoconv IR and FastLabel API sync.

FastLabel API: client, sync and command line
--------------------------------------------

The token comes from ``FASTLABEL_ACCESS_TOKEN`` (or the ``access_token`` argument) and is never
printed, logged or sent anywhere but the API; the base URL from ``FASTLABEL_API_URL`` (default
``https://api.fastlabel.ai/v1/``).

Command line (exit codes: 0 ok, 7 API error that stopped the command, 8 finished but some items
failed — they are listed; see ``annoconv fastlabel -h``)::

    annoconv fastlabel pull my-project --to coco out/instances.json --images-dir out/images \
        [--status completed] [--tag batch-1 ...]
    annoconv fastlabel push my-project --from coco instances.json --images-dir images/ \
        [--on-existing skip|update|fail] [--create-missing-classes] [--dry-run]

``pull`` writes any annoconv format (format options after the paths, as for ``convert``).
``push`` creates one task per item (task name = image path) with its annotations and uploads
the image (png/jpg/jpeg, at most 20 MB: checked before sending). It is resumable: with the
default ``--on-existing skip`` a re-run after an interruption creates only what is missing, and
nothing on FastLabel is deleted or overwritten unless ``--on-existing update``. A create request
is never sent twice; when its answer is lost the task is looked up by name instead.

Library::

    from annoconv_fastlabel import FastLabelClient, pull, push
    client = FastLabelClient()                          # one requests.Session, timeouts always
    dataset = pull("my-project", client=client, status="completed", images_dir="images")
    result = push(dataset, "other-project", "images", client=client, create_missing_classes=True)
    print(result.summary(), result.failed)

:class:`FastLabelClient` retries GET/PUT/DELETE on 429/500/502/503/504, timeouts and dropped
connections with exponential backoff and jitter, honouring ``Retry-After`` (never a POST); keeps
within the documented 10,000 requests per 10 minutes with a client-side limiter; iterates over
offset/limit pages (``iter_tasks``, ``iter_annotation_classes``, ``iter_task_id_name_map``);
raises typed errors by status (:mod:`annoconv_fastlabel.errors`: 401 AuthenticationError, 403
PermissionDeniedError, 404 NotFoundError, 409 ConflictError, 422 ValidationError, 429
RateLimitError, 5xx ServerError, APIConnectionError / APITimeoutError), each with ``status``,
``api_message`` and ``body``. ``sleep``/``clock`` are injectable for fast tests.

Testing against a fake server (real HTTP on 127.0.0.1, the SDK's exact success/error semantics;
the official SDK works against it too through ``FASTLABEL_API_URL``)::

    from annoconv_fastlabel.testing import FakeFastLabel, ManualClock

    with FakeFastLabel(token="t", projects={"demo": {"classes": [...], "tasks": [...],
                                                      "images": {"a.png": png_bytes}}}) as server:
        client = FastLabelClient("t", server.url)       # or monkeypatch server.env()
        server.fail(503, method="GET", path="tasks/image", times=2)      # then 200
        server.fail(429, retry_after=2)                 # Retry-After
        server.delay(1.0, method="POST")                # slower than the client's timeout
        server.drop(method="POST", path="tasks/image", after=True)     # done, answer lost
        server.conflict()                               # a duplicate-name 409
        ...
        server.tasks("demo"), server.classes("demo"), server.requests  # state and recorded requests
"""

# FastLabel tasks and classes <-> IR (pure functions; see annoconv_fastlabel.mapping)
from .mapping import (classes_from_labels, dataset_to_tasks, item_to_annotations, item_to_task,  # noqa: F401
                      labels_from_classes, labels_from_tasks, task_to_item, tasks_to_dataset)

# FastLabel API: errors (light), client and sync (loaded on first use: they import requests)
from .errors import (APIConnectionError, APIError, APITimeoutError, AuthenticationError,  # noqa: F401,E402
                     ConflictError, MissingClassesError, NotFoundError, PermissionDeniedError, RateLimitError,
                     ServerError, SyncError, ValidationError)

_LAZY = {"FastLabelClient": "client", "RateLimiter": "throttle", "RetryPolicy": "throttle",
         "pull": "sync", "push": "sync", "PushResult": "sync"}


def __getattr__(name: str) -> object:
    if name in _LAZY:
        import importlib
        return getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

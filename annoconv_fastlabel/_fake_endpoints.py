"""The fake FastLabel server's API state and endpoints (see :mod:`annoconv_fastlabel.testing`).

``_Endpoints`` is mixed into :class:`~annoconv_fastlabel.testing.FakeFastLabel`, which owns the
HTTP server, the recorded requests and fault injection; everything here answers one request
against the seeded projects, with the SDK's success and error semantics.
"""

from __future__ import annotations

import base64
import binascii
import io
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any
from urllib.parse import quote

import orjson
from PIL import Image, UnidentifiedImageError


MAX_UPLOAD_BYTES = 20 * 1024 * 1024
_TRANSPOSED = {5, 6, 7, 8}  # EXIF orientations that swap width and height
ANNOTATION_TYPES = {"bbox", "polygon", "keypoint", "line", "circle", "segmentation", "classification",
                    "pose_estimation"}


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


class _Endpoints:
    """Routes and state changes of the fake API (``self`` is a FakeFastLabel)."""

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
                if q.get("status") in (None, t.get("status"))
                and q.get("externalStatus") in (None, t.get("externalStatus"))
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
        out["keypoints"] = []
        for kp in annotation.get("keypoints") or []:
            defined = class_keypoints.get(kp.get("key"), {})
            out["keypoints"].append({"key": kp.get("key"), "name": defined.get("name", kp.get("key")),
                                     "value": kp.get("value") or [],
                                     "edges": [ids_to_keys.get(e, e) for e in defined.get("edges", [])]})
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

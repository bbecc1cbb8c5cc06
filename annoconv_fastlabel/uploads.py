"""Images and annotations as FastLabel's create/update calls take them (checked before sending)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from annoconv.errors import InputPathError

from .errors import ValidationError

MAX_UPLOAD_BYTES = 20 * 1024 * 1024    # SDK const.SUPPORTED_IMAGE_SIZE
UPLOAD_EXTENSIONS = (".png", ".jpg", ".jpeg")


def validate_upload(path: str | Path) -> int:
    """Check, without reading it, that FastLabel accepts the image at ``path`` (png/jpg/jpeg,
    <= 20 MB) and return its size in bytes; else ValidationError (InputPathError if unreadable)."""
    p = Path(path)
    if p.suffix.lower() not in UPLOAD_EXTENSIONS:
        raise ValidationError(f"FastLabel accepts only png, jpg and jpeg images, not {p.suffix or 'no extension'!r}",
                              location=str(p))
    try:
        size = p.stat().st_size
    except FileNotFoundError:
        raise InputPathError("image file not found (needed for the upload)", file=p) from None
    except OSError as exc:
        raise InputPathError(f"cannot read the image: {exc.strerror or exc}", file=p) from None
    if p.is_dir():
        raise InputPathError("is a directory, expected an image file", file=p)
    if size > MAX_UPLOAD_BYTES:
        raise ValidationError(f"image is {size / 2**20:.1f} MB; FastLabel accepts at most 20 MB", location=str(p))
    return size


def check_upload(path: str | Path) -> bytes:
    """The bytes of the image at ``path`` after :func:`validate_upload`."""
    validate_upload(path)
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise InputPathError(f"cannot read the image: {exc.strerror or exc}", file=path) from None


def annotation_for_upload(annotation: Mapping[str, Any], content: str) -> dict[str, Any]:
    """A copy of a task annotation as create/update bodies carry it (what the SDK's
    ``delete_extra_annotations_parameter`` leaves, in the same key order): without ``id``, ``title``,
    ``color``, keypoint ``edges``/``name`` and attribute ``title``/``name``/``type``, plus ``content``."""
    out = {key: value for key, value in annotation.items() if key not in ("id", "title", "color")}
    out["content"] = content
    if "keypoints" in out:
        out["keypoints"] = [{k: v for k, v in keypoint.items() if k not in ("edges", "name")}
                            for keypoint in annotation.get("keypoints") or []]
    out["attributes"] = [{k: v for k, v in attribute.items() if k not in ("title", "name", "type")}
                         for attribute in annotation.get("attributes") or []]
    return out

"""What the labelme reader and writer share: shape rules, circles, mask PNGs, flags and descriptions.

Coordinates are labelme's own: continuous pixel coordinates with the origin at the top-left
corner of pixel (0, 0), x right, y down — the IR's convention, so they pass through unchanged.
The one exception is the ``mask`` shape, whose two points are the integer indices (column,
row) of the first and last pixel of its PNG crop (labelme truncates them with ``int()``).

**Circles.** A circle (points: centre, a point on the rim) becomes an inscribed polygon of
``n = max(ceil(pi / arccos(1 - t / r)), 12)`` vertices ``(cx + r sin(2 pi i / n), cy + r cos(2 pi i / n))``
— labelme2coco's construction, with ``ceil`` instead of ``int`` so that no edge is more than
``t`` pixels inside the circle (labelme2coco's ``int`` may exceed its 1 px by up to ~17 %).

**Flags and description.** Shape ``flags`` (``{name: bool}``) are annotation attributes. A
``description`` is plain text (attribute ``"description"``) unless it is a JSON object with only
the keys ``score``, ``text``, ``iscrowd``, ``visibility`` (keypoint parts only) and ``attributes``
— the form labelme's AI tools write (``{"score": 0.93, "text": "dog"}``) and annoconv writes
for what flags cannot hold: the score, the crowd flag, non-boolean attributes, an occluded keypoint.
"""

from __future__ import annotations

import base64
import binascii
import io
import json
import posixpath
from dataclasses import dataclass, field
from math import ceil, isfinite
from typing import Any

import numpy as np
from PIL import Image, UnidentifiedImageError

from .._io import json_kind

# shape_type -> (fewest points, most points or None)
POINT_COUNTS: dict[str, tuple[int, int | None]] = {
    "polygon": (3, None), "rectangle": (2, 2), "circle": (2, 2), "line": (2, 2), "linestrip": (2, None),
    "point": (1, 1), "mask": (2, 2),
}
TOP_KEYS = ("version", "flags", "shapes", "imagePath", "imageData", "imageHeight", "imageWidth")
SHAPE_KEYS = ("label", "points", "group_id", "description", "shape_type", "flags", "mask")
VERSION = "5.7.0"  # written when the source gave none: the version whose files have every key above
KEYPOINT_SEPARATOR = ":"  # a keypoint part is a point shape labelled "<label>:<keypoint name>"
MIN_CIRCLE_VERTICES = 12
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_STRUCTURED_KEYS = frozenset({"score", "text", "iscrowd", "visibility", "attributes"})
_NUMBER = (int, float)


def resolve_image_path(json_folder: str, image_path: str) -> str:
    """An ``imagePath`` (relative to its JSON file's folder ``json_folder``, itself relative to the
    dataset root) as a POSIX path relative to the root; absolute paths are kept as they are."""
    given = image_path.replace("\\", "/")
    if is_absolute(given):
        return given
    return posixpath.normpath(posixpath.join(json_folder, given))


def is_absolute(path: str) -> bool:
    """POSIX root or a Windows drive ("C:/...")."""
    return path.startswith("/") or (len(path) > 1 and path[1] == ":")


def count_rule(shape_type: str) -> str:
    """The point count a shape type needs, in words."""
    low, high = POINT_COUNTS[shape_type]
    if high is None:
        return f"at least {low} points"
    return f"exactly {low} point{'s' if low > 1 else ''}"


# --- circles ------------------------------------------------------------------------------------

def circle_vertices(radius: float, tolerance: float) -> int:
    """Vertices of the inscribed polygon whose edges stay within ``tolerance`` px of the circle."""
    if radius <= 0 or tolerance <= 0:
        return MIN_CIRCLE_VERTICES
    cosine = max(-1.0, 1.0 - tolerance / radius)
    return max(ceil(np.pi / np.arccos(cosine)), MIN_CIRCLE_VERTICES)


def circle_polygon(centre: np.ndarray, rim: np.ndarray, tolerance: float) -> tuple[np.ndarray, float]:
    """(n, 2) vertices of the inscribed polygon (starting below the centre, as labelme2coco) and the
    largest distance in px between the circle and an edge (the sagitta r (1 - cos(pi / n)))."""
    cx, cy = float(centre[0]), float(centre[1])
    radius = float(np.linalg.norm([rim[0] - cx, rim[1] - cy]))
    count = circle_vertices(radius, tolerance)
    angles = 2 * np.pi / count * np.arange(count)
    vertices = np.stack((cx + radius * np.sin(angles), cy + radius * np.cos(angles)), axis=1)
    return vertices, radius * (1 - np.cos(np.pi / count))


def on_circle(ring: np.ndarray, circle: Any) -> bool:
    """Whether every vertex of ``ring`` lies on the labelme circle [[cx, cy], [px, py]] (so that the
    polygon is still the one read from it and the circle can be written back)."""
    try:
        (cx, cy), (px, py) = circle
        radius = float(np.hypot(px - cx, py - cy))
    except (TypeError, ValueError):
        return False
    if len(ring) < 3:
        return False
    distances = np.hypot(ring[:, 0] - cx, ring[:, 1] - cy)
    return bool(np.allclose(distances, radius, rtol=1e-9, atol=1e-9))


# --- mask PNGs ----------------------------------------------------------------------------------

def decode_mask(text: Any) -> np.ndarray:
    """A mask shape's base64 PNG as an (h, w) bool array (nonzero = foreground); ValueError saying
    what is wrong (not a string, not base64, not a PNG, a broken PNG, more than one channel)."""
    if not isinstance(text, str):
        raise ValueError(f"expected a base64 PNG string, got {json_kind(text)}")
    try:
        data = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ValueError(f"not valid base64 ({exc})") from None
    if not data.startswith(_PNG_SIGNATURE):
        raise ValueError(f"not a PNG image (the base64 decodes to {len(data)} bytes without the PNG signature)")
    try:
        with Image.open(io.BytesIO(data), formats=["PNG"]) as image:
            image.load()
            mode = image.mode
            array = np.asarray(image)
    except (OSError, SyntaxError, ValueError, UnidentifiedImageError, Image.DecompressionBombError) as exc:
        raise ValueError(f"broken PNG ({exc})") from None
    if array.ndim != 2:
        raise ValueError(f"mask PNG must have one channel (mode 1, L, P or I), got mode {mode}")
    return array != 0


def encode_mask(crop: np.ndarray) -> str:
    """An (h, w) 0/1 crop as labelme writes it: an 8-bit greyscale PNG of 0 and 1, base64."""
    buffer = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(crop, dtype=np.uint8)).save(buffer, format="PNG")
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def tight_crop(pixels: np.ndarray) -> tuple[np.ndarray, int, int]:
    """(crop, left, top): the bounding box of the foreground of ``pixels``; an empty mask is one
    background pixel at (0, 0)."""
    rows, cols = np.flatnonzero(pixels.any(axis=1)), np.flatnonzero(pixels.any(axis=0))
    if not rows.size:
        return np.zeros((1, 1), dtype=np.uint8), 0, 0
    return pixels[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1], int(cols[0]), int(rows[0])


def crop_points(crop: np.ndarray, left: int, top: int) -> list[list[float]]:
    """A mask shape's points: the first and last pixel (column, row) of its crop."""
    return [[float(left), float(top)], [float(left + crop.shape[1] - 1), float(top + crop.shape[0] - 1)]]


def tight_crop_points(pixels: np.ndarray) -> list[list[float]]:
    """The points the writer gives the mask ``pixels`` (a whole image) by default."""
    return crop_points(*tight_crop(pixels))


def image_data_size(text: str) -> tuple[int, int]:
    """(width, height) from the header of an embedded base64 image (labelme's ``imageData``; the
    pixels are not decoded, and no EXIF orientation applies: labelme embeds images already turned)."""
    try:
        data = base64.b64decode(text)
        with Image.open(io.BytesIO(data)) as image:
            return image.size
    except (binascii.Error, ValueError, OSError, UnidentifiedImageError) as exc:
        raise ValueError(f"embedded image data is not a readable image ({exc})") from None


# --- flags and description ----------------------------------------------------------------------

@dataclass(frozen=True)
class Fields:
    """What a shape's flags and description hold besides the geometry."""

    attributes: dict[str, Any] = field(default_factory=dict)
    score: float | None = None
    iscrowd: bool = False
    visibility: int | None = None  # keypoint parts: 1 = labelled but occluded (absent: 2, visible)


def read_fields(flags: dict[str, Any], description: Any, keypoint_part: bool = False) -> tuple[Fields, bool]:
    """The Fields of a shape, and whether the description string must be kept as it was (in extras)
    because the Fields do not give it back: an empty string, text beside a flag named
    "description", or a structured description (kept so that its exact spelling is written back)."""
    attributes = dict(flags)
    if description is None:
        return Fields(attributes), False
    structured = _structured(description, keypoint_part)
    if structured is not None:
        text, fields = structured
        clash = fields.attributes.keys() & attributes.keys() or (text is not None and "description" in attributes)
        if not clash:
            attributes.update(fields.attributes)
            if text is not None:
                attributes["description"] = text
            return Fields(attributes, fields.score, fields.iscrowd, fields.visibility), True
    if description == "" or "description" in attributes:
        return Fields(attributes), True
    attributes["description"] = description
    return Fields(attributes), False


def write_fields(fields: Fields, source: Any, keypoint_part: bool = False) -> tuple[dict[str, Any], str | None]:
    """(flags, description) of a shape: boolean attributes are flags; the ``source`` description
    (kept by the reader) is reused when it reads back to the same Fields."""
    flags = {key: value for key, value in fields.attributes.items() if type(value) is bool}
    if isinstance(source, str) and read_fields(flags, source, keypoint_part)[0] == fields:
        return flags, source
    text = fields.attributes.get("description")
    text = text if isinstance(text, str) else None
    rest = {key: value for key, value in fields.attributes.items()
            if type(value) is not bool and not (key == "description" and text is not None)}
    if fields.score is None and not fields.iscrowd and fields.visibility is None and not rest:
        if text is None:
            return flags, None
        if text and _structured(text, keypoint_part) is None:
            return flags, text  # plain text reads back as itself
    out: dict[str, Any] = {}
    if fields.score is not None:
        out["score"] = fields.score
    if text is not None:
        out["text"] = text
    if fields.iscrowd:
        out["iscrowd"] = True
    if fields.visibility is not None:
        out["visibility"] = fields.visibility
    if rest:
        out["attributes"] = rest
    return flags, json.dumps(out, ensure_ascii=False, default=_plain)


def _plain(value: Any) -> Any:
    """numpy scalars and arrays in attributes as plain JSON values."""
    if isinstance(value, (np.generic, np.ndarray)):
        return value.tolist()
    raise TypeError(f"attribute value {value!r} of type {type(value).__name__} is not a JSON value")


def _structured(text: Any, keypoint_part: bool) -> tuple[str | None, Fields] | None:
    """(text, Fields without the text) of a structured (JSON object) description; None for plain text."""
    if not isinstance(text, str) or not text.startswith("{"):
        return None
    try:
        value = json.loads(text)
    except ValueError:
        return None
    allowed = _STRUCTURED_KEYS if keypoint_part else _STRUCTURED_KEYS - {"visibility"}
    if type(value) is not dict or not value or not value.keys() <= allowed:
        return None
    score, words = value.get("score"), value.get("text")
    iscrowd, visibility = value.get("iscrowd", False), value.get("visibility", 2)
    attributes = value.get("attributes", {})
    if "score" in value and not (isinstance(score, _NUMBER) and not isinstance(score, bool) and isfinite(score)):
        return None
    if "text" in value and not isinstance(words, str):
        return None
    if type(iscrowd) is not bool and iscrowd not in (0, 1) or type(iscrowd) is float:
        return None
    if type(visibility) is not int or visibility not in (1, 2):
        return None
    if type(attributes) is not dict or ("attributes" in value and not attributes) or "description" in attributes:
        return None  # (an empty object is never written; the text has its own key)
    return words, Fields(dict(attributes), float(score) if score is not None else None, bool(iscrowd),
                         1 if visibility == 1 else None)

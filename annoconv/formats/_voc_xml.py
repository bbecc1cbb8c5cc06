"""Pascal VOC XML building blocks shared by the reader and the writer: parsing a file with lxml,
element locations for error messages, numbers, generic element <-> value passthrough, and the
coordinate rule.

Coordinate rule (VOC <-> IR). VOC ``bndbox`` values are 1-based, inclusive pixel indices: a box
covering pixel columns 0..9 of the image is written ``xmin=1, xmax=10``. In the IR (continuous
pixel corners, origin at the top-left corner of pixel (0, 0)) that box is x1=0, x2=10, so::

    x1 = xmin - 1    y1 = ymin - 1    x2 = xmax    y2 = ymax      (reading)
    xmin = x1 + 1    ymin = y1 + 1    xmax = x2    ymax = y2      (writing)

The same rule applies to float values. Units: pixels.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from math import floor, isfinite
from pathlib import Path
from typing import Any

from lxml import etree

from .._io import input_file, read_bytes
from ..errors import ParseError, SchemaError

# No entity expansion, no network, no DTD loading: a VOC file is plain data (and XXE-safe this way).
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, remove_comments=True,
                          remove_pis=True, huge_tree=False)
BOX_KEYS = ("xmin", "ymin", "xmax", "ymax")
_POSITION_SUFFIX = re.compile(r",? line \d+, column \d+$")


def parse_xml(path: Path) -> Any:
    """The root element of the XML file at ``path``; ParseError names line and column when malformed."""
    data = read_bytes(input_file(path, "a VOC annotation XML file"))
    if not data.strip():
        raise ParseError("file is empty (expected a VOC annotation XML file)", file=path)
    try:
        return etree.fromstring(data, _PARSER)
    except etree.XMLSyntaxError as exc:
        line, column = exc.position if exc.position else (exc.lineno, 0)
        problem = _POSITION_SUFFIX.sub("", exc.msg)  # lxml repeats the position: it is in the location
        raise ParseError(f"malformed XML: {problem}", file=path, location=f"line {line}, column {column}") from None


def where(element: Any) -> str:
    """How an error names an element: its XPath and source line, e.g. ``/annotation/object[2]/bndbox (line 14)``."""
    return f"{element.getroottree().getpath(element)} (line {element.sourceline})"


def error(element: Any, problem: str) -> SchemaError:
    """A SchemaError located at ``element`` (file and item are filled in by the caller)."""
    return SchemaError(problem, location=where(element))


def text(element: Any) -> str:
    """The stripped text of a leaf element ('' when empty)."""
    return (element.text or "").strip()


def number(element: Any) -> float:
    """The finite number in ``element`` (integers and floats alike)."""
    value = text(element)
    if not value:
        raise error(element, f"<{element.tag}> is empty, expected a number")
    try:
        result = float(value)
    except ValueError:
        raise error(element, f"<{element.tag}> must be a number, got {value!r}") from None
    if not isfinite(result):
        raise error(element, f"<{element.tag}> must be a finite number, got {value!r}")
    return result


def size_value(element: Any) -> int | None:
    """A ``<width>``/``<height>`` value as a positive int, or None when it is 0 (unknown)."""
    value = number(element)
    if value < 0 or value != int(value):
        raise error(element, f"<{element.tag}> must be a whole number of pixels >= 0, got {text(element)!r}")
    return int(value) or None


def flag(element: Any) -> bool | None:
    """``<truncated>``-style flags: 1/0 (or true/false) as bool, None for anything else (kept verbatim)."""
    value = text(element).lower()
    if value in ("1", "true"):
        return True
    if value in ("0", "false"):
        return False
    return None


def read_box(element: Any) -> tuple[tuple[float, float, float, float], dict[str, Any]]:
    """IR xyxy of a ``<bndbox>`` (children by tag name, any order) and its other children (passthrough)."""
    values: dict[str, float] = {}
    others: dict[str, Any] = {}
    for child in element:
        if child.tag in BOX_KEYS:
            if child.tag in values:
                raise error(child, f"<bndbox> has more than one <{child.tag}>")
            values[child.tag] = number(child)
        else:
            add_value(others, child.tag, element_value(child))
    missing = [key for key in BOX_KEYS if key not in values]
    if missing:
        raise error(element, f"<bndbox> is missing {', '.join(f'<{key}>' for key in missing)}")
    x1, y1, x2, y2 = values["xmin"] - 1, values["ymin"] - 1, values["xmax"], values["ymax"]
    if x2 < x1 or y2 < y1:
        raise error(element, f"<bndbox> has xmax < xmin - 1 or ymax < ymin - 1 (xmin={values['xmin']:g}, "
                    f"ymin={values['ymin']:g}, xmax={values['xmax']:g}, ymax={values['ymax']:g})")
    return (x1, y1, x2, y2), others


def box_values(xyxy: Any, keep_floats: bool) -> tuple[list[str], bool, bool]:
    """VOC (xmin, ymin, xmax, ymax) texts of IR corners, plus whether rounding changed a value and
    (with ``keep_floats``) whether ``x + 1`` is not exactly representable in float64.

    Rounding is to the nearest integer, halves up (floor(v + 0.5)), before the +1 shift.
    """
    x1, y1, x2, y2 = (float(v) for v in xyxy)
    if not keep_floats:
        rounded = [floor(v + 0.5) for v in (x1, y1, x2, y2)]
        reduced = rounded != [x1, y1, x2, y2]
        return [str(rounded[0] + 1), str(rounded[1] + 1), str(rounded[2]), str(rounded[3])], reduced, False
    values = [x1 + 1, y1 + 1, x2, y2]
    inexact = values[0] - 1 != x1 or values[1] - 1 != y1
    return [format_number(v) for v in values], False, inexact


def format_number(value: float) -> str:
    """Integral values without a fraction ('12', which int() parsers accept), others in shortest repr."""
    if value == int(value) and abs(value) < 2 ** 53:
        return str(int(value))
    return repr(value)


# --- generic passthrough: an element as a JSON-friendly value and back --------------------------
# A leaf is its text; an element with children (or XML attributes) is a dict of child tag -> value,
# a repeated tag -> list of values, "@name" -> XML attribute, "#text" -> text beside children.

def element_value(element: Any) -> Any:
    children = [child for child in element if isinstance(child.tag, str)]
    if not children and not element.attrib:
        return text(element)
    out: dict[str, Any] = {f"@{key}": value for key, value in element.attrib.items()}
    if text(element):
        out["#text"] = text(element)
    for child in children:
        add_value(out, child.tag, element_value(child))
    return out


def add_value(target: dict[str, Any], key: str, value: Any) -> None:
    """Set ``target[key]``; a repeated key becomes a list of the values in document order."""
    if key not in target:
        target[key] = value
    elif isinstance(target[key], list):
        target[key].append(value)
    else:
        target[key] = [target[key], value]


def build(parent: Any, tag: str, value: Any) -> None:
    """Append ``value`` (from :func:`element_value`) to ``parent`` as ``<tag>`` element(s).

    Raises ValueError when ``tag`` (or a nested key) is not a valid XML name.
    """
    if isinstance(value, list):
        for entry in value:
            build(parent, tag, entry)
        return
    element = etree.SubElement(parent, tag)
    if isinstance(value, Mapping):
        for key, entry in value.items():
            if key.startswith("@"):
                element.set(key[1:], str(entry))
            elif key == "#text":
                element.text = str(entry)
            else:
                build(element, key, entry)
    else:
        element.text = "" if value is None else str(value)


def leaf(parent: Any, tag: str, value: str | None = None) -> Any:
    """A new ``<tag>`` child of ``parent`` with text ``value`` (None: no text, for containers)."""
    element = etree.SubElement(parent, tag)
    element.text = value
    return element


def to_bytes(root: Any) -> bytes:
    """Pretty-printed UTF-8 XML without a declaration (as the VOC devkit's own files)."""
    data: bytes = etree.tostring(root, pretty_print=True, encoding="utf-8")
    return data


def new_root() -> Any:
    return etree.Element("annotation")

"""The text files of a YOLO dataset: label/list files as UTF-8, data.yaml, and class names
(``names`` in data.yaml as a list or {index: name}; classes.txt / obj.names one name per line)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from ..errors import InputPathError, OptionError, ParseError, SchemaError


def read_text(path: Path, missing_ok: bool = False) -> str:
    """A UTF-8 text file (a byte-order mark is allowed), or a clear error; with ``missing_ok``
    a file that does not exist (or is a folder) reads as empty."""
    try:
        return path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ParseError(f"not UTF-8 text (byte {exc.start})", file=path) from None
    except OSError as exc:
        if missing_ok and isinstance(exc, (FileNotFoundError, IsADirectoryError, NotADirectoryError)):
            return ""
        raise InputPathError(f"cannot read: {exc.strerror or exc}", file=path) from None


def load_yaml(path: Path) -> Any:
    """Parse a YAML file; a syntax error names the line and column."""
    text = read_text(path)
    try:
        return yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        location = f"line {mark.line + 1}, column {mark.column + 1}" if mark is not None else None
        raise ParseError(f"malformed YAML: {exc.problem or exc.context}", file=path, location=location) from None
    except yaml.YAMLError as exc:
        raise ParseError(f"malformed YAML: {exc}", file=path) from None


def yaml_names(raw: dict[str, Any], path: Path) -> tuple[dict[int, str] | None, int | None]:
    """``names`` (list or {index: name}) as {index: name}, checked against ``nc``; and ``nc``."""
    names, count = raw.get("names"), raw.get("nc")
    if count is not None and (isinstance(count, bool) or not isinstance(count, int) or count < 0):
        raise SchemaError(f"'nc' must be a non-negative integer, got {count!r}", file=path, location="key 'nc'")
    if names is None:
        return None, count
    if isinstance(names, list):
        pairs = list(enumerate(names))
    elif isinstance(names, dict):
        pairs = []
        for key, name in names.items():
            index = class_key(key)
            if index is None or index < 0:
                raise SchemaError(f"class index must be a non-negative integer, got {key!r}", file=path,
                                  location=f"key 'names'.{key}")
            pairs.append((index, name))
    else:
        raise SchemaError(f"expected a list of names or a mapping index: name, got {kind_of(names)}", file=path,
                          location="key 'names'")
    out: dict[int, str] = {}
    seen: dict[str, int] = {}
    for index, name in sorted(pairs):
        if name is None or isinstance(name, (dict, list)) or str(name).strip() == "":
            raise SchemaError(f"class {index}: expected a name, got {kind_of(name)}", file=path,
                              location=f"key 'names'[{index}]")
        text = str(name)
        if text in seen:
            raise SchemaError(f"duplicate class name {text!r} (classes {seen[text]} and {index})", file=path,
                              location=f"key 'names'[{index}]")
        seen[text] = index
        out[index] = text
    if count is not None and count != len(out):
        raise SchemaError(f"'nc: {count}' but 'names' has {len(out)} entries", file=path, location="key 'nc'")
    return out, count


def read_names_file(path: Path) -> dict[int, str]:
    """classes.txt / obj.names: one name per line (trailing blank lines allowed)."""
    lines = [line.strip() for line in read_text(path).splitlines()]
    while lines and not lines[-1]:
        lines.pop()
    out: dict[int, str] = {}
    seen: dict[str, int] = {}
    for index, name in enumerate(lines):
        if not name:
            raise SchemaError(f"empty class name (class {index})", file=path, location=f"line {index + 1}")
        if name in seen:
            raise SchemaError(f"duplicate class name {name!r} (classes {seen[name]} and {index})", file=path,
                              location=f"line {index + 1}")
        seen[name] = index
        out[index] = name
    return out


def names_from_file(path: Path, option: str) -> dict[int, str]:
    """Class names given by the option ``option``: a names file (one per line) or a data.yaml."""
    if not path.is_file():
        raise OptionError(f"option {option!r}: {str(path)!r} is not a file")
    if path.suffix.lower() not in (".yaml", ".yml"):
        return read_names_file(path)
    raw = load_yaml(path)
    names = yaml_names(raw, path)[0] if isinstance(raw, dict) else None
    if names is None:
        raise SchemaError("no 'names' in this YAML file", file=path, location="key 'names'")
    return names


def class_key(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)
    return None


def kind_of(value: Any) -> str:
    if value is None:
        return "nothing (null)"
    return {str: "a string", bool: "a boolean", int: "a number", float: "a number", list: "a list",
            dict: "a mapping"}.get(type(value), type(value).__name__)

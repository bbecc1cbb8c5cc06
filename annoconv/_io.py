"""File input and atomic output shared by the format plugins."""

from __future__ import annotations

import gc
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import msgspec
import orjson

from .errors import DestinationExistsError, InputPathError, ParseError, WriteError

_DECODER = msgspec.json.Decoder()


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic GC during bulk object creation (worth 1.8-3.6x on large JSON; PERFORMANCE.md).

    The one place annoconv touches interpreter state: the GC's enabled flag is restored on exit,
    and objects alive at that moment are moved to the oldest generation (collected only by full
    collections, as long-lived objects are anyway). Skipped when the caller uses gc.freeze().
    """
    global _caller_froze
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            # gc.get_freeze_count() walks every frozen object (~0.1 s per million): once it has
            # found some, the process is taken to keep using gc.freeze() and is not asked again.
            if not _caller_froze and gc.get_freeze_count():
                _caller_froze = True
            if not _caller_froze:
                # Hand the new (long-lived) objects to the oldest generation in O(1); otherwise the
                # first young collection after re-enabling traverses all of them (~0.1 s per 2 M).
                gc.freeze()
                gc.unfreeze()
            gc.enable()


_caller_froze = False  # gc_paused(): the process has frozen objects of its own (never unfreeze them)


class Folders:
    """Makes the folder of each file about to be written, each folder once however many files it
    holds: a makedirs per file costs a syscall each (and through pathlib far more), ~0.1 s per
    5,000 files."""

    def __init__(self) -> None:
        self._made: set[str] = set()

    def ready(self, path: str | os.PathLike[str]) -> str:
        """``path`` as a str, its folder created unless this instance already made it."""
        text = os.fspath(path)
        folder = os.path.dirname(text)
        if folder not in self._made:
            os.makedirs(folder or ".", exist_ok=True)
            self._made.add(folder)
        return text

    def write(self, path: str | os.PathLike[str], data: bytes) -> None:
        """Write ``data`` as the file ``path``, its folder made as by :meth:`ready`. Through the OS
        calls alone: Python's buffered file object costs ~15 µs more per file."""
        descriptor = os.open(self.ready(path), _NEW_FILE, 0o666)  # 0o666 & ~umask, as open() does
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(descriptor, view):]
        finally:
            os.close(descriptor)


_NEW_FILE = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_BINARY", 0)


def input_file(path: str | Path, what: str) -> Path:
    """``path`` as an existing, readable regular file, or a clear InputPathError."""
    p = Path(path)
    if not p.exists():
        raise InputPathError(f"no such file (expected {what})", file=p)
    if p.is_dir():
        raise InputPathError(f"is a directory, expected {what}", file=p)
    if not os.access(p, os.R_OK):
        raise InputPathError("permission denied: file is not readable", file=p)
    return p


def read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise InputPathError(f"cannot read: {exc.strerror or exc}", file=path) from None


def load_json(path: str | Path, what: str = "a JSON file", typed: msgspec.json.Decoder | None = None) -> Any:
    """Parse a JSON file, GC paused; errors name the line and column.

    msgspec decodes ~20 % faster than orjson here and without orjson's transient ~3x-input
    buffer (PERFORMANCE.md); orjson re-parses only a malformed file, for its line and column.
    With ``typed`` (a msgspec decoder for a schema), the file is first decoded with it; when it
    does not fit the schema, it is decoded generically (callers tell the two apart by type).
    """
    p = input_file(path, what)
    data = read_bytes(p)
    if not data.strip():
        raise ParseError(f"file is empty (expected {what})", file=p)
    with gc_paused():
        if typed is not None:
            try:
                return typed.decode(data)
            except (msgspec.DecodeError, UnicodeDecodeError, RecursionError):  # off the schema, or malformed
                pass
        try:
            return _DECODER.decode(data)
        except (msgspec.DecodeError, UnicodeDecodeError, RecursionError) as exc:
            problem = str(exc) or type(exc).__name__
    try:
        orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise ParseError(f"malformed JSON: {exc.msg}", file=p,
                         location=f"line {exc.lineno}, column {exc.colno}") from None
    raise ParseError(f"malformed JSON: {problem}", file=p)


def dump_json(value: Any, path: Path, indent: bool = False) -> None:
    """Write ``value`` as JSON; a value JSON cannot hold (a set, an object) is a WriteError naming the
    file, not a traceback from the encoder."""
    option = orjson.OPT_SERIALIZE_NUMPY | (orjson.OPT_INDENT_2 if indent else 0)
    try:
        data = orjson.dumps(value, option=option)
    except TypeError as exc:  # orjson.JSONEncodeError
        raise WriteError(f"a value is not JSON-serializable ({exc}): attributes and extras must be JSON values",
                         file=path.name) from None
    path.write_bytes(data)


def check_destination(dest: Path, directory: bool, overwrite: bool) -> None:
    """Refuse a destination of the wrong type, or a non-empty one unless ``overwrite``."""
    if not dest.exists():
        return
    if directory and not dest.is_dir():
        raise WriteError("exists and is not a directory (this format writes a directory)", file=dest)
    if not directory and dest.is_dir():
        raise WriteError("is a directory (this format writes a single file; give a file path)", file=dest)
    non_empty = any(dest.iterdir()) if directory else dest.stat().st_size > 0
    if non_empty and not overwrite:
        raise DestinationExistsError("destination exists and is not empty (use --overwrite / overwrite=True)",
                                     file=dest)


@contextmanager
def atomic_output(dest: str | Path, directory: bool, overwrite: bool = False) -> Iterator[Path]:
    """Yield a temporary sibling path to write into; move it onto ``dest`` only on success.

    On any exception the temporary output (and any parent folders created for it) is removed
    and ``dest`` is left exactly as it was.
    """
    dest = Path(dest)
    check_destination(dest, directory, overwrite)
    created = [p for p in reversed(dest.absolute().parents) if not p.exists()]
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{dest.name}.", suffix=".partial", dir=dest.parent))
    except OSError as exc:
        _remove_created(created)
        raise WriteError(f"cannot create the output: {exc.strerror or exc}", file=dest) from None
    target = staging if directory else staging / dest.name
    try:
        yield target
        _move_into_place(staging, target, dest, directory)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        _remove_created(created)
        raise


def _move_into_place(staging: Path, target: Path, dest: Path, directory: bool) -> None:
    try:
        if not directory:
            os.replace(target, dest)
            staging.rmdir()
            return
        os.chmod(staging, 0o777 & ~_umask())  # mkdtemp makes 0700 folders
        if dest.exists():
            old = staging.with_name(staging.name + ".old")
            os.rename(dest, old)
            try:
                os.rename(staging, dest)
            except OSError:
                os.rename(old, dest)  # put the previous output back
                raise
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.rename(staging, dest)
    except OSError as exc:
        raise WriteError(f"cannot move the output into place: {exc.strerror or exc}", file=dest) from None


def _remove_created(created: list[Path]) -> None:
    for folder in reversed(created):
        try:
            folder.rmdir()
        except OSError:
            break


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def json_kind(value: Any) -> str:
    """How an error message names a JSON value's type ("a string", "a list of 3", ...)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, list):
        return f"a list of {len(value)}"
    return "an object" if isinstance(value, dict) else type(value).__name__

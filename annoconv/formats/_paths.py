"""Output paths derived from image paths, with string operations (they run once per image, where
pathlib costs ~10 us a call). Paths are POSIX strings relative to an output folder."""

from __future__ import annotations


def inside(path: str) -> str:
    """``path`` made relative and kept inside the output folder: backslashes are separators; the
    root, drive parts (``C:``), ``.`` and ``..`` are dropped. "image" when nothing is left."""
    parts = [part for part in path.replace("\\", "/").split("/")
             if part not in ("", ".", "..") and not part.endswith(":")]
    return "/".join(parts) or "image"


def without_suffix(path: str) -> str:
    """``path`` without its file name's extension (pathlib's rule: not a leading or trailing dot)."""
    name = path.rpartition("/")[2]
    dot = name.rfind(".")
    return path[:len(path) - len(name) + dot] if 0 < dot < len(name) - 1 else path

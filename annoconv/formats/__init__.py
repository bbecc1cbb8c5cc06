"""Format registry: the built-ins listed explicitly, plus plugins from the ``annoconv.formats``
entry-point group (each entry point names a :class:`Format` object)."""

from __future__ import annotations

from importlib.metadata import entry_points

from ..errors import AnnoconvError, UnknownFormatError
from . import coco, index_png, labelme, native, voc, yolo
from ._base import FEATURES, Capabilities, Context, Format, Option

BUILTIN: tuple[Format, ...] = (coco.FORMAT, native.FORMAT, *yolo.FORMATS, labelme.FORMAT, voc.FORMAT,
                               index_png.SEMANTIC, index_png.INSTANCE)

_registry: dict[str, Format] | None = None
_broken: dict[str, str] = {}  # plugin name -> why it failed to load; raised only when that name is asked for


def available_formats() -> dict[str, Format]:
    """All formats by name: built-ins first, then entry-point plugins (loaded once)."""
    global _registry
    if _registry is None:
        registry = {fmt.name: fmt for fmt in BUILTIN}
        for entry in entry_points(group="annoconv.formats"):
            if entry.name in registry:
                continue  # a built-in always wins over a plugin of the same name
            try:
                plugin = entry.load()
            except Exception as exc:  # a broken plugin must not break the other formats
                _broken[entry.name] = f"format plugin {entry.name!r} ({entry.value}) failed to load: {exc}"
                continue
            if isinstance(plugin, Format):
                registry[entry.name] = plugin
            else:
                _broken[entry.name] = f"format plugin {entry.name!r} ({entry.value}) is not an annoconv Format"
        _registry = registry
    return _registry


def get_format(name: str) -> Format:
    try:
        return available_formats()[name]
    except KeyError:
        if name in _broken:
            raise AnnoconvError(_broken[name]) from None
        raise UnknownFormatError(f"unknown format {name!r} (known: {', '.join(available_formats())})") from None


def capability_matrix() -> str:
    """The Markdown capability matrix of every registered format (the README embeds this output)."""
    registered = list(available_formats().values())
    header = "| feature | " + " | ".join(f"`{fmt.name}`" for fmt in registered) + " |"
    lines = [header, "|---" * (len(registered) + 1) + "|"]
    lines.append("| read / write | " + " | ".join(
        "/".join(part for part, present in (("read", fmt.reader), ("write", fmt.writer)) if present)
        for fmt in registered) + " |")
    for feature, name in FEATURES.items():
        lines.append(f"| {name} | " + " | ".join(fmt.capabilities.cell(feature) for fmt in registered) + " |")
    return "\n".join(lines)


__all__ = ["BUILTIN", "Capabilities", "Context", "Format", "Option", "available_formats", "capability_matrix",
           "get_format"]

"""Exception hierarchy.

Every error annoconv raises on purpose is an :class:`AnnoconvError`; each subclass also
subclasses the builtin a caller would naturally catch (``ValueError`` for bad data,
``KeyError`` for an unknown name, ``OSError`` for file-system trouble).

Messages name the file, the location inside it (a JSON path such as
``$.annotations[3].bbox`` or ``line 12, column 4``) and the item, then the problem:

    data/in.json: $.annotations[3].bbox (image 17 'a.jpg'): expected 4 numbers, got a string
"""

from __future__ import annotations

from pathlib import Path


class AnnoconvError(Exception):
    """Base class. ``file``, ``location`` and ``item`` say where; ``problem`` says what."""

    def __init__(
        self,
        problem: str,
        *,
        file: str | Path | None = None,
        location: str | None = None,
        item: str | None = None,
    ) -> None:
        self.problem = problem
        self.file = str(file) if file is not None else None
        self.location = location
        self.item = item
        super().__init__(self.message)

    @property
    def message(self) -> str:
        head = ": ".join(part for part in (self.file, self.location) if part)
        if self.item:
            head = f"{head} ({self.item})" if head else self.item
        return f"{head}: {self.problem}" if head else self.problem

    def __str__(self) -> str:  # KeyError would otherwise quote the message
        return self.message

    def located(self, *, file: str | Path | None = None, location: str | None = None,
                item: str | None = None) -> "AnnoconvError":
        """Fill in missing context (an inner function knows the problem, an outer one the file)."""
        self.file = self.file or (str(file) if file is not None else None)
        self.location = self.location or location
        self.item = self.item or item
        self.args = (self.message,)
        return self


class ParseError(AnnoconvError, ValueError):
    """The input is not well-formed (malformed JSON, unreadable XML, an empty file)."""


class SchemaError(AnnoconvError, ValueError):
    """The input parses but breaks the format's rules (missing key, wrong type, dangling id)."""


class UnknownFormatError(AnnoconvError, KeyError):
    """No reader or writer of that name is registered."""


class OptionError(AnnoconvError, TypeError):
    """A format option that the format does not know, or a value it cannot take."""


class InputPathError(AnnoconvError, OSError):
    """The input path is missing, unreadable, or a directory where a file is expected (or vice versa)."""


class WriteError(AnnoconvError, OSError):
    """The output could not be written; the destination was left as it was."""


class DestinationExistsError(WriteError, FileExistsError):
    """The destination exists and is not empty, and overwriting was not asked for."""


class LossError(AnnoconvError):
    """``strict`` conversion refused: the destination format would lose information."""

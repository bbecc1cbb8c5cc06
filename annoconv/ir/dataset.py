"""Dataset, Item, ImageRef, Label and LabelSet.

An :class:`Item` is one image and its annotations. Its ``image.path`` is a POSIX path relative
to the dataset's image root (COCO ``file_name``, subfolders kept); sizes are in pixels and may
be ``None`` when the source does not say (they then come from the image header when needed,
never by decoding the image).

Labels are identified by *name*. ``Label.id`` keeps the source id (COCO category id, YOLO
class index, ...) so that a round trip can restore it; writers assign their own indices
through the :class:`LabelSet`, never through annotations.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..errors import SchemaError
from .annotations import Annotation


@dataclass(slots=True)
class ImageRef:
    """An image file: ``path`` relative to the dataset root (POSIX separators); size in pixels."""

    path: str
    width: int | None = None
    height: int | None = None

    def __post_init__(self) -> None:
        for name in ("width", "height"):
            value = getattr(self, name)
            if value is not None and (not isinstance(value, int) or isinstance(value, bool) or value <= 0):
                raise SchemaError(f"ImageRef {self.path!r}: {name} must be a positive integer, got {value!r}")

    @property
    def size(self) -> tuple[int, int] | None:
        """(height, width), or None when either is unknown."""
        if self.width is None or self.height is None:
            return None
        return (self.height, self.width)


@dataclass(slots=True)
class Item:
    """One image with its annotations. ``id`` is unique within a dataset."""

    id: str
    image: ImageRef
    annotations: list[Annotation] = field(default_factory=list)
    subset: str | None = None
    attributes: dict[str, Any] = field(default_factory=dict)
    extras: dict[str, Any] = field(default_factory=dict)

    def describe(self) -> str:
        """How error messages and reports name this item."""
        return f"item {self.id!r}" if self.id == self.image.path else f"item {self.id!r} ({self.image.path})"


@dataclass(slots=True)
class Label:
    """A class. ``keypoints`` are point names (for Keypoints annotations of this label) and
    ``skeleton`` pairs of 0-based indices into them; ``color`` is an (r, g, b) tuple."""

    name: str
    id: int | str | None = None
    color: tuple[int, int, int] | None = None
    parent: str | None = None
    keypoints: tuple[str, ...] = ()
    skeleton: tuple[tuple[int, int], ...] = ()
    attributes: dict[str, Any] = field(default_factory=dict)
    extras: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name:
            raise SchemaError(f"Label: name must be a non-empty string, got {self.name!r}")
        self.keypoints = tuple(str(name) for name in self.keypoints)
        self.skeleton = tuple((int(a), int(b)) for a, b in self.skeleton)
        count = len(self.keypoints)
        for a, b in self.skeleton:
            if not (0 <= a < count and 0 <= b < count):
                raise SchemaError(f"Label {self.name!r}: skeleton edge ({a}, {b}) is outside its "
                                  f"{count} keypoints (0-based indices expected)")
        if self.color is not None:
            color = tuple(int(c) for c in self.color)
            if len(color) != 3 or not all(0 <= c <= 255 for c in color):
                raise SchemaError(f"Label {self.name!r}: color must be (r, g, b) in 0..255, got {self.color!r}")
            self.color = color  # type: ignore[assignment]


class LabelSet(Sequence[Label]):
    """Ordered labels with unique names; lookup by name (``labels["cat"]``) or position."""

    def __init__(self, labels: Iterable[Label] = ()) -> None:
        self._labels: list[Label] = []
        self._by_name: dict[str, Label] = {}
        for label in labels:
            self.add(label)

    def add(self, label: Label) -> Label:
        if label.name in self._by_name:
            raise SchemaError(f"duplicate label name {label.name!r}")
        self._labels.append(label)
        self._by_name[label.name] = label
        return label

    def get(self, name: str) -> Label | None:
        return self._by_name.get(name)

    def names(self) -> list[str]:
        return [label.name for label in self._labels]

    def __contains__(self, name: object) -> bool:
        return name in self._by_name

    def __getitem__(self, key):  # type: ignore[override]
        if isinstance(key, str):
            return self._by_name[key]
        return self._labels[key]

    def __len__(self) -> int:
        return len(self._labels)

    def __iter__(self) -> Iterator[Label]:
        return iter(self._labels)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, LabelSet) and self._labels == other._labels

    def __repr__(self) -> str:
        return f"LabelSet({self.names()!r})"


@dataclass(slots=True)
class Dataset:
    """Labels, items and dataset-level passthrough (``extras``, e.g. ``"coco:info"``)."""

    labels: LabelSet = field(default_factory=LabelSet)
    items: list[Item] = field(default_factory=list)
    extras: dict[str, Any] = field(default_factory=dict)

    def annotations(self) -> Iterator[tuple[Item, Annotation]]:
        for item in self.items:
            for annotation in item.annotations:
                yield item, annotation

    def used_labels(self) -> set[str]:
        return {ann.label for _, ann in self.annotations() if ann.label is not None}

    def validate(self) -> None:
        """Check dataset-level invariants: unique item ids, every annotation label declared."""
        seen: set[str] = set()
        for item in self.items:
            if item.id in seen:
                raise SchemaError(f"duplicate item id {item.id!r}")
            seen.add(item.id)
            for annotation in item.annotations:
                if annotation.label is not None and annotation.label not in self.labels:
                    raise SchemaError(f"{item.describe()}: label {annotation.label!r} is not in the label set")

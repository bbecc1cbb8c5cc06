"""Dataset statistics for ``annoconv info`` (pure: returns data, prints nothing)."""

from __future__ import annotations

from collections import Counter
from typing import Any

from .ir import Dataset


def dataset_info(dataset: Dataset) -> dict[str, Any]:
    """Counts of items, annotations per kind and per label, and items without annotations."""
    per_kind: Counter[str] = Counter()
    per_label: dict[str, Counter[str]] = {label.name: Counter() for label in dataset.labels}
    subsets: Counter[str] = Counter()
    empty: list[str] = []
    sizes_missing = 0
    for item in dataset.items:
        subsets[item.subset or ""] += 1
        if not item.annotations:
            empty.append(item.id)
        if item.image.size is None:
            sizes_missing += 1
        for annotation in item.annotations:
            per_kind[annotation.kind] += 1
            if annotation.label is not None:
                per_label.setdefault(annotation.label, Counter())[annotation.kind] += 1
    return {
        "items": len(dataset.items),
        "annotations": sum(per_kind.values()),
        "labels": len(dataset.labels),
        "per_kind": dict(per_kind.most_common()),
        "per_label": {name: dict(counts) for name, counts in per_label.items()},
        "label_ids": {label.name: label.id for label in dataset.labels},
        "subsets": {name or "(none)": count for name, count in subsets.items()},
        "items_without_annotations": empty,
        "items_without_size": sizes_missing,
    }

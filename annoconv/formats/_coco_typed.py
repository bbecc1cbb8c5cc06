"""The schema of a regular COCO file, for msgspec's typed decoding (the fast path of large reads).

Decoding into these structs is faster than into dicts and checks the field types in C; the
reader then builds most annotations with attribute access and few checks of its own. A file
that does not fit — an unknown top-level or annotation key, a null ``caption`` or ``iscrowd``,
a string where a number belongs, a results list — is decoded generically instead and read by
the general path, which keeps unknown fields and names the place of every error. Absent and
``null`` mean the same for the fields defaulting to ``None``, as they do in the general path.
"""

from __future__ import annotations

from typing import Any, Union

import msgspec

Number = Union[int, float]  # msgspec refuses bools for it, as the general path does


class TypedAnnotation(msgspec.Struct, forbid_unknown_fields=True):
    image_id: Union[int, str]
    id: Union[int, str, None] = None
    category_id: Union[int, str, None] = None
    segmentation: Union[list[list[Number]], dict, None] = None  # type: ignore[type-arg]
    area: Union[Number, None] = None
    bbox: Union[list[Number], None] = None
    iscrowd: Union[int, bool, msgspec.UnsetType] = msgspec.UNSET
    keypoints: Union[list[Number], None] = None
    num_keypoints: Union[int, None] = None
    score: Union[Number, None] = None
    attributes: Union[dict, None] = None  # type: ignore[type-arg]
    caption: Union[str, msgspec.UnsetType] = msgspec.UNSET

    def as_dict(self) -> dict[str, Any]:
        """The annotation as the general path sees it (absent fields left out)."""
        return {name: value for name in self.__struct_fields__
                if (value := getattr(self, name)) is not None and value is not msgspec.UNSET}


class TypedFile(msgspec.Struct, forbid_unknown_fields=True):
    images: list[dict]  # type: ignore[type-arg]
    annotations: list[TypedAnnotation] = []
    categories: Union[list[dict], msgspec.UnsetType] = msgspec.UNSET  # type: ignore[type-arg]
    info: Any = msgspec.UNSET
    licenses: Any = msgspec.UNSET

    def as_dict(self) -> dict[str, Any]:
        """The top-level keys the source had (annotations left out: they are read on their own)."""
        return {name: value for name in ("images", "categories", "info", "licenses")
                if (value := getattr(self, name)) is not msgspec.UNSET}


DECODER = msgspec.json.Decoder(TypedFile)

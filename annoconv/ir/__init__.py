"""The platform-neutral intermediate representation (see DESIGN §3 and each module's docstring)."""

from .annotations import KINDS, Annotation, Box, Caption, Keypoints, Mask, Point, Polygon, Polyline, Tag
from .dataset import Dataset, ImageRef, Item, Label, LabelSet

__all__ = [
    "KINDS", "Annotation", "Box", "Caption", "Keypoints", "Mask", "Point", "Polygon", "Polyline", "Tag",
    "Dataset", "ImageRef", "Item", "Label", "LabelSet",
]

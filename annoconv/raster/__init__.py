"""Rasterization: shapes to pixel masks under one exact pixel rule (see rasterize.py), and back.

Pixel (c, r) belongs to a shape when its centre (c + 0.5, r + 0.5) lies inside (left/top edges
inside, right/bottom outside); coordinates are IR pixel-corner coordinates.
"""

from .palette import fastlabel_palette, voc_palette
from .png import encode_png, read_index_png
from .rasterize import class_indices, polygon_mask, rasterize, region_mask
from .vectorize import mask_to_polygons, mask_to_rle

__all__ = [
    "rasterize", "class_indices", "polygon_mask", "region_mask", "mask_to_polygons", "mask_to_rle",
    "encode_png", "read_index_png", "voc_palette", "fastlabel_palette",
]

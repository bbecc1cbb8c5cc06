"""Rasterization: shapes to pixel masks under one exact pixel rule (see rasterize.py)."""

from .rasterize import polygon_mask, region_mask

__all__ = ["polygon_mask", "region_mask"]

"""annoconv: convert image-annotation datasets through one lossless IR, reporting every loss.

    >>> import annoconv
    >>> dataset = annoconv.read("coco", "instances_val.json")
    >>> report = annoconv.convert("coco", "annoconv", "instances_val.json", "val.annoconv.json")

Coordinates everywhere are float64 absolute pixels with the origin at the top-left corner of
the top-left pixel (x right, y down); see :mod:`annoconv.ir`.
"""

from .convert import convert, predict_losses, read, write
from .errors import (AnnoconvError, DestinationExistsError, InputPathError, LossError, OptionError, ParseError,
                     SchemaError, UnknownFormatError, WriteError)
# ``available_formats``, not ``formats``: that name is the subpackage annoconv.formats.
from .formats import available_formats, capability_matrix, get_format
from .ir import (Annotation, Box, Caption, Dataset, ImageRef, Item, Keypoints, Label, LabelSet, Mask, Point,
                 Polygon, Polyline, Tag)
from .raster import mask_to_polygons, mask_to_rle, rasterize
from .report import Code, Issue, Report, Severity

__version__ = "0.1.0"

__all__ = [
    "convert", "read", "write", "predict_losses", "available_formats", "get_format", "capability_matrix",
    "Dataset", "Item", "ImageRef", "Label", "LabelSet",
    "Annotation", "Box", "Polygon", "Polyline", "Point", "Keypoints", "Mask", "Tag", "Caption",
    "Report", "Issue", "Code", "Severity",
    "AnnoconvError", "ParseError", "SchemaError", "UnknownFormatError", "OptionError", "InputPathError",
    "WriteError", "DestinationExistsError", "LossError",
    "rasterize", "mask_to_polygons", "mask_to_rle",
]

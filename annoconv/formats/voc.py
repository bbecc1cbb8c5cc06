"""The ``voc`` format: Pascal VOC detection (``Annotations/*.xml``, ``ImageSets/Main``, ``labelmap.txt``)
and segmentation (``SegmentationClass/``, ``SegmentationObject/`` palette PNGs, ``ImageSets/Segmentation``).

Coordinates: VOC's ``bndbox`` holds 1-based, inclusive pixel indices; the IR holds continuous
pixel corners (origin at the top-left corner of pixel (0, 0)). A box over pixel columns
c0..c1 and rows r0..r1 is ``xmin=c0+1, ymin=r0+1, xmax=c1+1, ymax=r1+1`` in VOC and
``(c0, r0, c1+1, r1+1)`` in the IR::

    IR x1 = xmin - 1,  y1 = ymin - 1,  x2 = xmax,  y2 = ymax
    VOC xmin = x1 + 1, ymin = y1 + 1,  xmax = x2,  ymax = y2

Floats are accepted on reading and follow the same rule. Writing rounds to whole pixels (halves
up; ``precision-reduced`` when a value was not integral) unless ``keep_floats``.

Input: a VOC root (with ``Annotations/`` and/or segmentation PNGs) or a folder of XML files beside
their images, or one XML file. Reading: :mod:`._voc_reader`; writing: :mod:`._voc_writer`; layout,
labelmap and ImageSets lists: :mod:`._voc_layout`; XML details: :mod:`._voc_xml`; segmentation
PNGs (pixel rule, class and object indices, void): :mod:`._voc_segmentation`.

Segmentation: a Polygon or Mask is an object (bndbox) plus its pixels in ``SegmentationObject`` (its
object index) and ``SegmentationClass`` (its labelmap index); it reads back as a Mask grouped with
the object's Box (option ``as_polygons``: a Polygon tracing the pixel edges). Write options
``segmentation`` (auto/never) and ``void_borders`` (a 255 band along object boundaries, in pixels).

Round trips: VOC -> IR -> VOC gives the same IR (with ``keep_floats`` also for float coordinates):
``pose``/``truncated``/``difficult`` at their defaults are written always and read as absent, other
elements pass through extras. Images are never decoded (sizes come from headers when the XML
lacks them) and never copied.
"""

from __future__ import annotations

from ._base import ON_ERROR, Capabilities, Format, Option, boolean
from ._voc_reader import read_voc
from ._voc_writer import write_voc


def _width(value: object) -> int:
    """Option type of ``void_borders``: a whole number of pixels >= 0."""
    width = int(value)  # type: ignore[call-overload]
    if width < 0 or (not isinstance(value, str) and width != value):
        raise ValueError(value)
    return width


FORMAT = Format(
    name="voc",
    summary="Pascal VOC: Annotations/*.xml boxes with parts and actions, ImageSets subsets, labelmap.txt, "
            "SegmentationClass/SegmentationObject palette PNGs",
    spec_url="http://host.robots.ox.ac.uk/pascal/VOC/voc2012/devkit_doc.pdf",
    capabilities=Capabilities(
        native=frozenset({"box", "tag", "attributes", "subset", "label-color", "mask", "polygon-multipart",
                          "polygon-holes", "image-attributes"}),
        converted={"rotated-box": "its enclosing axis-aligned box",
                   "polygon": "its enclosing box + pixels in the segmentation PNGs",
                   "crowd": "void (255) in the segmentation PNGs (boxes: dropped)"},
    ),
    reader=read_voc,
    writer=write_voc,
    read_options=(ON_ERROR, Option("as_polygons", boolean, False, "read segmentation masks as polygons tracing "
                                   "pixel edges instead of masks")),
    write_options=(Option("keep_floats", boolean, False, "write box coordinates as floats instead of rounding "
                          "them to whole pixels"),
                   Option("segmentation", str, "auto", "write SegmentationClass/SegmentationObject PNGs: auto (when "
                          "any item has a polygon or mask) or never", ("auto", "never")),
                   Option("void_borders", _width, 0, "paint a band this many pixels wide along object boundaries as "
                          "void (255), as VOC does (0: none)")),
    output_is_directory=True,
    extensions=(".xml",),
)

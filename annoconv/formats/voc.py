"""The ``voc`` format: Pascal VOC detection (``Annotations/*.xml``, ``ImageSets/Main``, ``labelmap.txt``).

Coordinates: VOC's ``bndbox`` holds 1-based, inclusive pixel indices; the IR holds continuous
pixel corners (origin at the top-left corner of pixel (0, 0)). A box over pixel columns
c0..c1 and rows r0..r1 is ``xmin=c0+1, ymin=r0+1, xmax=c1+1, ymax=r1+1`` in VOC and
``(c0, r0, c1+1, r1+1)`` in the IR::

    IR x1 = xmin - 1,  y1 = ymin - 1,  x2 = xmax,  y2 = ymax
    VOC xmin = x1 + 1, ymin = y1 + 1,  xmax = x2,  ymax = y2

Floats are accepted on reading and follow the same rule. Writing rounds to whole pixels (halves
up; ``precision-reduced`` when a value was not integral) unless ``keep_floats``.

Input: a VOC root (with ``Annotations/``) or a folder of XML files beside their images, or one
XML file. Reading: :mod:`._voc_reader`; writing: :mod:`._voc_writer`; layout, labelmap and
ImageSets lists: :mod:`._voc_layout`; XML details: :mod:`._voc_xml`.

Round trips: VOC -> IR -> VOC gives the same IR (with ``keep_floats`` also for float coordinates):
``pose``/``truncated``/``difficult`` at their defaults are written always and read as absent, other
elements pass through extras. Images are never decoded (sizes come from headers when the XML
lacks them) and never copied.
"""

from __future__ import annotations

from ._base import ON_ERROR, Capabilities, Format, Option, boolean
from ._voc_reader import read_voc
from ._voc_writer import write_voc

FORMAT = Format(
    name="voc",
    summary="Pascal VOC detection: Annotations/*.xml boxes with parts and actions, ImageSets/Main subsets, "
            "labelmap.txt",
    spec_url="http://host.robots.ox.ac.uk/pascal/VOC/voc2012/devkit_doc.pdf",
    capabilities=Capabilities(
        native=frozenset({"box", "tag", "attributes", "subset", "label-color"}),
        converted={"rotated-box": "its enclosing axis-aligned box",
                   "polygon": "its enclosing box",
                   "polygon-multipart": "one box around all its parts",
                   "mask": "its enclosing box"},
    ),
    reader=read_voc,
    writer=write_voc,
    read_options=(ON_ERROR,),
    write_options=(Option("keep_floats", boolean, False, "write box coordinates as floats instead of rounding "
                          "them to whole pixels"),),
    output_is_directory=True,
    extensions=(".xml",),
)

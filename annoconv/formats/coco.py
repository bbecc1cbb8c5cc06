"""The ``coco`` format: COCO object-detection / segmentation / keypoint JSON (one file).

Reading: :mod:`annoconv.formats._coco_reader`; writing: :mod:`annoconv.formats._coco_writer`.
COCO's coordinates (bbox [x, y, width, height], polygon vertices, keypoints) are continuous
pixel coordinates with the origin at the top-left image corner — the IR's own convention,
so they pass through unchanged.
"""

from __future__ import annotations

from ._base import ON_ERROR, Capabilities, Format, Option, boolean
from ._coco_reader import read_coco
from ._coco_writer import write_coco

FORMAT = Format(
    name="coco",
    summary="COCO JSON: boxes, polygons, RLE masks, keypoints, image labels, captions, results files",
    spec_url="https://cocodataset.org/#format-data",
    capabilities=Capabilities(
        native=frozenset({"box", "polygon", "polygon-multipart", "keypoints", "mask", "tag", "caption",
                          "attributes", "score", "crowd", "image-attributes", "label-parent", "label-keypoints",
                          "label-attributes"}),
        converted={"rotated-box": "a 4-corner polygon with its enclosing bbox",
                   "polygon-holes": "an RLE mask"},
    ),
    reader=read_coco,
    writer=write_coco,
    read_options=(
        ON_ERROR,
        Option("gt", str, None, "for a results file (a bare list of annotations): the ground-truth COCO "
               "file whose images and categories it refers to"),
    ),
    write_options=(Option("indent", boolean, False, "pretty-print the JSON with 2-space indentation"),),
    extensions=(".json",),
)

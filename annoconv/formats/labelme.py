"""The ``labelme`` format: wkentaro/labelme JSON, one file per image (versions 3.x to 5.x).

Reading: :mod:`annoconv.formats._labelme_reader` (a JSON file, or a folder searched recursively);
writing: :mod:`annoconv.formats._labelme_writer` (one JSON per item, mirroring the subfolders);
what both share (circles, mask PNGs, flags and descriptions): :mod:`annoconv.formats._labelme_shapes`.

Coordinates: labelme's points are continuous pixel coordinates with the origin at the top-left
corner of pixel (0, 0), x right, y down — the IR's convention, so they pass through unchanged.
A ``mask`` shape's points are the integer column/row of the first and last pixel of its PNG crop.

How a labelme circle lives in the IR: as a Polygon inscribed in the circle (every vertex on it,
at least 12 vertices, no edge more than ``labelme_circle_tolerance`` px — default 1 — inside
it), with the exact circle in extras ``"labelme:circle"``. Reading reports the approximation
(``geometry-converted``, tolerance stated); the labelme writer restores the circle while the
polygon's vertices still lie on it, so labelme -> labelme keeps circles exactly, and every other
writer gets the polygon.

Keypoints are written as point shapes labelled ``<label>:<keypoint name>`` sharing a
``group_id``; they read back as Keypoints when the read option ``labelme_keypoints`` names a
YAML/JSON file declaring the label's keypoints (``{person: [nose, left_eye, ...]}``).
"""

from __future__ import annotations

from ._base import ON_ERROR, Capabilities, Format, Option, boolean
from ._labelme_reader import read_labelme
from ._labelme_writer import write_labelme


def _tolerance(value: object) -> float:
    tolerance = float(value)  # type: ignore[arg-type]
    if not tolerance > 0:
        raise ValueError(value)
    return tolerance


FORMAT = Format(
    name="labelme",
    summary="labelme JSON (one file per image): rectangles, polygons, circles, lines, points, masks, flags",
    spec_url="https://github.com/wkentaro/labelme",
    capabilities=Capabilities(
        native=frozenset({"box", "polygon", "polyline", "point", "mask", "tag", "attributes", "score", "crowd",
                          "image-attributes"}),
        converted={"rotated-box": "a 4-point polygon shape",
                   "polygon-multipart": "polygon shapes sharing a group_id",
                   "polygon-holes": "a mask shape",
                   "keypoints": "point shapes '<label>:<keypoint>' sharing a group_id",
                   "z-order": "the shapes' order (later ones are drawn on top)"},
    ),
    reader=read_labelme,
    writer=write_labelme,
    read_options=(
        ON_ERROR,
        Option("labelme_circle_tolerance", _tolerance, 1.0,
               "circles become inscribed polygons whose edges are at most this many pixels inside the circle"),
        Option("labelme_keypoints", str, None,
               "YAML/JSON file {label: [keypoint names]}: point shapes '<label>:<name>' become Keypoints"),
    ),
    write_options=(
        Option("labelme_embed_images", boolean, False,
               "embed the image in each JSON (imageData): the source's embedded image, or the file under "
               "labelme_image_root"),
        Option("labelme_image_root", str, None,
               "folder the image paths are relative to (for embedding, and for sizes the dataset lacks)"),
    ),
    output_is_directory=True,
    extensions=(".json",),
)

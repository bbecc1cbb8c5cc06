"""The ``semantic-png`` and ``instance-png`` formats: index-colour PNG segmentation maps.

One PNG per image (8-bit palette image; instance maps with more than 255 instances become 16-bit
greyscale, never saturated) and a ``labels.json`` sidecar (index -> label name and colour, with
each label's definition: id, parent, colour, keypoint names, skeleton, attribute definitions;
labels with nothing to paint listed apart, in ``labels_without_index``, and the label order;
per mask its image, subset and attributes and, for instance maps, each instance's label,
annotation id and crowd flag).
Shapes are burned under the pixel-centre rule of :mod:`annoconv.raster.rasterize`; reading
turns every class or instance region back into a Mask (or an exact pixel-edge Polygon).

Crowd regions: semantic maps paint them with the ignore value (255) by default, instance maps
number them as instances (their flag is kept in the sidecar); with ``crowd=ignore`` an instance
map paints them with the image's ignore value (recorded per image in the sidecar), with
``crowd=skip`` they are left out. Void (ignore) pixels are never read back as annotations.
Besides what the capabilities predict, the writer reports shapes clipped at the image border or
outside it, shapes covering no pixel centre, instances hidden under later ones, and crowd
regions not written as themselves.
"""

from __future__ import annotations

from pathlib import Path

from ..ir import Dataset
from ._base import ON_ERROR, Capabilities, Context, Format, Option, boolean
from ._index_png_reader import read_index_pngs
from ._index_png_writer import write_index_pngs

_PIXELS = "pixels (read back as a mask)"
_LINES = "pixels with --line-width, else dropped"


def _capabilities(crowd_native: bool) -> Capabilities:
    # z-order decides the overlaps painted; labels.json holds the label definitions.
    native = {"polygon-multipart", "polygon-holes", "mask", "z-order", "subset", "image-attributes", "label-color",
              "label-parent", "label-keypoints", "label-attributes"}
    converted = {"box": _PIXELS, "rotated-box": _PIXELS, "polygon": _PIXELS,
                 "polyline": _LINES, "point": _LINES, "keypoints": _LINES}
    if crowd_native:
        native.add("crowd")
    else:
        converted["crowd"] = "the ignore value, or the class with --crowd class"
    return Capabilities(native=frozenset(native), converted=converted)


def _common_write_options(crowd: tuple[str, ...], ignore_default: int | None) -> tuple[Option, ...]:
    return (
        ON_ERROR,
        Option("palette", str, "voc", "colours of the PNG palette: voc, fastlabel (the SDK's table), or labels "
               "(each label's own colour, VOC colours for the rest)", ("voc", "fastlabel", "labels")),
        Option("png_compression", str, "fast", "fast (ISA-L level 1) or small (zlib level 9)", ("fast", "small")),
        Option("workers", int, 1, "processes rendering the masks in parallel"),
        Option("line_width", float, None, "draw polylines, points and keypoints with this width in pixels "
               "(default: they have no area and are not drawn)"),
        Option("crowd", str, crowd[0], "what crowd regions become: " + ", ".join(crowd), crowd),
        Option("ignore_value", int, ignore_default, "index painted for crowd regions under --crowd ignore"),
        Option("background", int, 0, "index of pixels no shape covers"),
    )


_READ_OPTIONS = (
    ON_ERROR,
    Option("labels", str, None, "labels.json or labels.txt giving each index its label (default: the one "
           "in the folder, else the palette)"),
    Option("as_polygons", boolean, False, "read regions as polygons tracing pixel edges instead of masks"),
)


def _reader(mode: str):  # type: ignore[no-untyped-def]
    def read(path: Path, context: Context) -> Dataset:
        return read_index_pngs(path, context, mode)
    return read


def _writer(mode: str):  # type: ignore[no-untyped-def]
    def write(dataset: Dataset, path: Path, context: Context) -> None:
        write_index_pngs(dataset, path, context, mode)
    return write


SEMANTIC = Format(
    name="semantic-png",
    summary="index-colour PNG per image (class indices) + labels.json; exact pixel-centre rasterization",
    spec_url="https://github.com/annoconv/annoconv#index-colour-png-segmentation",
    capabilities=_capabilities(crowd_native=False),
    reader=_reader("semantic"),
    writer=_writer("semantic"),
    read_options=_READ_OPTIONS,
    write_options=_common_write_options(("ignore", "class", "skip"), 255) + (
        Option("start_index", int, 1, "index of the first class (0 or 1)", (0, 1)),),
    output_is_directory=True,
)

INSTANCE = Format(
    name="instance-png",
    summary="index PNG per image (instance indices; 16-bit above 255) + labels.json with each instance's label",
    spec_url="https://github.com/annoconv/annoconv#index-colour-png-segmentation",
    capabilities=_capabilities(crowd_native=True),
    reader=_reader("instance"),
    writer=_writer("instance"),
    read_options=_READ_OPTIONS,
    write_options=_common_write_options(("instance", "ignore", "skip"), None),
    output_is_directory=True,
)

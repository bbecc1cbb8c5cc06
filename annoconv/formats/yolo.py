"""The YOLO formats: ``yolo`` (boxes), ``yolo-seg`` (polygons), ``yolo-pose`` (box + keypoints) and
``yolo-obb`` (oriented boxes), in the Ultralytics layout (data.yaml) or darknet's (obj.data).

The coordinate rule, both ways: YOLO values are fractions of the image size as displayed (EXIF
orientation applied, read from the image header; the image is never decoded), with the origin at
the top-left image corner, x right, y down — the IR's pixel-corner convention scaled by
(width, height). A box row ``cx cy w h`` is the box with corners
``((cx - w/2) * W, (cy - h/2) * H)`` and ``((cx + w/2) * W, (cy + h/2) * H)``; written back,
``cx = (x1 + x2) / 2 / W`` and ``w = (x2 - x1) / W``. Points (polygon vertices, keypoints, OBB
corners) are simply ``x * W``, ``y * H``. Nothing is rounded on reading; writing rounds to
``decimals`` places and clips to [0, 1], and reports both.

Reading: :mod:`._yolo_layout` (where things are), :mod:`._yolo_files` (data.yaml, names files)
and :mod:`._yolo_reader` (the rows). Writing: :mod:`._yolo_writer` (the rows), :mod:`._yolo_output`
(files, images, data.yaml), :mod:`._yolo_pose` and :mod:`._yolo_geometry`. Each module's docstring
states its rules.

Images and the written dataset: label files go to ``labels/<split>/`` and data.yaml points at
``images/<split>/`` (relative to its own folder). With ``copy_images=none`` (the default) the
images are not touched: put them there (the folders are created) before training. With
``copy_images=copy`` or ``symlink`` and ``images_dir`` (the folder the image paths are relative
to) the dataset is complete and trainable as written.
"""

from __future__ import annotations

from functools import partial

from ._base import ON_ERROR, Capabilities, Format, Option
from ._yolo_reader import parse_kpt_shape, read_yolo
from ._yolo_writer import parse_class_order, parse_decimals, write_yolo

SPEC_URL = "https://docs.ultralytics.com/datasets/"

_BOX_OF = {"rotated-box": "its axis-aligned bounding box", "polygon": "its bounding box",
           "polygon-multipart": "one bounding box around all parts", "mask": "its bounding box"}

CAPABILITIES = {
    "detect": Capabilities(native=frozenset({"box", "subset", "label-parent"}), converted=_BOX_OF),
    "segment": Capabilities(
        native=frozenset({"polygon", "subset", "label-parent"}),
        converted={"box": "a 4-point polygon", "rotated-box": "its 4-corner polygon",
                   "polygon-multipart": "one ring bridged through all parts (multipart=bridge) or its largest "
                                        "part (multipart=drop)",
                   "polygon-holes": "cuts bridging them into the ring (multipart=bridge) or nothing "
                                    "(multipart=drop)",
                   "mask": "a polygon traced from its pixels (parts and holes as for polygons)"}),
    "pose": Capabilities(native=frozenset({"box", "keypoints", "subset", "label-parent", "label-keypoints"}),
                         converted={**_BOX_OF, "polygon": "its bounding box (the pose box)"}),
    "obb": Capabilities(
        native=frozenset({"box", "rotated-box", "subset", "label-parent"}),
        converted={"polygon": "4 corners: its own if it has 4 vertices, else its minimum-area rotated rectangle",
                   "polygon-multipart": "one rotated rectangle around all parts",
                   "mask": "the minimum-area rotated rectangle of its pixels"}),
}

_READ = (
    ON_ERROR,
    Option("names_file", str, None, "class names (one per line, or a data.yaml) for a dataset that has none, "
           "or to replace its own"),
)
_WRITE = (
    ON_ERROR,
    Option("decimals", parse_decimals, 6, "decimal places of the normalized coordinates (1-15)"),
    Option("class_order", parse_class_order, "source",
           "class indices: source (label order), alpha (by name) or file:PATH (a names file or data.yaml)"),
    Option("split", str, "train", "split folder of items without a subset"),
    Option("images_dir", str, None, "folder the image paths are relative to: image sizes are read from the "
           "headers there when the dataset lacks them, and images copied or linked from there"),
    Option("copy_images", str, "none", "put the images into the written dataset: none (data.yaml points at "
           "images/<split>/, fill it yourself), copy, or symlink (needs images_dir)", ("none", "copy", "symlink")),
)
_LAYOUT = Option("layout", str, "ultralytics", "ultralytics (data.yaml, images/, labels/) or darknet (obj.data, "
                 "obj.names, obj_<split>_data/)", ("ultralytics", "darknet"))
_MULTIPART = Option("multipart", str, "bridge", "polygons with holes or several parts: bridge them into one ring, "
                    "or drop holes and all parts but the largest", ("bridge", "drop"))
_KPT_SHAPE = Option("kpt_shape", parse_kpt_shape, None, "keypoints per row as K,D (D = 2 or 3) when data.yaml "
                    "has no kpt_shape (or to replace it)")


def _format(name: str, task: str, summary: str, read_options: tuple[Option, ...] = (),
            write_options: tuple[Option, ...] = ()) -> Format:
    return Format(
        name=name,
        summary=summary,
        spec_url=SPEC_URL,
        capabilities=CAPABILITIES[task],
        reader=partial(read_yolo, task=task),
        writer=partial(write_yolo, task=task),
        read_options=_READ + read_options,
        write_options=_WRITE + write_options,
        output_is_directory=True,
        extensions=(".yaml", ".yml"),
    )


FORMAT = _format("yolo", "detect", "YOLO detection (Ultralytics data.yaml or darknet): class cx cy w h, normalized",
                 write_options=(_LAYOUT,))
SEG_FORMAT = _format("yolo-seg", "segment", "YOLO segmentation (Ultralytics): class x1 y1 x2 y2 ..., one ring "
                     "per object", write_options=(_MULTIPART,))
POSE_FORMAT = _format("yolo-pose", "pose", "YOLO pose (Ultralytics): class box, then K keypoints x y [v]",
                      read_options=(_KPT_SHAPE,))
OBB_FORMAT = _format("yolo-obb", "obb", "YOLO oriented boxes (Ultralytics): class x1 y1 ... x4 y4, normalized")

FORMATS = (FORMAT, SEG_FORMAT, POSE_FORMAT, OBB_FORMAT)

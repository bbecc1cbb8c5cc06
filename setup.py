"""The compiled kernels; everything else is in pyproject.toml.

annoconv/raster/_spanfill.c computes and paints exact polygon spans; annoconv/formats/_yolo_kernels.c
writes YOLO row text and finds the closest vertices where yolo-seg bridges rings;
annoconv/_flatten.c converts the COCO and FastLabel readers' coordinate lists in bulk. All are
optional: where they cannot be built, annoconv falls back to its numpy code (the same pixels, bytes
and values, slower).
-ffp-contract=off keeps the span kernel's float64 arithmetic identical to numpy's."""

import sys

from setuptools import Extension, setup

flags = [] if sys.platform == "win32" else ["-O2", "-ffp-contract=off"]
vector = ["annoconv/_vector.h"]  # shared by the kernels that read numpy vectors
setup(ext_modules=[
    Extension("annoconv.raster._spanfill", ["annoconv/raster/_spanfill.c"], depends=vector, extra_compile_args=flags,
              optional=True),
    Extension("annoconv.formats._yolo_kernels", ["annoconv/formats/_yolo_kernels.c"], depends=vector,
              extra_compile_args=flags, optional=True),
    Extension("annoconv._flatten", ["annoconv/_flatten.c"], extra_compile_args=flags, optional=True),
])

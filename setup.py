"""The compiled span kernel (annoconv/raster/_spanfill.c); everything else is in pyproject.toml.

The extension is optional: where it cannot be built, annoconv falls back to its numpy code
(same pixels, slower). -ffp-contract=off keeps the float64 arithmetic identical to numpy's."""

import sys

from setuptools import Extension, setup

flags = [] if sys.platform == "win32" else ["-O2", "-ffp-contract=off"]
setup(ext_modules=[Extension("annoconv.raster._spanfill", ["annoconv/raster/_spanfill.c"],
                             extra_compile_args=flags, optional=True)])

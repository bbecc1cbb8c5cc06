"""The compiled kernels are optional for users (the numpy code gives the same pixels and bytes),
but a build that silently failed on a machine with a C compiler would lose their speed: this
fails loudly there."""

from __future__ import annotations

import shutil
import sysconfig

import pytest

from annoconv import _numbers
from annoconv.formats import _yolo_text
from annoconv.raster import spans


def test_the_kernels_are_built_where_a_c_compiler_is() -> None:
    compiler = (sysconfig.get_config_var("CC") or "cc").split()[0]
    if shutil.which(compiler) is None:
        pytest.skip(f"no C compiler ({compiler}) on this machine")
    assert spans.compiled(), "annoconv/raster/_spanfill.c was not built: reinstall with pip install -e ."
    assert _yolo_text._compiled_encode is not None, \
        "annoconv/formats/_yolo_kernels.c was not built: reinstall with pip install -e ."
    assert _numbers._flatten is not None, "annoconv/_flatten.c was not built: reinstall with pip install -e ."

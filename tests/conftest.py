"""Shared fixtures: the interop corpus (outside the repository) and the shipped sample."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent
REPO = TESTS.parent
FIXTURES = TESTS / "fixtures"
SAMPLE = FIXTURES / "coco" / "sample" / "instances.json"
sys.path.insert(0, str(TESTS))  # tests import builders.py

# Real files written by other tools; never copied into the repository.
INTEROP = Path(os.environ.get("ANNOCONV_INTEROP", REPO.parent / "shared" / "interop"))


def interop_files(pattern: str) -> list[Path]:
    """Files of the interop corpus matching ``pattern`` (empty when the corpus is absent)."""
    return sorted(INTEROP.glob(pattern)) if INTEROP.is_dir() else []


@pytest.fixture
def interop() -> Path:
    if not INTEROP.is_dir():
        pytest.skip(f"interop corpus not found at {INTEROP} (set ANNOCONV_INTEROP)")
    return INTEROP

"""Virtual environments for the peer tools, created on first use under benchmarks/.venvs/.

Each peer (globox, datumaro, the official FastLabel SDK) gets its own venv so that its pinned
dependencies never meet annoconv's. A venv is built into a temporary sibling folder and renamed
into place when ``pip install`` succeeded, with a marker file naming what it holds; a venv whose
marker matches is reused as it is. When a venv cannot be built (no registry, a failing install)
the rows needing it print "skipped: <why>".
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent / ".venvs"
MARKER = "annoconv-bench.txt"

# Peer name -> the exact requirements installed into its venv (pinned: comparable runs).
PEERS: dict[str, tuple[str, ...]] = {
    "globox": ("globox==2.9.0",),
    "datumaro": ("datumaro==1.13.12",),
    "fastlabel": ("fastlabel==0.26.0",),
}


class VenvUnavailable(RuntimeError):
    """The peer's venv could not be created; the message says why."""


def python_of(venv: Path) -> Path:
    return venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def ensure(name: str, *, log=print) -> Path:  # type: ignore[no-untyped-def]
    """The python executable of peer ``name``'s venv, building the venv when needed."""
    requirements = PEERS[name]
    venv = ROOT / name
    wanted = "\n".join(requirements) + "\n"
    marker = venv / MARKER
    if marker.is_file() and marker.read_text() == wanted and python_of(venv).exists():
        return python_of(venv)
    ROOT.mkdir(parents=True, exist_ok=True)
    building = ROOT / f"{name}.building-{os.getpid()}"
    shutil.rmtree(building, ignore_errors=True)
    log(f"creating the {name} venv ({' '.join(requirements)}) in {venv} ...")
    steps = [[sys.executable, "-m", "venv", str(building)],
             [str(python_of(building)), "-m", "pip", "install", "--disable-pip-version-check", "-q",
              *requirements]]
    for step in steps:
        try:
            proc = subprocess.run(step, capture_output=True, text=True, timeout=1800)
        except (OSError, subprocess.TimeoutExpired) as exc:
            shutil.rmtree(building, ignore_errors=True)
            raise VenvUnavailable(f"{' '.join(step[-3:])}: {exc}") from None
        if proc.returncode != 0:
            shutil.rmtree(building, ignore_errors=True)
            lines = [line for line in (proc.stderr or proc.stdout).splitlines()
                     if line.strip() and not line.startswith("WARNING: Location")]
            raise VenvUnavailable(f"{' '.join(step[-3:])} failed: {lines[-1] if lines else proc.returncode}")
    (building / MARKER).write_text(wanted)
    shutil.rmtree(venv, ignore_errors=True)
    building.rename(venv)  # a venv's python is a symlink to the base interpreter: it survives the move
    return python_of(venv)

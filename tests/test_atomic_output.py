"""Atomic output: ``annoconv.write`` either puts a complete dataset in place or leaves the
destination exactly as it was — no half-written file, no temporary sibling, no folder created
for nothing — and it refuses to replace a non-empty destination unless asked."""

from __future__ import annotations

import dataclasses
import errno
import hashlib
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import annoconv
from annoconv import DestinationExistsError, LossError, WriteError
from annoconv._io import atomic_output
from annoconv.formats import _coco_writer, available_formats, native
from builders import detection_dataset, lossy_dataset

OLD = b'{"old": "bytes that must survive"}'


# --- helpers ------------------------------------------------------------------------------------

def snapshot(root: Path) -> dict[str, str]:
    """Every file and folder under ``root`` -> digest of its bytes ('dir' for folders)."""
    return {str(p.relative_to(root)): "dir" if p.is_dir() else hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*"))}


def partial_then(error: BaseException) -> Callable[..., None]:
    """A stand-in for ``dump_json(value, path, indent)`` that writes half a file, then raises ``error``."""
    def dump(value: Any, path: Path, indent: bool = False) -> None:
        path.write_bytes(b'{"images": [{"id": 1, "file_na')
        error.filename = str(path) if isinstance(error, OSError) else None  # what a real OSError carries
        raise error
    return dump


def disk_full() -> OSError:
    return OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


def umask() -> int:
    """The process umask (read without changing it for longer than a moment)."""
    mask = os.umask(0)
    os.umask(mask)
    return mask


@pytest.fixture
def out_dir(tmp_path: Path) -> Path:
    """An existing, empty parent folder for the destination."""
    folder = tmp_path / "out"
    folder.mkdir()
    return folder


# --- failure in the middle of writing --------------------------------------------------------------

@pytest.mark.parametrize("module", [_coco_writer, native], ids=["coco", "annoconv"])
def test_failed_write_leaves_an_absent_destination_absent(out_dir: Path, monkeypatch: pytest.MonkeyPatch,
                                                          module: Any) -> None:
    monkeypatch.setattr(module, "dump_json", partial_then(disk_full()))
    fmt = "coco" if module is _coco_writer else "annoconv"
    dest = out_dir / "instances.json"
    with pytest.raises(WriteError) as info:
        annoconv.write(detection_dataset(), fmt, dest)
    assert isinstance(info.value, OSError)
    assert "No space left on device" in str(info.value)
    assert not dest.exists()
    assert snapshot(out_dir) == {}, "a temporary sibling was left behind"


def test_write_error_names_the_destination_not_the_temporary_file(out_dir: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_coco_writer, "dump_json", partial_then(disk_full()))
    dest = out_dir / "instances.json"
    with pytest.raises(WriteError) as info:
        annoconv.write(detection_dataset(), "coco", dest)
    assert info.value.file == str(dest), str(info.value)
    assert ".partial" not in str(info.value)


def test_failed_overwrite_keeps_the_old_bytes(out_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    dest = out_dir / "instances.json"
    dest.write_bytes(OLD)
    before = snapshot(out_dir)
    monkeypatch.setattr(_coco_writer, "dump_json", partial_then(disk_full()))
    with pytest.raises(WriteError):
        annoconv.write(detection_dataset(), "coco", dest, overwrite=True)
    assert dest.read_bytes() == OLD
    assert snapshot(out_dir) == before


@pytest.mark.parametrize("error", [RuntimeError("a bug in the writer"), KeyboardInterrupt()],
                         ids=["bug", "interrupt"])
def test_any_exception_in_the_writer_leaves_the_destination(out_dir: Path, monkeypatch: pytest.MonkeyPatch,
                                                            error: BaseException) -> None:
    """Not only OSError: a bug or Ctrl-C half-way through also leaves no trace."""
    def writer(dataset: Any, path: Path, context: Any) -> None:
        path.write_bytes(b'{"images": [')
        raise error

    monkeypatch.setitem(available_formats(), "coco", dataclasses.replace(available_formats()["coco"], writer=writer))
    dest = out_dir / "instances.json"
    dest.write_bytes(OLD)
    with pytest.raises(type(error)):
        annoconv.write(detection_dataset(), "coco", dest, overwrite=True)
    assert dest.read_bytes() == OLD
    assert sorted(p.name for p in out_dir.iterdir()) == ["instances.json"]


def test_created_parent_folders_are_removed_on_failure(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    existing = tmp_path / "existing"
    existing.mkdir()
    (existing / "keep.txt").write_text("keep")
    before = snapshot(tmp_path)
    monkeypatch.setattr(_coco_writer, "dump_json", partial_then(disk_full()))
    with pytest.raises(WriteError):
        annoconv.write(detection_dataset(), "coco", existing / "new" / "deeper" / "instances.json")
    assert snapshot(tmp_path) == before


def test_parent_folders_are_created_on_success(tmp_path: Path) -> None:
    dest = tmp_path / "a" / "b" / "instances.json"
    annoconv.write(detection_dataset(), "coco", dest)
    assert len(json.loads(dest.read_text())["images"]) == 3
    assert sorted(p.name for p in dest.parent.iterdir()) == ["instances.json"]


def test_written_file_has_ordinary_permissions(out_dir: Path) -> None:
    """The file is staged in a private temporary folder but ends up with the umask's usual mode."""
    dest = out_dir / "instances.json"
    annoconv.write(detection_dataset(), "coco", dest)
    assert dest.stat().st_mode & 0o777 == 0o666 & ~umask()


def test_strict_refusal_writes_nothing(tmp_path: Path) -> None:
    with pytest.raises(LossError):
        annoconv.write(lossy_dataset(), "coco", tmp_path / "new" / "out.json", strict=True)
    assert snapshot(tmp_path) == {}


# --- refusing to replace ---------------------------------------------------------------------------

def test_non_empty_destination_is_refused_without_overwrite(out_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[Path] = []

    def spy(dataset: Any, path: Path, context: Any) -> None:
        calls.append(path)

    monkeypatch.setitem(available_formats(), "coco", dataclasses.replace(available_formats()["coco"], writer=spy))
    dest = out_dir / "instances.json"
    dest.write_bytes(OLD)
    with pytest.raises(DestinationExistsError) as info:
        annoconv.write(detection_dataset(), "coco", dest)
    error = info.value
    assert isinstance(error, FileExistsError) and isinstance(error, WriteError) and isinstance(error, OSError)
    assert str(dest) in str(error) and "overwrite" in str(error)
    assert dest.read_bytes() == OLD
    assert calls == [], "the writer ran although the destination was refused"
    assert sorted(p.name for p in out_dir.iterdir()) == ["instances.json"]


def test_overwrite_replaces_the_destination(out_dir: Path) -> None:
    dest = out_dir / "instances.json"
    dest.write_bytes(OLD)
    annoconv.write(detection_dataset(), "coco", dest, overwrite=True)
    assert len(json.loads(dest.read_text())["images"]) == 3
    assert sorted(p.name for p in out_dir.iterdir()) == ["instances.json"]


def test_empty_destination_file_is_not_protected(out_dir: Path) -> None:
    dest = out_dir / "instances.json"
    dest.touch()
    annoconv.write(detection_dataset(), "coco", dest)
    assert len(json.loads(dest.read_text())["images"]) == 3


@pytest.mark.parametrize("overwrite", [False, True])
def test_directory_where_a_file_format_writes_is_refused(out_dir: Path, overwrite: bool) -> None:
    dest = out_dir / "instances.json"
    dest.mkdir()
    (dest / "inside.txt").write_text("x")
    before = snapshot(out_dir)
    with pytest.raises(WriteError, match="directory"):
        annoconv.write(detection_dataset(), "coco", dest, overwrite=overwrite)
    assert snapshot(out_dir) == before


# --- directory outputs (atomic_output for formats that write a folder) -------------------------------

@pytest.fixture
def old_dataset_dir(out_dir: Path) -> Path:
    """An existing output folder with two files."""
    dest = out_dir / "dataset"
    (dest / "labels").mkdir(parents=True)
    (dest / "labels" / "a.txt").write_text("0 0.5 0.5 0.1 0.1\n")
    (dest / "data.yaml").write_text("names: [cat]\n")
    return dest


def test_directory_output_replaced_atomically(out_dir: Path, old_dataset_dir: Path) -> None:
    with atomic_output(old_dataset_dir, directory=True, overwrite=True) as staging:
        assert staging != old_dataset_dir and staging.parent == out_dir
        (staging / "new.txt").write_text("new")
    assert sorted(p.name for p in old_dataset_dir.iterdir()) == ["new.txt"]
    assert sorted(p.name for p in out_dir.iterdir()) == ["dataset"]
    assert old_dataset_dir.stat().st_mode & 0o777 == 0o777 & ~umask()


def test_directory_output_refused_without_overwrite(out_dir: Path, old_dataset_dir: Path) -> None:
    before = snapshot(out_dir)
    with pytest.raises(DestinationExistsError):
        with atomic_output(old_dataset_dir, directory=True):
            raise AssertionError("must not be reached")
    assert snapshot(out_dir) == before


def test_directory_output_failure_inside_keeps_the_old_folder(out_dir: Path, old_dataset_dir: Path) -> None:
    before = snapshot(out_dir)
    with pytest.raises(RuntimeError):
        with atomic_output(old_dataset_dir, directory=True, overwrite=True) as staging:
            (staging / "half.txt").write_text("half")
            raise RuntimeError("writer failed")
    assert snapshot(out_dir) == before


def test_directory_output_failed_swap_keeps_the_old_folder(out_dir: Path, old_dataset_dir: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """The final rename fails after the old folder was moved aside: the old folder must come back."""
    before = snapshot(out_dir)
    real_rename = os.rename

    def rename(src: Any, dst: Any) -> None:
        if Path(dst) == old_dataset_dir and Path(src).name.endswith(".partial"):  # the new output only
            raise OSError(errno.EIO, os.strerror(errno.EIO), str(dst))
        real_rename(src, dst)

    monkeypatch.setattr(os, "rename", rename)
    with pytest.raises(WriteError):
        with atomic_output(old_dataset_dir, directory=True, overwrite=True) as staging:
            (staging / "new.txt").write_text("new")
    monkeypatch.undo()
    assert snapshot(out_dir) == before, "the old output was lost or a temporary folder was left"

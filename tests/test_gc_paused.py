"""gc_paused(): the cyclic GC is paused and restored, and a caller's gc.freeze() is respected."""

import gc

import pytest

from annoconv import _io


@pytest.fixture
def fresh(monkeypatch):
    monkeypatch.setattr(_io, "_caller_froze", False)
    yield
    gc.unfreeze()
    gc.enable()


def test_restores_the_enabled_flag(fresh):
    gc.enable()
    with _io.gc_paused():
        assert not gc.isenabled()
    assert gc.isenabled()
    gc.disable()
    with _io.gc_paused():
        assert not gc.isenabled()
    assert not gc.isenabled()


def test_new_objects_leave_the_young_generation(fresh):
    gc.enable()
    with _io.gc_paused():
        kept = [[i] for i in range(50_000)]
    assert gc.get_count()[0] < 1_000  # not 50,000 objects for the next young collection to traverse
    assert gc.get_freeze_count() == 0  # nothing left frozen
    del kept


def test_a_callers_frozen_objects_stay_frozen(fresh):
    gc.enable()
    frozen = [[i] for i in range(1_000)]
    gc.freeze()
    before = gc.get_freeze_count()
    for _ in range(2):  # the second time without counting them again
        with _io.gc_paused():
            [[i] for i in range(1_000)]
        assert gc.get_freeze_count() >= before
    assert _io._caller_froze
    del frozen

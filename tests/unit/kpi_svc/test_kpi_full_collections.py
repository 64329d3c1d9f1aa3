"""The garbage collector's full passes are deferred while a stream catches up, and the process's
thresholds come back once every stream that deferred them resumed them."""

from __future__ import annotations

import gc

import pytest
from kpi_svc.entrypoints import full_collections


@pytest.fixture
def thresholds():
    before = gc.get_threshold()
    gc.set_threshold(700, 10, 10)
    yield
    gc.set_threshold(*before)


def test_a_stream_catching_up_defers_full_passes_and_gives_the_thresholds_back(thresholds):
    stream = object()
    full_collections.defer(stream)
    assert gc.get_threshold() == (700, 10, full_collections.DEFERRED_THRESHOLD)
    assert full_collections.deferred()
    full_collections.resume(stream)
    assert gc.get_threshold() == (700, 10, 10)
    assert not full_collections.deferred()


def test_thresholds_come_back_only_when_the_last_stream_catching_up_is_done(thresholds):
    first, second = object(), object()
    full_collections.defer(first)
    full_collections.defer(second)
    full_collections.defer(first)  # every checkpoint while catching up defers again: no effect
    full_collections.resume(first)
    assert gc.get_threshold()[2] == full_collections.DEFERRED_THRESHOLD
    full_collections.resume(second)
    assert gc.get_threshold() == (700, 10, 10)


def test_resuming_without_having_deferred_changes_nothing(thresholds):
    gc.set_threshold(500, 5, 20)
    full_collections.resume(object())
    assert gc.get_threshold() == (500, 5, 20)

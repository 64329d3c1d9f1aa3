"""`collect_young_objects_less_often` raises the youngest generation's threshold only, and never lowers it."""

from __future__ import annotations

import gc

import pytest
from orderpulse.heap import YOUNG_COLLECTION_THRESHOLD, collect_young_objects_less_often


@pytest.fixture
def thresholds():
    before = gc.get_threshold()
    yield
    gc.set_threshold(*before)


def test_the_young_threshold_is_raised_and_the_older_ones_kept(thresholds):
    gc.set_threshold(700, 10, 10)
    collect_young_objects_less_often()
    assert gc.get_threshold() == (YOUNG_COLLECTION_THRESHOLD, 10, 10)


def test_a_higher_young_threshold_is_kept(thresholds):
    gc.set_threshold(YOUNG_COLLECTION_THRESHOLD * 3, 20, 100)
    collect_young_objects_less_often()
    assert gc.get_threshold() == (YOUNG_COLLECTION_THRESHOLD * 3, 20, 100)

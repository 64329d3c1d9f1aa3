"""Checkpoint layout 2: a delta names its tombstones (key -> until), so the store may keep each
with its order's settled facts instead of as an entity row; a deferred delta encodes a tombstone
only if the writer reads it; merged deltas keep exactly the tombstones the newer one did not
undo; a checkpoint of a layout this code does not know is refused, not restored without what it
may hold elsewhere. (The store itself: tests/integration/kpi_svc/test_kpi_checkpoint_layout.py.)"""

from __future__ import annotations

from datetime import timedelta

import orjson
import pytest
from kpi_events import MONDAY, OrderStory
from kpi_svc.domain import KpiEngine, KpiRules, merge_deltas
from kpi_svc.domain.checkpoint import LAYOUT, READABLE_LAYOUTS

DAY = timedelta(days=1)


def settled(count: int = 2, deferred: bool = False) -> tuple[KpiEngine, object]:
    engine = KpiEngine(KpiRules())
    for number in range(count):
        for item in OrderStory(f"ord_{number}", MONDAY).happy_path():
            engine.apply(item)
    engine.advance(MONDAY + 3 * DAY)
    engine.dirty_snapshot(serialize=orjson.dumps)
    engine.advance(MONDAY + 30 * DAY)  # the claim windows closed: every order leaves memory
    return engine, engine.dirty_snapshot(serialize=orjson.dumps, deferred=deferred)


def test_a_delta_names_the_tombstones_of_the_orders_it_settles_and_still_holds_them_as_entities():
    for deferred in (False, True):
        engine, delta = settled(deferred=deferred)
        assert delta.tombstones == {key: engine.tombstones[key] for key in ("ord_0", "ord_1")}
        assert set(delta.settled) == set(delta.tombstones)
        for key, until in delta.tombstones.items():  # read as an entity: what layout 1 wrote
            assert orjson.loads(delta.orders[key]) == {"kind": "tombstone", "format": 1, "until_ms": until}
        assert delta.meta["format"] == LAYOUT == 2 and sorted(delta.orders) == ["ord_0", "ord_1"]


def test_a_delta_without_evictions_names_no_tombstone():
    engine = KpiEngine(KpiRules())
    for item in OrderStory("ord_1", MONDAY).happy_path():
        engine.apply(item)
    engine.advance(MONDAY + 3 * DAY)
    assert engine.dirty_snapshot(serialize=orjson.dumps, deferred=True).tombstones is None


def test_merged_deltas_keep_the_tombstones_the_newer_delta_did_not_undo():
    engine, failed = settled()
    engine.advance(MONDAY + 90 * DAY)  # the tombstones expire: the keys are removed
    newer = engine.dirty_snapshot(serialize=orjson.dumps, deferred=True)
    assert sorted(newer.removed_orders) == ["ord_0", "ord_1"]
    merged = merge_deltas(failed, newer)
    assert merged.tombstones is None and sorted(merged.removed_orders) == ["ord_0", "ord_1"]
    assert set(merged.settled) == {"ord_0", "ord_1"}  # their facts are still written, with no tombstone
    _, older = settled()
    assert merge_deltas(older, newer._replace(removed_orders=[], tombstones=None)).tombstones == older.tombstones
    revived = newer._replace(orders={"ord_0": b'["order"]'}, removed_orders=[], tombstones=None)
    assert merge_deltas(older, revived).tombstones == {"ord_1": older.tombstones["ord_1"]}


def test_layouts_1_and_2_restore_and_any_other_is_refused():
    engine, delta = settled()
    orders = {key: orjson.loads(delta.orders[key]) for key in delta.orders}
    buckets = {key: orjson.loads(value) for key, value in delta.buckets.items()}
    assert READABLE_LAYOUTS == (1, 2)
    for layout in READABLE_LAYOUTS:
        again = KpiEngine.restore(KpiRules(), orders, buckets, {**delta.meta, "format": layout})
        assert dict(again.tombstones.items()) == dict(engine.tombstones.items())
    with pytest.raises(ValueError, match="checkpoint format 3"):
        KpiEngine.restore(KpiRules(), orders, buckets, {**delta.meta, "format": 3})

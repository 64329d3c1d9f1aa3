"""Checkpoint deltas whose orders are encoded as the store writes them (`dirty_snapshot(deferred=True)`,
what kpi-svc's stream takes) write exactly what a delta encoded at once would have, whatever happens
between taking the delta and writing it: a read that reconciles the changed orders it holds, the
clock moving, the cap on expanded orders, a failed save merged into the next one with events
applied in between."""

import json
from dataclasses import replace
from datetime import timedelta

from hypothesis import given
from hypothesis import strategies as st
from kpi_events import MONDAY, OrderStory
from kpi_svc.domain import KpiEngine, KpiRules, merge_deltas
from test_kpi_properties import FINAL, HOUR, PROPERTY_SETTINGS, RULES, keep, outcome, scenario

DAY = timedelta(days=1)
WRITE, READ_THEN_WRITE, FAIL = "write", "read, then write", "fail"


def as_json(value) -> bytes:
    return json.dumps(value).encode()


def write(delta, database: dict) -> None:
    """`keep` of the property tests (the wiring's tables), for payloads serialized to bytes."""
    keep(delta._replace(orders={k: json.loads(v) for k, v in delta.orders.items()},
                        buckets={k: json.loads(v) for k, v in delta.buckets.items()}), database)


class Replica:
    """An engine checkpointed into its own tables, its deltas encoded at once or deferred."""

    def __init__(self, rules, deferred: bool) -> None:
        self.engine, self.deferred = KpiEngine(rules), deferred
        self.database: dict = {}
        self.failed = None

    def checkpoint(self, clock, flush: bool, step: str) -> None:
        self.engine.advance(clock, flush=flush)
        delta = self.engine.dirty_snapshot(serialize=as_json, flush=flush, deferred=self.deferred)
        if self.failed is not None:
            delta, self.failed = merge_deltas(self.failed, delta), None
        if step == READ_THEN_WRITE:
            self.engine.report("30d", FINAL)  # reconciles what the delta holds unreconciled (flush=False)
        if step == FAIL:
            self.failed = delta
        else:
            write(delta, self.database)


@PROPERTY_SETTINGS
@given(data=st.data())
def test_a_deferred_delta_writes_what_a_delta_encoded_at_once_writes(data):
    events = data.draw(st.permutations(data.draw(scenario())))
    every = data.draw(st.integers(1, 4))
    flush = data.draw(st.booleans())
    rules = data.draw(st.sampled_from([RULES, replace(RULES, hot_orders_cap=1)]))
    steps = data.draw(st.lists(st.sampled_from([WRITE, READ_THEN_WRITE, FAIL]), min_size=1, max_size=6))
    at_once, deferred = Replica(rules, deferred=False), Replica(rules, deferred=True)
    for position, item in enumerate(events):
        for replica in (at_once, deferred):
            replica.engine.apply(item)
        if (position + 1) % every == 0:
            step = steps[(position + 1) // every % len(steps)]
            for replica in (at_once, deferred):
                replica.checkpoint(MONDAY + position * 3 * HOUR, flush, step)
            assert deferred.database == at_once.database
    tables = deferred.database
    restored = KpiEngine.restore(rules, tables.get("orders", {}), tables.get("buckets", {}), tables.get("meta"))
    written = at_once.database
    restored_at_once = KpiEngine.restore(rules, written.get("orders", {}), written.get("buckets", {}), written.get("meta"))
    for engine in (restored, restored_at_once):
        engine.advance(FINAL)
    assert outcome(restored) == outcome(restored_at_once)


def test_a_deferred_delta_holds_the_orders_as_they_were_when_it_was_taken():
    placed = OrderStory("ord_1", MONDAY).placed()
    taken_at_once, taken_deferred = KpiEngine(RULES), KpiEngine(RULES)
    for engine in (taken_at_once, taken_deferred):
        engine.apply(placed)
    encoded = taken_at_once.dirty_snapshot(serialize=as_json, flush=False).orders
    deferred = taken_deferred.dirty_snapshot(serialize=as_json, flush=False, deferred=True).orders
    assert "ord_1" in deferred and len(deferred) == 1
    taken_deferred.report("30d", FINAL)  # reconciles ord_1, which the delta holds unreconciled
    assert deferred["ord_1"] == encoded["ord_1"]
    reconciled = taken_deferred.dirty_snapshot(serialize=as_json).orders["ord_1"]
    assert reconciled != encoded["ord_1"]


def test_a_failed_deferred_delta_whose_order_left_memory_since_is_merged_with_the_next_one():
    """A save failed; before the next checkpoint the clock evicts the order the delta holds: the
    delta is pinned first, so the merge writes the order's tombstone, not an error."""
    engine = KpiEngine(KpiRules())
    for item in OrderStory("ord_1", MONDAY).happy_path():
        engine.apply(item)
    engine.advance(MONDAY + 3 * DAY)
    failed = engine.dirty_snapshot(serialize=as_json, deferred=True)
    engine.advance(MONDAY + 30 * DAY)  # the claim window closed: ord_1 leaves memory
    assert engine.open_orders == 0 and "ord_1" in engine.tombstones
    merged = merge_deltas(failed, engine.dirty_snapshot(serialize=as_json, deferred=True))
    assert json.loads(merged.orders["ord_1"])["kind"] == "tombstone"


def test_a_deferred_delta_encodes_its_settled_orders_when_read_and_as_a_delta_encoded_at_once_would():
    """Orders that left memory go into the delta as they were held (compressed or expanded) and
    are encoded one by one as the store reads them, never all at once (the clock jump at the end
    of a replay settles thousands together)."""
    engines = {deferred: KpiEngine(KpiRules()) for deferred in (False, True)}
    events = [item for number in range(3) for item in OrderStory(f"ord_{number}", MONDAY).happy_path()]
    for engine in engines.values():
        for item in events:
            engine.apply(item)
        engine.advance(MONDAY + 3 * DAY)
        engine.dirty_snapshot(serialize=as_json)
        engine.advance(MONDAY + 30 * DAY)  # the claim windows closed: every order leaves memory
    at_once = engines[False].dirty_snapshot(serialize=as_json).settled
    deferred = engines[True].dirty_snapshot(serialize=as_json, deferred=True).settled
    assert type(deferred).__name__ == "DeferredSettled" and type(at_once) is dict
    assert sorted(deferred) == sorted(at_once) == ["ord_0", "ord_1", "ord_2"] and "ord_1" in deferred
    assert {key: deferred[key] for key in deferred} == at_once  # payloads and keep-untils
    assert merge_deltas(engines[True].dirty_snapshot(serialize=as_json, deferred=True),
                        engines[True].dirty_snapshot(serialize=as_json, deferred=True)).settled is None

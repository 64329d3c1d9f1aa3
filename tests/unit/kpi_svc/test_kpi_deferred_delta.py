"""Checkpoint deltas whose orders are encoded as the store writes them (`dirty_snapshot(deferred=True)`,
what kpi-svc's stream takes): what gets written is the engine as it was when the delta was taken,
whatever happens before the write - a read that reconciles changed orders, a failed save merged
into the next one with events applied in between - so a crash and restore at any point gives the
figures of an engine that never crashed."""

import json
from collections import Counter
from dataclasses import replace

from hypothesis import given
from hypothesis import strategies as st
from kpi_events import MONDAY, OrderStory
from kpi_svc.domain import KpiEngine, merge_deltas
from test_kpi_properties import FINAL, HOUR, PROPERTY_SETTINGS, RULES, keep, outcome, scenario

WRITE, READ_THEN_WRITE, FAIL = "write", "read, then write", "fail"


def as_json(value) -> bytes:
    return json.dumps(value).encode()


def keep_bytes(delta, database: dict) -> None:
    """`keep` of the property tests, for payloads serialized to bytes."""
    decoded = delta._replace(orders={k: json.loads(v) for k, v in delta.orders.items()},
                             buckets={k: json.loads(v) for k, v in delta.buckets.items()})
    keep(decoded, database)


def process(engine: KpiEngine, events: list[dict], start: int, stop: int, every: int, flush: bool, steps: list[str],
            database: dict | None, observations: list) -> tuple[int, list]:
    """Apply events[start:stop] with a checkpoint every `every` events; at checkpoint n, steps[n]
    happens between taking the delta and writing it. The observations drained are added to
    `observations` once written. Returns the position the database holds and the observations
    of a failed checkpoint not written since."""
    written = start
    failed, failed_observations = None, []
    for position in range(start, stop):
        engine.apply(events[position])
        if (position + 1) % every:
            continue
        engine.advance(MONDAY + position * 3 * HOUR, flush=flush)
        delta = engine.dirty_snapshot(serialize=as_json, flush=flush, deferred=True)
        drained = failed_observations + engine.drain_observations()
        if failed is not None:
            delta, failed = merge_deltas(failed, delta), None
        step = steps[(position + 1) // every % len(steps)]
        if step == READ_THEN_WRITE:
            engine.report("30d", FINAL)  # reconciles what the delta holds unreconciled (flush=False)
        if step == FAIL:
            failed, failed_observations = delta, drained
            continue
        failed_observations = []
        if database is not None:
            keep_bytes(delta, database)
        observations += drained
        written = position + 1
    return written, failed_observations


@PROPERTY_SETTINGS
@given(data=st.data())
def test_a_crash_and_restore_at_any_point_gives_the_figures_of_no_crash_whatever_happened_before_a_write(data):
    events = data.draw(st.permutations(data.draw(scenario())))
    every = data.draw(st.integers(1, 4))
    flush = data.draw(st.booleans())
    rules = data.draw(st.sampled_from([RULES, replace(RULES, hot_orders_cap=1)]))
    steps = data.draw(st.lists(st.sampled_from([WRITE, READ_THEN_WRITE, FAIL]), min_size=1, max_size=6))
    crash_at = data.draw(st.integers(0, len(events)))

    seen_without_crash: list = []
    uninterrupted = KpiEngine(rules)
    _, not_written = process(uninterrupted, events, 0, len(events), every, flush, steps, None, seen_without_crash)
    seen_without_crash += not_written  # a checkpoint that succeeds at last
    uninterrupted.advance(FINAL)

    database: dict = {}
    seen_with_crash: list = []
    crashed = KpiEngine(rules)
    written, _ = process(crashed, events, 0, crash_at, every, flush, steps, database, seen_with_crash)
    restored = KpiEngine.restore(rules, database.get("orders", {}), database.get("buckets", {}), database.get("meta"))
    _, not_written = process(restored, events, written, len(events), every, flush, steps, database, seen_with_crash)
    seen_with_crash += not_written
    restored.advance(FINAL)

    assert outcome(restored) == outcome(uninterrupted)
    seen_without_crash += uninterrupted.drain_observations()
    seen_with_crash += restored.drain_observations()
    assert Counter(seen_with_crash) == Counter(seen_without_crash)


def test_a_deferred_delta_holds_the_orders_as_they_were_when_it_was_taken():
    story = OrderStory("ord_1", MONDAY)
    taken_at_once, taken_deferred = KpiEngine(RULES), KpiEngine(RULES)
    for engine in (taken_at_once, taken_deferred):
        engine.apply(story.placed())
    encoded = taken_at_once.dirty_snapshot(serialize=as_json, flush=False).orders
    deferred = taken_deferred.dirty_snapshot(serialize=as_json, flush=False, deferred=True).orders
    assert "ord_1" in deferred and len(deferred) == 1
    taken_deferred.report("30d", FINAL)  # reconciles ord_1, which the delta holds unreconciled
    assert deferred["ord_1"] == encoded["ord_1"]
    reconciled = taken_deferred.dirty_snapshot(serialize=as_json).orders["ord_1"]
    assert reconciled != encoded["ord_1"]

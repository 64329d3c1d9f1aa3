"""hot_orders_cap: past it every expanded order is compressed. Memory only: the figures, failures,
scorecards and checkpoints are those of an engine without the cap, in any arrival order."""

from dataclasses import replace
from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from kpi_events import MONDAY, OrderStory
from kpi_svc.domain import KpiEngine, KpiRules
from kpi_svc.domain.event_ids import as_strings
from test_kpi_properties import (
    FINAL,
    PROPERTY_SETTINGS,
    RULES,
    assert_observations_consistent,
    hours,
    keep,
    outcome,
    scenario,
)

UNCAPPED = replace(RULES, hot_orders_cap=None)
CAPPED = replace(RULES, hot_orders_cap=1)  # a second expanded order compresses both


def run(rules: KpiRules, events: list[dict], ticks: dict[int, object], every: int, flush: bool,
        database: dict | None = None) -> KpiEngine:
    engine = KpiEngine(rules)
    for position, item in enumerate(events):
        if position in ticks:
            engine.advance(ticks[position], flush=flush)
        engine.apply(item)
        if database is not None and (position + 1) % every == 0:
            keep(engine.dirty_snapshot(flush=flush), database)
    engine.advance(FINAL)
    return engine


@PROPERTY_SETTINGS
@given(data=st.data())
def test_the_cap_changes_no_figure_verdict_or_scorecard(data):
    events = data.draw(st.permutations(data.draw(scenario())))
    positions = data.draw(st.lists(st.integers(0, len(events)), max_size=4, unique=True))
    ticks = dict(zip(sorted(positions), sorted(MONDAY + hours(data.draw, 0, 8 * 24) for _ in positions), strict=True))
    flush = data.draw(st.booleans())
    reference = run(UNCAPPED, events, ticks, 1, flush)
    capped = run(CAPPED, events, ticks, 1, flush)
    assert outcome(capped) == outcome(reference)
    # revisions may differ: orders are reconciled at other moments, as when a read flushes them
    assert_observations_consistent(capped)


@PROPERTY_SETTINGS
@given(data=st.data())
def test_checkpoints_written_under_the_cap_restore_the_same_figures(data):
    events = data.draw(st.permutations(data.draw(scenario())))
    every = data.draw(st.integers(1, 6))
    flush = data.draw(st.booleans())
    crash_at = data.draw(st.integers(0, len(events)))
    database: dict = {}
    run(CAPPED, events[:crash_at], {}, every, flush, database)
    checkpointed = crash_at - crash_at % every
    restored = KpiEngine.restore(CAPPED, database.get("orders", {}), database.get("buckets", {}), database.get("meta"))
    for item in events[checkpointed:]:
        restored.apply(item)
    restored.advance(FINAL)
    assert outcome(restored) == outcome(run(UNCAPPED, events, {}, 1, flush))


def test_past_the_cap_the_orders_expanded_longest_are_compressed_and_thawed_by_their_next_event():
    engine = KpiEngine(replace(KpiRules(), hot_orders_cap=2))
    stories = [OrderStory(f"ord_{n}", MONDAY) for n in range(3)]
    for story in stories:
        engine.apply(story.placed())
    assert list(engine.orders) == ["ord_2"] and sorted(engine.cold) == ["ord_0", "ord_1"]
    engine.apply(stories[0].confirmed(MONDAY + timedelta(minutes=3)))
    assert list(engine.orders) == ["ord_2", "ord_0"] and engine.open_orders == 3
    assert as_strings(engine.peek_order("ord_0").seen) == [event["id"] for event in stories[0].events]
    assert engine.peek_order("ord_1").placed is not None


def test_the_cap_must_be_positive():
    with pytest.raises(ValueError):
        KpiRules(hot_orders_cap=0)
    with pytest.raises(ValueError):
        KpiRules(evictions_per_advance=0)


def test_at_most_evictions_per_advance_orders_leave_memory_per_advance_the_others_at_the_next():
    events = [event for n in range(3) for event in OrderStory(f"ord_{n}", MONDAY).happy_path()]
    limited = KpiEngine(replace(KpiRules(), evictions_per_advance=1))
    unlimited = KpiEngine(replace(KpiRules(), evictions_per_advance=None))
    for engine in (limited, unlimited):
        for item in events:
            engine.apply(item)
    later = MONDAY + timedelta(days=20)
    unlimited.advance(later)
    assert unlimited.open_orders == 0
    for left in (2, 1, 0):
        limited.advance(later)
        assert limited.open_orders == left
        assert limited.report("30d", later) == unlimited.report("30d", later)
    settled = {order.order_id for order, _ in limited.take_settled()}
    assert settled == {"ord_0", "ord_1", "ord_2"} and all(f"ord_{n}" in limited.tombstones for n in range(3))

"""Live, a settled order leaves memory once quiet (advance(spill=True)): its facts go to the
settled orders of the checkpoint delta, a tombstone stays as long as if it had waited out its
claim window, and a later event revives it (as the stream does: from the stored payload) -
with exactly the figures of an engine that kept it. Orders in flight, or with a clock still
running, are compressed instead; a replay (spill=False) keeps settled orders compressed."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st
from kpi_events import MONDAY, OrderStory
from kpi_svc.domain import DUPLICATE, EVICTED, KpiEngine, KpiRules
from kpi_svc.domain.values import datetime_to_ms
from test_kpi_properties import FINAL, PROPERTY_SETTINGS, RULES, hours, outcome, scenario

DAY, HOUR, SECOND = timedelta(days=1), timedelta(hours=1), timedelta(seconds=1)


def last_time(events: list[dict]) -> datetime:
    return max(datetime.fromisoformat(item["time"]) for item in events)


def delivered(order_id: str = "ord_1") -> tuple[OrderStory, KpiEngine, datetime]:
    story = OrderStory(order_id)
    story.happy_path()
    engine = KpiEngine()
    for item in story.events:
        engine.apply(item)
    return story, engine, last_time(story.events)


def test_a_quiet_settled_order_leaves_memory_live_and_its_facts_go_to_the_delta():
    _story, engine, last = delivered()
    quiet = timedelta(seconds=KpiRules().cold_after_s)
    engine.advance(last + quiet - SECOND, spill=True)
    assert "ord_1" in engine.orders  # not quiet yet
    engine.advance(last + quiet, spill=True)
    assert engine.open_orders == 0 and "ord_1" in engine.tombstones
    delta = engine.dirty_snapshot()
    assert set(delta.settled) == {"ord_1"} and delta.orders["ord_1"]["kind"] == "tombstone"
    keep_until = delta.settled["ord_1"][1]
    assert keep_until == datetime_to_ms(last) + KpiRules().settled_retention_s * 1000


def test_its_tombstone_lasts_as_long_as_if_it_had_waited_out_its_claim_window():
    _story, engine, last = delivered()
    engine.advance(last + timedelta(seconds=KpiRules().cold_after_s), spill=True)
    rules = KpiRules()
    evicted_at = datetime_to_ms(last) + (rules.claim_window_s + rules.eviction_grace_s) * 1000
    until = engine.tombstones["ord_1"]
    assert evicted_at + rules.longest_window_s * 1000 <= until < evicted_at + rules.longest_window_s * 1000 + 3_600_000


def test_while_replaying_a_quiet_settled_order_is_compressed_not_spilled():
    _story, engine, last = delivered()
    engine.advance(last + HOUR)  # spill=False: what a replay passes
    assert "ord_1" in engine.cold and "ord_1" not in engine.tombstones
    assert engine.dirty_snapshot().settled is None


def test_an_order_in_flight_is_compressed_not_spilled():
    story = OrderStory("ord_1")
    story.placed()
    story.confirmed(MONDAY + HOUR)
    engine = KpiEngine()
    for item in story.events:
        engine.apply(item)
    engine.advance(MONDAY + 2 * HOUR, spill=True)
    assert "ord_1" in engine.cold and "ord_1" not in engine.tombstones


def test_a_settled_order_with_an_issue_clock_running_stays_until_the_clock_passes():
    story, engine, last = delivered()
    engine.apply(story.issue_opened(last + HOUR, category="late"))  # ack due a day later
    engine.advance(last + 2 * HOUR, spill=True)
    assert "ord_1" in engine.cold and "ord_1" not in engine.tombstones
    engine.advance(last + 2 * DAY + 2 * HOUR, spill=True)  # both issue clocks passed: breaches counted
    assert "ord_1" in engine.tombstones and engine.open_orders == 0


def test_a_late_event_revives_a_spilled_order_with_the_figures_it_would_have_had():
    story, engine, last = delivered()
    kept = KpiEngine()
    for item in story.events:
        kept.apply(item)
    store: dict = {}
    late = story.feedback(last + HOUR, csat=2)
    for target, spill in ((engine, True), (kept, False)):
        target.advance(last + HOUR - SECOND, spill=spill)
        keep_settled(target, store)
        apply_live(target, late, store)
        target.advance(last + 2 * HOUR, spill=spill)
        keep_settled(target, store)
    assert "ord_1" in engine.tombstones and "ord_1" in kept.cold
    for window in ("1h", "24h", "7d", "30d"):
        assert engine.report(window, last + 2 * HOUR) == kept.report(window, last + 2 * HOUR)
    assert apply_live(engine, late, store) in (DUPLICATE, EVICTED)  # counted once


def keep_settled(engine: KpiEngine, store: dict) -> None:
    """The wiring's kpi_settled table (via JSON, as PostgreSQL holds it)."""
    delta = engine.dirty_snapshot()
    for order_id, (payload, _until) in (delta.settled or {}).items():
        store[order_id] = json.loads(json.dumps(payload))


def apply_live(engine: KpiEngine, item: dict, store: dict):
    """What the stream does: an event of a settled order revives its stored facts first."""
    outcome_ = engine.apply(item)
    if outcome_ is EVICTED:
        order_id = item["data"]["order_id"]
        if order_id in store:
            engine.revive(order_id, store[order_id], {item["id"]})
        outcome_ = engine.apply(item)
    return outcome_


def scorecards_of_every_order(engine: KpiEngine, store: dict, order_ids: set[str]) -> dict:
    cards = {}
    for order_id in sorted(order_ids):
        card = engine.scorecard(order_id)
        if card is None and order_id in store:  # spilled: the stream answers from the store, at its clock
            stored = KpiEngine.restore(RULES, {order_id: store[order_id]}, {}, {"clock_ms": engine.clock_ms})
            card = stored.scorecard(order_id)
        if card is not None:
            card.pop("revisions")
        cards[order_id] = card
    return cards


@PROPERTY_SETTINGS
@given(data=st.data())
def test_spilling_settled_orders_and_reviving_them_gives_the_same_figures_as_keeping_them(data):
    events = data.draw(st.permutations(data.draw(scenario())))
    ticks = sorted(MONDAY + hours(data.draw, 0, 8 * 24) for _ in range(data.draw(st.integers(1, 8))))
    positions = sorted(data.draw(st.lists(st.integers(0, len(events)), min_size=len(ticks), max_size=len(ticks))))
    results = []
    for spill in (False, True):
        engine, store = KpiEngine(RULES), {}
        for position, item in enumerate(events):
            for at, tick in zip(positions, ticks, strict=True):
                if at == position:
                    engine.advance(tick, spill=spill)
                    keep_settled(engine, store)
            apply_live(engine, item, store)
        engine.advance(FINAL, spill=spill)
        keep_settled(engine, store)
        figures = outcome(engine)
        figures = {key: value for key, value in figures.items() if not key.startswith("ord_")}  # cards below
        order_ids = {item["data"]["order_id"] for item in events}
        results.append((figures, scorecards_of_every_order(engine, store, order_ids)))
    assert results[1] == results[0]


def test_orders_that_left_memory_leave_few_stale_wake_entries_behind():
    stories = []
    for number in range(300):
        story = OrderStory(f"ord_{number}")
        story.happy_path()
        stories.append(story)
    engine = KpiEngine()
    for story in stories:
        for item in story.events:
            engine.apply(item)
    last = last_time([item for story in stories for item in story.events])
    engine.advance(last + HOUR)  # replaying: kept compressed, each with a wake at its eviction, 7 days on
    assert len(engine.cold) == 300
    for story in stories:
        engine.apply(story.feedback(last + 2 * HOUR, csat=5))  # thawed: that wake entry is stale now
    engine.advance(last + 3 * HOUR, spill=True)
    assert engine.open_orders == 0 and len(engine.tombstones) == 300
    assert len(engine.wakes) <= 64  # compacted: not one stale entry per order that left

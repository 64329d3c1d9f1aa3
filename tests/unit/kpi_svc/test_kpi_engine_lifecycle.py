"""The engine as the wiring layer sees it: apply outcomes, bad input, observations, eviction,
checkpoint deltas and restore."""

import json
from datetime import datetime, timedelta

import pytest
from kpi_events import MONDAY, OrderStory, engine_after, event, figure, shift
from kpi_svc.domain import DUPLICATE, EVICTED, IGNORED, InvalidEvent, KpiEngine, KpiRules
from kpi_svc.domain.codec import ORDER_FIELDS
from kpi_svc.domain.event_ids import holds, uuid_key

DAY = timedelta(days=1)
HOUR = timedelta(hours=1)
NOW = MONDAY + 5 * DAY


def delivered_story(order_id: str = "ord_1") -> OrderStory:
    story = OrderStory(order_id)
    story.happy_path()  # delivered Thursday 10:00
    return story


# --- apply ----------------------------------------------------------------------------------
def test_an_event_applied_twice_is_a_duplicate_and_changes_nothing():
    story = delivered_story()
    engine = engine_after(story.events, NOW)
    before = engine.report("7d", NOW)
    assert engine.apply(story.events[2]) is DUPLICATE
    assert engine.apply(story.events[2]).duplicate
    assert engine.report("7d", NOW) == before
    assert engine.stats["duplicate"] == 2


def test_unknown_types_and_versions_are_ignored_and_counted():
    engine = KpiEngine()
    assert engine.apply(event("order.teleported.v1", "ord_1", MONDAY, {"order_id": "ord_1"})) is IGNORED
    assert engine.apply(event("order.placed.v2", "ord_1", MONDAY, {"order_id": "ord_1"})) is IGNORED
    assert engine.apply(event("customer.upserted.v1", "cus_1", MONDAY, {"customer_id": "cus_1"})) is IGNORED
    assert engine.stats["ignored"] == 3 and not engine.orders


@pytest.mark.parametrize("breakage", [
    lambda e: e.pop("id"),
    lambda e: e.pop("time"),
    lambda e: e.update(time="2026-11-16T10:00:00"),  # no offset
    lambda e: e.update(time="yesterday"),
    lambda e: e.update(data="not an object"),
    lambda e: e["data"].update(csat=9),
    lambda e: (e["data"].pop("order_id"), e.pop("partitionkey")),
])
def test_a_malformed_event_raises_invalid_event_and_leaves_no_trace(breakage):
    broken = OrderStory().feedback(MONDAY, 5)
    breakage(broken)
    engine = KpiEngine()
    with pytest.raises(InvalidEvent):
        engine.apply(broken)
    assert not engine.orders and not engine.take_changed_keys()


def test_a_malformed_event_of_a_known_order_does_not_touch_its_facts():
    story = OrderStory()
    story.placed()
    engine = engine_after(story.events)
    broken = story.dispatched(MONDAY + DAY, shipping_cost="a lot")
    with pytest.raises(InvalidEvent):
        engine.apply(broken)
    assert engine.orders["ord_1"].dispatches is None
    assert not holds(engine.orders["ord_1"].seen, broken["id"], uuid_key(broken["id"]))
    broken["data"]["shipping_cost"] = "4.90"
    assert engine.apply(broken).outcome == "applied"  # fixed and redelivered: applied normally


# --- observations -----------------------------------------------------------------------------
def test_counters_and_histograms_are_observed_once_per_fact_whatever_the_duplicates():
    story = OrderStory()
    story.placed(requested_at=MONDAY - timedelta(seconds=90), tier="vip", channel="mobile")
    story.packed(MONDAY + DAY)
    story.dispatched(MONDAY + DAY + HOUR, warehouse="wh_leipzig", carrier="ups")
    story.completed(MONDAY + 3 * DAY)
    engine = engine_after(story.events + story.events, NOW)
    engine.flush()
    assert sorted(engine.drain_observations()) == sorted([
        ("entry_seconds", "mobile", 90.0),
        ("order_delivered", "ups", "vip", True),
        ("processing_seconds", "vip", 3 * 86400.0),
        ("time_to_ship_seconds", "wh_leipzig", 86400.0 + 3600.0),
    ])
    engine.flush()
    assert engine.drain_observations() == []


def test_a_failed_component_is_observed_once_even_when_its_verdict_flips_back_and_forth():
    story = delivered_story()
    engine = engine_after(story.events, NOW)
    engine.flush()
    engine.drain_observations()
    claim = story.issue_opened(NOW, category="billing")
    engine.apply(claim)
    engine.flush()
    assert ("component_failure", "documentation", "dhl", "standard") in engine.drain_observations()


# --- eviction -------------------------------------------------------------------------------
def test_an_order_is_dropped_once_its_claim_window_closed_and_later_events_for_it_are_ignored():
    story = delivered_story()
    engine = engine_after(story.events, NOW)
    figures = engine.report("30d", NOW + 8 * DAY)
    closes = MONDAY + 3 * DAY + 7 * DAY + HOUR  # delivered + claim window + eviction grace
    engine.advance(closes - timedelta(milliseconds=1))
    assert engine.scorecard("ord_1") is not None
    engine.advance(closes)
    assert engine.scorecard("ord_1") is None
    assert engine.apply(story.feedback(closes + HOUR, 1)) is EVICTED
    assert engine.apply(story.events[0]) is EVICTED  # a replayed old event cannot count twice
    assert engine.report("30d", NOW + 8 * DAY) == figures  # its contribution stays
    delta = engine.dirty_snapshot()
    assert delta.orders["ord_1"] == {"kind": "tombstone", "format": 1, "until_ms": engine.tombstones["ord_1"]}


def test_the_tombstone_of_an_evicted_order_goes_once_it_left_the_longest_window():
    engine = engine_after(delivered_story().events, MONDAY + 11 * DAY)
    assert "ord_1" in engine.tombstones
    engine.dirty_snapshot()
    engine.advance(MONDAY + 42 * DAY)
    assert "ord_1" not in engine.tombstones
    assert engine.dirty_snapshot().removed_orders == ["ord_1"]


def test_an_open_issue_clock_keeps_the_order_until_it_has_run_out():
    story = delivered_story()
    story.issue_opened(MONDAY + 10 * DAY, category="late")  # after the claim window: no claim, still an issue
    engine = engine_after(story.events, MONDAY + 10 * DAY + 2 * HOUR)
    assert engine.scorecard("ord_1") is not None
    engine.advance(MONDAY + 12 * DAY + 2 * HOUR)  # resolve_due passed: nothing can change any more
    assert engine.scorecard("ord_1") is None
    assert figure(engine, "issue_resolved_within_sla", MONDAY + 12 * DAY + 2 * HOUR) == (0, 1)


def test_an_order_that_never_completes_is_dropped_after_a_month_of_silence():
    story = OrderStory()
    story.placed()
    engine = engine_after(story.events, MONDAY + 30 * DAY)
    assert engine.scorecard("ord_1") is not None
    engine.advance(MONDAY + 30 * DAY + 2 * HOUR)
    assert engine.scorecard("ord_1") is None


# --- checkpoints ----------------------------------------------------------------------------
def stored(delta, database: dict) -> dict:
    """What the wiring would keep: latest payload per key, removals deleted (via JSON)."""
    for name, table, removed in (("orders", delta.orders, delta.removed_orders),
                                 ("buckets", delta.buckets, delta.removed_buckets)):
        rows = database.setdefault(name, {})
        rows.update(json.loads(json.dumps(table)))
        for key in removed:
            rows.pop(key, None)
    database["meta"] = json.loads(json.dumps(delta.meta))
    return database


def test_a_delta_holds_only_what_changed_since_the_previous_one():
    first, second = delivered_story("o1"), delivered_story("o2")
    engine = engine_after(first.events + second.events, NOW)
    delta = engine.dirty_snapshot()
    assert set(delta.orders) == {"o1", "o2"} and delta.buckets
    assert not engine.dirty_snapshot().orders and not engine.dirty_snapshot().buckets
    engine.apply(first.feedback(NOW, 4))
    delta = engine.dirty_snapshot()
    assert set(delta.orders) == {"o1"} and len(delta.buckets) == 2  # one minute bucket, one hour bucket


def test_an_engine_restored_from_its_deltas_reports_and_explains_the_same():
    stories = [delivered_story(f"o{n}") for n in range(4)]
    stories[1].issue_opened(NOW - HOUR, category="damaged")
    labor = shift("wh_berlin", "s1", MONDAY, MONDAY + 8 * HOUR)
    engine = KpiEngine()
    database: dict = {}
    for number, item in enumerate([e for s in stories for e in s.events] + [labor]):
        engine.apply(item)
        if number % 7 == 0:
            engine.advance(MONDAY + number * HOUR)
            stored(engine.dirty_snapshot(), database)
    engine.advance(NOW)
    stored(engine.dirty_snapshot(), database)
    restored = KpiEngine.restore(KpiRules(), database["orders"], database["buckets"], database["meta"])
    for window in ("1h", "24h", "7d", "30d"):
        assert restored.report(window) == engine.report(window)
        assert restored.report(window, by="warehouse") == engine.report(window, by="warehouse")
    assert restored.failures("7d") == engine.failures("7d")
    assert restored.scorecard("o1") == engine.scorecard("o1")
    later = NOW + DAY
    claim = stories[0].issue_opened(NOW + HOUR, category="damaged")
    for target in (engine, restored):
        target.apply(claim)
        target.advance(later)
    assert restored.report("7d") == engine.report("7d")
    assert restored.scorecard("o0") == engine.scorecard("o0")


def test_a_checkpoint_taken_without_flushing_restores_to_the_same_figures():
    story = delivered_story()
    engine = engine_after(story.events[:3])
    engine.advance(MONDAY + DAY, flush=False)
    database = stored(engine.dirty_snapshot(flush=False), {})
    assert database["orders"]["ord_1"][ORDER_FIELDS.index("dirty")]  # saved with its dirty mask
    restored = KpiEngine.restore(KpiRules(), database["orders"], database.get("buckets", {}), database["meta"])
    for target in (engine, restored):
        for item in story.events[3:]:
            target.apply(item)
        target.advance(NOW)
    assert restored.report("7d") == engine.report("7d")


def test_bytes_payloads_when_the_wiring_passes_a_serializer():
    engine = engine_after(delivered_story().events, NOW)
    delta = engine.dirty_snapshot(serialize=lambda value: json.dumps(value).encode())
    assert isinstance(delta.orders["ord_1"], bytes)
    assert all(isinstance(row, bytes) for row in delta.buckets.values())


# --- quiet settled orders kept compressed ------------------------------------------------------
def test_a_delivered_order_quiet_for_its_quiet_time_is_kept_compressed_and_still_explained():
    story = delivered_story()  # last event: the completion
    quiet = timedelta(seconds=KpiRules().cold_after_s)
    last = max(datetime.fromisoformat(item["time"]) for item in story.events)
    engine = engine_after(story.events, last)
    assert "ord_1" in engine.orders
    engine.advance(last + quiet - timedelta(milliseconds=1))
    assert "ord_1" in engine.orders  # not quiet long enough yet
    engine.advance(last + quiet)
    assert "ord_1" in engine.cold and "ord_1" not in engine.orders
    assert engine.order_ids() == ["ord_1"]
    assert engine.scorecard("ord_1")["perfect"] is True
    assert engine.cold.size_of("ord_1") < 1500


def test_a_claim_for_a_compressed_order_thaws_it_and_revises_its_verdict():
    story = delivered_story()
    engine = engine_after(story.events, NOW)
    assert "ord_1" in engine.cold
    engine.dirty_snapshot()
    assert engine.apply(story.events[0]) is DUPLICATE  # its event ids came along
    engine.apply(story.issue_opened(NOW + HOUR, category="damaged"))
    engine.advance(NOW + HOUR)
    assert figure(engine, "damage_free", NOW + HOUR) == (0, 1)
    assert engine.scorecard("ord_1")["revisions"][0]["component"] == "damage_free"
    assert set(engine.dirty_snapshot().orders) == {"ord_1"}


def test_a_compressed_order_is_still_dropped_when_its_claim_window_closes():
    engine = engine_after(delivered_story().events, NOW)
    assert "ord_1" in engine.cold
    engine.advance(MONDAY + 10 * DAY + HOUR)
    assert not engine.cold and "ord_1" in engine.tombstones

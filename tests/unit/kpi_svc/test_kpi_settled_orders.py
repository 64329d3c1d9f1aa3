"""Settled orders stay answerable: an evicted order's facts go into the checkpoint delta (kept
90 days, a rule), and a late event for it revives them, so it revises the window it belongs to
exactly as if the order had never left memory."""

from __future__ import annotations

from datetime import timedelta

import orjson
from kpi_events import MONDAY, OrderStory, engine_after, figure
from kpi_svc.domain import APPLIED, EVICTED, KpiRules
from kpi_svc.domain.values import datetime_to_ms

DAY, HOUR = timedelta(days=1), timedelta(hours=1)
SETTLED = MONDAY + 3 * DAY + 7 * DAY + HOUR  # delivered + claim window + eviction grace


def evicted_with_its_facts():
    story = OrderStory("ord_1", MONDAY)
    story.happy_path(MONDAY + 3 * DAY)
    engine = engine_after(story.events, SETTLED)
    delta = engine.dirty_snapshot(serialize=orjson.dumps)
    payload, keep_until = delta.settled["ord_1"]
    return story, engine, orjson.loads(payload), keep_until


def test_an_evicted_order_leaves_its_facts_and_how_long_to_keep_them_in_the_delta():
    story, engine, payload, keep_until = evicted_with_its_facts()
    assert "ord_1" in engine.tombstones and engine.scorecard("ord_1") is None
    assert keep_until == datetime_to_ms(MONDAY + 3 * DAY) + KpiRules().settled_retention_s * 1000
    assert engine.dirty_snapshot().settled is None  # handed out once


def test_late_events_of_a_settled_order_revise_the_windows_they_belong_to():
    story, engine, payload, _ = evicted_with_its_facts()
    late = [
        story.feedback(SETTLED + DAY, csat=2),
        story.issue_opened(SETTLED + DAY, category="damaged", issue_id="iss_late"),  # past the claim window
        story.issue_acknowledged(SETTLED + 3 * DAY, issue_id="iss_late"),  # late: ack_due passed
        story.notification(SETTLED + 2 * DAY, SETTLED + 2 * DAY - HOUR, milestone="issue_update"),
    ]
    assert engine.apply(late[0]) is EVICTED
    assert engine.revive("ord_1", payload, {e["id"] for e in late})
    assert [engine.apply(e) for e in late] == [APPLIED] * 4
    now = SETTLED + 4 * DAY
    engine.advance(now)
    never_evicted = engine_after(story.events, now, KpiRules(claim_window_s=7 * 86400, eviction_grace_s=30 * 86400))
    for kpi in ("csat", "issue_ack_within_sla", "notification_timeliness", "perfect_order", "damage_free"):
        assert figure(engine, kpi, now) == figure(never_evicted, kpi, now), kpi
    assert figure(engine, "csat", now) == (0, 1)
    assert figure(engine, "damage_free", now) == (1, 1)  # a claim after the claim window revises nothing
    assert "ord_1" in engine.tombstones  # settled again once its issue clocks ran out


def test_replayed_events_of_a_settled_order_do_not_revive_it():
    story, engine, payload, _ = evicted_with_its_facts()
    assert not engine.revive("ord_1", payload, {story.events[0]["id"]})
    assert "ord_1" in engine.tombstones and engine.apply(story.events[0]) is EVICTED


def test_a_revived_order_is_settled_again_after_its_late_event_and_counts_it_once():
    story, engine, payload, _ = evicted_with_its_facts()
    feedback = story.feedback(SETTLED + DAY, csat=5)
    engine.revive("ord_1", payload, {feedback["id"]})
    engine.apply(feedback)
    engine.advance(SETTLED + DAY + 2 * HOUR)
    assert "ord_1" in engine.tombstones
    again = engine.dirty_snapshot(serialize=orjson.dumps).settled["ord_1"][0]
    assert feedback["id"] in orjson.loads(again)[3]  # its facts now hold the late event
    assert not engine.revive("ord_1", orjson.loads(again), {feedback["id"]})
    assert engine.apply(feedback) is EVICTED
    assert figure(engine, "csat", SETTLED + DAY + 2 * HOUR) == (1, 1)

"""Stories are planned from the seed alone: the same seed gives the same traffic, every step
happens after the one before it, and a replayed history never reaches into the future."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from orderpulse.business_days import BusinessCalendar
from orderpulse.simulator import steps as s
from orderpulse.simulator.config import ErrorMix
from orderpulse.simulator.history import compress, history_bounds, plan_history, plan_live
from orderpulse.simulator.scenario import backfill_placements, choose_profile, live_gaps_s
from orderpulse.simulator.timing import plan_story
from orderpulse.simulator.world import ITEMS, registered_customers

NOW = datetime(2026, 11, 23, 18, 0, tzinfo=UTC)
MONTH = timedelta(days=30)
UTC_DAYS = BusinessCalendar("UTC")
CUSTOMERS = registered_customers(7)


def history(seed: int = 7, count: int = 400, mix: ErrorMix = ErrorMix()):
    return plan_history(seed, count, NOW, MONTH, mix, registered_customers(seed), UTC_DAYS)


@pytest.fixture(scope="module")
def month():
    return history()


def test_the_same_seed_plans_the_same_history(month):
    assert history() == month


def test_another_seed_plans_another_history(month):
    assert history(seed=8) != month


def test_the_same_seed_gives_the_same_customers_and_live_arrivals():
    assert registered_customers(3) == registered_customers(3)
    gaps, again = live_gaps_s(3, 20.0), live_gaps_s(3, 20.0)
    assert [next(gaps) for _ in range(50)] == [next(again) for _ in range(50)]


def test_one_orders_choices_do_not_depend_on_how_many_orders_there_are():
    assert choose_profile(7, 42, ErrorMix(), CUSTOMERS) == choose_profile(7, 42, ErrorMix(), CUSTOMERS)
    assert history(count=100)[0].profile == next(
        story.profile for story in history(count=100) if story.index == history(count=100)[0].index
    )


def test_every_step_happens_after_the_step_before_it(month):
    for story in month:
        times = [step.at for step in story.steps]
        assert times == sorted(times) and len(set(times)) == len(times), story.index


def test_a_history_lies_within_its_span_and_ends_before_now(month):
    start, end = history_bounds(NOW, MONTH)
    assert all(start <= story.placed_at and story.ends_at <= end < NOW for story in month)
    assert min(story.placed_at for story in month) < start + timedelta(days=2)


def test_a_history_is_in_placing_order_and_every_order_is_placed_first(month):
    assert [story.placed_at for story in month] == sorted(story.placed_at for story in month)
    assert all(isinstance(story.steps[0], s.PlaceOrder) for story in month)
    assert len({story.index for story in month}) == len(month)


def test_every_order_of_a_month_long_history_runs_to_its_end(month):
    assert not [story.index for story in month if story.truncated]
    for story in month:
        if story.profile.cancel_stage is None:
            assert any(isinstance(step, s.CarrierScan) and step.status == "delivered" for step in story.steps)


def test_parcels_are_packed_then_dispatched_then_scanned_and_returns_come_after_delivery(month):
    for story in month:
        seen: list[str] = []
        for step in story.steps:
            shipment = getattr(step, "shipment", None)
            if isinstance(step, s.DispatchShipment):
                assert f"packed {shipment}" in seen
            if isinstance(step, s.CarrierScan):
                assert f"dispatched {shipment}" in seen
            if isinstance(step, s.RequestReturn):
                assert "delivered" in seen
            if isinstance(step, s.CloseShort):
                assert "dispatched 1" in seen and "delivered" not in seen
            seen.append({s.PackShipment: f"packed {shipment}", s.DispatchShipment: f"dispatched {shipment}"}.get(
                type(step), "delivered" if getattr(step, "status", None) == "delivered" else step.name))


def test_mistakes_come_with_what_fixes_them(month):
    for story in month:
        kinds = Counter(step.name for step in story.steps)
        profile = story.profile
        if profile.entry_mistake and profile.cancel_stage != "held":
            assert kinds["CorrectOrder"] == 1
        if profile.backorder_sku and not profile.cancel_stage:
            assert kinds["Restock"] == 1 and kinds["DispatchShipment"] == 2
        if profile.document_error and not profile.document_override and not profile.cancel_stage:
            assert kinds["PackShipment"] == 1 + 1 + (profile.backorder_sku is not None)
        if profile.payment == "pending_failed" and profile.cancel_stage != "held":
            assert [step.status for step in story.steps if isinstance(step, s.PaymentCallback)] == ["failed", "authorized"]


def test_price_mistakes_send_a_price_other_than_the_catalogs():
    mix = ErrorMix(price_mistake=1.0)
    for index in range(30):
        lines = choose_profile(7, index, mix, CUSTOMERS).lines
        assert sum(line.shown_price != ITEMS[line.sku].unit_price for line in lines) == 1


def test_every_tier_channel_and_service_level_occurs(month):
    assert {story.profile.customer.tier for story in month} == {"vip", "standard", "one_time"}
    assert {story.profile.channel for story in month} == {"web", "mobile", "phone", "marketplace", "b2b"}
    assert {story.profile.service_level for story in month} == {"standard", "express", "next_day"}


def test_the_default_mix_makes_most_orders_go_right():
    big = history(count=1500)
    clean = [story for story in big if story.profile.entry_mistake is None and story.profile.cancel_stage is None
             and not story.profile.document_error and not story.profile.short_pick and not story.profile.backorder_sku]
    assert 0.75 < len(clean) / len(big) < 0.95


def test_a_late_delivery_story_delivers_after_the_promise_and_an_on_time_one_before():
    for index in range(200):
        profile = choose_profile(7, index, ErrorMix(cancellation=0, backorder=0, late_dispatch=0), CUSTOMERS)
        story = plan_story(profile, NOW - MONTH, UTC_DAYS, 7)
        delivered = [step.at for step in story.steps if getattr(step, "status", None) == "delivered"][-1]
        assert (delivered > story.promised_by) == profile.transit.late, index


def test_dispatches_meet_the_ship_deadline_unless_the_story_is_a_late_dispatch():
    mix = ErrorMix(cancellation=0, price_mistake=0, address_mistake=0, payment_failure=0, pending_payment=0)
    for index in range(200):
        profile = choose_profile(7, index, mix, CUSTOMERS)
        story = plan_story(profile, NOW - MONTH, UTC_DAYS, 7)
        first = next(step.at for step in story.steps if isinstance(step, s.DispatchShipment))
        assert (first > story.ship_deadline) == profile.late_dispatch, index


def test_damage_claims_are_planned_for_parcels_of_any_age():
    # kpi-svc keeps settled orders' facts and revives them for late events: no cutoff any more
    mix = ErrorMix(damage_at_delivery=1.0, returns=1.0, cancellation=0)
    damaged = 0
    for index in range(40):
        profile = choose_profile(7, index, mix, CUSTOMERS)
        old = plan_story(profile, NOW - MONTH, UTC_DAYS, 7)
        returns = [step for step in old.steps if isinstance(step, s.RequestReturn)]
        if profile.return_reason is not None:
            assert [step.reason for step in returns] == [profile.return_reason]
            damaged += profile.return_reason == "damaged"
    assert damaged > 0


def test_a_live_story_runs_faster_than_real_time_promise_included():
    story = plan_live(7, 5000, NOW, 2880, ErrorMix(), CUSTOMERS, UTC_DAYS)
    slow = plan_story(choose_profile(7, 5000, ErrorMix(), CUSTOMERS), NOW, UTC_DAYS, 7)
    assert story.explicit_promise and story.promised_by - NOW == pytest.approx((slow.promised_by - NOW) / 2880,
                                                                                abs=timedelta(milliseconds=1))
    assert story.ends_at - NOW < timedelta(minutes=10)
    times = [step.at for step in story.steps]
    assert times == sorted(times) and len(set(times)) == len(times)


def test_compressing_keeps_step_order_even_when_steps_were_a_second_apart():
    story = plan_story(choose_profile(7, 1, ErrorMix(), CUSTOMERS), NOW, UTC_DAYS, 7)
    squeezed = compress(story, 1_000_000)
    assert [step.name for step in squeezed.steps] == [step.name for step in story.steps]
    assert all(a.at < b.at for a, b in zip(squeezed.steps, squeezed.steps[1:], strict=False))


def test_history_placements_follow_a_daily_rhythm():
    times = backfill_placements(7, 3000, NOW - MONTH, NOW)
    by_day = sum(1 for t in times if 7 <= t.hour <= 22)
    assert by_day / len(times) > 0.75 and times == sorted(times)

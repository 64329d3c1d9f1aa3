"""Suppression (stale, superseded, opted out) and quiet hours."""

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st
from notify_svc.domain.preferences import Preferences, QuietHours
from notify_svc.domain.rules import Defer, Send, Suppress, gate, plan, superseded
from notify_svc.domain.values import MilestoneReached

T0 = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)


def reached(scope: str, milestone: str, minutes: float) -> MilestoneReached:
    return MilestoneReached(scope, milestone, T0 + timedelta(minutes=minutes))


def test_a_confirmation_overtaken_by_the_shipment_is_superseded():
    history = [reached("", "order_confirmed", 0), reached("shp-1", "shipped", 5)]
    assert superseded("order_confirmed", "", T0, history)


def test_a_parcel_milestone_is_overtaken_only_by_its_own_parcel_or_a_cancellation():
    history = [reached("shp-1", "shipped", 0), reached("shp-2", "delivered", 5)]
    assert not superseded("shipped", "shp-1", T0, history)
    assert superseded("shipped", "shp-1", T0, [*history, reached("shp-1", "out_for_delivery", 6)])
    assert superseded("shipped", "shp-1", T0, [reached("", "cancelled", 1)])


def test_earlier_milestones_and_the_same_milestone_again_supersede_nothing():
    history = [reached("", "order_confirmed", -5), reached("shp-1", "shipped", 3)]
    assert not superseded("shipped", "shp-1", T0, history)


def test_surveys_and_issue_updates_are_never_superseded():
    history = [reached("", "cancelled", 10)]
    assert not superseded("survey", "srv-1", T0, history)
    assert not superseded("issue_update", "iss-1:opened", T0, history)


def test_a_trigger_older_than_a_day_is_stale_on_every_channel_and_gets_no_call():
    decided = plan(
        tier="vip", milestone="shipped", scope="shp-1", time=T0, preferences=Preferences(), history=[], now=T0 + timedelta(hours=25)
    )
    assert decided.suppressed == {"email": "stale", "sms": "stale"} and not decided.send and not decided.call


def test_a_vip_shipment_is_sent_by_email_and_sms_with_a_call():
    decided = plan(tier="vip", milestone="shipped", scope="shp-1", time=T0, preferences=Preferences(), history=[], now=T0)
    assert decided.send == {"email", "sms"} and decided.call and not decided.suppressed


def test_a_channel_switched_off_is_suppressed_as_opted_out():
    preferences = Preferences(channels={"sms": False})
    decided = plan(tier="standard", milestone="delayed", scope="shp-1", time=T0, preferences=preferences, history=[], now=T0)
    assert decided.send == {"email"} and decided.suppressed == {"sms": "opted_out"}


def test_a_milestone_the_tier_does_not_hear_about_plans_nothing():
    decided = plan(tier="one_time", milestone="out_for_delivery", scope="s", time=T0, preferences=Preferences(), history=[], now=T0)
    assert decided.empty


NIGHT = QuietHours(time(22, 0), time(7, 0))


def gate_sms(now: datetime, preferences: Preferences, timezone: str = "Europe/Berlin", history=()):
    return gate(
        channel="sms", milestone="shipped", scopes=["shp-1"], time=T0, preferences=preferences, timezone=timezone, history=history, now=now
    )


def test_an_sms_due_at_night_waits_until_the_quiet_hours_end_in_the_customers_timezone():
    night_in_berlin = datetime(2026, 12, 7, 23, 30, tzinfo=UTC)  # 00:30 local
    verdict = gate_sms(night_in_berlin, Preferences(quiet_hours=NIGHT))
    assert verdict == Defer(datetime(2026, 12, 8, 6, 0, tzinfo=UTC))  # 07:00 local


def test_email_never_waits_for_quiet_hours():
    verdict = gate(
        channel="email", milestone="shipped", scopes=["shp-1"], time=T0, preferences=Preferences(quiet_hours=NIGHT),
        timezone="UTC", history=(), now=datetime(2026, 12, 7, 23, 30, tzinfo=UTC),
    )
    assert verdict == Send()


def test_the_gate_suppresses_a_message_the_order_moved_past_or_the_customer_switched_off():
    moved_on = [reached("shp-1", "delivered", 30)]
    assert gate_sms(T0, Preferences(), history=moved_on) == Suppress("superseded")
    assert gate_sms(T0, Preferences(channels={"sms": False})) == Suppress("opted_out")


@given(
    start=st.times().map(lambda t: t.replace(second=0, microsecond=0)),
    end=st.times().map(lambda t: t.replace(second=0, microsecond=0)),
    moment=st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2035, 1, 1), timezones=st.just(UTC)),
    timezone=st.sampled_from(["UTC", "Europe/Berlin", "America/New_York", "Asia/Kolkata", "Australia/Lord_Howe"]),
)
def test_quiet_hours_defer_only_inside_them_and_never_into_them_or_past_a_day(start, end, moment, timezone):
    quiet = QuietHours(start, end)
    local = moment.astimezone(ZoneInfo(timezone)).time().replace(tzinfo=None)
    until = quiet.ends_after(moment, timezone)
    if not quiet.contains(local):
        assert until is None
        return
    assert until is not None and moment < until <= moment + timedelta(hours=25)
    assert not quiet.contains(until.astimezone(ZoneInfo(timezone)).time().replace(tzinfo=None))


def test_a_digest_is_superseded_only_when_every_parcel_in_it_moved_on():
    one_moved = [reached("shp-1", "out_for_delivery", 30)]
    both_moved = [*one_moved, reached("shp-2", "delivered", 40)]
    common = dict(channel="email", milestone="shipped", time=T0, preferences=Preferences(), timezone="UTC", now=T0)
    assert gate(scopes=["shp-1", "shp-2"], history=one_moved, **common) == Send()
    assert gate(scopes=["shp-1", "shp-2"], history=both_moved, **common) == Suppress("superseded")


def test_a_customer_without_preferences_is_planned_as_one_who_switched_every_channel_on():
    """`plan` takes a shortcut when no channel was switched; switching every channel on (webhook
    aside, which is opt-in) goes the long way and must plan the same."""
    from notify_svc.domain.milestones import MILESTONES
    from notify_svc.domain.policy import POLICY

    switched_on = Preferences(channels={"email": True, "sms": True})
    for tier in [*POLICY, "unknown-tier"]:
        for milestone in MILESTONES:
            for minutes_ago in (1, 60 * 25):  # fresh, stale
                common = dict(tier=tier, milestone=milestone, scope="", time=T0 - timedelta(minutes=minutes_ago),
                              history=[reached("", "order_confirmed", -90)], now=T0)
                assert plan(preferences=Preferences(), **common) == plan(preferences=switched_on, **common)

"""Which events are milestones, and preference bodies checked with the offending field named."""

from datetime import UTC, datetime, time, timedelta

import pytest
from notify_svc.domain.errors import InvalidPreferences
from notify_svc.domain.preferences import Preferences, QuietHours, preference_change
from notify_svc.domain.triggers import triggers_of

T0 = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)


def milestones(short_type: str, data: dict, promised_by=None) -> list[tuple[str, str]]:
    return [(t.milestone, t.subject) for t in triggers_of(short_type, data, event_id="e1", time=T0, promised_by=promised_by)]


def test_a_dispatch_is_the_shipped_milestone_of_its_parcel():
    data = {"order_id": "o1", "shipment_id": "shp-1", "carrier": "dhl", "tracking_number": "T1", "eta": T0.isoformat()}
    assert milestones("shipment.dispatched.v1", data) == [("shipped", "shp-1")]


def test_a_carrier_eta_past_the_promise_is_a_predicted_delay():
    late = {"order_id": "o1", "shipment_id": "shp-1", "carrier": "dhl", "eta": (T0 + timedelta(days=3)).isoformat()}
    assert milestones("shipment.in_transit.v1", late, promised_by=T0 + timedelta(days=1)) == [("delayed", "shp-1")]
    assert milestones("shipment.in_transit.v1", late, promised_by=T0 + timedelta(days=5)) == []


def test_a_hold_for_a_failed_payment_alone_is_told_once_as_payment_failed():
    only_payment = {"order_id": "o1", "discrepancies": [{"code": "payment_failed", "field": "payment", "detail": "declined"}]}
    assert milestones("order.held.v1", only_payment) == []
    with_address = {
        "order_id": "o1",
        "discrepancies": [
            {"code": "payment_failed", "field": "payment", "detail": "declined"},
            {"code": "invalid_address", "field": "ship_to.postal_code", "detail": "missing"},
        ],
    }
    [held] = triggers_of("order.held.v1", with_address, event_id="e", time=T0, promised_by=None)
    assert held.details["to_fix"] == [{"field": "ship_to.postal_code", "detail": "missing"}]


def test_each_stage_of_an_issue_is_its_own_update():
    assert milestones("issue.opened.v1", {"order_id": "o1", "issue_id": "i1", "category": "late"}) == [("issue_update", "i1:opened")]
    assert milestones("issue.resolved.v1", {"order_id": "o1", "issue_id": "i1", "resolution": "refund"}) == [
        ("issue_update", "i1:resolved")
    ]
    assert milestones("issue.sla_breached.v1", {"order_id": "o1", "issue_id": "i1"}) == []


def test_an_unknown_channel_is_refused_naming_it():
    with pytest.raises(InvalidPreferences) as refused:
        preference_change({"pager": True}, None, False, None)
    assert refused.value.field == "channels.pager"


@pytest.mark.parametrize("bad", ["7am", "24:00", "22:60", "", None, 2200])
def test_quiet_hours_that_are_not_hh_mm_are_refused_naming_the_field(bad):
    with pytest.raises(InvalidPreferences) as refused:
        preference_change({}, {"start": "22:00", "end": bad}, True, None)
    assert refused.value.field == "quiet_hours.end"


def test_a_change_keeps_what_it_does_not_name_and_null_quiet_hours_clear_them():
    before = Preferences(channels={"sms": False}, quiet_hours=QuietHours(time(22), time(7)), locale="de")
    after = before.updated(preference_change({"email": True}, None, False, None))
    assert after.channels == {"sms": False, "email": True} and after.quiet_hours == before.quiet_hours and after.locale == "de"
    cleared = before.updated(preference_change({}, None, True, None))
    assert cleared.quiet_hours is None

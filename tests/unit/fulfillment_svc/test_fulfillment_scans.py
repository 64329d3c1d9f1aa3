from datetime import timedelta

import pytest
from fulfillment_svc.domain.scans import CarrierScan, apply_scan
from fulfillment_svc.domain.values import SkuQuantity


@pytest.fixture
def shipped(build):
    """An order of 2 MUG and 1 TEE, all in one DHL shipment dispatched at hour 2."""
    stock = build.stock(MUG=5, TEE=5)
    fulfillment = build.fulfillment(build.order(MUG=2, TEE=1), stock=stock)
    build.ship(fulfillment, stock, "shp_1", tracking_number="1Z001", hours=2, MUG=2, TEE=1)
    fulfillment.events.clear()
    return fulfillment


def test_an_in_transit_scan_moves_the_shipment_on_and_is_announced(build, shipped):
    outcome = shipped.record_scan(
        "dhl", build.scan("e1", "in_transit", hours=5, location="Leipzig hub", eta=build.at(days=2))
    )

    assert (outcome.outcome, outcome.applied) == ("accepted", True)
    assert outcome.to_data() == {"event_id": "e1", "outcome": "accepted"}
    assert shipped.shipment("shp_1").status == "in_transit"
    [event] = shipped.events
    assert event.type == "shipment.in_transit.v1"
    assert event.occurred_at == build.at(hours=5)
    assert event.to_data() == {
        "shipment_id": "shp_1",
        "order_id": "ord_1",
        "carrier": "dhl",
        "location": "Leipzig hub",
        "eta": "2026-11-22T09:00:00.000Z",
    }


def test_out_for_delivery_is_announced(build, shipped):
    shipped.record_scan("dhl", build.scan("e1", "out_for_delivery", hours=20))

    assert shipped.shipment("shp_1").status == "out_for_delivery"
    assert shipped.events[-1].to_data() == {"shipment_id": "shp_1", "order_id": "ord_1", "carrier": "dhl"}


def test_a_delay_is_announced_with_the_new_eta_and_does_not_move_the_shipment(build, shipped):
    shipped.record_scan("dhl", build.scan("e1", "in_transit", hours=5))

    shipped.record_scan("dhl", build.scan("e2", "delayed", hours=8, eta=build.at(days=4), reason="weather"))

    shipment = shipped.shipment("shp_1")
    assert shipment.status == "in_transit"
    assert shipment.eta == build.at(days=4)
    assert shipped.events[-1].type == "shipment.delayed.v1"
    assert shipped.events[-1].to_data()["new_eta"] == "2026-11-24T09:00:00.000Z"
    assert shipped.events[-1].to_data()["reason"] == "weather"


def test_a_failed_attempt_carries_the_next_attempt(build, shipped):
    shipped.record_scan("dhl", build.scan("e1", "delivery_failed", hours=30, eta=build.at(days=2)))

    assert shipped.events[-1].to_data() == {
        "shipment_id": "shp_1",
        "order_id": "ord_1",
        "carrier": "dhl",
        "reason": "unspecified",
        "next_attempt": "2026-11-22T09:00:00.000Z",
    }


def test_an_exception_is_announced_with_its_reason(build, shipped):
    shipped.record_scan("dhl", build.scan("e1", "exception", hours=30, reason="damaged_in_transit"))

    assert shipped.events[-1].type == "shipment.exception.v1"
    assert shipped.events[-1].to_data()["reason"] == "damaged_in_transit"


def test_a_delivery_without_lines_delivers_the_whole_shipment(build, shipped):
    shipped.record_scan("dhl", build.scan("e1", "delivered", hours=40, condition="intact"))

    shipment = shipped.shipment("shp_1")
    assert shipment.status == "delivered"
    assert shipment.delivered_quantities == {"MUG": 2, "TEE": 1}
    assert shipment.eta == shipment.delivered_at == build.at(hours=40)
    delivered = next(e for e in shipped.events if e.type == "shipment.delivered.v1")
    assert delivered.to_data() == {
        "shipment_id": "shp_1",
        "order_id": "ord_1",
        "carrier": "dhl",
        "condition": "intact",
        "lines": [{"sku": "MUG", "quantity": 2}, {"sku": "TEE", "quantity": 1}],
    }


def test_a_delivery_may_name_fewer_units_than_were_shipped(build, shipped):
    scan = build.scan("e1", "delivered", hours=40, condition="damaged", lines=(SkuQuantity("MUG", 1),))

    shipped.record_scan("dhl", scan)

    assert shipped.shipment("shp_1").delivered_quantities == {"MUG": 1}
    assert shipped.shipment("shp_1").condition == "damaged"
    assert not shipped.is_completed


def test_a_scan_below_the_current_status_is_recorded_but_not_applied(build, shipped):
    shipped.record_scan("dhl", build.scan("e1", "out_for_delivery", hours=20))
    shipped.events.clear()

    outcome = shipped.record_scan("dhl", build.scan("e0", "in_transit", hours=5, eta=build.at(days=2)))

    assert (outcome.outcome, outcome.applied, outcome.code) == ("accepted", False, "recorded_not_applied")
    assert outcome.reason == "recorded, not applied: the shipment is already out_for_delivery"
    assert shipped.shipment("shp_1").status == "out_for_delivery"
    assert "e0" in shipped.shipment("shp_1").scan_ids
    assert shipped.events == []


def test_any_progress_scan_after_delivery_is_recorded_but_not_applied(build, shipped):
    shipped.record_scan("dhl", build.scan("e9", "delivered", hours=40, condition="intact"))
    shipped.events.clear()

    for n, status in enumerate(["in_transit", "out_for_delivery"]):
        outcome = shipped.record_scan("dhl", build.scan(f"e{n}", status, hours=45))
        assert (outcome.outcome, outcome.applied) == ("accepted", False)
    second_delivery = shipped.record_scan("dhl", build.scan("e8", "delivered", hours=50, condition="damaged"))

    assert not second_delivery.applied
    assert shipped.shipment("shp_1").condition == "intact"
    assert shipped.events == []


def test_a_problem_that_happened_after_the_delivery_is_not_applied(build, shipped):
    shipped.record_scan("dhl", build.scan("e9", "delivered", hours=40, condition="intact"))
    shipped.events.clear()

    outcome = shipped.record_scan("dhl", build.scan("e1", "exception", hours=41, reason="other"))

    assert outcome.reason == "recorded, not applied: it happened after the delivery"
    assert shipped.events == []


def test_a_problem_that_happened_before_the_delivery_is_reported_even_if_it_arrives_after_it(build, shipped):
    shipped.record_scan("dhl", build.scan("e9", "delivered", hours=40, condition="intact"))
    shipped.events.clear()

    outcome = shipped.record_scan("dhl", build.scan("e1", "exception", hours=30, reason="damaged_in_transit"))

    assert outcome.applied
    assert [e.type for e in shipped.events] == ["shipment.exception.v1"]
    assert shipped.events[0].occurred_at == build.at(hours=30)
    assert shipped.shipment("shp_1").status == "delivered"


def test_the_same_event_id_twice_is_a_duplicate_and_changes_nothing(build, shipped):
    shipped.record_scan("dhl", build.scan("e1", "in_transit", hours=5))
    before = shipped.shipment("shp_1")
    shipped.events.clear()

    outcome = shipped.record_scan("dhl", build.scan("e1", "out_for_delivery", hours=9))

    assert (outcome.outcome, outcome.code) == ("duplicate", "duplicate")
    assert shipped.shipment("shp_1") is before
    assert shipped.events == []


def test_an_unknown_tracking_number_is_rejected(build, shipped):
    outcome = shipped.record_scan("dhl", build.scan("e1", "in_transit", hours=5, tracking_number="NOPE"))

    assert (outcome.outcome, outcome.code) == ("rejected", "unknown_tracking_number")
    assert shipped.events == []


def test_another_carriers_shipment_is_rejected_exactly_like_an_unknown_one(build, shipped):
    outcome = shipped.record_scan("ups", build.scan("e1", "in_transit", hours=5))
    direct = apply_scan(shipped.shipment("shp_1"), "ups", build.scan("e1", "in_transit", hours=5))

    assert (outcome.outcome, outcome.code) == ("rejected", "unknown_tracking_number")
    assert (direct.outcome, direct.code) == ("rejected", "unknown_tracking_number")
    assert shipped.shipment("shp_1").scans == ()


def test_a_scan_of_no_shipment_is_rejected(build):
    outcome = apply_scan(None, "dhl", build.scan("e1", "in_transit", hours=5))

    assert (outcome.outcome, outcome.code, outcome.shipment) == ("rejected", "unknown_tracking_number", None)


@pytest.mark.parametrize(
    ("status", "fields", "code"),
    [
        ("lost_in_space", {}, "unknown_status"),
        ("delayed", {"reason": "weather"}, "missing_eta"),
        ("exception", {}, "invalid_reason"),
        ("exception", {"reason": "stolen"}, "invalid_reason"),
        ("delivered", {}, "invalid_condition"),
        ("delivered", {"condition": "soggy"}, "invalid_condition"),
        ("delivered", {"condition": "intact", "lines": (SkuQuantity("MUG", 3),)}, "delivered_exceeds_shipped"),
        ("delivered", {"condition": "intact", "lines": (SkuQuantity("CAP", 1),)}, "delivered_line_not_shipped"),
        ("delivered", {"condition": "intact", "lines": (SkuQuantity("MUG", 0),)}, "invalid_lines"),
    ],
)
def test_a_scan_missing_what_its_status_needs_is_rejected(build, shipped, status, fields, code):
    outcome = shipped.record_scan("dhl", build.scan("e1", status, hours=30, **fields))

    assert (outcome.outcome, outcome.code) == ("rejected", code)
    assert shipped.shipment("shp_1").scans == ()
    assert shipped.events == []


def test_a_rejected_scan_may_be_sent_again_once_fixed(build, shipped):
    shipped.record_scan("dhl", build.scan("e1", "delivered", hours=30))

    outcome = shipped.record_scan("dhl", build.scan("e1", "delivered", hours=30, condition="intact"))

    assert (outcome.outcome, outcome.applied) == ("accepted", True)


def test_a_scan_from_before_the_dispatch_is_rejected(build, shipped):
    outcome = shipped.record_scan("dhl", build.scan("e1", "in_transit", hours=1))

    assert (outcome.outcome, outcome.code) == ("rejected", "occurred_before_dispatch")


def test_a_scan_a_few_minutes_before_the_dispatch_is_clock_skew_and_accepted(build, shipped):
    outcome = shipped.record_scan("dhl", build.scan("e1", "in_transit", hours=2 - 10 / 60))

    assert outcome.applied


def test_a_scan_from_the_future_is_rejected_when_the_clock_is_given(build, shipped):
    scan = build.scan("e1", "in_transit", hours=10)

    outcome = shipped.record_scan("dhl", scan, now=build.at(hours=9))

    assert (outcome.outcome, outcome.code) == ("rejected", "occurred_in_future")


def test_a_scan_with_a_time_without_zone_is_rejected(build, shipped):
    scan = CarrierScan("e1", "1Z001", "in_transit", build.at(hours=5).replace(tzinfo=None))

    assert shipped.record_scan("dhl", scan).code == "invalid_occurred_at"


def test_the_eta_is_the_one_of_the_latest_scan_by_event_time_whatever_the_arrival_order(build, shipped):
    shipped.record_scan("dhl", build.scan("e2", "delayed", hours=10, eta=build.at(days=4), reason="weather"))
    shipped.record_scan("dhl", build.scan("e1", "in_transit", hours=5, eta=build.at(days=2)))

    assert shipped.shipment("shp_1").eta == build.at(days=4)
    assert shipped.shipment("shp_1").last_scan_at == build.at(hours=10)


def test_a_shipment_reported_lost_is_no_longer_in_flight_until_a_later_scan_finds_it(build, shipped):
    shipped.record_scan("dhl", build.scan("e1", "exception", hours=30, reason="lost"))
    assert shipped.shipment("shp_1").lost_at == build.at(hours=30)
    assert not shipped.shipment("shp_1").is_in_flight

    shipped.record_scan("dhl", build.scan("e2", "out_for_delivery", hours=50))

    assert shipped.shipment("shp_1").lost_at is None
    assert shipped.shipment("shp_1").is_in_flight


def test_the_scan_allowance_for_clock_skew_can_be_set(build, shipped):
    scan = build.scan("e1", "in_transit", hours=1.5)

    outcome = shipped.record_scan("dhl", scan, clock_skew_allowance=timedelta(hours=1))

    assert outcome.applied

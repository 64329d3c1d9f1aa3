"""Carriers send scans late, out of order and more than once: the end state must not care."""

from fulfillment_svc.domain.fulfillment import Fulfillment
from hypothesis import given, settings
from hypothesis import strategies as st

PROBLEMS = {"shipment.delayed.v1", "shipment.delivery_failed.v1", "shipment.exception.v1"}


def split_shipment_fulfillment(build) -> Fulfillment:
    """2 MUG in DHL parcel T1, 1 TEE in DHL parcel T2."""
    stock = build.stock(MUG=5, TEE=5)
    fulfillment = build.fulfillment(build.order(MUG=2, TEE=1), stock=stock)
    build.ship(fulfillment, stock, "shp_1", tracking_number="T1", hours=2, MUG=2)
    build.ship(fulfillment, stock, "shp_2", tracking_number="T2", hours=3, TEE=1)
    fulfillment.events.clear()
    return fulfillment


def clean_scans(build):
    """Both parcels' scans in the order they happened."""
    scans = [
        build.scan("a1", "in_transit", hours=5, tracking_number="T1", eta=build.at(days=2)),
        build.scan("b1", "in_transit", hours=6, tracking_number="T2", location="Hub"),
        build.scan("a2", "delayed", hours=8, tracking_number="T1", eta=build.at(days=3), reason="weather"),
        build.scan("b2", "exception", hours=20, tracking_number="T2", reason="damaged_in_transit"),
        build.scan("a3", "out_for_delivery", hours=30, tracking_number="T1"),
        build.scan("a4", "delivery_failed", hours=32, tracking_number="T1", eta=build.at(hours=50)),
        build.scan("b3", "out_for_delivery", hours=40, tracking_number="T2", eta=build.at(hours=44)),
        build.scan("b4", "delivered", hours=44, tracking_number="T2", condition="damaged"),
        build.scan("a5", "out_for_delivery", hours=48, tracking_number="T1"),
        build.scan("a6", "delivered", hours=50, tracking_number="T1", condition="intact"),
    ]
    assert [s.occurred_at for s in scans] == sorted(s.occurred_at for s in scans)
    return scans


def final_state(fulfillment: Fulfillment):
    shipments = tuple(
        (
            s.shipment_id,
            s.status,
            s.delivered_lines,
            s.condition,
            s.delivered_at,
            s.eta,
            s.lost_at,
            s.last_scan_at,
            s.scan_ids,
        )
        for s in fulfillment.shipments
    )
    return shipments, fulfillment.status, fulfillment.completed_at, fulfillment.closed_short


def reported(fulfillment: Fulfillment):
    """What consumers learn that matters to them: problems and deliveries with their event time,
    and the completion."""
    return sorted(
        (event.type, event.occurred_at, str(event.to_data()))
        for event in fulfillment.events
        if event.type in PROBLEMS | {"shipment.delivered.v1", "fulfillment.completed.v1"}
    )


def play(build, scans) -> Fulfillment:
    fulfillment = split_shipment_fulfillment(build)
    for scan in scans:
        outcome = fulfillment.record_scan("dhl", scan)
        assert outcome.outcome in ("accepted", "duplicate")
    return fulfillment


def test_the_clean_sequence_completes_once_after_the_last_delivery(build):
    fulfillment = play(build, clean_scans(build))

    completions = [e for e in fulfillment.events if e.type == "fulfillment.completed.v1"]
    assert len(completions) == 1
    assert completions[0].to_data()["delivered_at"] == "2026-11-22T11:00:00.000Z"
    assert fulfillment.status == "completed"


@settings(max_examples=300, deadline=None)
@given(data=st.data())
def test_any_arrival_order_with_duplicates_ends_in_the_same_state_as_the_clean_sequence(build, data):
    scans = clean_scans(build)
    arrival = list(data.draw(st.permutations(scans), label="arrival order"))
    for index in data.draw(st.lists(st.integers(0, len(scans) - 1), max_size=6), label="duplicated scans"):
        position = data.draw(st.integers(0, len(arrival)), label="where the duplicate arrives")
        arrival.insert(position, scans[index])

    clean = play(build, scans)
    shuffled = play(build, arrival)

    assert final_state(shuffled) == final_state(clean)
    assert reported(shuffled) == reported(clean)

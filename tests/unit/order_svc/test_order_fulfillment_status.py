"""The order's status follows fulfillment facts, only ever forwards; cancelled is terminal."""

from datetime import timedelta

import pytest
from order_builders import LATER, cancelling, confirmed_order, deliver, dispatch, held_for_price
from order_svc.domain.status import OrderStatus, fact_kind


def test_a_created_fulfillment_puts_the_order_in_fulfillment():
    order = confirmed_order()
    assert order.apply_fulfillment_fact("fulfillment.created.v1", LATER) is True
    assert order.status is OrderStatus.IN_FULFILLMENT


def test_a_dispatch_of_some_of_the_units_makes_the_order_partially_shipped():
    order = confirmed_order()
    dispatch(order, lines=(("MUG-1", 1), ("TEE-1", 1)))
    assert order.status is OrderStatus.PARTIALLY_SHIPPED


def test_dispatching_every_unit_makes_the_order_shipped():
    order = confirmed_order()
    dispatch(order, "shp_1", lines=(("MUG-1", 2),))
    dispatch(order, "shp_2", lines=(("TEE-1", 1),))
    assert order.status is OrderStatus.SHIPPED
    assert [shipment.shipment_id for shipment in order.shipments] == ["shp_1", "shp_2"]


def test_delivering_every_unit_makes_the_order_delivered():
    order = confirmed_order()
    dispatch(order)
    deliver(order)
    assert order.status is OrderStatus.DELIVERED


def test_delivering_one_of_two_shipments_keeps_the_order_shipped():
    order = confirmed_order()
    dispatch(order, "shp_1", lines=(("MUG-1", 2),))
    dispatch(order, "shp_2", lines=(("TEE-1", 1),))
    deliver(order, "shp_1", lines=(("MUG-1", 2),))
    assert order.status is OrderStatus.SHIPPED


def test_fulfillment_completed_makes_the_order_delivered_even_when_closed_short():
    order = confirmed_order()
    dispatch(order, lines=(("MUG-1", 2),))
    order.apply_fulfillment_fact(
        "fulfillment.completed.v1", LATER, lines=[{"sku": "MUG-1", "quantity": 2}], closed_short=True
    )
    assert order.status is OrderStatus.DELIVERED
    assert order.fulfillment.closed_short is True


def test_a_late_lower_ranked_fact_is_recorded_but_does_not_move_the_status_back():
    order = confirmed_order()
    dispatch(order)
    deliver(order)
    assert order.apply_fulfillment_fact("fulfillment.packed.v1", LATER - timedelta(minutes=5)) is False
    assert order.apply_fulfillment_fact("shipment.in_transit.v1", LATER, shipment_id="shp_1") is False
    assert order.status is OrderStatus.DELIVERED
    assert [fact.kind for fact in order.fulfillment.facts][-2:] == ["fulfillment.packed", "shipment.in_transit"]


def test_facts_arriving_out_of_order_end_in_the_same_status():
    in_order, reversed_order = confirmed_order(), confirmed_order()
    in_order.apply_fulfillment_fact("fulfillment.created", LATER)
    dispatch(in_order)
    deliver(in_order)
    deliver(reversed_order)
    dispatch(reversed_order)
    reversed_order.apply_fulfillment_fact("fulfillment.created", LATER)
    assert in_order.status is reversed_order.status is OrderStatus.DELIVERED


def test_a_delivery_reported_before_its_dispatch_counts_the_dispatched_units():
    order = confirmed_order()
    order.apply_fulfillment_fact("shipment.delivered.v1", LATER, shipment_id="shp_1", condition="intact")
    dispatch(order)
    assert order.status is OrderStatus.DELIVERED


def test_the_same_dispatch_reported_twice_counts_once():
    order = confirmed_order()
    dispatch(order, lines=(("MUG-1", 1),))
    dispatch(order, lines=(("MUG-1", 1),))
    assert order.fulfillment.dispatched()["MUG-1"] == 1
    assert order.status is OrderStatus.PARTIALLY_SHIPPED


@pytest.mark.parametrize(
    "kind", ["shipment.in_transit", "shipment.out_for_delivery", "shipment.delayed", "shipment.delivery_failed"]
)
def test_a_carrier_scan_means_at_least_part_of_the_order_shipped(kind):
    order = confirmed_order()
    order.apply_fulfillment_fact(kind, LATER, shipment_id="shp_9")
    assert order.status is OrderStatus.PARTIALLY_SHIPPED
    assert order.shipments[0].status == kind.removeprefix("shipment.")


def test_a_shipment_shows_its_latest_scan_by_event_time():
    order = confirmed_order()
    dispatch(order)
    order.apply_fulfillment_fact("shipment.out_for_delivery.v1", LATER + timedelta(hours=5), shipment_id="shp_1")
    order.apply_fulfillment_fact("shipment.in_transit.v1", LATER + timedelta(hours=2), shipment_id="shp_1")
    assert order.shipments[0].status == "out_for_delivery"


def test_a_delivered_shipment_stays_delivered_whatever_scan_follows():
    order = confirmed_order()
    dispatch(order)
    deliver(order)
    order.apply_fulfillment_fact("shipment.delayed.v1", LATER + timedelta(days=9), shipment_id="shp_1")
    assert order.shipments[0].status == "delivered"


def test_the_shipment_summary_keeps_carrier_tracking_and_lines():
    order = confirmed_order()
    dispatch(order)
    deliver(order)
    shipment = order.shipments[0]
    assert (shipment.carrier, shipment.tracking_number, shipment.condition) == ("ups", "1Zshp_1", "intact")
    assert shipment.dispatched_at == LATER and shipment.delivered_at is not None


def test_a_cancelled_order_stays_cancelled_whatever_fulfillment_reports():
    order = confirmed_order()
    order.cancel(cancelling(), LATER)
    assert order.apply_fulfillment_fact("fulfillment.created.v1", LATER) is False
    dispatch(order)
    assert order.status is OrderStatus.CANCELLED
    assert len(order.fulfillment.facts) == 2


def test_facts_that_imply_no_status_are_recorded_and_change_nothing():
    order = confirmed_order()
    assert order.apply_fulfillment_fact("return.received.v1", LATER) is False
    assert order.apply_fulfillment_fact("fulfillment.something_new.v2", LATER) is False
    assert order.status is OrderStatus.CONFIRMED
    assert len(order.fulfillment.facts) == 2


def test_facts_record_no_events_of_their_own():
    order = confirmed_order()
    dispatch(order)
    assert order.events == []


def test_status_follows_facts_even_from_a_held_order():
    order = held_for_price()
    order.apply_fulfillment_fact("fulfillment.created.v1", LATER)
    assert order.status is OrderStatus.IN_FULFILLMENT


@pytest.mark.parametrize(
    "given",
    ["orderpulse.shipment.dispatched.v1", "shipment.dispatched.v1", "shipment.dispatched", "shipment.dispatched.v12"],
)
def test_fact_kinds_are_read_with_or_without_prefix_and_version(given):
    assert fact_kind(given) == "shipment.dispatched"


def test_statuses_rank_in_lifecycle_order():
    assert sorted(OrderStatus, key=lambda status: status.rank)[:-1] == [
        OrderStatus.HELD,
        OrderStatus.PENDING_PAYMENT,
        OrderStatus.CONFIRMED,
        OrderStatus.IN_FULFILLMENT,
        OrderStatus.PARTIALLY_SHIPPED,
        OrderStatus.SHIPPED,
        OrderStatus.DELIVERED,
    ]

"""Corrections of an order a warehouse has taken up: accepted until it is packed, and reported
honestly when one reaches the warehouse after packing (it is then not applied)."""

from dataclasses import replace
from datetime import timedelta

from order_builders import CATALOG, HOME, LATER, confirmed_order, correcting, line
from order_svc.domain import events as ev
from order_svc.domain.status import OrderStatus

BROOKLYN = replace(HOME, city="Brooklyn")
MORE_MUGS = (line("MUG-1", 3, "12.50"), line("TEE-1", 1, "20.00"))


def taken_up():
    """A confirmed order whose first confirmation the warehouse answered with fulfillment.created."""
    order = confirmed_order()
    order.apply_fulfillment_fact("fulfillment.created.v1", LATER)
    order.events.clear()
    return order


def test_an_order_in_fulfillment_can_still_be_corrected_and_is_confirmed_again():
    order = taken_up()
    assert order.status is OrderStatus.IN_FULFILLMENT
    order.correct(correcting(ship_to=BROOKLYN), CATALOG, LATER)
    assert [e.type for e in order.events] == ["order.corrected.v1", "order.confirmed.v1"]
    assert order.ship_to.city == "Brooklyn"
    assert [c.outcome for c in order.corrections] == ["awaiting_warehouse"]


def test_the_warehouse_answering_the_confirmation_applies_the_correction():
    order = taken_up()
    order.correct(correcting(ship_to=BROOKLYN), CATALOG, LATER)
    order.apply_fulfillment_fact("fulfillment.created.v1", LATER + timedelta(seconds=1))
    order.apply_fulfillment_fact("fulfillment.packed.v1", LATER + timedelta(seconds=2), shipment_id="shp_1")
    assert [c.outcome for c in order.corrections] == ["applied"]
    assert order.ship_to.city == "Brooklyn"
    assert [e.type for e in order.events if e.type != "order.confirmed.v1"] == ["order.corrected.v1"]


def test_a_correction_that_reaches_the_warehouse_after_packing_is_reported_not_applied_and_undone():
    order = taken_up()
    order.correct(correcting(lines=MORE_MUGS), CATALOG, LATER)
    order.events.clear()
    packed_at = LATER - timedelta(seconds=30)  # the warehouse packed before the correction was made
    order.apply_fulfillment_fact("fulfillment.packed.v1", packed_at, shipment_id="shp_1")
    assert [c.outcome for c in order.corrections] == ["not_applied", "restored"]
    assert [(line.sku, line.quantity) for line in order.lines] == [("MUG-1", 2), ("TEE-1", 1)]
    restore, invoice = order.events
    assert isinstance(restore, ev.OrderCorrected) and "not applied" in restore.corrections[0].reason
    assert restore.occurred_at > LATER  # the latest word on the lines, after the correction itself
    assert isinstance(invoice, ev.OrderInvoiced) and invoice.total == order.total
    assert len(order.invoices) == 3  # placed, corrected, restored: the last one in force is what ships


def test_a_correction_made_before_the_warehouse_opened_the_order_is_answered_by_its_second_creation():
    order = confirmed_order()
    order.correct(correcting(ship_to=BROOKLYN), CATALOG, LATER)
    order.apply_fulfillment_fact("fulfillment.created.v1", LATER)  # answers the first confirmation
    assert [c.outcome for c in order.corrections] == ["awaiting_warehouse"]
    order.apply_fulfillment_fact("fulfillment.created.v1", LATER)  # answers the correction's
    assert [c.outcome for c in order.corrections] == ["applied"]


def test_a_cancelled_order_is_not_restored():
    order = taken_up()
    order.correct(correcting(ship_to=BROOKLYN), CATALOG, LATER)
    order.status = OrderStatus.CANCELLED
    order.events.clear()
    order.apply_fulfillment_fact("shipment.dispatched.v1", LATER, shipment_id="shp_1")
    assert order.events == []

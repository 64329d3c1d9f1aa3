"""Corrections: given fields replace the old ones whole, the checks run again, a clean order is released."""

from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

import pytest
from order_builders import (
    CATALOG,
    HOME,
    LATER,
    NOW,
    cancelling,
    confirmed_order,
    correcting,
    held_for_price,
    last,
    line,
    paying,
    pending_order,
    types,
)
from order_svc.domain import events as ev
from order_svc.domain.errors import (
    CorrectionLeavesDiscrepancies,
    CorrectionNotAllowed,
    InvalidInput,
)
from order_svc.domain.status import OrderStatus
from order_svc.domain.values import Address, DiscrepancyCode

RIGHT_LINES = (line("MUG-1", 2, "12.50"), line("TEE-1", 1, "20.00"))


def test_correcting_the_only_finding_releases_confirms_and_invoices_the_order():
    order = held_for_price()
    order.correct(correcting(lines=RIGHT_LINES), CATALOG, LATER)
    assert order.status is OrderStatus.CONFIRMED
    assert order.discrepancies == ()
    assert types(order) == ["order.corrected.v1", "order.released.v1", "order.confirmed.v1", "order.invoiced.v1"]


def test_a_released_order_with_pending_payment_waits_for_the_callback():
    order = held_for_price(payment_status="pending")
    order.correct(correcting(lines=RIGHT_LINES), CATALOG, LATER)
    assert order.status is OrderStatus.PENDING_PAYMENT
    assert types(order) == ["order.corrected.v1", "order.released.v1"]


def test_the_correction_records_field_old_new_and_reason():
    order = held_for_price()
    order.correct(correcting(lines=RIGHT_LINES, reason="storefront sent a stale price"), CATALOG, LATER)
    [correction] = last(order, ev.OrderCorrected).corrections
    assert correction.field == "lines"
    assert correction.old[0] == {"line_id": "ord_1-1", "sku": "MUG-1", "quantity": 2, "unit_price": "9.99"}
    assert correction.new[0] == {"line_id": "ord_1-1", "sku": "MUG-1", "quantity": 2, "unit_price": "12.50"}
    assert correction.reason == "storefront sent a stale price"
    assert order.corrections == [correction]


def test_given_lines_replace_the_old_lines_whole():
    order = held_for_price()
    order.correct(correcting(lines=(line("TEE-1", 3, "20.00"),)), CATALOG, LATER)
    assert [(line.sku, line.quantity) for line in order.lines] == [("TEE-1", 3)]


def test_a_corrected_line_keeps_its_id_and_a_new_line_gets_a_new_one():
    order = held_for_price()
    order.correct(correcting(lines=(line("TEE-1", 1, "20.00"), line("NEW-1", 1, "1.00"))), CATALOG, LATER)
    assert [(line.line_id, line.sku) for line in order.lines] == [("ord_1-2", "TEE-1"), ("ord_1-3", "NEW-1")]


def test_line_ids_are_never_reused_after_a_line_is_dropped():
    order = held_for_price()
    order.correct(correcting(lines=(line("TEE-1", 1, "20.00"),)), CATALOG, LATER)
    order.correct(correcting(lines=(line("TEE-1", 1, "20.00"), line("MUG-1", 1, "12.50"))), CATALOG, LATER)
    assert [line.line_id for line in order.lines] == ["ord_1-2", "ord_1-3"]


def test_a_correction_leaving_findings_keeps_the_order_held_with_the_remaining_ones():
    order = held_for_price(ship_to=Address(country="US", region="NY", city="New York"))
    order.correct(correcting(lines=RIGHT_LINES), CATALOG, LATER)
    assert order.status is OrderStatus.HELD
    assert types(order) == ["order.corrected.v1", "order.held.v1"]
    assert [d.field for d in last(order, ev.OrderHeld).discrepancies] == ["ship_to.postal_code"]


def test_a_correction_that_changes_no_finding_records_no_new_hold():
    order = held_for_price()
    order.correct(correcting(ship_to=replace(HOME, line1="2 Main St")), CATALOG, LATER)
    assert types(order) == ["order.corrected.v1"]
    assert order.status is OrderStatus.HELD


def test_an_address_correction_replaces_the_whole_address():
    order = held_for_price()
    new_home = Address(country="CA", region="ON", city="Ottawa", postal_code="K1A 0B1")
    order.correct(correcting(ship_to=new_home), CATALOG, LATER)
    assert order.ship_to == new_home
    [correction] = last(order, ev.OrderCorrected).corrections
    assert correction.field == "ship_to"
    assert correction.old["city"] == "New York" and correction.new["line1"] is None


def test_a_correction_that_introduces_a_finding_holds_a_pending_order():
    order = pending_order()
    order.correct(correcting(ship_to=replace(HOME, country="ZZ")), CATALOG, LATER)
    assert order.status is OrderStatus.HELD
    assert [d.code for d in last(order, ev.OrderHeld).discrepancies] == [DiscrepancyCode.INVALID_ADDRESS]


def test_a_correction_that_repeats_the_current_values_records_no_correction():
    order = confirmed_order()
    order.correct(correcting(lines=RIGHT_LINES, ship_to=HOME), CATALOG, LATER)
    assert order.events == []


def test_rechecking_after_the_catalog_was_fixed_releases_the_order_without_a_correction():
    order = held_for_price()
    catalog = {**CATALOG, "MUG-1": replace(CATALOG["MUG-1"], unit_price=Decimal("9.99"))}
    order.correct(correcting(lines=(line("MUG-1", 2, "9.99"), line("TEE-1", 1, "20.00"))), catalog, LATER)
    assert types(order) == ["order.released.v1", "order.confirmed.v1", "order.invoiced.v1"]


def test_a_correction_does_not_clear_a_failed_payment():
    order = pending_order()
    order.record_payment(paying("failed"), LATER)
    order.events.clear()
    order.correct(correcting(ship_to=replace(HOME, city="Brooklyn")), CATALOG, LATER)
    assert order.status is OrderStatus.HELD
    assert [d.code for d in order.discrepancies] == [DiscrepancyCode.PAYMENT_FAILED]
    assert types(order) == ["order.corrected.v1"]


def test_a_confirmed_order_is_confirmed_again_with_its_corrected_details():
    order = confirmed_order()
    order.correct(correcting(ship_to=replace(HOME, city="Brooklyn", postal_code="11201")), CATALOG, LATER)
    assert order.status is OrderStatus.CONFIRMED
    assert types(order) == ["order.corrected.v1", "order.confirmed.v1"]
    assert last(order, ev.OrderConfirmed).ship_to.city == "Brooklyn"


def test_changing_the_lines_of_an_invoiced_order_reissues_the_invoice():
    order = confirmed_order()
    order.correct(correcting(lines=(line("MUG-1", 3, "12.50"),)), CATALOG, LATER)
    assert types(order) == ["order.corrected.v1", "order.confirmed.v1", "order.invoiced.v1"]
    assert [invoice.invoice_id for invoice in order.invoices] == ["inv_1_1", "inv_1_2"]
    assert order.invoice.total == Decimal("37.50")
    assert last(order, ev.OrderInvoiced).invoice_id == "inv_1_2"


def test_an_address_only_correction_keeps_the_invoice():
    order = confirmed_order()
    order.correct(correcting(ship_to=replace(HOME, line1="Apt 4")), CATALOG, LATER)
    assert len(order.invoices) == 1


def test_a_confirmed_order_cannot_be_corrected_into_a_held_one():
    order = confirmed_order()
    with pytest.raises(CorrectionLeavesDiscrepancies) as refused:
        order.correct(correcting(lines=(line("MUG-1", 2, "1.00"),)), CATALOG, LATER)
    assert refused.value.field == "lines[0].unit_price"
    assert [d.code for d in refused.value.discrepancies] == [DiscrepancyCode.PRICE_MISMATCH]
    assert order.lines[0].unit_price == Decimal("12.50")
    assert order.events == []


@pytest.mark.parametrize("fact", ["fulfillment.packed.v1", "shipment.dispatched.v1"])
def test_an_order_the_warehouse_has_packed_can_no_longer_be_corrected(fact):
    order = confirmed_order()
    order.apply_fulfillment_fact(fact, LATER, shipment_id="shp_1", lines=[{"sku": "MUG-1", "quantity": 1}])
    with pytest.raises(CorrectionNotAllowed) as refused:
        order.correct(correcting(ship_to=replace(HOME, city="Brooklyn")), CATALOG, LATER)
    assert refused.value.code == "correction_after_packing"
    assert refused.value.http_status == 409
    assert "packed" in refused.value.detail


def test_a_cancelled_order_can_no_longer_be_corrected():
    order = pending_order()
    order.cancel(cancelling(), LATER)
    with pytest.raises(CorrectionNotAllowed):
        order.correct(correcting(ship_to=HOME), CATALOG, LATER)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({}, "lines"),
        ({"lines": ()}, "lines"),
        ({"reason": " ", "lines": RIGHT_LINES}, "reason"),
        ({"lines": (line("MUG-1", 0, "12.50"),)}, "lines[0].quantity"),
        ({"ship_to": HOME, "occurred_at": NOW - timedelta(seconds=1)}, "occurred_at"),
    ],
)
def test_malformed_corrections_are_refused_and_change_nothing(changes, field):
    order = held_for_price()
    with pytest.raises(InvalidInput) as refused:
        order.correct(correcting(**changes), CATALOG, LATER)
    assert refused.value.field == field
    assert order.events == [] and order.corrections == []


def test_the_corrections_event_time_is_its_occurred_at():
    order = held_for_price()
    order.correct(correcting(lines=RIGHT_LINES, occurred_at=NOW + timedelta(minutes=2)), CATALOG, LATER)
    assert {event.occurred_at for event in order.events} == {NOW + timedelta(minutes=2)}

"""Placing an order: entry checks hold it, authorized payment confirms and invoices it."""

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from order_builders import CATALOG, CUSTOMER, NOW, RULES, last, line, place
from order_svc.domain import events as ev
from order_svc.domain.errors import InvalidInput, UnknownCustomer
from order_svc.domain.model import OrderRules
from order_svc.domain.status import OrderStatus
from order_svc.domain.values import Address, DiscrepancyCode, PaymentStatus
from orderpulse.business_days import BusinessCalendar


def test_a_clean_order_with_authorized_payment_is_placed_confirmed_and_invoiced():
    order = place()
    assert order.status is OrderStatus.CONFIRMED
    assert order.payment_status is PaymentStatus.AUTHORIZED
    assert [event.type for event in order.events] == [
        "order.placed.v1",
        "order.payment_authorized.v1",
        "order.confirmed.v1",
        "order.invoiced.v1",
    ]


def test_authorized_is_the_default_payment_status():
    assert place().payment_status is PaymentStatus.AUTHORIZED


def test_a_clean_order_with_pending_payment_waits_for_the_callback():
    order = place(payment_status="pending")
    assert order.status is OrderStatus.PENDING_PAYMENT
    assert [event.type for event in order.events] == ["order.placed.v1"]
    assert order.invoices == []


def test_any_entry_finding_holds_the_order_instead_of_rejecting_it():
    order = place(lines=(line("MUG-1", 2, "9.99"),))
    assert order.status is OrderStatus.HELD
    assert [event.type for event in order.events] == [
        "order.placed.v1",
        "order.payment_authorized.v1",
        "order.held.v1",
    ]
    assert [d.code for d in last(order, ev.OrderHeld).discrepancies] == [DiscrepancyCode.PRICE_MISMATCH]


def test_the_placed_event_carries_the_entry_discrepancies():
    order = place(lines=(line("NOPE", 1, "1.00"),), ship_to=Address(country="US"))
    placed = last(order, ev.OrderPlaced)
    assert [(d.code, d.field) for d in placed.entry_discrepancies] == [
        (DiscrepancyCode.UNKNOWN_SKU, "lines[0].sku"),
        (DiscrepancyCode.INVALID_ADDRESS, "ship_to.region"),
        (DiscrepancyCode.INVALID_ADDRESS, "ship_to.city"),
        (DiscrepancyCode.INVALID_ADDRESS, "ship_to.postal_code"),
    ]
    assert order.discrepancies == order.entry_discrepancies


def test_a_clean_order_places_with_an_empty_discrepancy_list():
    order = place()
    assert last(order, ev.OrderPlaced).entry_discrepancies == ()
    assert order.discrepancies == ()


def test_a_held_order_with_pending_payment_is_held_without_a_payment_event():
    order = place(payment_status="pending", lines=(line("MUG-1", 11, "12.50"),))
    assert order.status is OrderStatus.HELD
    assert [event.type for event in order.events] == ["order.placed.v1", "order.held.v1"]


def test_lines_get_order_scoped_ids_in_request_order():
    order = place()
    assert [(line.line_id, line.sku) for line in order.lines] == [("ord_1-1", "MUG-1"), ("ord_1-2", "TEE-1")]


def test_the_total_is_the_sum_of_quantity_times_unit_price_plus_tax():
    order = place(rules=replace(RULES, tax_rate=Decimal("0.2")))
    assert order.subtotal == Decimal("45.00")
    assert order.tax == Decimal("9.00")
    assert order.total == Decimal("54.00")
    assert last(order, ev.OrderPlaced).total == Decimal("54.00")


def test_the_invoice_lists_the_lines_subtotal_tax_and_total():
    order = place(rules=replace(RULES, tax_rate=Decimal("0.0825")))
    invoice = order.invoice
    assert invoice.invoice_id == "inv_1_1"
    assert invoice.lines == order.lines
    assert (invoice.subtotal, invoice.tax, invoice.total) == (Decimal("45.00"), Decimal("3.71"), Decimal("48.71"))
    assert invoice.currency == "USD"


def test_tax_is_zero_unless_a_rate_is_configured():
    assert place().invoice.tax == Decimal("0.00")


def test_tax_rounds_half_up_to_the_cent():
    order = place(lines=(line("MUG-1", 1, "12.50"),), rules=replace(RULES, tax_rate=Decimal("0.1")))
    assert order.tax == Decimal("1.25")
    order = place(lines=(line("MUG-1", 1, "12.50"),), rules=replace(RULES, tax_rate=Decimal("0.05")))
    assert order.tax == Decimal("0.63")


def test_the_checkout_authorization_is_recorded_for_the_order_total():
    order = place(payment_reference="chk_9")
    authorized = last(order, ev.PaymentAuthorized)
    assert (authorized.amount, authorized.currency, authorized.reference) == (Decimal("45.00"), "USD", "chk_9")


def test_the_default_promise_follows_the_service_level_in_the_customers_timezone():
    order = place(service_level="express")
    assert order.promised_by == datetime(2026, 11, 24, 23, 59, 59, 999_000, tzinfo=UTC)
    tokyo_customer = replace(CUSTOMER, timezone="Asia/Tokyo")  # Friday 15:00 UTC is Saturday in Tokyo
    order = place(service_level="next_day", customer=tokyo_customer)
    assert order.promised_by == datetime(2026, 11, 24, 14, 59, 59, 999_000, tzinfo=UTC)


def test_the_merchant_holidays_push_the_default_promise():
    rules = OrderRules(calendar=BusinessCalendar(holidays=frozenset({datetime(2026, 11, 23).date()})))
    assert place(service_level="next_day", rules=rules).promised_by.date() == datetime(2026, 11, 24).date()


def test_a_promise_sent_by_the_storefront_is_kept():
    promise = NOW + timedelta(days=3)
    assert place(promised_by=promise).promised_by == promise


def test_a_promise_before_placing_is_refused():
    with pytest.raises(InvalidInput) as refused:
        place(promised_by=NOW - timedelta(minutes=1))
    assert refused.value.field == "promised_by"


def test_placed_at_defaults_to_now_and_a_storefront_import_may_send_it():
    assert place().placed_at == NOW
    earlier = NOW - timedelta(days=10)
    order = place(placed_at=earlier)
    assert order.placed_at == earlier
    assert all(event.occurred_at == earlier for event in order.events)


def test_placed_at_more_than_five_minutes_ahead_is_refused():
    with pytest.raises(InvalidInput) as refused:
        place(placed_at=NOW + timedelta(minutes=6))
    assert refused.value.field == "placed_at"


def test_requested_at_is_kept_and_may_not_follow_placing():
    order = place(requested_at=NOW - timedelta(minutes=4))
    assert last(order, ev.OrderPlaced).requested_at == NOW - timedelta(minutes=4)
    with pytest.raises(InvalidInput):
        place(requested_at=NOW + timedelta(seconds=1))


def test_naive_times_are_refused():
    with pytest.raises(InvalidInput) as refused:
        place(requested_at=datetime(2026, 11, 20, 14))
    assert refused.value.field == "requested_at"


def test_an_unknown_customer_is_refused():
    with pytest.raises(UnknownCustomer):
        place(customer=None)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"channel": "fax"}, "channel"),
        ({"service_level": "teleport"}, "service_level"),
        ({"payment_status": "failed"}, "payment_status"),
        ({"lines": ()}, "lines"),
        ({"lines": (line("MUG-1", 0, "12.50"),)}, "lines[0].quantity"),
        ({"lines": (line("MUG-1", 1, "12.50"), line("TEE-1", -1, "20.00"))}, "lines[1].quantity"),
        ({"lines": (line("MUG-1", 1, "12.499"),)}, "lines[0].unit_price"),
        ({"lines": (line("MUG-1", 1, "-1.00"),)}, "lines[0].unit_price"),
        ({"lines": (line("MUG-1", 1, "twelve"),)}, "lines[0].unit_price"),
        ({"lines": (line(" ", 1, "12.50"),)}, "lines[0].sku"),
        ({"currency": "dollars"}, "currency"),
    ],
)
def test_malformed_input_is_refused_naming_the_field(changes, field):
    with pytest.raises(InvalidInput) as refused:
        place(**changes)
    assert refused.value.field == field
    assert refused.value.code == "invalid_input"


def test_the_order_takes_its_currency_from_the_catalog():
    euro_mug = replace(CATALOG["MUG-1"], currency="EUR")
    order = place(lines=(line("MUG-1", 1, "12.50"),), catalog={"MUG-1": euro_mug})
    assert order.currency == "EUR"
    assert order.status is OrderStatus.CONFIRMED


def test_an_order_of_only_unknown_skus_takes_the_merchants_default_currency():
    order = place(lines=(line("NOPE", 1, "1.00"),), rules=replace(RULES, default_currency="GBP"))
    assert order.currency == "GBP"


def test_the_address_is_trimmed_and_its_country_upper_cased():
    order = place(ship_to=Address(country=" us", region="NY ", city="New York", postal_code="10001"))
    assert order.ship_to == Address(country="US", region="NY", city="New York", postal_code="10001")
    assert order.status is OrderStatus.CONFIRMED


def test_amounts_are_kept_in_cents():
    order = place(lines=(line("MUG-1", 3, "12.5"),))
    assert str(order.lines[0].unit_price) == "12.50"
    assert str(order.total) == "37.50"

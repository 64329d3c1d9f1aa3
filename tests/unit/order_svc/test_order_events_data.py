"""Domain events serialize to exactly the data events.md names, money as decimal strings."""

import json
from dataclasses import replace
from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from order_builders import (
    HOME,
    NOW,
    RULES,
    every_event_type,
    last,
    line,
    place,
)
from order_svc.domain import events as ev
from order_svc.domain.commands import UpsertCustomer
from order_svc.domain.model import Customer

# events.md, "orderpulse.orders" and "orderpulse.customers": every field of each type.
CATALOG_FIELDS = {
    "order.placed.v1": {
        "order_id", "customer_id", "customer_tier", "channel", "lines", "currency", "total", "ship_to",
        "service_level", "promised_by", "requested_at", "entry_discrepancies",
    },
    "order.held.v1": {"order_id", "discrepancies"},
    "order.corrected.v1": {"order_id", "corrections"},
    "order.released.v1": {"order_id"},
    "order.payment_authorized.v1": {"order_id", "amount", "currency", "reference"},
    "order.payment_failed.v1": {"order_id", "reason"},
    "order.confirmed.v1": {"order_id", "lines", "ship_to", "service_level", "promised_by", "placed_at"},
    "order.invoiced.v1": {"order_id", "invoice_id", "lines", "subtotal", "tax", "total", "currency"},
    "order.cancelled.v1": {"order_id", "reason", "cancelled_by"},
    "return.requested.v1": {"order_id", "return_id", "lines", "reason", "kind"},
    "customer.upserted.v1": {
        "customer_id", "tier", "name", "email", "phone", "locale", "timezone", "account_manager",
    },
}  # fmt: skip
OPTIONAL_FIELDS = {"order.placed.v1": {"requested_at"}, "customer.upserted.v1": {"account_manager"}}


def test_every_event_of_the_catalog_is_recorded_by_some_flow():
    assert {event.type for event in every_event_type()} == set(CATALOG_FIELDS)
    assert set(ev.EVENT_TYPES) == set(CATALOG_FIELDS)


@pytest.mark.parametrize("event", every_event_type(), ids=lambda event: event.type)
def test_event_data_has_exactly_the_catalog_fields(event):
    required = CATALOG_FIELDS[event.type] - OPTIONAL_FIELDS.get(event.type, set())
    assert required <= set(event.to_data()) <= CATALOG_FIELDS[event.type]


@pytest.mark.parametrize("event", every_event_type(), ids=lambda event: event.type)
def test_event_data_is_plain_json(event):
    assert json.loads(json.dumps(event.to_data())) == event.to_data()


def test_order_events_are_keyed_by_order_and_customer_events_by_customer():
    for event in every_event_type():
        if event.type == "customer.upserted.v1":
            assert (event.key, event.topic) == ("cus_1", "orderpulse.customers")
        else:
            assert event.topic == "orderpulse.orders"
            assert event.key == event.to_data()["order_id"]


def test_the_placed_event_reads_as_in_the_catalog():
    order = place(rules=replace(RULES, tax_rate=Decimal("0.1")), requested_at=NOW - timedelta(seconds=90))
    assert last(order, ev.OrderPlaced).to_data() == {
        "order_id": "ord_1",
        "customer_id": "cus_1",
        "customer_tier": "vip",
        "channel": "web",
        "lines": [
            {"line_id": "ord_1-1", "sku": "MUG-1", "quantity": 2, "unit_price": "12.50"},
            {"line_id": "ord_1-2", "sku": "TEE-1", "quantity": 1, "unit_price": "20.00"},
        ],
        "currency": "USD",
        "total": "49.50",
        "ship_to": {"country": "US", "region": "NY", "city": "New York", "postal_code": "10001", "line1": "1 Main St"},
        "service_level": "standard",
        "promised_by": "2026-11-27T23:59:59.999Z",
        "requested_at": "2026-11-20T14:58:30.000Z",
        "entry_discrepancies": [],
    }


def test_requested_at_is_left_out_when_not_given():
    assert "requested_at" not in last(place(), ev.OrderPlaced).to_data()


def test_the_invoiced_event_gives_money_as_decimal_strings():
    order = place(rules=replace(RULES, tax_rate=Decimal("0.1")))
    assert last(order, ev.OrderInvoiced).to_data() == {
        "order_id": "ord_1",
        "invoice_id": "inv_1_1",
        "lines": [
            {"line_id": "ord_1-1", "sku": "MUG-1", "quantity": 2, "unit_price": "12.50"},
            {"line_id": "ord_1-2", "sku": "TEE-1", "quantity": 1, "unit_price": "20.00"},
        ],
        "subtotal": "45.00",
        "tax": "4.50",
        "total": "49.50",
        "currency": "USD",
    }


def test_the_confirmed_event_carries_what_a_warehouse_needs():
    data = last(place(), ev.OrderConfirmed).to_data()
    assert data["ship_to"] == {
        "country": "US",
        "region": "NY",
        "city": "New York",
        "postal_code": "10001",
        "line1": "1 Main St",
    }
    assert data["promised_by"] == "2026-11-27T23:59:59.999Z"
    assert data["service_level"] == "standard"


def test_the_held_event_lists_code_field_and_detail():
    data = last(place(lines=(line("MUG-1", 11, "12.50"),)), ev.OrderHeld).to_data()
    assert data == {
        "order_id": "ord_1",
        "discrepancies": [
            {
                "code": "quantity_limit",
                "field": "lines[0].quantity",
                "detail": "quantity 11 exceeds the limit of 10 for sku 'MUG-1'",
            }
        ],
    }


def test_times_given_in_any_offset_are_written_in_utc():
    placed_in_new_york = datetime(2026, 11, 20, 10, tzinfo=ZoneInfo("America/New_York"))
    order = place(placed_at=placed_in_new_york, promised_by=placed_in_new_york + timedelta(days=2))
    placed = last(order, ev.OrderPlaced)
    assert placed.occurred_at == placed_in_new_york
    assert placed.to_data()["promised_by"] == "2026-11-22T15:00:00.000Z"


def test_events_are_immutable():
    event = last(place(), ev.OrderPlaced)
    with pytest.raises(AttributeError):
        event.order_id = "ord_2"  # type: ignore[misc]


def test_the_customer_event_leaves_out_an_absent_account_manager():
    customer = Customer.upsert(
        UpsertCustomer(customer_id="cus_2", tier="one_time", name="Bo", email="bo@example.com", phone="+1 555 0100"),
        None,
        NOW,
    )
    assert customer.events[0].to_data() == {
        "customer_id": "cus_2",
        "tier": "one_time",
        "name": "Bo",
        "email": "bo@example.com",
        "phone": "+1 555 0100",
        "locale": "en",
        "timezone": "UTC",
    }


def test_a_checkout_authorization_without_a_reference_says_checkout():
    assert last(place(), ev.PaymentAuthorized).reference == "checkout"


def test_ship_to_carries_line1_only_when_known():
    assert last(place(), ev.OrderConfirmed).to_data()["ship_to"]["line1"] == "1 Main St"
    without_street = place(ship_to=replace(HOME, line1=None))
    assert "line1" not in last(without_street, ev.OrderConfirmed).to_data()["ship_to"]

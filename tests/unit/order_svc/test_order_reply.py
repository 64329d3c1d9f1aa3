"""The placing answer written by hand is `OrderView`'s JSON byte for byte, whatever the order holds."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from order_builders import CATALOG, NOW, RULES, cancelling, confirmed_order, held_for_price, line, pending_order, place
from order_svc.domain.model import CatalogItem, OrderRules
from order_svc.domain.values import Address
from order_svc.entrypoints.order_reply import order_json
from order_svc.entrypoints.views import OrderView

YEN = CatalogItem(sku="BOWL-1", name="Bowl", unit_price=Decimal("1500"), currency="JPY", max_quantity=4)
ODD_TEXT = 'Zoë "the" \\ Brontë\n\t\x01 東京 😀 </script>'


def view_json(order) -> bytes:
    return OrderView.of(order).model_dump_json().encode()


ORDERS = {
    "confirmed and invoiced": lambda: confirmed_order(),
    "held for its price": lambda: held_for_price(),
    "waiting for payment": lambda: pending_order(),
    "with requested_at and a promise": lambda: confirmed_order(
        requested_at=NOW - timedelta(minutes=3), promised_by=NOW + timedelta(days=2)
    ),
    "held for an address without street or city": lambda: place(
        ship_to=Address(country="US", region="NY", postal_code="10001")
    ),
    "with text that needs escaping": lambda: place(
        ship_to=Address(country="DE", region=ODD_TEXT, city=ODD_TEXT, postal_code="10115", line1=ODD_TEXT)
    ),
    "unknown sku and too many": lambda: place(lines=(line("NOPE-1", 1, "1.00"), line("TEE-1", 9, "20.00"))),
    "in yen": lambda: place(lines=(line("BOWL-1", 3, "1500"),), catalog={**CATALOG, "BOWL-1": YEN}),
    "taxed": lambda: place(rules=OrderRules(calendar=RULES.calendar, tax_rate="0.19")),
    "placed in the past": lambda: place(placed_at=NOW - timedelta(days=400, microseconds=1)),
    "then cancelled": lambda: cancelled(),
}


def cancelled():
    order = confirmed_order()
    order.cancel(cancelling(reason="customer_request"), NOW + timedelta(minutes=1))
    return order


@pytest.mark.parametrize("name", ORDERS)
def test_the_placing_answer_is_the_order_views_json(name):
    order = ORDERS[name]()

    assert order_json(order) == view_json(order)


def test_the_orders_compared_cover_held_pending_confirmed_and_cancelled():
    statuses = {ORDERS[name]().status.value for name in ORDERS}

    assert {"held", "pending_payment", "confirmed", "cancelled"} <= statuses

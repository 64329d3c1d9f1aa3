"""Builders for order-svc's unit tests: a small catalog, a customer, and orders in each status."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from order_svc.domain import events as ev
from order_svc.domain.commands import (
    CancelOrder,
    CorrectOrder,
    PlaceOrder,
    RecordPaymentResult,
    RequestReturn,
    UpsertCustomer,
)
from order_svc.domain.model import CatalogItem, Customer, Order, OrderRules
from order_svc.domain.values import Address, LineRequest, SkuQuantity, Tier
from orderpulse.business_days import BusinessCalendar

NOW = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)  # a Friday
LATER = NOW + timedelta(hours=1)
RULES = OrderRules(calendar=BusinessCalendar())

MUG = CatalogItem(sku="MUG-1", name="Mug", unit_price=Decimal("12.50"), currency="USD", max_quantity=10)
TEE = CatalogItem(sku="TEE-1", name="T-shirt", unit_price=Decimal("20.00"), currency="USD", max_quantity=5)
CATALOG = {item.sku: item for item in (MUG, TEE)}

CUSTOMER = Customer(
    customer_id="cus_1", tier=Tier.VIP, name="Ada", email="ada@example.com", phone="+1 555 0100", timezone="UTC"
)
HOME = Address(country="US", region="NY", city="New York", postal_code="10001", line1="1 Main St")


def line(sku: str = "MUG-1", quantity: int = 2, unit_price: str = "12.50") -> LineRequest:
    return LineRequest(sku=sku, quantity=quantity, unit_price=unit_price)


def placing(**changes) -> PlaceOrder:
    command = PlaceOrder(
        customer_id="cus_1",
        lines=(line("MUG-1", 2, "12.50"), line("TEE-1", 1, "20.00")),
        ship_to=HOME,
        channel="web",
        service_level="standard",
    )
    return replace(command, **changes)


def place(*, rules: OrderRules = RULES, catalog=None, customer=CUSTOMER, now=NOW, **changes) -> Order:
    return Order.place(
        placing(**changes),
        order_id="ord_1",
        customer=customer,
        catalog=CATALOG if catalog is None else catalog,
        rules=rules,
        now=now,
    )


def types(order: Order) -> list[str]:
    return [event.type for event in order.events]


def last(order: Order, event_class):
    return [event for event in order.events if isinstance(event, event_class)][-1]


def fresh(order: Order) -> Order:
    """The order with its recorded events taken away, as the unit of work would leave it."""
    order.events.clear()
    return order


def confirmed_order(**changes) -> Order:
    return fresh(place(**changes))


def held_for_price(**changes) -> Order:
    return fresh(place(lines=(line("MUG-1", 2, "9.99"), line("TEE-1", 1, "20.00")), **changes))


def pending_order(**changes) -> Order:
    return fresh(place(payment_status="pending", **changes))


def correcting(**changes) -> CorrectOrder:
    return replace(CorrectOrder(order_id="ord_1", reason="customer called"), **changes)


def paying(status: str = "authorized", **changes) -> RecordPaymentResult:
    return replace(RecordPaymentResult(order_id="ord_1", status=status, amount="45.00", reference="pay_1"), **changes)


def cancelling(**changes) -> CancelOrder:
    return replace(CancelOrder(order_id="ord_1", reason="changed mind", cancelled_by="support"), **changes)


def returning(*lines: tuple[str, int], reason: str = "damaged", kind: str = "refund") -> RequestReturn:
    return RequestReturn(
        order_id="ord_1",
        lines=tuple(SkuQuantity(sku, quantity) for sku, quantity in lines),
        reason=reason,
        kind=kind,
    )


def dispatch(order: Order, shipment_id: str = "shp_1", lines=(("MUG-1", 2), ("TEE-1", 1)), at=LATER) -> bool:
    return order.apply_fulfillment_fact(
        "shipment.dispatched.v1",
        at,
        shipment_id=shipment_id,
        lines=[{"sku": sku, "quantity": quantity} for sku, quantity in lines],
        carrier="ups",
        tracking_number=f"1Z{shipment_id}",
    )


def deliver(order: Order, shipment_id: str = "shp_1", lines=(("MUG-1", 2), ("TEE-1", 1)), at=None) -> bool:
    return order.apply_fulfillment_fact(
        "shipment.delivered.v1",
        at or LATER + timedelta(days=2),
        shipment_id=shipment_id,
        lines=[{"sku": sku, "quantity": quantity} for sku, quantity in lines],
        carrier="ups",
        condition="intact",
    )


def delivered_order() -> Order:
    order = confirmed_order()
    order.apply_fulfillment_fact("fulfillment.created.v1", LATER)
    dispatch(order)
    deliver(order)
    return order


def every_event_type() -> list[ev.Event]:
    """One of each event, from the flows that record them."""
    events: list[ev.Event] = []
    held = place(lines=(line("MUG-1", 2, "9.99"),), requested_at=NOW - timedelta(minutes=3), payment_status="pending")
    held.record_payment(paying("failed"), LATER)
    held.record_payment(paying("authorized", amount="25.00"), LATER)
    held.correct(correcting(lines=(line("MUG-1", 2, "12.50"),)), CATALOG, LATER)
    events += held.events
    delivered = delivered_order()
    delivered.request_return(returning(("MUG-1", 1)), LATER)
    events += delivered.events
    cancelled = place()
    cancelled.cancel(cancelling(), LATER)
    events += cancelled.events
    customer = Customer.upsert(
        UpsertCustomer(
            customer_id="cus_1",
            tier="vip",
            name="Ada",
            email="ada@example.com",
            phone="+1 555 0100",
            account_manager="am_1",
        ),
        None,
        NOW,
    )
    return events + customer.events

"""Order statuses, their forward-only ranking, and which statuses allow which commands."""

from __future__ import annotations

from enum import StrEnum


class OrderStatus(StrEnum):
    HELD = "held"
    PENDING_PAYMENT = "pending_payment"
    CONFIRMED = "confirmed"
    IN_FULFILLMENT = "in_fulfillment"
    PARTIALLY_SHIPPED = "partially_shipped"
    SHIPPED = "shipped"
    DELIVERED = "delivered"
    CANCELLED = "cancelled"

    @property
    def rank(self) -> int:
        """Position on the lifecycle; fulfillment facts only ever raise it."""
        return _RANKS[self]


_RANKS = {status: rank for rank, status in enumerate(OrderStatus)}

# Until the order is packed (`Order.correct` checks that): a warehouse re-plans an unpacked order.
CORRECTABLE = frozenset(
    {OrderStatus.HELD, OrderStatus.PENDING_PAYMENT, OrderStatus.CONFIRMED, OrderStatus.IN_FULFILLMENT}
)
AT_WAREHOUSE = frozenset({OrderStatus.CONFIRMED, OrderStatus.IN_FULFILLMENT})
DISPATCHED = frozenset({OrderStatus.PARTIALLY_SHIPPED, OrderStatus.SHIPPED, OrderStatus.DELIVERED})
RETURNABLE = DISPATCHED


def furthest(current: OrderStatus, reported: OrderStatus) -> OrderStatus:
    """The status after a fulfillment fact: never backwards, and `cancelled` is terminal."""
    if current is OrderStatus.CANCELLED:
        return current
    return reported if reported.rank > current.rank else current


def fact_kind(event_type: str) -> str:
    """`orderpulse.shipment.dispatched.v1` or `shipment.dispatched.v1` -> `shipment.dispatched`."""
    kind = event_type.removeprefix("orderpulse.")
    head, _, last = kind.rpartition(".")
    if head and last.startswith("v") and last[1:].isdigit():
        kind = head
    return kind


IN_FULFILLMENT_FACTS = frozenset({"fulfillment.created", "fulfillment.packed", "inventory.backordered"})
SHIPMENT_SCAN_FACTS = frozenset(
    {
        "shipment.in_transit",
        "shipment.out_for_delivery",
        "shipment.delayed",
        "shipment.delivery_failed",
        "shipment.exception",
    }
)

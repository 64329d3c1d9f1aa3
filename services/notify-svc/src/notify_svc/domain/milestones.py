"""The milestones customers hear about (events.md), and which of them describe a parcel or the order's status."""

from __future__ import annotations

ORDER_CONFIRMED = "order_confirmed"
ORDER_HELD = "order_held"
PAYMENT_FAILED = "payment_failed"
SHIPPED = "shipped"
OUT_FOR_DELIVERY = "out_for_delivery"
DELAYED = "delayed"
DELIVERY_FAILED = "delivery_failed"
DELIVERED = "delivered"
CANCELLED = "cancelled"
RETURN_RECEIVED = "return_received"
SURVEY = "survey"
ISSUE_UPDATE = "issue_update"

MILESTONES: tuple[str, ...] = (
    ORDER_CONFIRMED,
    ORDER_HELD,
    PAYMENT_FAILED,
    SHIPPED,
    OUT_FOR_DELIVERY,
    DELAYED,
    DELIVERY_FAILED,
    DELIVERED,
    CANCELLED,
    RETURN_RECEIVED,
    SURVEY,
    ISSUE_UPDATE,
)

# Milestones of one parcel: their unique key holds the shipment, and parcels of one order that
# reach one within the settle window share a message (a digest).
PARCEL_MILESTONES = frozenset({SHIPPED, OUT_FOR_DELIVERY, DELAYED, DELIVERY_FAILED, DELIVERED})

# Milestones that say where the order stands. `survey` and `issue_update` run beside the status:
# they are never superseded (kpi-svc's status_communication_accuracy agrees).
STATUS_MILESTONES = frozenset(MILESTONES) - {SURVEY, ISSUE_UPDATE}

# Milestones that end an order's story for every parcel of it.
ORDER_WIDE_MILESTONES = frozenset({CANCELLED})

CHANNELS: tuple[str, ...] = ("email", "sms", "webhook")

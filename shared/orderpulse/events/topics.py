"""Kafka topic names and defaults (events.md, "Topics")."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

CUSTOMERS = "orderpulse.customers"
ORDERS = "orderpulse.orders"
FULFILLMENT = "orderpulse.fulfillment"
NOTIFICATIONS = "orderpulse.notifications"
FEEDBACK = "orderpulse.feedback"

ALL_TOPICS: tuple[str, ...] = (CUSTOMERS, ORDERS, FULFILLMENT, NOTIFICATIONS, FEEDBACK)

DLQ_PREFIX = "orderpulse.dlq."
DEFAULT_PARTITIONS = 12


def dlq_topic(service: str) -> str:
    """The dead-letter topic of one consuming service: `orderpulse.dlq.<service>`."""
    if not service or "." in service or "/" in service:
        raise ValueError(f"not a service name: {service!r}")
    return DLQ_PREFIX + service


PRODUCERS: Mapping[str, str] = MappingProxyType(
    {
        CUSTOMERS: "order-svc",
        ORDERS: "order-svc",
        FULFILLMENT: "fulfillment-svc",
        NOTIFICATIONS: "notify-svc",
        FEEDBACK: "feedback-svc",
    }
)

"""The event contract: the CloudEvents envelope, topics, and one `data` model per event type."""

from .envelope import CONTENT_TYPE, Envelope, format_time, full_type, new_envelope
from .registry import (
    EVENT_TYPES,
    EventType,
    UnknownEventType,
    event_type,
    topic_for,
    validate_data,
)
from .topics import (
    ALL_TOPICS,
    CUSTOMERS,
    DEFAULT_PARTITIONS,
    FEEDBACK,
    FULFILLMENT,
    NOTIFICATIONS,
    ORDERS,
    dlq_topic,
)

__all__ = [
    "ALL_TOPICS",
    "CONTENT_TYPE",
    "CUSTOMERS",
    "DEFAULT_PARTITIONS",
    "EVENT_TYPES",
    "FEEDBACK",
    "FULFILLMENT",
    "NOTIFICATIONS",
    "ORDERS",
    "Envelope",
    "EventType",
    "UnknownEventType",
    "dlq_topic",
    "event_type",
    "format_time",
    "full_type",
    "new_envelope",
    "topic_for",
    "validate_data",
]

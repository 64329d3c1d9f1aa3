"""The CloudEvents 1.0 envelope (structured JSON mode) every OrderPulse event travels in."""

from __future__ import annotations

import uuid
from datetime import datetime, timezone
from typing import Any

import orjson
from pydantic import BaseModel, ConfigDict, Field

from orderpulse.rfc3339 import format_time

TYPE_PREFIX = "orderpulse."
CONTENT_TYPE = "application/cloudevents+json"


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class Envelope(BaseModel):
    """One event as it sits on Kafka: `id` is the dedup key, `time` is event time."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    specversion: str = "1.0"
    id: str
    source: str
    type: str = Field(description="full type string, e.g. orderpulse.order.placed.v1")
    subject: str
    time: datetime
    datacontenttype: str = "application/json"
    partitionkey: str
    traceparent: str | None = None
    data: dict[str, Any]

    def to_json(self) -> bytes:
        body = self.model_dump(mode="json", exclude_none=True)
        body["time"] = format_time(self.time)
        return orjson.dumps(body)

    @classmethod
    def from_json(cls, raw: bytes | str) -> "Envelope":
        return cls.model_validate(orjson.loads(raw))


def full_type(short_type: str) -> str:
    """`order.placed.v1` -> `orderpulse.order.placed.v1` (idempotent)."""
    return short_type if short_type.startswith(TYPE_PREFIX) else TYPE_PREFIX + short_type


def new_envelope(
    *,
    type: str,
    source: str,
    key: str,
    data: dict[str, Any],
    time: datetime | None = None,
    traceparent: str | None = None,
    event_id: str | None = None,
) -> Envelope:
    """Build an envelope; `key` becomes both `subject` and `partitionkey`."""
    return Envelope(
        id=event_id or str(uuid.uuid4()),
        source=source,
        type=full_type(type),
        subject=key,
        time=time or utcnow(),
        partitionkey=key,
        traceparent=traceparent,
        data=data,
    )

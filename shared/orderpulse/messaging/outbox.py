"""Writing events into the outbox inside the caller's transaction."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from orderpulse.events.envelope import Envelope
from orderpulse.events.registry import topic_for


def notify_channel(schema: str) -> str:
    return f"orderpulse_outbox_{schema}"


_INSERT = text(
    "INSERT INTO outbox (event_id, topic, key, event_type, payload, traceparent) "
    "VALUES (:event_id, :topic, :key, :event_type, :payload, :traceparent)"
)


def outbox_row(envelope: Envelope) -> dict[str, object]:
    """The outbox row of an event: event_id, topic, key, event_type, payload (bytes), traceparent."""
    return {
        "event_id": envelope.id,
        "topic": topic_for(envelope.type),
        "key": envelope.partitionkey,
        "event_type": envelope.type,
        "payload": envelope.to_json(),
        "traceparent": envelope.traceparent,
    }


async def add_to_outbox(db: AsyncSession | AsyncConnection, envelopes: Iterable[Envelope], *, schema: str) -> int:
    """Stage events for publication; they become visible to the relay only if the transaction commits."""
    rows = [outbox_row(envelope) for envelope in envelopes]
    if not rows:
        return 0
    await db.execute(_INSERT, rows)
    # NOTIFY is delivered at commit, and never for a rolled-back transaction
    await db.execute(text("SELECT pg_notify(:channel, '')"), {"channel": notify_channel(schema)})
    return len(rows)

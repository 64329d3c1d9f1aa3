"""Writing events into the outbox inside the caller's transaction."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from orderpulse.events.envelope import Envelope
from orderpulse.events.registry import topic_for


def notify_channel(schema: str) -> str:
    return f"orderpulse_outbox_{schema}"


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


# One statement, one round trip: the rows (from arrays, in the order given, so ids follow it) and
# the NOTIFY (sent at commit, never for a rolled-back transaction) that wakes the relay.
_STAGE = text(
    "WITH staged AS ("
    " INSERT INTO outbox (event_id, topic, key, event_type, payload, traceparent)"
    " SELECT event_id, topic, key, event_type, payload, traceparent FROM unnest("
    "  CAST(:event_ids AS text[]), CAST(:topics AS text[]), CAST(:keys AS text[]),"
    "  CAST(:event_types AS text[]), CAST(:payloads AS bytea[]), CAST(:traceparents AS text[])"
    " ) WITH ORDINALITY AS given (event_id, topic, key, event_type, payload, traceparent, n)"
    " ORDER BY n"
    " RETURNING 1"
    ") SELECT pg_notify(:channel, '')"
)


async def add_to_outbox(db: AsyncSession | AsyncConnection, envelopes: Iterable[Envelope], *, schema: str) -> int:
    """Stage events for publication; they become visible to the relay only if the transaction commits."""
    # `outbox_row`'s columns, gathered in one pass without a dict per row (a consumer batch stages ~500)
    event_ids: list[str] = []
    topics: list[str] = []
    keys: list[str] = []
    event_types: list[str] = []
    payloads: list[bytes] = []
    traceparents: list[str | None] = []
    for envelope in envelopes:
        event_ids.append(envelope.id)
        topics.append(_topic_of(envelope.type))
        keys.append(envelope.partitionkey)
        event_types.append(envelope.type)
        payloads.append(envelope.to_json())
        traceparents.append(envelope.traceparent)
    if not event_ids:
        return 0
    await db.execute(
        _STAGE,
        {
            "event_ids": event_ids,
            "topics": topics,
            "keys": keys,
            "event_types": event_types,
            "payloads": payloads,
            "traceparents": traceparents,
            "channel": notify_channel(schema),
        },
    )
    return len(event_ids)


_TOPICS: dict[str, str] = {}


def _topic_of(event_type: str) -> str:
    """`topic_for`, remembered per type (the catalog never changes while a process runs)."""
    topic = _TOPICS.get(event_type)
    if topic is None:
        topic = _TOPICS[event_type] = topic_for(event_type)
    return topic

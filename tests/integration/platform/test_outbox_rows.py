"""The outbox's rows are each event's `outbox_row`, in the order staged (ids follow it)."""

from __future__ import annotations

from datetime import UTC, datetime

from orderpulse.events import new_envelope
from orderpulse.messaging.outbox import add_to_outbox, outbox_row
from orderpulse.observability.tracing import new_traceparent
from sqlalchemy import text


async def test_staged_rows_are_each_events_outbox_row_in_the_order_given(sessions, platform_schema, unique_name):
    at = datetime(2026, 12, 7, 12, 0, 0, 123000, tzinfo=UTC)
    envelopes = [
        new_envelope(type="order.cancelled.v1", source="/platform-test", key=f"ord_{unique_name}_{n}", time=at,
                     data={"order_id": f"ord_{unique_name}_{n}", "reason": "test \"quoted\" ✓", "cancelled_by": "storefront"},
                     traceparent=new_traceparent() if n % 2 else None)
        for n in range(4)
    ]
    envelopes.insert(2, new_envelope(type="labor.shift_recorded.v1", source="/platform-test", key="wh-1", time=at,
                                     data={"warehouse_id": "wh-1", "shift_id": "s1", "worker_id": "w1", "hours": "8"}))
    async with sessions() as session, session.begin():
        assert await add_to_outbox(session, envelopes, schema=platform_schema) == len(envelopes)
        assert await add_to_outbox(session, [], schema=platform_schema) == 0
    async with sessions() as session:
        rows = (await session.execute(text(
            "SELECT event_id, topic, key, event_type, payload, traceparent FROM outbox ORDER BY id"))).mappings().all()
    assert [dict(row) for row in rows] == [outbox_row(envelope) for envelope in envelopes]

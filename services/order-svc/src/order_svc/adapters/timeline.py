"""Every lifecycle event of an order, from every service, in PostgreSQL."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from orderpulse.db.bulk import BulkInsert
from sqlalchemy import select, text, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from order_svc.adapters import tables
from order_svc.service_layer.ports import TimelineEntry

# any number of entries in one statement (an executemany would run the INSERT once per entry); one
# array per column: as one JSON document it cost the client ~3 µs less per entry and PostgreSQL ~5 µs
# more (docs/benchmarks.md, branch `ordcons`)
_APPEND = BulkInsert(
    "timeline",
    {
        "event_id": ("event_id", "text"),
        "order_id": ("order_id", "text"),
        "type": ("type", "text"),
        "source": ("source", "text"),
        "occurred_at": ("occurred_at", "timestamptz"),
        "data": ("data", "jsonb"),
    },
)
_APPEND_SQL = text(_APPEND.sql())


class SqlTimeline:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def append(self, entries: Sequence[TimelineEntry]) -> None:
        if not entries:
            return
        values = [
            {
                "event_id": entry.event_id,
                "order_id": entry.order_id,
                "type": entry.type,
                "source": entry.source,
                "occurred_at": entry.occurred_at,
                "data": entry.data,
            }
            for entry in entries
        ]
        await self._session.execute(_APPEND_SQL, _APPEND.arrays(values))

    async def for_order(self, order_id: str, *, limit: int, after: tuple[datetime, int] | None) -> list[TimelineEntry]:
        t = tables.timeline.c
        query = select(tables.timeline).where(t.order_id == order_id).order_by(t.occurred_at, t.position).limit(limit)
        if after is not None:
            query = query.where(tuple_(t.occurred_at, t.position) > tuple_(*after))
        result = await self._session.execute(query)
        return [TimelineEntry(**row) for row in result.mappings()]

"""Every lifecycle event of an order, from every service, in PostgreSQL."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select, text, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from order_svc.adapters import tables
from order_svc.service_layer.ports import TimelineEntry

# one statement, the same text whatever the number of entries (jsonb travels as text)
_APPEND = text(
    "INSERT INTO timeline (event_id, order_id, type, source, occurred_at, data) "
    "SELECT u.e, u.o, u.t, u.s, u.at, CAST(u.d AS jsonb) FROM unnest(CAST(:e AS text[]), CAST(:o AS text[]), "
    "CAST(:t AS text[]), CAST(:s AS text[]), CAST(:at AS timestamptz[]), CAST(:d AS text[])) "
    "WITH ORDINALITY AS u (e, o, t, s, at, d, n) ORDER BY u.n ON CONFLICT (event_id) DO NOTHING"
)


class SqlTimeline:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def append(self, entries: Sequence[TimelineEntry]) -> None:
        """Any number of entries in one statement (numbered in the order given; an event id
        already there, or given twice, keeps its first entry)."""
        if not entries:
            return
        await self._session.execute(_APPEND, {
            "e": [entry.event_id for entry in entries], "o": [entry.order_id for entry in entries],
            "t": [entry.type for entry in entries], "s": [entry.source for entry in entries],
            "at": [entry.occurred_at for entry in entries], "d": [json.dumps(entry.data) for entry in entries],
        })

    async def for_order(self, order_id: str, *, limit: int, after: tuple[datetime, int] | None) -> list[TimelineEntry]:
        t = tables.timeline.c
        query = select(tables.timeline).where(t.order_id == order_id).order_by(t.occurred_at, t.position).limit(limit)
        if after is not None:
            query = query.where(tuple_(t.occurred_at, t.position) > tuple_(*after))
        result = await self._session.execute(query)
        return [TimelineEntry(**row) for row in result.mappings()]

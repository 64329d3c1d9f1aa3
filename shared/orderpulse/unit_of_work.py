"""The unit of work: one database transaction, and the events it records go into the outbox with it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from orderpulse.events.envelope import Envelope, new_envelope
from orderpulse.messaging.outbox import add_to_outbox
from orderpulse.observability.tracing import current_traceparent


class UnitOfWork:
    """`async with uow:` opens a transaction; `record()` stages events; `commit()` writes both atomically.

    Leaving the block without `commit()` rolls everything back, events included.
    """

    def __init__(self, sessions: async_sessionmaker[AsyncSession], *, schema: str, source: str) -> None:
        self._sessions = sessions
        self._schema = schema
        self._source = source
        self._owned = True
        self.session: AsyncSession
        self._events: list[Envelope] = []

    @classmethod
    def joining(cls, session: AsyncSession, *, schema: str, source: str) -> UnitOfWork:
        """A unit of work inside a transaction someone else owns (a consumer's batch)."""
        uow = cls(None, schema=schema, source=source)  # type: ignore[arg-type]
        uow.session = session
        uow._owned = False
        return uow

    async def __aenter__(self) -> UnitOfWork:
        if self._owned:
            self.session = self._sessions()
            await self.session.begin()
        self._events = []
        return self

    async def __aexit__(self, *_exc: Any) -> None:
        if self._owned:
            try:
                if self.session.in_transaction():
                    await self.session.rollback()
            finally:
                await self.session.close()

    def record(self, type: str, key: str, data: dict[str, Any], *, time: datetime | None = None) -> Envelope:
        envelope = new_envelope(
            type=type, source=self._source, key=key, data=data, time=time, traceparent=current_traceparent()
        )
        self._events.append(envelope)
        return envelope

    @property
    def recorded(self) -> list[Envelope]:
        return list(self._events)

    def take_events(self) -> list[Envelope]:
        """The recorded events, handed to a caller that writes them to the outbox itself (in this transaction)."""
        events, self._events = self._events, []
        return events

    async def flush_events(self) -> None:
        """Stage recorded events in the outbox now (still inside the transaction)."""
        if self._events:
            await add_to_outbox(self.session, self._events, schema=self._schema)
            self._events = []

    async def commit(self) -> None:
        await self.flush_events()
        if self._owned:
            await self.session.commit()

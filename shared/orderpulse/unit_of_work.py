"""The unit of work: one database transaction, and the events it records go into the outbox with it."""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar, Self

from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from orderpulse.events.envelope import Envelope, new_envelope
from orderpulse.events.registry import validate_data
from orderpulse.messaging.outbox import add_to_outbox
from orderpulse.observability.tracing import current_traceparent


class UnitOfWork:
    """`async with uow:` opens a transaction; `record()` stages events; `commit()` writes both atomically.

    Leaving the block without `commit()` rolls everything back, events included. The session is
    made on first use of `session` and begins its transaction at its first statement (SQLAlchemy's
    autobegin), so a block that touches no repository costs no session at all.
    """

    def __init__(self, sessions: async_sessionmaker[AsyncSession], *, schema: str, source: str) -> None:
        self._sessions = sessions
        self._schema = schema
        self._source = source
        self._owned = True
        self._session: AsyncSession | None = None
        self._events: list[Envelope] = []

    @classmethod
    def joining(cls, session: AsyncSession, *, schema: str, source: str) -> UnitOfWork:
        """A unit of work inside a transaction someone else owns (a consumer's batch)."""
        uow = cls(None, schema=schema, source=source)  # type: ignore[arg-type]
        uow.session = session
        uow._owned = False
        return uow

    @property
    def session(self) -> AsyncSession:
        if self._session is None:
            self._session = self._sessions()
        return self._session

    @session.setter
    def session(self, session: AsyncSession) -> None:
        self._session = session

    async def __aenter__(self) -> UnitOfWork:
        if self._owned:
            self._session = None
        self._events = []
        return self

    async def __aexit__(self, *_exc: Any) -> None:
        if self._owned and self._session is not None:
            session, self._session = self._session, None
            try:
                if session.in_transaction():
                    await session.rollback()
            finally:
                await session.close()

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
        if self._owned and self._session is not None:
            await self._session.commit()


_TRANSIENT_SQLSTATES = frozenset({"40P01", "40001"})  # deadlock detected, serialization failure


class ServiceUnitOfWork:
    """A service's unit of work: the shared transaction-with-outbox plus the service's repositories.

    A service subclasses it once (its adapters' `SqlUnitOfWork`), names its event `source`, opens
    its repositories in `_attach(session)` and turns its outgoing events into `_stage(...)` calls
    in its own `record()`. With `transient_error` set, a deadlock or serialization failure leaving
    the block is raised as that (service-layer) exception, so callers can run the command again.
    """

    source: ClassVar[str]
    transient_error: ClassVar[type[Exception] | None] = None

    def __init__(self, inner: UnitOfWork) -> None:
        self._inner = inner

    @classmethod
    def owning(cls, sessions: async_sessionmaker[AsyncSession], *, schema: str) -> Self:
        """A unit of work with its own transaction (an API command, a due-work pass)."""
        return cls(UnitOfWork(sessions, schema=schema, source=cls.source))

    @classmethod
    def joining(cls, session: AsyncSession, *, schema: str) -> Self:
        """A unit of work inside the consumer's transaction; `commit()` only stages the events."""
        return cls(UnitOfWork.joining(session, schema=schema, source=cls.source))

    def _attach(self, session: AsyncSession) -> None:
        """Open the service's repositories on the transaction's session."""
        raise NotImplementedError

    async def __aenter__(self) -> Self:
        await self._inner.__aenter__()
        self._attach(self._inner.session)
        return self

    async def __aexit__(self, exc_type: Any, exc: BaseException | None, traceback: Any) -> None:
        await self._inner.__aexit__(exc_type, exc, traceback)
        if (
            self.transient_error is not None
            and isinstance(exc, DBAPIError)
            and getattr(exc.orig, "sqlstate", None) in _TRANSIENT_SQLSTATES
        ):
            raise self.transient_error(str(exc.orig)) from exc

    def _stage(self, type: str, key: str, data: dict[str, Any], occurred_at: datetime | None) -> None:
        validate_data(type, data)  # producers validate strictly: a bad event is a bug, never published
        self._inner.record(type, key, data, time=occurred_at)

    async def commit(self) -> None:
        await self._inner.commit()

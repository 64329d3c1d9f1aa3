"""The PostgreSQL unit of work: the shared transaction-with-outbox plus notify-svc's stores."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from orderpulse.events import validate_data
from orderpulse.scheduling import nudge_after_commit
from orderpulse.unit_of_work import UnitOfWork
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from notify_svc.adapters.call_repository import SqlCallStore
from notify_svc.adapters.notification_repository import SqlNotificationStore
from notify_svc.adapters.state_repository import SqlKnownState
from notify_svc.domain.events import OutgoingEvent
from notify_svc.service_layer.ports import Waker

SOURCE = "/notify-svc"


class SqlUnitOfWork:
    def __init__(self, inner: UnitOfWork) -> None:
        self._inner = inner

    @classmethod
    def owning(cls, sessions: async_sessionmaker[AsyncSession], *, schema: str) -> SqlUnitOfWork:
        """A unit of work with its own transaction (an API command, a sender batch)."""
        return cls(UnitOfWork(sessions, schema=schema, source=SOURCE))

    @classmethod
    def joining(cls, session: AsyncSession, *, schema: str) -> SqlUnitOfWork:
        """A unit of work inside the consumer's transaction; `commit()` only stages the events."""
        return cls(UnitOfWork.joining(session, schema=schema, source=SOURCE))

    async def __aenter__(self) -> SqlUnitOfWork:
        await self._inner.__aenter__()
        session = self._inner.session
        self.state = SqlKnownState(session)
        self.notifications = SqlNotificationStore(session)
        self.calls = SqlCallStore(session)
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self._inner.__aexit__(*exc)

    def record(self, events: Iterable[OutgoingEvent]) -> None:
        for outgoing in events:
            validate_data(outgoing.type, outgoing.data)  # producers validate strictly: a bad event is a bug
            self._inner.record(outgoing.type, outgoing.key, outgoing.data, time=outgoing.occurred_at)

    def wake_after_commit(self, waker: Waker) -> None:
        nudge_after_commit(self._inner.session, waker)

    async def commit(self) -> None:
        await self._inner.commit()

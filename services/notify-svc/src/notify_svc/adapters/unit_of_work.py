"""The PostgreSQL unit of work: the shared transaction-with-outbox plus notify-svc's stores."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Self

from orderpulse.scheduling import nudge_after_commit
from orderpulse.unit_of_work import ServiceUnitOfWork
from sqlalchemy.ext.asyncio import AsyncSession

from notify_svc.adapters.call_repository import SqlCallStore
from notify_svc.adapters.notification_repository import SqlNotificationStore
from notify_svc.adapters.state_repository import SqlKnownState
from notify_svc.domain.events import OutgoingEvent
from notify_svc.service_layer.ports import Waker


class SqlUnitOfWork(ServiceUnitOfWork):
    source = "/notify-svc"

    def _attach(self, session: AsyncSession) -> None:
        self.state = SqlKnownState(session)
        self.notifications = SqlNotificationStore(session)
        self.calls = SqlCallStore(session)

    def record(self, events: Iterable[OutgoingEvent]) -> None:
        for outgoing in events:
            self._stage(outgoing.type, outgoing.key, outgoing.data, outgoing.occurred_at)

    async def prefetch(self, order_ids: Iterable[str]) -> None:
        return None  # reads as it goes; `batching.BatchUnitOfWork` reads ahead

    async def __aenter__(self) -> Self:
        # Here, not in `_attach`: `batching.BatchUnitOfWork` attaches stores of its own.
        self._woken: set[int] = set()
        return await super().__aenter__()

    def wake_after_commit(self, waker: Waker) -> None:
        if id(waker) not in self._woken:  # once per transaction: a batch asks for every message it adds
            self._woken.add(id(waker))
            nudge_after_commit(self._inner.session, waker)

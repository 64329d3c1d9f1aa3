"""The PostgreSQL unit of work: the shared transaction-with-outbox plus this service's repositories."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from orderpulse.events import validate_data
from orderpulse.unit_of_work import UnitOfWork
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from fulfillment_svc.adapters.fulfillment_repository import SqlFulfillmentRepository
from fulfillment_svc.adapters.records import (
    SqlIdempotencyKeys,
    SqlLaborShifts,
    SqlRequestedReturns,
    SqlReturnsReceived,
    SqlScanLog,
)
from fulfillment_svc.adapters.stock_repository import SqlStockRepository
from fulfillment_svc.domain.events import DomainEvent
from fulfillment_svc.service_layer.ports import TransientConflict

SOURCE = "/fulfillment-svc"
_TRANSIENT_SQLSTATES = frozenset({"40P01", "40001"})  # deadlock detected, serialization failure


class SqlUnitOfWork:
    def __init__(self, inner: UnitOfWork) -> None:
        self._inner = inner

    @classmethod
    def owning(cls, sessions: async_sessionmaker[AsyncSession], *, schema: str) -> SqlUnitOfWork:
        """A unit of work with its own transaction (an API command)."""
        return cls(UnitOfWork(sessions, schema=schema, source=SOURCE))

    @classmethod
    def joining(cls, session: AsyncSession, *, schema: str) -> SqlUnitOfWork:
        """A unit of work inside the consumer's transaction; `commit()` only stages the events."""
        return cls(UnitOfWork.joining(session, schema=schema, source=SOURCE))

    async def __aenter__(self) -> SqlUnitOfWork:
        await self._inner.__aenter__()
        session = self._inner.session
        self.stock = SqlStockRepository(session)
        self.fulfillments = SqlFulfillmentRepository(session)
        self.scans = SqlScanLog(session)
        self.labor = SqlLaborShifts(session)
        self.returns = SqlReturnsReceived(session)
        self.requested_returns = SqlRequestedReturns(session)
        self.idempotency = SqlIdempotencyKeys(session)
        return self

    async def __aexit__(self, exc_type: Any, exc: BaseException | None, traceback: Any) -> None:
        await self._inner.__aexit__(exc_type, exc, traceback)
        if isinstance(exc, DBAPIError) and getattr(exc.orig, "sqlstate", None) in _TRANSIENT_SQLSTATES:
            raise TransientConflict(str(exc.orig)) from exc

    def record(self, events: Iterable[DomainEvent]) -> None:
        for event in events:
            data = event.to_data()
            validate_data(event.type, data)  # producers validate strictly: a bad event is a bug, never published
            self._inner.record(event.type, event.key, data, time=event.occurred_at)

    async def commit(self) -> None:
        await self._inner.commit()

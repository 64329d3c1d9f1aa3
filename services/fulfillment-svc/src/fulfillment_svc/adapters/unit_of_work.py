"""The PostgreSQL unit of work: the shared transaction-with-outbox plus this service's repositories."""

from __future__ import annotations

from collections.abc import Collection, Iterable

from orderpulse.unit_of_work import ServiceUnitOfWork
from sqlalchemy.ext.asyncio import AsyncSession

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


class SqlUnitOfWork(ServiceUnitOfWork):
    source = "/fulfillment-svc"
    transient_error = TransientConflict

    def _attach(self, session: AsyncSession) -> None:
        self.stock = SqlStockRepository(session)
        self.fulfillments = SqlFulfillmentRepository(session)
        self.scans = SqlScanLog(session)
        self.labor = SqlLaborShifts(session)
        self.returns = SqlReturnsReceived(session)
        self.requested_returns = SqlRequestedReturns(session)
        self.idempotency = SqlIdempotencyKeys(session)

    def record(self, events: Iterable[DomainEvent], *, vouched: Collection[type[DomainEvent]] = ()) -> None:
        for event in events:
            if vouched and type(event) in vouched:  # built from checked data: the catalog's check cannot fail
                self._inner.record(event.type, event.key, event.to_data(), time=event.occurred_at)
            else:
                self._stage(event.type, event.key, event.to_data(), event.occurred_at)

"""order-svc's unit of work: the platform's (one transaction, events to the outbox) with its repositories."""

from __future__ import annotations

from orderpulse.unit_of_work import UnitOfWork
from sqlalchemy.ext.asyncio import AsyncSession

from order_svc.adapters.idempotency_keys import SqlIdempotencyKeys
from order_svc.adapters.reference_data import SqlCatalog, SqlCustomers
from order_svc.adapters.repository import SqlOrders
from order_svc.adapters.timeline import SqlTimeline


class SqlOrderUnitOfWork(UnitOfWork):
    """`async with uow:` for a request; `SqlOrderUnitOfWork.joining(session, ...)` inside a consumer's batch."""

    customers: SqlCustomers
    catalog: SqlCatalog
    orders: SqlOrders
    timeline: SqlTimeline
    idempotency_keys: SqlIdempotencyKeys

    async def __aenter__(self) -> SqlOrderUnitOfWork:
        await super().__aenter__()
        self._bind(self.session)
        return self

    @classmethod
    def joining(cls, session: AsyncSession, *, schema: str, source: str) -> SqlOrderUnitOfWork:
        uow = super().joining(session, schema=schema, source=source)
        uow._bind(session)
        return uow

    def _bind(self, session: AsyncSession) -> None:
        self.customers = SqlCustomers(session)
        self.catalog = SqlCatalog(session)
        self.orders = SqlOrders(session)
        self.timeline = SqlTimeline(session)
        self.idempotency_keys = SqlIdempotencyKeys(session)

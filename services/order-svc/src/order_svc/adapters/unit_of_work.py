"""order-svc's unit of work: the platform's (one transaction, events to the outbox) with its repositories."""

from __future__ import annotations

from orderpulse.unit_of_work import UnitOfWork
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from order_svc.adapters.driver import DirectConnections
from order_svc.adapters.idempotency_keys import SqlIdempotencyKeys
from order_svc.adapters.order_entry import SqlOrderEntry
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
    entry: SqlOrderEntry

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession] | None,
        *,
        schema: str,
        source: str,
        direct: DirectConnections | None = None,
    ) -> None:
        super().__init__(sessions, schema=schema, source=source)  # type: ignore[arg-type]
        self._direct = direct  # for placing orders; None inside a consumer's batch (it places none)

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
        if self._direct is not None:
            self.entry = SqlOrderEntry(self, self._direct, schema=self._schema)

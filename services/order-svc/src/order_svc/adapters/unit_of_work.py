"""order-svc's unit of work: the platform's (one transaction, events to the outbox) with its repositories."""

from __future__ import annotations

from functools import cached_property

from orderpulse.db.direct import DirectConnections
from orderpulse.unit_of_work import UnitOfWork
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from order_svc.adapters.idempotency_keys import SqlIdempotencyKeys
from order_svc.adapters.order_entry import SqlOrderEntry
from order_svc.adapters.reference_cache import ReferenceCache
from order_svc.adapters.reference_data import SqlCatalog, SqlCustomers
from order_svc.adapters.repository import SqlOrders
from order_svc.adapters.timeline import SqlTimeline

_REPOSITORIES = ("customers", "catalog", "orders", "timeline", "idempotency_keys")


class SqlOrderUnitOfWork(UnitOfWork):
    """`async with uow:` for a request; `SqlOrderUnitOfWork.joining(session, ...)` inside a consumer's batch.

    Repositories are opened on first use, so placing an order by the hand-written statements
    (`entry`), which needs none of them, opens no SQLAlchemy session.
    """

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession] | None,
        *,
        schema: str,
        source: str,
        direct: DirectConnections | None = None,
        copies: ReferenceCache | None = None,
    ) -> None:
        super().__init__(sessions, schema=schema, source=source)  # type: ignore[arg-type]
        # for placing orders; None inside a consumer's batch (it places none)
        self.entry = None if direct is None else SqlOrderEntry(self, direct, copies or ReferenceCache(), schema=schema)

    async def __aenter__(self) -> SqlOrderUnitOfWork:
        await super().__aenter__()
        for name in _REPOSITORIES:
            self.__dict__.pop(name, None)  # bound to the session of an earlier block
        return self

    @cached_property
    def customers(self) -> SqlCustomers:
        return SqlCustomers(self.session)

    @cached_property
    def catalog(self) -> SqlCatalog:
        return SqlCatalog(self.session)

    @cached_property
    def orders(self) -> SqlOrders:
        return SqlOrders(self.session)

    @cached_property
    def timeline(self) -> SqlTimeline:
        return SqlTimeline(self.session)

    @cached_property
    def idempotency_keys(self) -> SqlIdempotencyKeys:
        return SqlIdempotencyKeys(self.session)

"""The unit of work of a consumer batch: what its events need is read in one go, and the rows they
add are written in one statement when it commits.

`prefetch(order_ids)` reads, in one query, the context of those orders (order, customer,
milestones) and the ids of their notifications. Every event of such an order then gets the
same context object, so the milestones an event reached are in the next one's history, as a
re-read would show them; and a notification is "added" unless its id exists or was added
earlier in the batch, as ON CONFLICT would tell. Writes that return nothing (customers, orders,
parcels, milestones, parked events) and notifications of prefetched orders wait until commit, or
until a read that could see them, and then go in one statement. Anything else goes to the
database at once, as in `SqlUnitOfWork`. Reading notifications ahead is sound because only the
consumer adds them, and an order's events reach one consumer (its partition's); the INSERTs
keep ON CONFLICT DO NOTHING all the same.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from orderpulse.db.bulk import BulkInsert
from sqlalchemy import TextClause, text
from sqlalchemy.ext.asyncio import AsyncSession

from notify_svc.adapters.call_repository import SqlCallStore
from notify_svc.adapters.notification_repository import INSERT_MANY, SqlNotificationStore, insert_params
from notify_svc.adapters.state_repository import (
    ADD_MILESTONE,
    ADD_ORDER,
    ADD_SHIPMENT,
    ORDER_CONTEXT_COLUMNS,
    ORDER_CONTEXTS_FROM,
    PARK,
    UNPARK,
    SqlKnownState,
    context_of,
    unpark_params,
    unparked,
)
from notify_svc.adapters.unit_of_work import SqlUnitOfWork
from notify_svc.domain.values import Customer, Notification, OrderFacts
from notify_svc.service_layer.ports import OrderContext

BULK = {
    ADD_ORDER: BulkInsert(
        "orders", {"o": ("order_id", "text"), "c": ("customer_id", "text"), "t": ("tier", "text"), "p": ("promised_by", "timestamptz")}
    ),
    ADD_MILESTONE: BulkInsert("milestones", {
        "e": ("event_id", "text"), "o": ("order_id", "text"), "s": ("scope", "text"), "m": ("milestone", "text"),
        "t": ("event_time", "timestamptz"),
    }),
    ADD_SHIPMENT: BulkInsert("shipments", {
        "s": ("shipment_id", "text"), "o": ("order_id", "text"), "c": ("carrier", "text"), "t": ("tracking_number", "text"),
        "p": ("promised_by", "timestamptz"), "e": ("eta", "timestamptz"),
    }),
    PARK: BulkInsert("parked_events", {
        "e": ("event_id", "text"), "o": ("order_id", "text"), "t": ("event_type", "text"), "at": ("event_time", "timestamptz"),
        "d": ("data", "jsonb"),
    }),
    INSERT_MANY: BulkInsert("notifications", {
        "notification_id": ("notification_id", "text"), "order_id": ("order_id", "text"),
        "customer_id": ("customer_id", "text"), "milestone": ("milestone", "text"), "channel": ("channel", "text"),
        "subject": ("subject", "text"), "status": ("status", "text"), "reason": ("reason", "text"),
        "merged_into": ("merged_into", "text"), "shipment_ids": ("shipment_ids", "jsonb"), "details": ("details", "jsonb"),
        "trigger_event_id": ("trigger_event_id", "text"), "trigger_time": ("trigger_time", "timestamptz"),
        "due_at": ("due_at", "timestamptz"),
    }),
}


_CONTEXTS_AND_NOTIFIED = text(
    ORDER_CONTEXT_COLUMNS
    + ", ARRAY(SELECT n.notification_id FROM notifications n WHERE n.order_id = o.order_id) AS notified "
    + ORDER_CONTEXTS_FROM
)


class PendingWrites:
    """Statements waiting to run: every INSERT that has a `BULK` form in ONE statement (one data-
    modifying WITH part per table, each column one JSON array: `BulkInsert.json_sql`), any other
    as one executemany. A read that could not see them can go in the same round trip (`flush(then=...)`)."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session
        self._pending: dict[TextClause, list[dict[str, Any]]] = {}

    def add(self, statement: TextClause, params: dict[str, Any]) -> None:
        self._pending.setdefault(statement, []).append(params)

    def holds(self, statement: TextClause) -> bool:
        return statement in self._pending

    async def flush(self, then: TextClause | None = None, then_params: dict[str, Any] | None = None) -> Any:
        """Run what is pending; with `then`, that statement too, last, as the same statement's main
        part, and return its result. Its parts share one snapshot: `then` must not depend on what
        the pending writes add (the caller's to check)."""
        pending, self._pending = self._pending, {}
        bulk_parts: list[TextClause] = []
        params: dict[str, Any] = dict(then_params or {})
        for statement, rows in pending.items():
            bulk = BULK.get(statement)
            if bulk is None:
                await self._session.execute(statement, rows)
                continue
            params.update(bulk.json_columns(rows, f"w{len(bulk_parts)}_"))
            bulk_parts.append(statement)
        if then is not None:
            return await self._session.execute(_combined(tuple(bulk_parts), then), params)
        if bulk_parts:  # the tables are independent of each other: one round trip for all
            *first, last = bulk_parts
            await self._session.execute(_combined(tuple(first), last), params)
        return None


_COMBINED: dict[tuple[tuple[TextClause, ...], TextClause], TextClause] = {}


def _combined(parts: tuple[TextClause, ...], last: TextClause) -> TextClause:
    """`WITH w0 AS (<parts[0]'s bulk form>), ... <last>`; built once per combination (a handful)."""
    key = (parts, last)
    statement = _COMBINED.get(key)
    if statement is None:
        with_parts = ", ".join(f"w{n} AS ({BULK[part].json_sql(f'w{n}_')})" for n, part in enumerate(parts))
        main = BULK[last].json_sql(f"w{len(parts)}_") if last in BULK else last.text
        statement = _COMBINED[key] = text(f"WITH {with_parts} {main}" if parts else main)
    return statement


class BatchKnownState(SqlKnownState):
    def __init__(self, session: AsyncSession, writes: PendingWrites) -> None:
        super().__init__(session)
        self._writes = writes
        self._contexts: dict[str, OrderContext | None] = {}

    async def _write(self, statement: TextClause, params: dict[str, Any]) -> None:
        self._writes.add(statement, params)

    @property
    def prefetched(self) -> set[str]:
        return set(self._contexts)

    def known(self, order_ids: Iterable[str], contexts: dict[str, OrderContext]) -> None:
        """What `BatchUnitOfWork.prefetch` read: the contexts of the known ones among `order_ids`."""
        self._contexts.update({order_id: contexts.get(order_id) for order_id in order_ids})

    async def order_context(self, order_id: str) -> OrderContext | None:
        if order_id in self._contexts:
            return self._contexts[order_id]
        await self._writes.flush()
        return await super().order_context(order_id)

    async def add_order(self, order: OrderFacts) -> None:
        self._contexts.pop(order.order_id, None)
        await super().add_order(order)

    async def upsert_customer(self, customer: Customer) -> None:
        for order_id, known in list(self._contexts.items()):
            if known is not None and known.order.customer_id == customer.customer_id:
                del self._contexts[order_id]
        await super().upsert_customer(customer)

    # every other read sees the pending writes first
    async def customer(self, customer_id: str) -> Customer | None:
        await self._writes.flush()
        return await super().customer(customer_id)

    async def customers(self, customer_ids: Iterable[str]) -> dict[str, Customer]:
        await self._writes.flush()
        return await super().customers(customer_ids)

    async def order(self, order_id: str) -> OrderFacts | None:
        await self._writes.flush()
        return await super().order(order_id)

    async def shipments(self, shipment_ids: Iterable[str]) -> list:
        await self._writes.flush()
        return await super().shipments(shipment_ids)

    async def promised_by(self, order_id: str, shipment_id: str | None) -> datetime | None:
        await self._writes.flush()
        return await super().promised_by(order_id, shipment_id)

    async def histories(self, order_ids: Iterable[str]) -> dict:
        await self._writes.flush()
        return await super().histories(order_ids)

    async def unpark_all(self, order_ids: Iterable[str]) -> dict:
        """With the pending writes in the same statement, unless one of them parks an event (the
        DELETE would not see it in the statement's snapshot)."""
        if self._writes.holds(PARK):
            await self._writes.flush()
            return await super().unpark_all(order_ids)
        return unparked(await self._writes.flush(then=UNPARK, then_params=unpark_params(order_ids)))


class BatchNotificationStore(SqlNotificationStore):
    def __init__(self, session: AsyncSession, writes: PendingWrites) -> None:
        super().__init__(session)
        self._writes = writes
        self._orders: set[str] = set()
        self._taken: set[str] = set()

    def known(self, order_ids: Iterable[str], notification_ids: Iterable[str]) -> None:
        """What `BatchUnitOfWork.prefetch` read: every notification of `order_ids`."""
        self._taken.update(notification_ids)
        self._orders.update(order_ids)

    async def add(self, notification: Notification, *, merged_into: str | None = None) -> bool:
        if notification.order_id not in self._orders:
            await self._writes.flush()
            return await super().add(notification, merged_into=merged_into)
        if notification.notification_id in self._taken:
            return False
        self._taken.add(notification.notification_id)
        self._writes.add(INSERT_MANY, insert_params(notification, merged_into))
        return True

    async def open_digest(self, *args: Any) -> str | None:
        await self._writes.flush()
        return await super().open_digest(*args)

    async def join_digest(self, notification_id: str, shipment_id: str) -> None:
        await self._writes.flush()
        await super().join_digest(notification_id, shipment_id)


class BatchUnitOfWork(SqlUnitOfWork):
    """`SqlUnitOfWork` for a consumer batch (see the module's docstring)."""

    def _attach(self, session: AsyncSession) -> None:
        self._session_of_state = session
        self._writes = PendingWrites(session)
        self.state = BatchKnownState(session, self._writes)
        self.notifications = BatchNotificationStore(session, self._writes)
        self.calls = SqlCallStore(session)

    async def prefetch(self, order_ids: Iterable[str]) -> None:
        wanted = set(order_ids) - self.state.prefetched
        if not wanted:
            return
        await self._writes.flush()
        contexts: dict[str, OrderContext] = {}
        notified: set[str] = set()
        for row in await self._session_of_state.execute(_CONTEXTS_AND_NOTIFIED, {"o": list(wanted)}):
            contexts[row.order_id] = context_of(row)
            notified.update(row.notified)
        self.state.known(wanted, contexts)
        self.notifications.known(wanted, notified)

    async def commit(self) -> None:
        await self._writes.flush()
        await super().commit()

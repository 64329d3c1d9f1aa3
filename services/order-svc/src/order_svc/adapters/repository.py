"""Orders in PostgreSQL: the aggregate is loaded whole and written back with only what changed."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from orderpulse.db.bulk import BulkInsert, BulkUpdate, column_types
from sqlalchemy import Table, delete, insert, select, text, tuple_, update
from sqlalchemy.ext.asyncio import AsyncSession

from order_svc.adapters import rows, tables
from order_svc.adapters.followed_row import FOLLOWED_COLUMNS, StoredRow, followed_row
from order_svc.domain.model import Order
from order_svc.domain.values import OrderLine, ShipmentSummary
from order_svc.service_layer.ports import OrderSummary


@dataclass(frozen=True)
class _Stored:
    """What the database holds for an order, to write back only the differences."""

    lines: tuple[OrderLine, ...]
    invoice_ids: frozenset[str]
    return_ids: frozenset[str]
    shipments: dict[str, ShipmentSummary]
    row: StoredRow | None  # the `orders` row (None: not stored yet)

    @classmethod
    def of(cls, order: Order, row: Mapping[str, Any]) -> _Stored:
        """`row`: the order's `orders` row as read or written (at least its followed JSON columns)."""
        return cls(
            lines=order.lines,
            invoice_ids=frozenset(invoice.invoice_id for invoice in order.invoices),
            return_ids=frozenset(request.return_id for request in order.returns),
            shipments=dict(order.fulfillment.shipments),
            row=StoredRow.of(order, row),
        )


# many orders' rows in one statement each (an executemany runs its statement once per row); the
# orders' as one JSON document: ~35 columns, several jsonb, cost the client ~15 µs less per order
# than an array per column and PostgreSQL ~3 µs more (docs/benchmarks.md, branch `ordcons`)
_UPDATE_MANY = BulkUpdate("orders", "order_id", column_types(tables.orders))
_UPDATE_MANY_SQL = text(_UPDATE_MANY.json_sql())
# what following fulfillment changes on an order, alone (`followed_row`): the usual write-back of a
# consumer batch, whose orders' other columns did not change
_UPDATE_FOLLOWED = BulkUpdate("orders", "order_id", {name: _UPDATE_MANY.columns[name] for name in FOLLOWED_COLUMNS})
_UPDATE_FOLLOWED_SQL = text(_UPDATE_FOLLOWED.json_sql())
_SHIPMENT_TYPES = column_types(tables.shipments)
_UPSERT_SHIPMENTS = BulkInsert(
    "shipments",
    {name: (name, kind) for name, kind in _SHIPMENT_TYPES.items()},
    conflict="(order_id, shipment_id) DO UPDATE SET "
    + ", ".join(f"{name} = excluded.{name}" for name in _SHIPMENT_TYPES if name not in ("order_id", "shipment_id")),
)
_UPSERT_SHIPMENTS_SQL = text(_UPSERT_SHIPMENTS.sql())


def _beneath(table: Table, order_by: str, name: str) -> str:
    """The rows beneath an order as an array of anonymous records of the table's known columns
    (decoded as tuples, see `_named`). Not the table's row type: asyncpg caches a row type's
    shape per connection, so a column added by a migration failed the next read on every open
    connection once (OutdatedSchemaCacheError); an anonymous record carries its own shape."""
    columns = ", ".join(f"c.{column.name}" for column in table.c)
    return f"ARRAY(SELECT ROW({columns}) FROM {table.name} AS c WHERE c.order_id = o.order_id ORDER BY c.{order_by}) AS {name}"


def _named(table: Table) -> Callable[[Iterable[tuple]], list[dict]]:
    names = tuple(column.name for column in table.c)
    return lambda records: [dict(zip(names, record, strict=True)) for record in records]


_LINES, _INVOICES = _named(tables.order_lines), _named(tables.invoices)
_RETURNS, _SHIPMENTS = _named(tables.returns), _named(tables.shipments)

# orders with everything beneath them in one statement, the same text whatever their number
# (`wanted`: the ids as a table to join, not `= ANY(...)`, whose generic plan can scan the table);
# the columns named, not `o.*`, for the same reason as in `_beneath`
_READ_SQL = (
    "SELECT " + ", ".join(f"o.{column.name}" for column in tables.orders.c) + ", "
    f"{_beneath(tables.order_lines, 'position', 'lines_')}, {_beneath(tables.invoices, 'position', 'invoices_')}, "
    f"{_beneath(tables.returns, 'position', 'returns_')}, {_beneath(tables.shipments, 'shipment_id', 'shipments_')} "
    "FROM unnest(CAST(:order_ids AS text[])) AS wanted (order_id) JOIN orders o ON o.order_id = wanted.order_id "
    "ORDER BY o.order_id"
)
_READ = text(_READ_SQL)
_READ_LOCKED = text(_READ_SQL + " FOR UPDATE OF o")


class SqlOrders:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session
        self._stored: dict[str, _Stored] = {}

    async def get(self, order_id: str, *, for_update: bool = False) -> Order | None:
        return (await self.get_many([order_id], for_update=for_update)).get(order_id)

    async def get_many(self, order_ids: Iterable[str], *, for_update: bool = False) -> dict[str, Order]:
        """The known ones among `order_ids`, each with its lines, invoices, returns and shipments,
        read with one statement however many they are; `for_update` locks their rows in
        order-id order (so two such reads never deadlock)."""
        statement = _READ_LOCKED if for_update else _READ
        found = await self._session.execute(statement, {"order_ids": sorted(set(order_ids))})
        orders = {}
        for row in found.mappings():
            order = rows.order_from_rows(
                row, lines=_LINES(row["lines_"]), invoices=_INVOICES(row["invoices_"]), returns=_RETURNS(row["returns_"]),
                shipments=_SHIPMENTS(row["shipments_"]),
            )
            self._stored[order.order_id] = _Stored.of(order, row)
            orders[order.order_id] = order
        return orders

    async def exists(self, order_id: str) -> bool:
        query = select(tables.orders.c.order_id).where(tables.orders.c.order_id == order_id)
        return (await self._session.execute(query)).first() is not None

    async def add(self, order: Order) -> None:
        row = rows.order_row(order)
        await self._session.execute(insert(tables.orders).values(row))
        await self._write_children(
            order, _Stored(lines=(), invoice_ids=frozenset(), return_ids=frozenset(), shipments={}, row=None)
        )
        self._stored[order.order_id] = _Stored.of(order, row)

    async def save(self, order: Order) -> None:
        stored = self._stored.get(order.order_id)
        if stored is None:
            raise LookupError(f"order {order.order_id} was not loaded in this unit of work")
        row = rows.order_row(order)
        await self._session.execute(update(tables.orders).where(tables.orders.c.order_id == order.order_id).values(row))
        await self._write_children(order, stored)
        self._stored[order.order_id] = _Stored.of(order, row)

    async def save_many(self, orders: Sequence[Order]) -> None:
        """`save` for each of `orders` (all loaded in this unit of work): of their `orders` rows only
        the followed columns when nothing else changed (`followed_row`), else the whole row, each
        kind in one statement run for many; and only what changed beneath them."""
        if not orders:
            return
        followed, whole = [], []
        for order in orders:
            stored = self._stored.get(order.order_id)
            if stored is None:
                raise LookupError(f"order {order.order_id} was not loaded in this unit of work")
            row = None if stored.row is None else followed_row(order, stored.row)
            if row is None:
                whole.append(rows.order_row(order))
            else:
                followed.append(row)
        if followed:
            await self._session.execute(_UPDATE_FOLLOWED_SQL, _UPDATE_FOLLOWED.json_rows(followed))
        if whole:
            await self._session.execute(_UPDATE_MANY_SQL, _UPDATE_MANY.json_rows(whole))
        shipments = []
        for order in orders:
            stored = self._stored[order.order_id]
            await self._write_children(order, stored, shipments=False)
            shipments += _changed_shipments(order, stored)
        written = {row["order_id"]: row for row in followed + whole}
        for order in orders:
            self._stored[order.order_id] = _Stored.of(order, written[order.order_id])
        await self._upsert_shipments(shipments)

    async def list_for_customer(
        self, customer_id: str, *, limit: int, after: tuple[datetime, str] | None
    ) -> list[OrderSummary]:
        o = tables.orders.c
        query = (
            select(o.order_id, o.status, o.channel, o.service_level, o.placed_at, o.promised_by, o.currency, o.total)
            .where(o.customer_id == customer_id)
            .order_by(o.placed_at.desc(), o.order_id.desc())
            .limit(limit)
        )
        if after is not None:
            placed_at, order_id = after
            query = query.where(tuple_(o.placed_at, o.order_id) < tuple_(placed_at, order_id))
        result = await self._session.execute(query)
        return [OrderSummary(**row) for row in result.mappings()]

    async def _write_children(self, order: Order, stored: _Stored, *, shipments: bool = True) -> None:
        order_id = order.order_id
        if order.lines != stored.lines:
            if stored.lines:
                await self._session.execute(delete(tables.order_lines).where(tables.order_lines.c.order_id == order_id))
            await self._session.execute(insert(tables.order_lines), rows.line_rows(order_id, order.lines))
        new_invoices = [
            rows.invoice_row(order_id, position, invoice)
            for position, invoice in enumerate(order.invoices)
            if invoice.invoice_id not in stored.invoice_ids
        ]
        if new_invoices:
            await self._session.execute(insert(tables.invoices), new_invoices)
        new_returns = [
            rows.return_row(order_id, position, request)
            for position, request in enumerate(order.returns)
            if request.return_id not in stored.return_ids
        ]
        if new_returns:
            await self._session.execute(insert(tables.returns), new_returns)
        if shipments:
            await self._upsert_shipments(_changed_shipments(order, stored))

    async def _upsert_shipments(self, changed: list[dict]) -> None:
        if changed:  # one row per (order, shipment): an upsert may not touch a row twice
            await self._session.execute(_UPSERT_SHIPMENTS_SQL, _UPSERT_SHIPMENTS.arrays(changed))


def _changed_shipments(order: Order, stored: _Stored) -> list[dict]:
    return [
        rows.shipment_row(order.order_id, shipment)
        for shipment_id, shipment in order.fulfillment.shipments.items()
        if stored.shipments.get(shipment_id) != shipment
    ]

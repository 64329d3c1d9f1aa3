"""Fulfillments with their shipments and backorders: rows <-> aggregates.

A fulfillment row holds the queryable columns and a JSON `state`; each shipment has its own
row (so a (carrier, tracking number) is unique across fulfillments and scans find their
shipment by index); `backorders` mirrors what each fulfillment is owed, so stock arriving can
find the oldest backorders of a sku. `save` writes only what changed since loading.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from types import SimpleNamespace
from typing import Any

import orjson
from orderpulse.db.bulk import BulkInsert
from sqlalchemy import (
    Text,
    any_,
    bindparam,
    cast,
    delete,
    func,
    literal_column,
    null,
    select,
    text,
    tuple_,
    union_all,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from fulfillment_svc.adapters import codec
from fulfillment_svc.adapters.tables import backorders, cancelled_orders, fulfillments, shipments
from fulfillment_svc.domain.backorders import Backorder
from fulfillment_svc.domain.errors import ShipmentIdInUse, TrackingNumberInUse
from fulfillment_svc.domain.fulfillment import Fulfillment

_TRACKING_CONSTRAINT = "shipments_tracking_number_unique"


class SqlFulfillmentRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session
        # what each loaded fulfillment looked like, to write only the differences
        self._snapshots: dict[str, _Snapshot] = {}

    # --- reading ---------------------------------------------------------------------------

    async def get(self, fulfillment_id: str, *, lock: bool = False) -> Fulfillment | None:
        # prebuilt statements: one built per call cost SQLAlchemy its construction and cache key every request
        if lock:
            found = await self._locked(_LOCK_BY_IDS, {"ids": [fulfillment_id]})
        else:
            found = await self._loaded_rows(await self._session.execute(_READ_BY_ID, {"fulfillment_id": fulfillment_id}))
        return found[0] if found else None

    async def get_by_order(self, order_id: str, *, lock: bool = False) -> Fulfillment | None:
        found = await self._load(fulfillments.c.order_id == order_id, lock=lock)
        return found[0] if found else None

    async def cancelled_and_by_orders(self, order_ids: Iterable[str]) -> tuple[set[str], dict[str, Fulfillment]]:
        """Those of `order_ids` cancelled before any fulfillment was opened for them, and the
        fulfillments of the others by order id, in one statement: one round trip, the ids sent once
        (a consumer batch reads both for its ~500 orders). A row of `cancelled_orders` comes back
        with every fulfillment column null and its order id in `cancelled_order_id`."""
        wanted = sorted(set(order_ids))
        if not wanted:
            return set(), {}
        cancelled: set[str] = set()
        found: dict[str, Fulfillment] = {}
        for row in (await self._session.execute(_CANCELLED_AND_BY_ORDERS, {"order_ids": wanted})).all():
            if row.cancelled_order_id is not None:
                cancelled.add(row.cancelled_order_id)
            else:
                fulfillment = self._loaded(row, [codec.shipment_from_row(SimpleNamespace(**p)) for p in row.packages])
                found[fulfillment.order_id] = fulfillment
        return cancelled, found

    async def lock_many(self, fulfillment_ids: Iterable[str]) -> dict[str, Fulfillment]:
        ids = sorted(set(fulfillment_ids))
        if not ids:
            return {}
        return {f.fulfillment_id: f for f in await self._locked(_LOCK_BY_IDS, {"ids": ids})}

    async def queue(
        self,
        *,
        warehouse_id: str | None,
        order_id: str | None,
        statuses: Sequence[str],
        after: tuple[datetime, str] | None,
        limit: int,
    ) -> list[Fulfillment]:
        conditions = [fulfillments.c.status.in_(list(statuses))]
        if warehouse_id is not None:
            conditions.append(fulfillments.c.warehouse_id == warehouse_id)
        if order_id is not None:
            conditions.append(fulfillments.c.order_id == order_id)
        if after is not None:
            conditions.append(tuple_(fulfillments.c.ship_deadline, fulfillments.c.fulfillment_id) > tuple_(*after))
        return await self._load(*conditions, limit=limit)

    async def backorders_of(self, warehouse_id: str, sku: str) -> list[Backorder]:
        rows = await self._session.execute(
            select(backorders)
            .where(backorders.c.warehouse_id == warehouse_id, backorders.c.sku == sku)
            .order_by(backorders.c.since, backorders.c.fulfillment_id)
        )
        return [Backorder(row.fulfillment_id, row.sku, row.quantity, row.since) for row in rows]

    async def backorders_of_many(self, pairs: Iterable[tuple[str, str]]) -> dict[tuple[str, str], list[Backorder]]:
        wanted = sorted(set(pairs))
        if not wanted:
            return {}
        found: dict[tuple[str, str], list[Backorder]] = {pair: [] for pair in wanted}
        rows = await self._session.execute(_BACKORDERS_OF_MANY, {"w": [w for w, _ in wanted], "s": [s for _, s in wanted]})
        for row in rows:
            found[(row.warehouse_id, row.sku)].append(Backorder(row.fulfillment_id, row.sku, row.quantity, row.since))
        return found

    async def reserving(self, warehouse_id: str, sku: str) -> list[str]:
        reserved = fulfillments.c.state["reserved"][sku].as_integer()
        rows = await self._session.execute(
            select(fulfillments.c.fulfillment_id).where(fulfillments.c.warehouse_id == warehouse_id, reserved > 0)
        )
        return [row.fulfillment_id for row in rows]

    async def fulfillment_ids_tracking(self, carrier: str, tracking_numbers: Iterable[str]) -> dict[str, str]:
        wanted = sorted(set(tracking_numbers))
        if not wanted:
            return {}
        rows = await self._session.execute(_TRACKING, {"carrier": carrier, "tracking_numbers": wanted})
        return {row.tracking_number: row.fulfillment_id for row in rows}

    async def shipment_owner(self, shipment_id: str) -> str | None:
        return await self._session.scalar(_SHIPMENT_OWNER, {"shipment_id": shipment_id})

    async def tracking_owner(self, carrier: str, tracking_number: str) -> str | None:
        return await self._session.scalar(_TRACKING_OWNER, {"carrier": carrier, "tracking_number": tracking_number})

    async def is_order_cancelled(self, order_id: str) -> bool:
        found = await self._session.scalar(
            select(cancelled_orders.c.order_id).where(cancelled_orders.c.order_id == order_id)
        )
        return found is not None

    async def orders_with_fulfillment(self, order_ids: Iterable[str]) -> set[str]:
        return await self._order_ids_in(_WITH_FULFILLMENT, order_ids)

    async def _order_ids_in(self, query: Any, order_ids: Iterable[str]) -> set[str]:
        wanted = sorted(set(order_ids))
        if not wanted:
            return set()
        return set((await self._session.execute(query, {"order_ids": wanted})).scalars())

    # --- writing ---------------------------------------------------------------------------

    async def add(self, fulfillment: Fulfillment) -> None:
        await self.add_many([fulfillment])

    async def add_many(self, added: Sequence[Fulfillment]) -> None:
        """New fulfillments in one statement, their backorders in one more (and their shipments, if any)."""
        if not added:
            return
        snapshots = [(fulfillment, _Snapshot.of(fulfillment)) for fulfillment in added]
        params: dict[str, Any] = {
            "f": _json_texts([f.fulfillment_id for f, _ in snapshots]), "o": _json_texts([f.order_id for f, _ in snapshots]),
            "w": _json_texts([f.warehouse_id for f, _ in snapshots]), "s": _json_texts([after.status for _, after in snapshots]),
            "d": [f.ship_deadline for f, _ in snapshots], "p": [after.promised_by for _, after in snapshots],
            "c": [f.created_at for f, _ in snapshots], "j": orjson.dumps([after.state for _, after in snapshots]).decode(),
        }
        shipment_rows: list[dict[str, Any]] = []
        owed: list[tuple[str, str, str, int, datetime]] = []
        for fulfillment, after in snapshots:
            if after.shipments:  # none when it was just opened (the consumer adds ~500 a batch)
                shipment_rows += _changed_shipments(fulfillment, _Snapshot.empty(), after)
            owed += [(fulfillment.fulfillment_id, sku, fulfillment.warehouse_id, quantity, fulfillment.created_at)
                     for sku, quantity in sorted(after.backordered.items())]
            self._snapshots[fulfillment.fulfillment_id] = after
        if owed:  # their backorders in the same statement (one round trip fewer; nearly every consumer batch has some)
            params.update(zip(("bf", "bs", "bw", "bq", "bt"), zip(*owed, strict=True), strict=True))
            await self._session.execute(_INSERT_MANY_WITH_BACKORDERS, params)
        else:
            await self._session.execute(_INSERT_MANY, params)
        await self._upsert_shipments(shipment_rows)

    async def save(self, fulfillment: Fulfillment) -> None:
        await self.save_many([fulfillment])

    async def save_many(self, changed: Sequence[Fulfillment]) -> None:
        """`save` for each of `changed` (distinct): their rows updated by one statement run for
        many, their changed shipments upserted by one, backorders written per fulfillment."""
        rows, shipment_rows, written = [], [], []
        for fulfillment in changed:
            before = self._snapshots.get(fulfillment.fulfillment_id, _Snapshot.empty())
            after = _Snapshot.of(fulfillment)
            if (after.status, after.state, after.promised_by) != (before.status, before.state, before.promised_by):
                rows.append({"key_fulfillment_id": fulfillment.fulfillment_id, "status": after.status,
                             "state": after.state, "promised_by": after.promised_by})
            shipment_rows += _changed_shipments(fulfillment, before, after)
            written.append((fulfillment, before, after))
        if rows:
            await self._session.execute(_UPDATE_BY_KEY, rows)
        await self._upsert_shipments(shipment_rows)
        for fulfillment, before, after in written:
            await self._write_backorders(fulfillment, before, after)
            self._snapshots[fulfillment.fulfillment_id] = after

    async def mark_order_cancelled(self, order_id: str, reason: str, cancelled_at: datetime) -> None:
        await self.mark_orders_cancelled([(order_id, reason, cancelled_at)])

    async def mark_orders_cancelled(self, cancelled: Sequence[tuple[str, str, datetime]]) -> None:
        """One statement; an order already remembered (or given twice) keeps its first cancellation."""
        first: dict[str, tuple[str, str, datetime]] = {}
        for row in cancelled:
            first.setdefault(row[0], row)
        if first:
            await self._session.execute(_MARK_CANCELLED_SQL, _MARK_CANCELLED.arrays(
                [{"order_id": o, "reason": r, "cancelled_at": t} for o, r, t in first.values()]))

    # --- internals -------------------------------------------------------------------------

    async def _upsert_shipments(self, changed: list[dict[str, Any]]) -> None:
        if not changed:
            return
        try:
            written = set((await self._session.execute(_UPSERT_SHIPMENTS_SQL, _UPSERT_SHIPMENTS.arrays(changed))).scalars())
        except IntegrityError as error:
            if _TRACKING_CONSTRAINT in str(error):
                raise TrackingNumberInUse(
                    "this carrier's tracking number already tracks another shipment", field="tracking_number"
                ) from None
            raise
        taken = {row["shipment_id"] for row in changed} - written
        if taken:
            raise ShipmentIdInUse(f"shipment id {min(taken)} belongs to another fulfillment", field="shipment_id")

    async def _write_backorders(self, fulfillment: Fulfillment, before: _Snapshot, after: _Snapshot) -> None:
        if after.backordered == before.backordered:
            return
        await self._session.execute(delete(backorders).where(backorders.c.fulfillment_id == fulfillment.fulfillment_id))
        if after.backordered:
            await self._session.execute(
                insert(backorders).values(
                    [
                        {
                            "fulfillment_id": fulfillment.fulfillment_id,
                            "sku": sku,
                            "warehouse_id": fulfillment.warehouse_id,
                            "quantity": quantity,
                            "since": fulfillment.created_at,
                        }
                        for sku, quantity in sorted(after.backordered.items())
                    ]
                )
            )

    async def _load(self, *conditions: Any, lock: bool = False, limit: int | None = None) -> list[Fulfillment]:
        if not lock:
            return await self._read(*conditions, limit=limit)
        # Locked: the rows first, then their shipments in a statement of its own. One statement
        # would read the shipments in the snapshot it took before waiting for a lock, missing
        # what the transaction that held it wrote; the second statement's snapshot has it.
        query = select(fulfillments).where(*conditions).order_by(fulfillments.c.fulfillment_id).with_for_update()
        if limit is not None:
            query = query.limit(limit)
        return await self._locked(query, {})

    async def _locked(self, query: Any, params: dict[str, Any]) -> list[Fulfillment]:
        """The fulfillments `query` locks (FOR UPDATE, in id order), then their shipments."""
        rows = (await self._session.execute(query, params)).all()  # locked in id order, as in every transaction
        if not rows:
            return []
        by_fulfillment: dict[str, list[tuple[int, Any]]] = {row.fulfillment_id: [] for row in rows}
        shipment_rows = await self._session.execute(_SHIPMENTS_OF, {"ids": list(by_fulfillment)})
        for shipment_row in shipment_rows:
            by_fulfillment[shipment_row.fulfillment_id].append(codec.shipment_from_row(shipment_row))
        return [self._loaded(row, by_fulfillment[row.fulfillment_id]) for row in rows]

    async def _read(self, *conditions: Any, limit: int | None) -> list[Fulfillment]:
        """Unlocked: each fulfillment with its shipments in one statement (one snapshot)."""
        query = (
            select(fulfillments, _PACKAGES)
            .where(*conditions)
            .order_by(fulfillments.c.ship_deadline, fulfillments.c.fulfillment_id)
        )
        if limit is not None:
            query = query.limit(limit)
        return await self._loaded_rows(await self._session.execute(query))

    async def _loaded_rows(self, result: Any) -> list[Fulfillment]:
        """The fulfillments of a `_read`-shaped result (each row with its `packages`)."""
        return [
            self._loaded(row, [codec.shipment_from_row(SimpleNamespace(**package)) for package in row.packages])
            for row in result.all()
        ]

    def _loaded(self, row: Any, packages: list[tuple[int, Any]]) -> Fulfillment:
        fulfillment = codec.fulfillment_from_row(row, [shipment for _, shipment in sorted(packages, key=lambda p: p[0])])
        self._snapshots[fulfillment.fulfillment_id] = _Snapshot.of(fulfillment)
        return fulfillment


# every shipment row of the fulfillment in the outer query, as a JSON array of its columns
_PACKAGES = (
    select(
        func.coalesce(
            func.jsonb_agg(
                func.jsonb_build_object(
                    *(part for column in shipments.c for part in (literal_column(f"'{column.name}'"), column))
                )
            ),
            literal_column("'[]'::jsonb"),
            type_=JSONB,
        )
    )
    .where(shipments.c.fulfillment_id == fulfillments.c.fulfillment_id)
    .scalar_subquery()
    .label("packages")
)


def _unnested_param(name: str) -> Any:
    """`column IN (SELECT unnest(:name))` with the values given at execution (a statement built once)."""
    return select(func.unnest(bindparam(name, type_=ARRAY(Text)))).scalar_subquery()


# The batch's reads by order id, built once: a statement made per call cost SQLAlchemy ~0.1 – 0.2 ms
# to build and key for its cache, every batch (a prebuilt one keeps its key). Both in one statement
# (`cancelled_and_by_orders`): the fulfillments of the ids with a null `cancelled_order_id`, then the
# ids cancelled before any fulfillment with every other column null
_CANCELLED_AND_BY_ORDERS = union_all(
    select(fulfillments, _PACKAGES, cast(null(), Text).label("cancelled_order_id"))
    .where(fulfillments.c.order_id.in_(_unnested_param("order_ids"))),
    select(*(cast(null(), column.type).label(column.name) for column in fulfillments.c),
           cast(null(), JSONB).label("packages"), cancelled_orders.c.order_id.label("cancelled_order_id"))
    .where(cancelled_orders.c.order_id.in_(_unnested_param("order_ids"))),
)
# locking many by id and reading their shipments: one text whatever their number (an IN list was a text,
# and so a statement prepared, per number of ids)
_LOCK_BY_IDS = (
    select(fulfillments)
    .where(fulfillments.c.fulfillment_id == any_(bindparam("ids", type_=ARRAY(Text))))
    .order_by(fulfillments.c.fulfillment_id)
    .with_for_update()
)
_SHIPMENTS_OF = select(shipments).where(shipments.c.fulfillment_id == any_(bindparam("ids", type_=ARRAY(Text))))
_READ_BY_ID = select(fulfillments, _PACKAGES).where(fulfillments.c.fulfillment_id == bindparam("fulfillment_id"))
_TRACKING = select(shipments.c.tracking_number, shipments.c.fulfillment_id).where(
    shipments.c.carrier == bindparam("carrier"), shipments.c.tracking_number == any_(bindparam("tracking_numbers", type_=ARRAY(Text)))
)
_SHIPMENT_OWNER = select(shipments.c.fulfillment_id).where(shipments.c.shipment_id == bindparam("shipment_id"))
_TRACKING_OWNER = select(shipments.c.shipment_id).where(
    shipments.c.carrier == bindparam("carrier"), shipments.c.tracking_number == bindparam("tracking_number")
)
# changed shipments in one statement text whatever their number: a multi-row VALUES was a statement
# built and compiled by SQLAlchemy on every call (~10 % of a pack's CPU, docs/benchmarks.md `fulroutes2`).
# Never takes over another fulfillment's shipment id (the WHERE: such a row is not returned).
_UPSERT_SHIPMENTS = BulkInsert("shipments", {
    "shipment_id": ("shipment_id", "text"), "fulfillment_id": ("fulfillment_id", "text"), "order_id": ("order_id", "text"),
    "status": ("status", "text"), "carrier": ("carrier", "text"), "tracking_number": ("tracking_number", "text"),
    "state": ("state", "jsonb"),
}, conflict=(
    "(shipment_id) DO UPDATE SET status = EXCLUDED.status, carrier = EXCLUDED.carrier, "
    "tracking_number = EXCLUDED.tracking_number, state = EXCLUDED.state "
    "WHERE shipments.fulfillment_id = EXCLUDED.fulfillment_id RETURNING shipments.shipment_id"
))
_UPSERT_SHIPMENTS_SQL = text(_UPSERT_SHIPMENTS.sql())
_WITH_FULFILLMENT = select(fulfillments.c.order_id).where(fulfillments.c.order_id.in_(_unnested_param("order_ids")))


def _changed_shipments(fulfillment: Fulfillment, before: _Snapshot, after: _Snapshot) -> list[dict[str, Any]]:
    return [
        {"shipment_id": shipment_id, "fulfillment_id": fulfillment.fulfillment_id, "order_id": fulfillment.order_id,
         **columns}
        for shipment_id, columns in after.shipments.items()
        if before.shipments.get(shipment_id) != columns
    ]


# new fulfillments and their backorders: one statement each, whatever their number.
# New fulfillments: the text columns as one JSON array each and the states as one JSON array of objects, the times as
# arrays: asyncpg checks every element of a text[] against two ABCs in Python and encodes it, ~3 µs
# of the consumer's CPU an event against ~0.5 µs more for PostgreSQL to split the JSON (the consumer's
# path, docs/benchmarks.md `fulcons5`); the states are parsed once, as jsonb, instead of once per row
# from text. The stored rows are the same (a test compares them with the arrays statement's).
_INSERT_MANY = text(
    "INSERT INTO fulfillments (fulfillment_id, order_id, warehouse_id, status, ship_deadline, promised_by, created_at, state) "
    "SELECT u.f, u.o, u.w, u.s, u.d, u.p, u.c, u.j FROM ROWS FROM ("
    "json_array_elements_text(CAST(:f AS json)), json_array_elements_text(CAST(:o AS json)), "
    "json_array_elements_text(CAST(:w AS json)), json_array_elements_text(CAST(:s AS json)), "
    "unnest(CAST(:d AS timestamptz[])), unnest(CAST(:p AS timestamptz[])), unnest(CAST(:c AS timestamptz[])), "
    "jsonb_array_elements(CAST(:j AS jsonb))) AS u (f, o, w, s, d, p, c, j)"
)


def _json_texts(values: list[str]) -> str:
    """A text column's values as one JSON array (`json_array_elements_text` reads them back)."""
    return orjson.dumps(values).decode()


# the new fulfillments and their backorders, one statement: the fulfillments' insert as a data-modifying
# WITH, the backorders' after it (their foreign key is checked at the statement's end, when both are in)
_INSERT_MANY_WITH_BACKORDERS = text(
    f"WITH added AS ({_INSERT_MANY.text}) "
    "INSERT INTO backorders (fulfillment_id, sku, warehouse_id, quantity, since) SELECT * FROM unnest("
    "CAST(:bf AS text[]), CAST(:bs AS text[]), CAST(:bw AS text[]), CAST(:bq AS integer[]), CAST(:bt AS timestamptz[]))"
)

_BACKORDERS_OF_MANY = text(
    "SELECT b.fulfillment_id, b.sku, b.warehouse_id, b.quantity, b.since FROM backorders AS b "
    "JOIN unnest(CAST(:w AS text[]), CAST(:s AS text[])) AS p (w, s) ON b.warehouse_id = p.w AND b.sku = p.s "
    "ORDER BY b.since, b.fulfillment_id"
)
_MARK_CANCELLED = BulkInsert("cancelled_orders", {
    "order_id": ("order_id", "text"), "reason": ("reason", "text"), "cancelled_at": ("cancelled_at", "timestamptz")})
_MARK_CANCELLED_SQL = text(_MARK_CANCELLED.sql())


# one UPDATE run for many rows (executemany): compiled once, whatever the number of fulfillments
_UPDATE_BY_KEY = (
    update(fulfillments)
    .where(fulfillments.c.fulfillment_id == bindparam("key_fulfillment_id"))
    .values(status=bindparam("status"), state=bindparam("state"), promised_by=bindparam("promised_by"),
            updated_at=func.clock_timestamp())
)


class _Snapshot:
    """The persisted form of one fulfillment, compared before writing."""

    def __init__(
        self,
        status: str | None,
        state: dict[str, Any] | None,
        promised_by: datetime | None,
        shipments: dict[str, dict[str, Any]],
        backordered: dict[str, int],
    ) -> None:
        self.status = status
        self.state = state
        self.promised_by = promised_by
        self.shipments = shipments
        self.backordered = backordered

    @classmethod
    def empty(cls) -> _Snapshot:
        return cls(None, None, None, {}, {})

    @classmethod
    def of(cls, fulfillment: Fulfillment) -> _Snapshot:
        return cls(
            fulfillment.status,
            codec.fulfillment_state(fulfillment),
            fulfillment.promised_by,
            {
                shipment.shipment_id: {
                    "status": shipment.status,
                    "carrier": shipment.carrier,
                    "tracking_number": shipment.tracking_number,
                    "state": codec.shipment_state(shipment, position),
                }
                for position, shipment in enumerate(fulfillment.shipments)
            },
            dict(fulfillment.backordered),
        )

"""Stock rows: locked `SELECT ... FOR UPDATE` in sku order, so concurrent reservations never oversell."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from fulfillment_svc.adapters.tables import stock
from fulfillment_svc.domain.stock import Stock

_EXCLUSIVE_LOCK = text("SELECT pg_advisory_xact_lock(hashtext('fulfillment-svc:stock:' || :warehouse))")
# several warehouses' locks in one statement (one round trip, not one each), taken one after another in
# the order given (sorted: the one order every transaction uses), as the rows of `unnest` come. Not
# merged into the row lock that follows: that statement's snapshot must be taken after these locks
# are held, so it sees a row another holder created at zero before releasing them.
_EXCLUSIVE_LOCKS = text(
    "SELECT count(pg_advisory_xact_lock(hashtext('fulfillment-svc:stock:' || w))) "
    "FROM unnest(CAST(:w AS text[])) AS u (w)"
)
# every changed row in one statement (one round trip, one execution), whatever their number, written
# as differences from what this transaction read: for a row it read locked that is the same value;
# for a row it only read (`share`) it keeps what other dispatches wrote meanwhile. The rows are
# locked first, in (warehouse, sku) order, by the subquery the WHERE needs once (an InitPlan run
# before the first row is updated), so two transactions never take a pair of them in crossing orders.
_UPDATE_MANY = text(
    "UPDATE stock SET on_hand = stock.on_hand + u.on_hand, reserved = stock.reserved + u.reserved, "
    "updated_at = clock_timestamp() "
    "FROM unnest(CAST(:w AS text[]), CAST(:s AS text[]), CAST(:h AS integer[]), CAST(:r AS integer[])) "
    "AS u (warehouse_id, sku, on_hand, reserved) WHERE stock.warehouse_id = u.warehouse_id AND stock.sku = u.sku "
    "AND (SELECT count(*) FROM (SELECT 1 FROM stock AS held WHERE held.warehouse_id = ANY(CAST(:w AS text[])) "
    "AND held.sku = ANY(CAST(:s AS text[])) ORDER BY held.warehouse_id, held.sku FOR UPDATE) AS locked) > 0"
)
_LOCK_MANY = text(
    "SELECT warehouse_id, sku, on_hand, reserved FROM stock WHERE warehouse_id = ANY(CAST(:w AS text[])) "
    "AND sku = ANY(CAST(:s AS text[])) ORDER BY warehouse_id, sku FOR UPDATE"
)
_CREATE_AT_ZERO = text(
    "INSERT INTO stock (warehouse_id, sku, on_hand, reserved, updated_at) SELECT u.w, u.s, 0, 0, clock_timestamp() "
    "FROM unnest(CAST(:w AS text[]), CAST(:s AS text[])) AS u (w, s) ON CONFLICT (warehouse_id, sku) DO NOTHING"
)
# what each warehouse has available of some skus, unlocked: one statement text for any number of skus
# (an IN list was another text, and a statement built and keyed anew, per call)
_AVAILABLE_BY_WAREHOUSE = text(
    "SELECT warehouse_id, sku, on_hand - reserved AS available FROM stock WHERE sku = ANY(CAST(:skus AS text[]))"
)
# one warehouse's rows of some skus: one statement text for any number of skus; read as they are
# (a dispatch, `share`) or locked in sku order
_ROWS_OF_WAREHOUSE = (
    "SELECT warehouse_id, sku, on_hand, reserved FROM stock WHERE warehouse_id = :w AND sku = ANY(CAST(:s AS text[]))"
)
_READ = text(_ROWS_OF_WAREHOUSE)
_LOCK_ROWS = text(_ROWS_OF_WAREHOUSE + " ORDER BY sku FOR UPDATE")
_SHARED_LOCK = text("SELECT pg_advisory_xact_lock_shared(hashtext('fulfillment-svc:stock:' || :warehouse))")


class SqlStockRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session
        self._loaded: dict[tuple[str, str], tuple[int, int]] = {}

    async def lock(self, warehouse_id: str, skus: Iterable[str]) -> dict[str, Stock]:
        """Rows of `skus` in `warehouse_id`, locked in sku order; a missing row is created at zero
        (and locked) after the existing ones are (one statement fewer when all exist).

        Creating the row before locking matters: a reservation that finds no stock and
        backorders must hold the row, so a concurrent `PUT stock` waits for it and then sees
        its backorder.
        """
        wanted = sorted(set(skus))
        if not wanted:
            return {}
        # One transaction-scoped lock per warehouse serialises that warehouse's stock changes:
        # transactions that lock its stock more than once (reserve, then hand freed units to
        # backorders) can no longer take row locks in crossing orders and deadlock under a burst
        # of confirmations, while other warehouses go on meanwhile. (A transaction touching two
        # warehouses in the opposite order of another could still deadlock; PostgreSQL breaks
        # that, and the consumer redoes the loser as a transient failure.) Dispatches take it
        # shared (`share`).
        await self._session.execute(_EXCLUSIVE_LOCK, {"warehouse": warehouse_id})
        return await self._lock_rows(warehouse_id, wanted)

    async def _lock_rows(self, warehouse_id: str, wanted: list[str]) -> dict[str, Stock]:
        rows = list(await self._select_for_update(warehouse_id, wanted))
        missing = sorted(set(wanted) - {row.sku for row in rows})
        if missing:  # (under the warehouse's lock: nobody else creates them meanwhile)
            await self._session.execute(
                insert(stock)
                .values([{"warehouse_id": warehouse_id, "sku": sku, "on_hand": 0, "reserved": 0} for sku in missing])
                .on_conflict_do_nothing(index_elements=["warehouse_id", "sku"])
            )
            rows += await self._select_for_update(warehouse_id, missing)
        return self._remember(rows)

    def _remember(self, rows) -> dict[str, Stock]:
        found: dict[str, Stock] = {}
        for row in sorted(rows, key=lambda row: row.sku):
            found[row.sku] = Stock(row.warehouse_id, row.sku, on_hand=row.on_hand, reserved=row.reserved)
            self._loaded[(row.warehouse_id, row.sku)] = (row.on_hand, row.reserved)
        return found

    async def share(self, warehouse_id: str, skus: Iterable[str]) -> dict[str, Stock]:
        """Rows of `skus` in `warehouse_id` for a transaction that only ships reserved units (on
        hand and reserved drop together, what is available does not change, no unit is freed):
        the warehouse's stock lock taken *shared*, the rows read without a row lock. Dispatches
        therefore run side by side and never beside a transaction holding the lock exclusively;
        `save` writes their changes as differences and takes the row locks only then, at the
        transaction's end, so dispatches of one sku no longer queue for each other's whole
        transaction. (A missing row, which a shipment's reserved units rule out, is created and
        locked as before.)"""
        wanted = sorted(set(skus))
        if not wanted:
            return {}
        await self._session.execute(_SHARED_LOCK, {"warehouse": warehouse_id})
        rows = list(await self._session.execute(_READ, {"w": warehouse_id, "s": wanted}))
        if {row.sku for row in rows} != set(wanted):
            return await self._lock_rows(warehouse_id, wanted)
        return self._remember(rows)

    async def lock_existing(self, warehouse_ids: Iterable[str], skus: Iterable[str]) -> dict[str, dict[str, Stock]]:
        """The rows that exist of `skus` in each of `warehouse_ids`, locked: each warehouse's stock
        lock taken exclusively (warehouses in order), then every row in one statement, in
        (warehouse, sku) order. Missing rows are not created (see `create_at_zero`)."""
        warehouses, wanted = sorted(set(warehouse_ids)), sorted(set(skus))
        locked: dict[str, dict[str, Stock]] = {warehouse_id: {} for warehouse_id in warehouses}
        if not warehouses or not wanted:
            return locked
        await self._session.execute(_EXCLUSIVE_LOCKS, {"w": warehouses})
        for row in await self._session.execute(_LOCK_MANY, {"w": warehouses, "s": wanted}):
            locked[row.warehouse_id][row.sku] = Stock(row.warehouse_id, row.sku, on_hand=row.on_hand, reserved=row.reserved)
            self._loaded[(row.warehouse_id, row.sku)] = (row.on_hand, row.reserved)
        return locked

    async def create_at_zero(self, rows: Iterable[Stock]) -> None:
        """Create missing rows at zero, in one statement, under their warehouses' stock locks
        (`lock_existing`: nobody else creates them meanwhile; a later `PUT stock` waits for them)."""
        keys = sorted({(row.warehouse_id, row.sku) for row in rows})
        if not keys:
            return
        await self._session.execute(_CREATE_AT_ZERO, {"w": [w for w, _ in keys], "s": [s for _, s in keys]})
        for key in keys:
            self._loaded[key] = (0, 0)

    async def save(self, rows: Iterable[Stock]) -> None:
        latest = {(row.warehouse_id, row.sku): row for row in rows}  # a row given twice: the last, as one by one
        changed = [row for row in latest.values() if self._loaded[(row.warehouse_id, row.sku)] != (row.on_hand, row.reserved)]
        if not changed:
            return
        before = [self._loaded[(row.warehouse_id, row.sku)] for row in changed]
        await self._session.execute(_UPDATE_MANY, {
            "w": [row.warehouse_id for row in changed], "s": [row.sku for row in changed],
            "h": [row.on_hand - on_hand for row, (on_hand, _) in zip(changed, before, strict=True)],
            "r": [row.reserved - reserved for row, (_, reserved) in zip(changed, before, strict=True)],
        })
        for row in changed:
            self._loaded[(row.warehouse_id, row.sku)] = (row.on_hand, row.reserved)

    async def _select_for_update(self, warehouse_id: str, skus: list[str]):
        return await self._session.execute(_LOCK_ROWS, {"w": warehouse_id, "s": skus})

    async def available_by_warehouse(self, skus: Iterable[str]) -> dict[str, dict[str, int]]:
        wanted = sorted(set(skus))
        rows = await self._session.execute(_AVAILABLE_BY_WAREHOUSE, {"skus": wanted})
        found: dict[str, dict[str, int]] = {}
        for row in rows:
            found.setdefault(row.warehouse_id, {})[row.sku] = row.available
        return found

    async def page(self, warehouse_id: str, *, after_sku: str | None, limit: int) -> list[Stock]:
        query = select(stock.c.warehouse_id, stock.c.sku, stock.c.on_hand, stock.c.reserved).where(
            stock.c.warehouse_id == warehouse_id
        )
        if after_sku is not None:
            query = query.where(stock.c.sku > after_sku)
        rows = await self._session.execute(query.order_by(stock.c.sku).limit(limit))
        return [Stock(row.warehouse_id, row.sku, on_hand=row.on_hand, reserved=row.reserved) for row in rows]

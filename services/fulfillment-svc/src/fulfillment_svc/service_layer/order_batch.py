"""A batch of order-svc's facts applied in one pass, with a few statements whatever its size.

`OrderBatch.locked` reads the batch's orders (those cancelled before any fulfillment, the
fulfillments there are) and the stock of every sku they name, unlocked; that tells which stock
rows the batch may touch: every existing row of those skus in the fulfillments' warehouses and,
when the batch may open a fulfillment, in the default warehouse and every warehouse holding any
of them. It locks them at once, in the one order every transaction uses — each warehouse's stock
lock (warehouses in order), the rows in (warehouse, sku) order, then the fulfillments in id
order — and checks that no fulfillment needs a row outside them (else `TransientConflict`: the
facts are done again one at a time).

Then `confirm` and `cancel` apply the facts one after another, in memory, on the locked rows,
exactly as one fact at a time would: a new order chooses its warehouse on the stock as the facts
before it left it; units a cancel or a re-plan frees go to the oldest backorders (as saved before
the batch, overlaid with the batch's own fulfillments, which are fresher); a row a fact needs
that does not exist is created at zero (under the warehouse's stock lock, nobody else creates it).
`write` then writes each kind of row with one statement; each fact's events were staged for the
outbox in its own context, in the batch's order.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Iterable, Mapping, Sequence
from datetime import datetime

from fulfillment_svc.domain.backorders import Backorder, allocate_backorders, fill_backorders, owed_now
from fulfillment_svc.domain.events import DomainEvent, FulfillmentCreated
from fulfillment_svc.domain.fulfillment import Fulfillment
from fulfillment_svc.domain.opening import open_fulfillment
from fulfillment_svc.domain.orders import ConfirmedOrder
from fulfillment_svc.domain.reconfirming import APPLIED, UNCHANGED, reconfirm, skus_touched
from fulfillment_svc.domain.stock import Stock
from fulfillment_svc.domain.values import quantities_by_sku
from fulfillment_svc.service_layer.context import ServiceContext
from fulfillment_svc.service_layer.ports import FulfillmentUnitOfWork, TransientConflict
from fulfillment_svc.service_layer.warehouse_choice import pick_warehouse_of_rows

log = logging.getLogger(__name__)

OPENED = "opened"
IGNORED_CANCELLED = "ignored_cancelled"

# What opening an order read from data validated against the catalog records without validating it
# again (~2.7 µs an order): `fulfillment.created` holds the new fulfillment's id and its warehouse
# (both refused blank by `open_fulfillment`; the catalog asks for a non-empty text) and the order's
# id and lines exactly as `ConfirmedOrder.from_data` read them from `order.confirmed` data that had
# passed the catalog's `Line` model, which is `fulfillment.created`'s too (a price's text is written
# back as the same decimal; the domain refuses what the catalog would not carry on). A property test
# drives any catalog-valid `order.confirmed` through the opening and validates what it records
# (`tests/unit/fulfillment_svc/test_fulfillment_created_checked.py`). `inventory.backordered` is
# still validated: its quantity is a sum over the order's lines, which may pass the catalog's bound.
BUILT_FROM_CHECKED_ORDERS: frozenset[type[DomainEvent]] = frozenset({FulfillmentCreated})

Pair = tuple[str, str]  # (warehouse id, sku)


class OrderBatch:
    """What one batch holds (locked stock rows and fulfillments) and what it changed."""

    def __init__(
        self,
        ctx: ServiceContext,
        uow: FulfillmentUnitOfWork,
        stock: dict[str, dict[str, Stock]],
        skus: set[str],
        fulfillments: Iterable[Fulfillment],
        cancelled: set[str],
        saved_backorders: dict[Pair, list[Backorder]],
    ) -> None:
        self._ctx, self._uow = ctx, uow
        self._stock = stock  # warehouse -> sku -> row: locked, or created at zero by this batch
        self._skus = skus  # the skus locked in every warehouse of `stock` (a row missing there does not exist)
        self._created: list[Stock] = []
        self._by_id = {f.fulfillment_id: f for f in fulfillments}
        self._by_order = {f.order_id: f for f in self._by_id.values()}
        # those whose backorders may differ from what was saved: loaded ones, and opened ones that ever owed
        self._may_owe = set(self._by_id)
        self._opened: list[Fulfillment] = []
        self._opened_ids: set[str] = set()
        self._changed: set[str] = set()  # loaded fulfillments to write back
        self._cancelled = cancelled  # orders cancelled before any fulfillment was opened
        self._newly_cancelled: list[tuple[str, str, datetime]] = []
        self._saved_backorders = saved_backorders

    @classmethod
    async def locked(
        cls, ctx: ServiceContext, uow: FulfillmentUnitOfWork, lines_by_order: Sequence[tuple[str, Iterable[str] | None]]
    ) -> OrderBatch:
        """Read and lock what the facts may touch. `lines_by_order`: per fact in order, its order id
        and the skus it names (None for a cancellation)."""
        order_ids = {order_id for order_id, _ in lines_by_order}
        cancelled, existing = await uow.fulfillments.cancelled_and_by_orders(order_ids)
        skus = {sku for _, named in lines_by_order if named is not None for sku in named}
        for fulfillment in existing.values():
            skus |= _skus_of(fulfillment)
        warehouses = {f.warehouse_id for f in existing.values()}
        if any(named is not None and order_id not in existing and order_id not in cancelled
               for order_id, named in lines_by_order):  # a new order goes to the default or to one with its skus
            warehouses |= {ctx.policy.default_warehouse_id, *await uow.stock.available_by_warehouse(skus)}
        stock = await uow.stock.lock_existing(warehouses, skus)
        fulfillments = await uow.fulfillments.lock_many(f.fulfillment_id for f in existing.values())
        for fulfillment in fulfillments.values():
            if fulfillment.warehouse_id not in stock or not _skus_of(fulfillment) <= skus:
                raise TransientConflict(f"the stock needs of {fulfillment.fulfillment_id} changed while it was read")
        saved = await uow.fulfillments.backorders_of_many(_may_be_freed(lines_by_order, fulfillments, stock))
        return cls(ctx, uow, stock, skus, fulfillments.values(), cancelled, saved)

    # --- the facts -------------------------------------------------------------------------

    async def confirm(self, order: ConfirmedOrder, occurred_at: datetime, *, catalog_checked: bool = False) -> str:
        """Open a fulfillment for a confirmed order; a re-sent confirmation re-plans it while nothing is
        packed. Returns `opened`, `applied` / `unchanged` / `too_late`, or `ignored_cancelled`.
        `catalog_checked`: the order was read from data validated against the catalog."""
        if order.order_id in self._cancelled:
            return IGNORED_CANCELLED
        fulfillment = self._by_order.get(order.order_id)
        if fulfillment is None:
            self._open(order, occurred_at, BUILT_FROM_CHECKED_ORDERS if catalog_checked else ())
            return OPENED
        skus = skus_touched(fulfillment, order)
        rows = self._rows(fulfillment.warehouse_id, skus)
        outcome = reconfirm(fulfillment, order, occurred_at=occurred_at, stock_by_sku=rows)
        touched = {fulfillment.fulfillment_id}
        self._may_owe.add(fulfillment.fulfillment_id)
        if outcome == APPLIED:  # units of dropped lines go to whoever waits
            touched |= await self._fill_backorders(fulfillment.warehouse_id, skus)
        if outcome in (APPLIED, UNCHANGED):
            self._stage(touched)
        else:
            log.info("re-sent order.confirmed not applied", extra={"order_id": order.order_id, "outcome": outcome})
        return outcome

    async def cancel(self, order_id: str, reason: str, occurred_at: datetime) -> None:
        """Release what the order's fulfillment holds (shipments already sent keep being tracked);
        an order cancelled before it was ever confirmed is remembered, so a later confirmation
        reserves nothing."""
        fulfillment = self._by_order.get(order_id)
        if fulfillment is None:
            if order_id not in self._cancelled:
                self._cancelled.add(order_id)
                self._newly_cancelled.append((order_id, reason, occurred_at))
            return
        released = fulfillment.skus_holding_stock()
        fulfillment.cancel(reason=reason, occurred_at=occurred_at, stock_by_sku=self._rows(fulfillment.warehouse_id, released))
        self._stage({fulfillment.fulfillment_id} | await self._fill_backorders(fulfillment.warehouse_id, released))

    async def write(self) -> None:
        """Everything the facts changed: one statement per kind of row (the outbox rows are staged)."""
        await self._uow.stock.create_at_zero(self._created)
        await self._uow.stock.save(row for rows in self._stock.values() for row in rows.values())
        await self._uow.fulfillments.add_many(self._opened)
        await self._uow.fulfillments.save_many([self._by_id[fulfillment_id] for fulfillment_id in sorted(self._changed)])
        await self._uow.fulfillments.mark_orders_cancelled(self._newly_cancelled)

    # --- internals -------------------------------------------------------------------------

    def _open(self, order: ConfirmedOrder, occurred_at: datetime, vouched: Collection[type[DomainEvent]]) -> None:
        wanted = quantities_by_sku(order.lines)
        warehouse_id = pick_warehouse_of_rows(self._stock, wanted, self._ctx.policy)
        fulfillment = open_fulfillment(
            order,
            fulfillment_id=self._ctx.new_id("ful"),
            warehouse_id=warehouse_id,
            # kpis.md: placement + 2 business days, the same deadline kpi-svc judges shipped_within_sla by
            ship_deadline=self._ctx.policy.calendar.ship_deadline(order.ship_deadline_from(occurred_at)),
            occurred_at=occurred_at,
            stock_by_sku=self._rows(warehouse_id, wanted),
        )
        self._by_id[fulfillment.fulfillment_id] = self._by_order[order.order_id] = fulfillment
        self._opened.append(fulfillment)
        self._opened_ids.add(fulfillment.fulfillment_id)
        if fulfillment.backordered:
            self._may_owe.add(fulfillment.fulfillment_id)
        self._uow.record(fulfillment.events, vouched=vouched)
        fulfillment.events.clear()

    def _rows(self, warehouse_id: str, skus: Iterable[str]) -> dict[str, Stock]:
        """The locked rows of `skus` in the warehouse; a missing one is created at zero, as a
        reservation that finds none does (so that a later count waits for it and sees its backorder)."""
        rows = self._stock.get(warehouse_id)
        if rows is None or not self._skus.issuperset(skus):  # not locked: only one at a time can tell
            raise TransientConflict(f"stock of {warehouse_id} needed beyond what the batch locked")
        for sku in skus:
            if sku not in rows:
                rows[sku] = Stock(warehouse_id, sku)
                self._created.append(rows[sku])
        return {sku: rows[sku] for sku in skus}

    async def _fill_backorders(self, warehouse_id: str, skus: Iterable[str]) -> set[str]:
        """Give what is available of `skus` to the oldest backorders; the fulfillments that got units.
        Those not held yet are locked first and judged on their fresh state."""
        filled: set[str] = set()
        for sku in sorted(set(skus)):
            row = self._stock[warehouse_id].get(sku)
            while row is not None and row.available > 0:
                plan = allocate_backorders(row.available, await self._owed(warehouse_id, sku))
                if not plan:
                    break
                missing = [a.fulfillment_id for a in plan if a.fulfillment_id not in self._by_id]
                for fulfillment in (await self._uow.fulfillments.lock_many(missing)).values() if missing else ():
                    self._by_id[fulfillment.fulfillment_id] = self._by_order[fulfillment.order_id] = fulfillment
                    self._may_owe.add(fulfillment.fulfillment_id)
                allocations = fill_backorders(row, [self._by_id[a.fulfillment_id] for a in plan])
                filled.update(a.fulfillment_id for a in allocations)
        return filled

    async def _owed(self, warehouse_id: str, sku: str) -> list[Backorder]:
        key = (warehouse_id, sku)
        if key not in self._saved_backorders:
            self._saved_backorders.update(await self._uow.fulfillments.backorders_of_many([key]))
        # the fulfillments that may owe are fresher than what was saved before the batch
        return owed_now(self._saved_backorders[key], (self._by_id[f] for f in self._may_owe), warehouse_id, sku)

    def _stage(self, fulfillment_ids: set[str]) -> None:
        """Stage the events of the fulfillments a fact changed (in id order), and remember to write them."""
        for fulfillment_id in sorted(fulfillment_ids):
            fulfillment = self._by_id[fulfillment_id]
            self._uow.record(fulfillment.events)
            fulfillment.events.clear()
            if fulfillment_id not in self._opened_ids:
                self._changed.add(fulfillment_id)


def _skus_of(fulfillment: Fulfillment) -> set[str]:
    """Every sku whose stock row the fulfillment may touch: its lines' (what it holds is among them)."""
    return {line.sku for line in fulfillment.lines} | set(fulfillment.reserved) | set(fulfillment.backordered)


def _may_be_freed(
    lines_by_order: Sequence[tuple[str, Iterable[str] | None]],
    fulfillments: Mapping[str, Fulfillment],
    stock: Mapping[str, Mapping[str, Stock]],
) -> set[Pair]:
    """The (warehouse, sku) whose backorders the facts may need: those a cancellation or a re-plan
    may free units of (a row with nothing on hand frees nothing). Read ahead in one statement;
    one missed is read when needed."""
    loaded = {f.order_id: f for f in fulfillments.values()}
    named: dict[str, set[str]] = {order_id: _skus_of(f) for order_id, f in loaded.items()}
    pairs: set[Pair] = set()
    for order_id, skus in lines_by_order:
        if order_id in named:  # a cancel, or a confirmation again: may free what the order holds
            held = loaded.get(order_id)
            warehouses = [held.warehouse_id] if held is not None else list(stock)
            pairs |= {(w, sku) for w in warehouses for sku in named[order_id] | set(skus or ())}
        if skus is not None:
            named.setdefault(order_id, set()).update(skus)
    return {(w, sku) for w, sku in pairs if (row := stock.get(w, {}).get(sku)) is not None and row.on_hand > 0}

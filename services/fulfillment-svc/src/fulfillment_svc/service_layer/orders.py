"""Handlers of what order-svc tells us: `order.confirmed` opens (or re-plans) a fulfillment,
`order.cancelled` releases what it holds.

They run inside the consumer's transaction (the unit of work joins it); a failure is retried
by the consumer, then dead-lettered.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from contextlib import AbstractContextManager, nullcontext
from datetime import datetime
from typing import Any

from fulfillment_svc.domain.opening import open_fulfillment
from fulfillment_svc.domain.orders import ConfirmedOrder
from fulfillment_svc.domain.reconfirming import APPLIED, UNCHANGED, reconfirm, skus_touched
from fulfillment_svc.domain.stock import plan_reservation
from fulfillment_svc.domain.values import quantities_by_sku
from fulfillment_svc.service_layer.context import Policy, ServiceContext
from fulfillment_svc.service_layer.locking import fill_backorders_from, lock_fulfillment
from fulfillment_svc.service_layer.ports import FulfillmentUnitOfWork

log = logging.getLogger(__name__)

OPENED = "opened"
IGNORED_CANCELLED = "ignored_cancelled"


async def order_confirmed(
    ctx: ServiceContext, uow: FulfillmentUnitOfWork, data: Mapping[str, Any], occurred_at: datetime
) -> str:
    """Open a fulfillment for a confirmed order; a re-sent confirmation re-plans it while nothing is packed.

    Returns what happened: `opened`, `applied` / `unchanged` / `too_late` (re-sent), or
    `ignored_cancelled` (the order was cancelled before it was confirmed).
    """
    order = ConfirmedOrder.from_data(data)
    if await uow.fulfillments.is_order_cancelled(order.order_id):
        return IGNORED_CANCELLED
    existing = await uow.fulfillments.get_by_order(order.order_id)
    if existing is None:
        await _open(ctx, uow, order, occurred_at)
        return OPENED
    fulfillment, locked = await lock_fulfillment(
        uow, existing.fulfillment_id, skus_needed=lambda f: skus_touched(f, order), read=existing
    )
    outcome = reconfirm(fulfillment, order, occurred_at=occurred_at, stock_by_sku=locked.stock)
    if outcome == APPLIED:
        await fill_backorders_from(uow, locked, locked.stock)  # units of dropped lines go to whoever waits
    if outcome in (APPLIED, UNCHANGED):
        await locked.save(uow)
    else:
        log.info("re-sent order.confirmed not applied", extra={"order_id": order.order_id, "outcome": outcome})
    return outcome


async def _open(ctx: ServiceContext, uow: FulfillmentUnitOfWork, order: ConfirmedOrder, occurred_at: datetime) -> None:
    await open_many(ctx, uow, [(order, occurred_at)])


async def new_orders(uow: FulfillmentUnitOfWork, order_ids: Iterable[str]) -> set[str]:
    """Those of `order_ids` that are neither cancelled nor have a fulfillment yet (two reads)."""
    wanted = set(order_ids)
    return wanted - await uow.fulfillments.cancelled_among(wanted) - await uow.fulfillments.orders_with_fulfillment(wanted)


async def open_many(
    ctx: ServiceContext,
    uow: FulfillmentUnitOfWork,
    confirmed: Sequence[tuple[ConfirmedOrder, datetime]],
    each: Callable[[int], AbstractContextManager[None]] = lambda _index: nullcontext(),
) -> None:
    """Open a fulfillment for each of `confirmed` (distinct new orders, neither cancelled nor
    opened: `new_orders`), in the order given, as one at a time would: each warehouse is chosen
    on an unlocked read that counts what the orders before it reserved; then the chosen
    warehouses' stock rows are locked at once (warehouses and skus in order) and reserved from
    order by order, and everything is written with a few statements. `each(i)` is the context in
    which the events of order i are recorded (its trace)."""
    wanted = [quantities_by_sku(order.lines) for order, _ in confirmed]
    available = await uow.stock.available_by_warehouse({sku for units in wanted for sku in units})
    chosen = []
    for units in wanted:
        warehouse_id = pick_warehouse(available, units, ctx.policy)
        have = available.setdefault(warehouse_id, {})
        for sku, reserved in plan_reservation({sku: have.get(sku, 0) for sku in units}, units).reserved.items():
            have[sku] = have.get(sku, 0) - reserved
        chosen.append(warehouse_id)
    skus_by_warehouse: dict[str, set[str]] = {}
    for warehouse_id, units in zip(chosen, wanted, strict=True):
        skus_by_warehouse.setdefault(warehouse_id, set()).update(units)
    stock = {w: await uow.stock.lock(w, skus) for w, skus in sorted(skus_by_warehouse.items())}
    opened = [
        open_fulfillment(
            order,
            fulfillment_id=ctx.new_id("ful"),
            warehouse_id=warehouse_id,
            # kpis.md: placement + 2 business days, the same deadline kpi-svc judges shipped_within_sla by
            ship_deadline=ctx.policy.calendar.ship_deadline(order.ship_deadline_from(occurred_at)),
            occurred_at=occurred_at,
            stock_by_sku=stock[warehouse_id],
        )
        for (order, occurred_at), warehouse_id in zip(confirmed, chosen, strict=True)
    ]
    await uow.stock.save(row for rows in stock.values() for row in rows.values())
    await uow.fulfillments.add_many(opened)
    for index, fulfillment in enumerate(opened):
        with each(index):
            uow.record(fulfillment.events)
        fulfillment.events.clear()


async def choose_warehouse(uow: FulfillmentUnitOfWork, policy: Policy, order: ConfirmedOrder) -> str:
    """The warehouse that can reserve the most of the order's units now (see `pick_warehouse`).

    The read is unlocked: a concurrent order may take the stock first, in which case this one
    backorders there. It never oversells: the reservation itself runs on locked rows.
    """
    wanted = quantities_by_sku(order.lines)
    return pick_warehouse(await uow.stock.available_by_warehouse(wanted), wanted, policy)


def pick_warehouse(available: Mapping[str, Mapping[str, int]], wanted: Mapping[str, int], policy: Policy) -> str:
    """The warehouse that can reserve the most of `wanted`; ties, and an order no warehouse has
    anything of, go to the default warehouse, then to the lowest id."""

    def units(warehouse_id: str) -> int:
        have = available.get(warehouse_id, {})
        return sum(min(quantity, max(have.get(sku, 0), 0)) for sku, quantity in wanted.items())

    candidates = set(available) | {policy.default_warehouse_id}
    return min(candidates, key=lambda w: (-units(w), w != policy.default_warehouse_id, w))


async def order_cancelled(
    ctx: ServiceContext, uow: FulfillmentUnitOfWork, data: Mapping[str, Any], occurred_at: datetime
) -> None:
    """Release what the order's fulfillment holds (shipments already sent keep being tracked).

    An order cancelled before it was ever confirmed is remembered, so a late confirmation
    does not reserve stock for it.
    """
    order_id = str(data["order_id"])
    reason = str(data.get("reason") or "cancelled")
    existing = await uow.fulfillments.get_by_order(order_id)
    if existing is None:
        await uow.fulfillments.mark_order_cancelled(order_id, reason, occurred_at)
        return
    fulfillment, locked = await lock_fulfillment(
        uow, existing.fulfillment_id, skus_needed=lambda f: f.skus_holding_stock(), read=existing
    )
    released = fulfillment.skus_holding_stock()
    fulfillment.cancel(reason=reason, occurred_at=occurred_at, stock_by_sku=locked.stock)
    await fill_backorders_from(uow, locked, released)
    await locked.save(uow)

"""Handlers of what order-svc tells us: `order.confirmed` opens (or re-plans) a fulfillment,
`order.cancelled` releases what it holds.

They run inside the consumer's transaction (the unit of work joins it); a failure is retried
by the consumer, then dead-lettered.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from fulfillment_svc.domain.opening import open_fulfillment
from fulfillment_svc.domain.orders import ConfirmedOrder
from fulfillment_svc.domain.reconfirming import APPLIED, UNCHANGED, reconfirm, skus_touched
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
        uow, existing.fulfillment_id, skus_needed=lambda f: skus_touched(f, order)
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
    warehouse_id = await choose_warehouse(uow, ctx.policy, order)
    stock = await uow.stock.lock(warehouse_id, quantities_by_sku(order.lines))
    fulfillment = open_fulfillment(
        order,
        fulfillment_id=ctx.new_id("ful"),
        warehouse_id=warehouse_id,
        # kpis.md: placement + 2 business days, the same deadline kpi-svc judges shipped_within_sla by
        ship_deadline=ctx.policy.calendar.ship_deadline(order.ship_deadline_from(occurred_at)),
        occurred_at=occurred_at,
        stock_by_sku=stock,
    )
    await uow.stock.save(stock.values())
    await uow.fulfillments.add(fulfillment)
    uow.record(fulfillment.events)
    fulfillment.events.clear()


async def choose_warehouse(uow: FulfillmentUnitOfWork, policy: Policy, order: ConfirmedOrder) -> str:
    """The warehouse that can reserve the most of the order's units now; ties, and an order no
    warehouse has anything of, go to the default warehouse, then to the lowest id.

    The read is unlocked: a concurrent order may take the stock first, in which case this one
    backorders there. It never oversells: the reservation itself runs on locked rows.
    """
    wanted = quantities_by_sku(order.lines)
    available = await uow.stock.available_by_warehouse(wanted)

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
        uow, existing.fulfillment_id, skus_needed=lambda f: f.skus_holding_stock()
    )
    released = fulfillment.skus_holding_stock()
    fulfillment.cancel(reason=reason, occurred_at=occurred_at, stock_by_sku=locked.stock)
    await fill_backorders_from(uow, locked, released)
    await locked.save(uow)

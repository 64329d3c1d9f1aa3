"""Reads: customers, orders and timelines as stored (a unit of work that never commits)."""

from __future__ import annotations

from datetime import datetime

from order_svc.domain.errors import CustomerNotFound, OrderNotFound
from order_svc.domain.model import Customer, Order
from order_svc.service_layer.handlers import Context
from order_svc.service_layer.ports import OrderSummary, TimelineEntry


async def customer(ctx: Context, customer_id: str) -> Customer:
    async with ctx.new_uow() as uow:
        found = await uow.customers.get(customer_id)
    if found is None:
        raise CustomerNotFound(f"customer {customer_id!r} is not known", field="customer_id")
    return found


async def customer_orders(
    ctx: Context, customer_id: str, *, limit: int, after: tuple[datetime, str] | None
) -> list[OrderSummary]:
    """One page of a customer's orders, newest first."""
    async with ctx.new_uow() as uow:
        if await uow.customers.get(customer_id) is None:
            raise CustomerNotFound(f"customer {customer_id!r} is not known", field="customer_id")
        return await uow.orders.list_for_customer(customer_id, limit=limit, after=after)


async def order(ctx: Context, order_id: str) -> Order:
    async with ctx.new_uow() as uow:
        found = await uow.orders.get(order_id)
    if found is None:
        raise OrderNotFound(f"order {order_id!r} is not known", field="order_id")
    return found


async def order_timeline(
    ctx: Context, order_id: str, *, limit: int, after: tuple[datetime, int] | None
) -> list[TimelineEntry]:
    """One page of the order's lifecycle events, from every service, in event-time order."""
    async with ctx.new_uow() as uow:
        if not await uow.orders.exists(order_id):
            raise OrderNotFound(f"order {order_id!r} is not known", field="order_id")
        return await uow.timeline.for_order(order_id, limit=limit, after=after)

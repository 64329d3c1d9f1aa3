"""The handler table: which consumed event types fulfillment-svc acts on, and how.

The consumer has already deduplicated the event and runs each handler in its own savepoint of
the batch's transaction; effects, the dedup record and the outbox rows commit together.
"""

from __future__ import annotations

from collections.abc import Callable

from orderpulse.events import Envelope, full_type
from orderpulse.messaging.consumer import Handler
from sqlalchemy.ext.asyncio import AsyncSession

from fulfillment_svc.service_layer import orders, records
from fulfillment_svc.service_layer.context import ServiceContext
from fulfillment_svc.service_layer.ports import FulfillmentUnitOfWork

ORDER_CONFIRMED = full_type("order.confirmed.v1")
ORDER_CANCELLED = full_type("order.cancelled.v1")
RETURN_REQUESTED = full_type("return.requested.v1")


def handler_table(
    ctx: ServiceContext, joining: Callable[[AsyncSession], FulfillmentUnitOfWork]
) -> dict[str, Handler]:
    async def on_order_confirmed(session: AsyncSession, envelope: Envelope) -> None:
        async with joining(session) as uow:
            await orders.order_confirmed(ctx, uow, envelope.data, envelope.time)
            await uow.commit()

    async def on_order_cancelled(session: AsyncSession, envelope: Envelope) -> None:
        async with joining(session) as uow:
            await orders.order_cancelled(ctx, uow, envelope.data, envelope.time)
            await uow.commit()

    async def on_return_requested(session: AsyncSession, envelope: Envelope) -> None:
        async with joining(session) as uow:
            await records.return_requested(uow, envelope.data, envelope.time)
            await uow.commit()

    return {ORDER_CONFIRMED: on_order_confirmed, ORDER_CANCELLED: on_order_cancelled, RETURN_REQUESTED: on_return_requested}

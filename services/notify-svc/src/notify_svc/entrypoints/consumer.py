"""The handler table: which consumed event types notify-svc acts on, and how.

The consumer has already deduplicated the event; effects, the dedup record and the outbox rows
commit together in its batch transaction.
"""

from __future__ import annotations

from collections.abc import Callable

from orderpulse.events import Envelope, full_type
from orderpulse.messaging.consumer import Handler
from sqlalchemy.ext.asyncio import AsyncSession

from notify_svc.domain.triggers import BUILDERS, ETA_FIELDS
from notify_svc.service_layer import consuming
from notify_svc.service_layer.context import ServiceContext
from notify_svc.service_layer.ports import NotifyUnitOfWork, ParkedEvent

PREFIX = full_type("")


def handler_table(ctx: ServiceContext, joining: Callable[[AsyncSession], NotifyUnitOfWork]) -> dict[str, Handler]:
    async def on_customer(session: AsyncSession, envelope: Envelope) -> None:
        async with joining(session) as uow:
            await consuming.customer_upserted(ctx, uow, envelope.data)
            await uow.commit()

    async def on_order_placed(session: AsyncSession, envelope: Envelope) -> None:
        async with joining(session) as uow:
            await consuming.order_placed(ctx, uow, envelope.data)
            await uow.commit()

    async def on_order_event(session: AsyncSession, envelope: Envelope) -> None:
        event = ParkedEvent(envelope.id, envelope.type.removeprefix(PREFIX), envelope.time, envelope.data)
        async with joining(session) as uow:
            await consuming.order_event(ctx, uow, event)
            await uow.commit()

    table: dict[str, Handler] = {
        full_type("customer.upserted.v1"): on_customer,
        full_type("order.placed.v1"): on_order_placed,
    }
    for short_type in {*BUILDERS, *ETA_FIELDS}:
        table[full_type(short_type)] = on_order_event
    return table

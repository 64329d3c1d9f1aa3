"""The handler table: which consumed event types notify-svc acts on, and how.

The consumer has already deduplicated the events; effects, the dedup records and the outbox rows
commit together in its batch transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager

from orderpulse.events import Envelope, full_type
from orderpulse.messaging.consumer import Batched, Handler
from orderpulse.messaging.handlers import event_context
from sqlalchemy.ext.asyncio import AsyncSession

from notify_svc.domain.triggers import BUILDERS, ETA_FIELDS
from notify_svc.service_layer import consuming
from notify_svc.service_layer.context import ServiceContext
from notify_svc.service_layer.ports import NotifyUnitOfWork, ParkedEvent

PREFIX = full_type("")


def handler_table(
    ctx: ServiceContext, joining: Callable[[AsyncSession], NotifyUnitOfWork]
) -> dict[str, Handler | Batched]:
    """Every type is handled a batch at once: with `joining` building a `BatchUnitOfWork`, a batch
    reads what its orders need in one go and writes each table with one statement."""

    async def on_customers(session: AsyncSession, envelopes: Sequence[Envelope]) -> None:
        async with joining(session) as uow:
            for envelope in envelopes:
                with event_context(envelope):
                    await consuming.customer_upserted(ctx, uow, envelope.data)
            await uow.commit()

    async def on_orders_placed(session: AsyncSession, envelopes: Sequence[Envelope]) -> None:
        async with joining(session) as uow:
            await consuming.orders_placed(ctx, uow, [envelope.data for envelope in envelopes], _each(envelopes))
            await uow.commit()

    async def on_order_events(session: AsyncSession, envelopes: Sequence[Envelope]) -> None:
        events = [ParkedEvent(e.id, e.type.removeprefix(PREFIX), e.time, e.data) for e in envelopes]
        async with joining(session) as uow:
            await consuming.order_events(ctx, uow, events, _each(envelopes))
            await uow.commit()

    table: dict[str, Handler | Batched] = {
        full_type("customer.upserted.v1"): Batched(on_customers),
        full_type("order.placed.v1"): Batched(on_orders_placed),
    }
    on_order_event = Batched(on_order_events)
    for short_type in {*BUILDERS, *ETA_FIELDS}:
        table[full_type(short_type)] = on_order_event
    return table


def _each(envelopes: Sequence[Envelope]) -> Callable[[int], AbstractContextManager[None]]:
    return lambda index: event_context(envelopes[index])

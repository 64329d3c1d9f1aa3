"""The handler table: which consumed event types fulfillment-svc acts on, and how.

The consumer has already deduplicated the events; effects, the dedup records and the outbox rows
commit together in its batch transaction. Should anything in a batch fail, the consumer redoes
it one event at a time, each in its own savepoint (the handler is then given one event).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from orderpulse.events import Envelope, full_type
from orderpulse.messaging.consumer import Batched, Handler
from orderpulse.messaging.handlers import event_context
from sqlalchemy.ext.asyncio import AsyncSession

from fulfillment_svc.domain.orders import ConfirmedOrder
from fulfillment_svc.service_layer import orders, records
from fulfillment_svc.service_layer.context import ServiceContext
from fulfillment_svc.service_layer.ports import FulfillmentUnitOfWork

ORDER_CONFIRMED = full_type("order.confirmed.v1")
ORDER_CANCELLED = full_type("order.cancelled.v1")
RETURN_REQUESTED = full_type("return.requested.v1")
HANDLERS = {  # one event alone: (ctx, uow, data, occurred_at)
    ORDER_CONFIRMED: orders.order_confirmed,
    ORDER_CANCELLED: orders.order_cancelled,
    RETURN_REQUESTED: lambda _ctx, uow, data, occurred_at: records.return_requested(uow, data, occurred_at),
}


def handler_table(
    ctx: ServiceContext, joining: Callable[[AsyncSession], FulfillmentUnitOfWork]
) -> dict[str, Handler | Batched]:
    """One batch handler for every type, so a batch's events keep their order: a run of
    confirmations of new orders (none cancelled, opened or named earlier in the batch) opens its
    fulfillments together (`orders.open_many`: the stock of the run locked once, written with a
    few statements); requested returns, which touch neither stock nor fulfillments and which
    nothing in a batch reads, are remembered together at the end (one statement) and do not
    break a run; every other event (a cancellation, a confirmation sent again) is handled alone,
    in its place, under its row locks."""

    async def on_order_events(session: AsyncSession, envelopes: Sequence[Envelope]) -> None:
        async with joining(session) as uow:
            confirmed = [e.data["order_id"] for e in envelopes if e.type == ORDER_CONFIRMED]
            fresh = await orders.new_orders(uow, confirmed) if len(confirmed) > 1 else set()
            named: set[str] = set()
            run: list[Envelope] = []
            returns = []
            for envelope in envelopes:
                order_id = envelope.data["order_id"]
                if envelope.type == ORDER_CONFIRMED and order_id in fresh and order_id not in named:
                    run.append(envelope)
                elif envelope.type == RETURN_REQUESTED:
                    returns.append(records.requested_return(envelope.data, envelope.time))
                else:
                    await _open_run(uow, run)
                    run = []
                    with event_context(envelope):
                        await HANDLERS[envelope.type](ctx, uow, envelope.data, envelope.time)
                named.add(order_id)
            await _open_run(uow, run)
            await records.returns_requested(uow, returns)
            await uow.commit()

    async def _open_run(uow: FulfillmentUnitOfWork, run: list[Envelope]) -> None:
        if run:
            await orders.open_many(ctx, uow, [(ConfirmedOrder.from_data(e.data), e.time) for e in run],
                                   lambda index: event_context(run[index]))

    handler = Batched(on_order_events)
    return {name: handler for name in HANDLERS}

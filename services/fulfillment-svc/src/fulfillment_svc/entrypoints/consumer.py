"""The handler table: which consumed event types fulfillment-svc acts on, and how.

The consumer has already deduplicated the events; effects, the dedup records and the outbox rows
commit together in its batch transaction. Should anything in a batch fail, the consumer redoes
it one event at a time, each in its own savepoint (the handler is then given one event).

A `TransientConflict` (the batch's reads went stale before its locks: a race, not a bad event)
in a batch of several events is such a failure: redone one at a time. Met by one event alone,
it is raised as `ConflictOnOneEvent`, which the consumer treats as the serialization failure it
is: the whole batch rolled back and redone later in a fresh transaction, never dead-lettered.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from orderpulse.events import Envelope, full_type
from orderpulse.messaging.consumer import Batched, Handler
from orderpulse.messaging.handlers import event_context
from sqlalchemy.ext.asyncio import AsyncSession

from fulfillment_svc.domain.values import in_utc
from fulfillment_svc.service_layer import orders, records
from fulfillment_svc.service_layer.context import ServiceContext
from fulfillment_svc.service_layer.ports import FulfillmentUnitOfWork, TransientConflict

ORDER_CONFIRMED = full_type("order.confirmed.v1")
ORDER_CANCELLED = full_type("order.cancelled.v1")
RETURN_REQUESTED = full_type("return.requested.v1")
ORDER_FACTS = {ORDER_CONFIRMED: orders.OrderConfirmed.from_data, ORDER_CANCELLED: orders.OrderCancelled.from_data}

# The garbage collector's young threshold `main.py` sets (`collect_young_objects_less_often`): above
# what one batch of 500 events keeps alive until it commits (envelopes, facts, loaded and new
# fulfillments, staged events: 25,000 – 50,000 container objects), so a batch is freed by
# reference counting before a young pass walks it. At 700 the passes took ~9 – 10 % of the
# consumer's CPU, at 10,000 ~7 % (each pass walks the batch's survivors), at 50,000 none in a run
# (docs/fulfillment-decisions.md).
YOUNG_COLLECTION_THRESHOLD = 50_000


class ConflictOnOneEvent(TransientConflict):
    """A `TransientConflict` met by one event alone. Its SQLSTATE (40001, serialization_failure)
    is what the consumer's `is_transient_error` reads: the batch is redone later, as for a deadlock,
    instead of being retried in a savepoint and dead-lettered."""

    sqlstate = "40001"


def handler_table(
    ctx: ServiceContext, joining: Callable[[AsyncSession], FulfillmentUnitOfWork]
) -> dict[str, Handler | Batched]:
    """One batch handler for every type, so a batch's events keep their order: its confirmations
    and cancellations are applied in one pass (`orders.apply_order_facts`: what they may touch read
    and locked once, applied in order in memory as one at a time would, each kind of row written
    with one statement); requested returns, which touch neither stock nor fulfillments and which
    nothing in a batch reads, are remembered together at the end (one statement)."""

    async def on_order_events(session: AsyncSession, envelopes: Sequence[Envelope]) -> None:
        async with joining(session) as uow:
            facts, sources, returns = [], [], []
            for envelope in envelopes:
                occurred_at = in_utc(envelope.time)  # the same instant, its zone `UTC`: cheaper to check and write
                if envelope.type == RETURN_REQUESTED:
                    returns.append(records.requested_return(envelope.data, occurred_at))
                elif envelope.type == ORDER_CONFIRMED:
                    # checked against the catalog: kept on the envelope by the consumer's poison check
                    # (validated here if it was not), so its `fulfillment.created` is not validated again
                    envelope.validated_data  # noqa: B018
                    facts.append(orders.OrderConfirmed.from_data(envelope.data, occurred_at, catalog_checked=True))
                    sources.append(envelope)
                else:
                    facts.append(ORDER_FACTS[envelope.type](envelope.data, occurred_at))
                    sources.append(envelope)
            try:
                await orders.apply_order_facts(ctx, uow, facts, lambda index: event_context(sources[index]))
            except TransientConflict as conflict:
                if len(envelopes) > 1:
                    raise  # the consumer redoes the batch one event at a time
                raise ConflictOnOneEvent(str(conflict)) from conflict
            await records.returns_requested(uow, returns)
            await uow.commit()

    handler = Batched(on_order_events)
    return {name: handler for name in (*ORDER_FACTS, RETURN_REQUESTED)}

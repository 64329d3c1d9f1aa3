"""The handler table: which consumed event types feedback-svc acts on, and how.

The consumer has already deduplicated the event and runs each handler in the batch's
transaction; effects, the dedup record and any outbox rows commit together. Payloads are
validated against the shared catalog (new optional fields tolerated) before they reach the
service layer; a payload that fails goes to the dead-letter topic after bounded retries.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import timedelta

from orderpulse.events import Envelope, full_type
from orderpulse.messaging.consumer import Batched, Handler
from orderpulse.scheduling import DueWorkLoop, nudge_after_commit
from sqlalchemy.ext.asyncio import AsyncSession

from feedback_svc.domain.orders import Completion
from feedback_svc.service_layer import orders
from feedback_svc.service_layer.commands import CustomerProfile, OrderCancelled, OrderPlaced
from feedback_svc.service_layer.context import ServiceContext
from feedback_svc.service_layer.ports import FeedbackUnitOfWork

ORDER_PLACED = full_type("order.placed.v1")
ORDER_CANCELLED = full_type("order.cancelled.v1")
CUSTOMER_UPSERTED = full_type("customer.upserted.v1")
FULFILLMENT_COMPLETED = full_type("fulfillment.completed.v1")


def handler_table(
    ctx: ServiceContext,
    joining: Callable[[AsyncSession], FeedbackUnitOfWork],
    loop: DueWorkLoop,
    *,
    nudge_horizon: timedelta,
) -> dict[str, Handler | Batched]:
    def due_soon(session: AsyncSession, due_at) -> None:
        # a timer due before the loop would look again anyway: wake it once this batch commits
        if due_at is not None and due_at <= ctx.clock() + nudge_horizon:
            nudge_after_commit(session, loop)

    async def on_orders_placed(session: AsyncSession, envelopes: Sequence[Envelope]) -> None:
        placed = []
        for envelope in envelopes:
            data = envelope.validated_data
            placed.append(OrderPlaced(data.order_id, data.customer_id, envelope.time))
        async with joining(session) as uow:
            waiting = await orders.orders_placed(ctx, uow, placed)
            await uow.commit()
        for survey in waiting:  # it may have fallen due while the customer was unknown
            due_soon(session, survey.due_at)

    async def on_customers_upserted(session: AsyncSession, envelopes: Sequence[Envelope]) -> None:
        profiles = []
        for envelope in envelopes:
            data = envelope.validated_data
            profiles.append(CustomerProfile(data.customer_id, data.locale, envelope.time))
        async with joining(session) as uow:
            await orders.customers_upserted(ctx, uow, profiles)
            await uow.commit()

    async def on_order_outcomes(session: AsyncSession, envelopes: Sequence[Envelope]) -> None:
        """order.cancelled and fulfillment.completed with the outcome of applying them in the
        order they were read (`orders.order_outcomes`): those of different orders together
        (the completions' surveys scheduled with one read and one statement, the cancellations
        marked with one statement and their surveys read with one)."""
        outcomes: list[Completion | OrderCancelled] = []
        for envelope in envelopes:
            data = envelope.validated_data
            if envelope.type == FULFILLMENT_COMPLETED:
                outcomes.append(Completion(
                    order_id=data.order_id,
                    delivered_at=data.delivered_at,
                    units_delivered=sum(line.quantity for line in data.lines_delivered),
                    closed_short=data.closed_short,
                ))
            else:
                outcomes.append(OrderCancelled(data.order_id, envelope.time))
        async with joining(session) as uow:
            for completion in await orders.order_outcomes(ctx, uow, outcomes):
                due_soon(session, completion.delivered_at + ctx.policy.survey_delay)
            await uow.commit()

    outcomes = Batched(on_order_outcomes)  # one handler for both: an order's cancellation keeps its place
    return {
        ORDER_PLACED: Batched(on_orders_placed),  # plain upserts: one statement per batch
        ORDER_CANCELLED: outcomes,
        CUSTOMER_UPSERTED: Batched(on_customers_upserted),
        FULFILLMENT_COMPLETED: outcomes,
    }

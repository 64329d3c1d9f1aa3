"""Facts from other services: which orders and customers exist, and when an order was delivered.

These run inside the consumer's transaction (the event is already deduplicated); replays and
any arrival order of one order's events leave the same state.
"""

from __future__ import annotations

from collections.abc import Sequence

from feedback_svc.domain.orders import Completion, survey_due
from feedback_svc.domain.surveys import Survey
from feedback_svc.service_layer.commands import CustomerProfile, OrderCancelled, OrderPlaced
from feedback_svc.service_layer.context import ServiceContext
from feedback_svc.service_layer.ports import FeedbackUnitOfWork


async def order_placed(ctx: ServiceContext, uow: FeedbackUnitOfWork, fact: OrderPlaced) -> None:
    """Learn whose order it is; a survey that fell due before this arrived can now go out."""
    await uow.orders.remember_placed(fact.order_id, fact.customer_id, fact.placed_at)


async def orders_placed(ctx: ServiceContext, uow: FeedbackUnitOfWork, facts: Sequence[OrderPlaced]) -> list[Survey]:
    """`order_placed` for many at once (one statement); returns the surveys already waiting for
    these orders (one read), which may have fallen due while their customer was unknown."""
    await uow.orders.remember_all_placed([(fact.order_id, fact.customer_id, fact.placed_at) for fact in facts])
    return await uow.surveys.of_orders(fact.order_id for fact in facts)


async def order_cancelled(ctx: ServiceContext, uow: FeedbackUnitOfWork, fact: OrderCancelled) -> None:
    await uow.orders.mark_cancelled(fact.order_id, fact.cancelled_at)
    survey = await uow.surveys.get_by_order(fact.order_id, lock=True)
    if survey is not None and survey.withdraw():
        await uow.surveys.save(survey)


async def customer_upserted(ctx: ServiceContext, uow: FeedbackUnitOfWork, fact: CustomerProfile) -> None:
    await uow.orders.remember_locale(fact.customer_id, fact.locale, fact.updated_at)


async def customers_upserted(ctx: ServiceContext, uow: FeedbackUnitOfWork, facts: Sequence[CustomerProfile]) -> None:
    """`customer_upserted` for many at once (one statement)."""
    await uow.orders.remember_locales([(fact.customer_id, fact.locale, fact.updated_at) for fact in facts])


async def fulfillment_completed(ctx: ServiceContext, uow: FeedbackUnitOfWork, completion: Completion) -> bool:
    """Schedule the order's one survey; True when a new one was scheduled."""
    due = survey_due(completion, delay=ctx.policy.survey_delay)
    if due is None or completion.delivered_at is None:
        return False
    if await uow.orders.is_cancelled(completion.order_id):
        return False
    survey = Survey(
        survey_id=ctx.new_id("srv"),
        order_id=completion.order_id,
        delivered_at=completion.delivered_at,
        due_at=due,
    )
    return await uow.surveys.add_if_new(survey)


async def fulfillments_completed(
    ctx: ServiceContext, uow: FeedbackUnitOfWork, completions: Sequence[Completion]
) -> list[Completion]:
    """`fulfillment_completed` for many at once (one read, one statement), in the order given;
    returns those that scheduled a new survey. No completion changes what another one reads
    (whether its order is cancelled), and of two for one order the first schedules, as one by one."""
    wanted = [(completion, survey_due(completion, delay=ctx.policy.survey_delay)) for completion in completions]
    wanted = [(completion, due) for completion, due in wanted if due is not None and completion.delivered_at is not None]
    cancelled = await uow.orders.cancelled_among(completion.order_id for completion, _ in wanted)
    planned = [
        (completion, Survey(survey_id=ctx.new_id("srv"), order_id=completion.order_id,
                            delivered_at=completion.delivered_at, due_at=due))
        for completion, due in wanted
        if completion.order_id not in cancelled
    ]
    added = await uow.surveys.add_all_if_new([survey for _, survey in planned])
    return [completion for completion, survey in planned if survey.survey_id in added]

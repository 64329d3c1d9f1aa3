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
    await orders_cancelled(ctx, uow, [fact])


async def orders_cancelled(ctx: ServiceContext, uow: FeedbackUnitOfWork, facts: Sequence[OrderCancelled]) -> None:
    """`order_cancelled` for many at once (one statement, one read of their surveys, locked, and
    a write for each survey withdrawn); the first cancellation of an order gives its time."""
    if not facts:
        return
    await uow.orders.mark_all_cancelled([(fact.order_id, fact.cancelled_at) for fact in facts])
    for survey in await uow.surveys.of_orders((fact.order_id for fact in facts), lock=True):
        if survey.withdraw():
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


async def order_outcomes(
    ctx: ServiceContext, uow: FeedbackUnitOfWork, outcomes: Sequence[Completion | OrderCancelled]
) -> list[Completion]:
    """Completions and cancellations as they were read, with the outcome one by one would leave;
    returns the completions that scheduled a new survey. Facts about different orders touch
    different rows, so they go together: completions with `fulfillments_completed`, cancellations
    with `orders_cancelled`. Only where an order has both does the order of the two kinds matter
    (a survey scheduled, then withdrawn; or a cancelled order's completion, which schedules
    nothing), so the facts gathered so far are applied before such a fact joins the next group."""
    scheduled: list[Completion] = []
    completions: list[Completion] = []
    cancellations: list[OrderCancelled] = []
    completed_ids: set[str] = set()
    cancelled_ids: set[str] = set()

    async def apply_gathered() -> None:
        if completions:
            scheduled.extend(await fulfillments_completed(ctx, uow, completions))
        await orders_cancelled(ctx, uow, cancellations)
        for gathered in (completions, cancellations, completed_ids, cancelled_ids):
            gathered.clear()

    for outcome in outcomes:
        if isinstance(outcome, Completion):
            if outcome.order_id in cancelled_ids:
                await apply_gathered()
            completions.append(outcome)
            completed_ids.add(outcome.order_id)
        else:
            if outcome.order_id in completed_ids:
                await apply_gathered()
            cancellations.append(outcome)
            cancelled_ids.add(outcome.order_id)
    await apply_gathered()
    return scheduled

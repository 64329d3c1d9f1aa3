"""The due-work pass and the consumed facts, on fakes of the ports."""

from datetime import timedelta

from feedback_svc.domain.orders import Completion
from feedback_svc.service_layer import orders
from feedback_svc.service_layer.commands import CustomerProfile, OrderCancelled, OrderPlaced
from feedback_svc.service_layer.due_work import DueWorkPass, run_due


async def fact(service, handler, value):
    async with service.uow() as uow:
        result = await handler(service.ctx, uow, value)
        await uow.commit()
    return result


async def deliver(service, order_id="ord_1", *, customer_id="cus_1", placed=True, delivered_at=None, units=2):
    delivered_at = delivered_at or service.clock.now
    if placed:
        await fact(service, orders.order_placed, OrderPlaced(order_id, customer_id, delivered_at - timedelta(days=2)))
    return await fact(service, orders.fulfillment_completed, Completion(order_id, delivered_at, units, False))


async def test_a_survey_is_requested_once_when_it_falls_due(service):
    assert await deliver(service)
    assert await run_due(service.ctx, service.clock.now) == service.clock.now + timedelta(hours=1)
    assert service.events("survey.requested") == []
    now = service.clock.advance(hours=1)
    assert await run_due(service.ctx, now) is None
    await run_due(service.ctx, service.clock.advance(minutes=5))
    [requested] = service.events("survey.requested")
    assert (requested.order_id, requested.customer_id, requested.expires_at) == ("ord_1", "cus_1", now + timedelta(days=14))
    assert requested.survey_url.startswith("https://feedback.example.com/surveys/")
    assert ("surveys_requested", 1) in service.observer.seen


async def test_a_replayed_completion_schedules_no_second_survey(service):
    assert await deliver(service)
    assert not await deliver(service, placed=False)
    await run_due(service.ctx, service.clock.advance(hours=2))
    assert len(service.events("survey.requested")) == 1


async def test_a_survey_due_before_its_order_was_seen_waits_for_the_customer(service):
    await deliver(service, placed=False)
    await run_due(service.ctx, service.clock.advance(hours=2))
    assert service.events("survey.requested") == []
    await fact(service, orders.order_placed, OrderPlaced("ord_1", "cus_9", service.clock.now - timedelta(days=3)))
    await run_due(service.ctx, service.clock.now)
    assert [e.customer_id for e in service.events("survey.requested")] == ["cus_9"]


async def test_a_cancelled_order_gets_no_survey_and_nothing_delivered_none_either(service):
    await fact(service, orders.order_cancelled, OrderCancelled("ord_1", service.clock.now))
    assert not await deliver(service)
    assert not await fact(service, orders.fulfillment_completed, Completion("ord_2", None, 0, True))
    await run_due(service.ctx, service.clock.advance(hours=2))
    assert service.events() == []


async def test_a_survey_scheduled_then_its_order_cancelled_is_withdrawn(service):
    await deliver(service)
    await fact(service, orders.order_cancelled, OrderCancelled("ord_1", service.clock.now))
    await run_due(service.ctx, service.clock.advance(hours=2))
    assert service.events() == [] and next(iter(service.store.surveys.values())).status == "withdrawn"


async def test_outcomes_of_different_orders_go_together_and_those_of_one_order_keep_their_order(service):
    now = service.clock.now
    for order_id in ("ord_1", "ord_2", "ord_3", "ord_4"):
        await fact(service, orders.order_placed, OrderPlaced(order_id, "cus_1", now - timedelta(days=2)))
    outcomes = [
        Completion("ord_1", now, 2, False),
        OrderCancelled("ord_2", now),
        Completion("ord_3", now, 2, False),
        OrderCancelled("ord_1", now),  # after its completion: the survey is withdrawn
        Completion("ord_2", now, 2, False),  # after its cancellation: no survey
        OrderCancelled("ord_4", now),
    ]
    marked = []
    async with service.uow() as uow:
        book = uow.orders
        mark_all_cancelled = book.mark_all_cancelled

        async def recorded(cancelled):
            marked.append([order_id for order_id, _ in cancelled])
            await mark_all_cancelled(cancelled)

        book.mark_all_cancelled = recorded
        scheduled = await orders.order_outcomes(service.ctx, uow, outcomes)
        await uow.commit()
    assert [completion.order_id for completion in scheduled] == ["ord_1", "ord_3"]
    assert marked == [["ord_2"], ["ord_1", "ord_4"]]  # cut only where ord_1's cancellation followed its completion
    statuses = {survey.order_id: survey.status for survey in service.store.surveys.values()}
    assert statuses == {"ord_1": "withdrawn", "ord_3": "scheduled"}
    assert {order_id for order_id, row in service.store.orders.items() if row["cancelled"]} == {"ord_1", "ord_2", "ord_4"}


async def test_the_customers_locale_is_remembered_for_the_page(service):
    await fact(service, orders.customer_upserted, CustomerProfile("cus_1", "de-DE", service.clock.now))
    async with service.uow() as uow:
        assert await uow.orders.locale_of("cus_1") == "de-DE"


async def test_a_full_batch_asks_to_run_again_at_once(service):
    for n in range(service.ctx.policy.due_batch_size + 1):
        await deliver(service, f"ord_{n}")
    now = service.clock.advance(hours=1)
    assert await run_due(service.ctx, now) == now
    assert await run_due(service.ctx, now) is None
    assert len(service.events("survey.requested")) == service.ctx.policy.due_batch_size + 1


async def test_the_open_issues_gauge_is_refreshed_at_most_every_few_seconds(service):
    due_work = DueWorkPass(service.ctx, gauge_every=timedelta(seconds=5))
    for seconds in (0, 1, 4, 5, 6, 11):
        await due_work(service.clock.now + timedelta(seconds=seconds))
    assert len([seen for seen in service.observer.seen if seen[0] == "open_issues"]) == 3  # at 0, 5 and 11 s

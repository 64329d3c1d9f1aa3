"""Support's and customers' commands through the service layer, on fakes of the ports."""

from datetime import timedelta

import pytest
from feedback_svc.domain.errors import IssueNotFound, SurveyAlreadyAnswered, SurveyNotFound, UnknownOrder
from feedback_svc.domain.orders import Completion
from feedback_svc.domain.surveys import Answer
from feedback_svc.service_layer import issues, orders, surveys
from feedback_svc.service_layer.commands import AcknowledgeIssue, AnswerSurvey, OpenIssue, OrderPlaced, ResolveIssue
from feedback_svc.service_layer.due_work import run_due
from feedback_svc.service_layer.ports import IssueFilter
from feedback_svc.service_layer.runner import run_command, run_query


async def place(service, order_id="ord_1", customer_id="cus_1"):
    async with service.uow() as uow:
        await orders.order_placed(service.ctx, uow, OrderPlaced(order_id, customer_id, service.clock.now))
        await uow.commit()


async def open_issue(service, order_id="ord_1", *, hours_ago=0, category="damaged"):
    command = OpenIssue(order_id, category, "box crushed", "email", service.clock.now - timedelta(hours=hours_ago))
    return await run_command(service.ctx, lambda uow: issues.open_issue(service.ctx, uow, command))


async def test_an_issue_on_an_unknown_order_is_refused_naming_order_id_and_changes_nothing(service):
    with pytest.raises(UnknownOrder) as refused:
        await open_issue(service, "ord_nobody")
    assert refused.value.field == "order_id"
    assert service.store.issues == {} and service.events() == []


async def test_opening_an_issue_publishes_it_and_wakes_the_loop(service):
    await place(service)
    reply = await open_issue(service)
    assert reply.status_code == 201 and reply.body["breached"] == [] and reply.body["status"] == "open"
    assert [e.type for e in service.events()] == ["issue.opened.v1"]
    assert service.nudges


async def test_an_issue_opened_thirty_hours_ago_is_breached_at_once_and_only_once(service):
    await place(service)
    reply = await open_issue(service, hours_ago=30)
    assert reply.body["breached"] == ["ack"]
    assert [(e.type, getattr(e, "clock", None)) for e in service.events()] == [("issue.opened.v1", None), ("issue.sla_breached.v1", "ack")]
    await run_due(service.ctx, service.clock.advance(minutes=1))
    assert len(service.events("issue.sla_breached")) == 1
    page = await run_query(service.ctx, lambda uow: issues.issue_queue(service.ctx, uow, IssueFilter(breached=True), after=None, limit=10))
    assert [item["issue_id"] for item in page.items] == [reply.body["issue_id"]]


async def test_the_loop_breaches_the_resolve_clock_when_it_passes_and_acknowledging_stops_ack(service):
    await place(service)
    issue_id = (await open_issue(service)).body["issue_id"]
    ack = AcknowledgeIssue(issue_id, "support", service.clock.now + timedelta(hours=1))
    service.clock.advance(hours=1)
    reply = await run_command(service.ctx, lambda uow: issues.acknowledge(service.ctx, uow, ack))
    assert reply.body["status"] == "acknowledged" and reply.body["breached"] == []
    assert await run_due(service.ctx, service.clock.now) == service.clock.now + timedelta(hours=47)
    await run_due(service.ctx, service.clock.advance(hours=47, minutes=1))
    assert [e.clock for e in service.events("issue.sla_breached")] == ["resolve"]
    resolve = ResolveIssue(issue_id, "refunded", "support")
    reply = await run_command(service.ctx, lambda uow: issues.resolve(service.ctx, uow, resolve))
    assert reply.body["status"] == "resolved" and reply.body["breached"] == ["resolve"]
    assert len(service.events("issue.sla_breached")) == 1


async def test_acknowledging_an_unknown_issue_is_not_found(service):
    with pytest.raises(IssueNotFound):
        await run_command(service.ctx, lambda uow: issues.acknowledge(service.ctx, uow, AcknowledgeIssue("iss_x", "support")))


async def test_the_queue_pages_most_urgent_first(service):
    await place(service)
    ids = [(await open_issue(service, hours_ago=hours)).body["issue_id"] for hours in (1, 30, 5)]
    seen, after = [], None
    while True:
        page = await run_query(service.ctx, lambda uow, after=after: issues.issue_queue(service.ctx, uow, IssueFilter(), after=after, limit=2))
        seen += [item["issue_id"] for item in page.items]
        if page.last is None:
            break
        after = page.last
    assert seen == [ids[1], ids[2], ids[0]]


async def requested_survey_token(service):
    await place(service)
    async with service.uow() as uow:
        await orders.fulfillment_completed(service.ctx, uow, Completion("ord_1", service.clock.now, 1, False))
        await uow.commit()
    await run_due(service.ctx, service.clock.advance(hours=1))
    [requested] = service.events("survey.requested")
    return requested.survey_url.rsplit("/", 1)[1]


async def test_a_survey_is_answered_once_and_the_answer_published(service):
    token = await requested_survey_token(service)
    answer = AnswerSurvey(token, Answer.of(csat=4, comment="fine"))
    reply = await run_command(service.ctx, lambda uow: surveys.answer_survey(service.ctx, uow, answer))
    assert reply.status_code == 201 and reply.body["status"] == "answered"
    [received] = service.events("feedback.received")
    assert (received.csat, received.comment, received.customer_id) == (4, "fine", "cus_1")
    assert ("survey_answered", 4) in service.observer.seen
    with pytest.raises(SurveyAlreadyAnswered):
        await run_command(service.ctx, lambda uow: surveys.answer_survey(service.ctx, uow, answer))
    listed = await run_query(service.ctx, lambda uow: surveys.surveys_of_order(service.ctx, uow, "ord_1"))
    assert [(s["status"], s["survey_url"].endswith(token)) for s in listed] == [("answered", True)]


async def test_a_page_is_shown_only_for_a_survey_waiting_for_its_answer(service):
    token = await requested_survey_token(service)
    page = await run_query(service.ctx, lambda uow: surveys.survey_page(service.ctx, uow, token, "de"))
    assert (page.order_id, page.language) == ("ord_1", "de")
    with pytest.raises(SurveyNotFound):
        await run_query(service.ctx, lambda uow: surveys.survey_page(service.ctx, uow, token + "x", None))

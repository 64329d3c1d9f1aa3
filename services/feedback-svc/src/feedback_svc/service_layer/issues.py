"""Support's work: open an issue on an order, acknowledge it, resolve it, and the queue."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from feedback_svc.domain import issues as domain
from feedback_svc.domain.errors import IssueNotFound, UnknownOrder
from feedback_svc.domain.events import DomainEvent, IssueAcknowledged, IssueResolved, IssueSlaBreached
from feedback_svc.domain.issues import Issue
from feedback_svc.domain.values import event_time
from feedback_svc.service_layer.commands import AcknowledgeIssue, OpenIssue, ResolveIssue
from feedback_svc.service_layer.context import ServiceContext
from feedback_svc.service_layer.ports import FeedbackUnitOfWork, IssueFilter
from feedback_svc.service_layer.runner import Reply
from feedback_svc.service_layer.views import issue_view


@dataclass(frozen=True)
class IssuePage:
    items: list[dict[str, Any]]
    last: tuple[int, datetime, str] | None


def _effects(ctx: ServiceContext, events: list[DomainEvent], *extra: Callable[[], None]) -> tuple[Callable[[], None], ...]:
    """After commit: count breaches published here and wake the loop (a clock may now be due sooner)."""
    breaches = [event.clock for event in events if isinstance(event, IssueSlaBreached)]
    counted = tuple((lambda clock=clock: ctx.observer.breaches_published(clock, 1)) for clock in breaches)
    return (*extra, *counted, ctx.nudge)


async def open_issue(ctx: ServiceContext, uow: FeedbackUnitOfWork, command: OpenIssue) -> Reply:
    now = ctx.clock()
    order = await uow.orders.get(command.order_id)
    if order is None:
        raise UnknownOrder(f"no order {command.order_id!r} is known to feedback-svc", field="order_id")
    opened_at = event_time(command.occurred_at, now=now)
    issue, opened = domain.open_issue(
        issue_id=ctx.new_id("iss"),
        order=order,
        category=command.category,
        description=command.description,
        channel=command.channel,
        opened_at=opened_at,
        policy=ctx.policy.sla,
    )
    # opened long ago (an import, a late report): a clock already past due is breached now, once
    events: list[DomainEvent] = [opened, *issue.breach_due_clocks(now)]
    await uow.issues.add(issue)
    uow.record(events)
    category = issue.category
    return Reply(201, issue_view(issue, now), after_commit=_effects(ctx, events, lambda: ctx.observer.issue_opened(category)))


async def _locked(uow: FeedbackUnitOfWork, issue_id: str) -> Issue:
    issue = await uow.issues.get(issue_id, lock=True)
    if issue is None:
        raise IssueNotFound(f"no issue {issue_id!r}")
    return issue


async def acknowledge(ctx: ServiceContext, uow: FeedbackUnitOfWork, command: AcknowledgeIssue) -> Reply:
    now = ctx.clock()
    issue = await _locked(uow, command.issue_id)
    at = event_time(command.occurred_at, now=now)
    events = issue.acknowledge(at=at, by=command.by)
    events += issue.breach_due_clocks(now)
    return await _settle(ctx, uow, issue, events, now)


async def resolve(ctx: ServiceContext, uow: FeedbackUnitOfWork, command: ResolveIssue) -> Reply:
    now = ctx.clock()
    issue = await _locked(uow, command.issue_id)
    at = event_time(command.occurred_at, now=now)
    events = issue.resolve_with(command.resolution, at=at, by=command.by)
    events += issue.breach_due_clocks(now)
    return await _settle(ctx, uow, issue, events, now)


async def _settle(
    ctx: ServiceContext,
    uow: FeedbackUnitOfWork,
    issue: Issue,
    events: list[DomainEvent],
    now: datetime,
) -> Reply:
    if events:
        await uow.issues.save(issue)
        uow.record(events)
    observed: list[Callable[[], None]] = []
    if any(isinstance(event, IssueAcknowledged) for event in events) and issue.acknowledged_at is not None:
        took = issue.acknowledged_at - issue.opened_at
        observed.append(lambda: ctx.observer.issue_acknowledged(issue.category, took))
    if any(isinstance(event, IssueResolved) for event in events) and issue.resolved_at is not None:
        took_to_resolve = issue.resolved_at - issue.opened_at
        observed.append(lambda: ctx.observer.issue_resolved(issue.category, took_to_resolve))
    return Reply(200, issue_view(issue, now), after_commit=_effects(ctx, events, *observed))


async def issue_queue(
    ctx: ServiceContext,
    uow: FeedbackUnitOfWork,
    selection: IssueFilter,
    *,
    after: tuple[int, datetime, str] | None,
    limit: int,
) -> IssuePage:
    now = ctx.clock()
    found = await uow.issues.page(selection, now=now, after=after, limit=limit + 1)
    more = len(found) > limit
    items = found[:limit]
    last = None
    if more and items:
        rank, due = items[-1].urgency()
        last = (rank, due, items[-1].issue_id)
    return IssuePage([issue_view(issue, now) for issue in items], last)

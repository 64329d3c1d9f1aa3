"""The due-work pass: send surveys that fell due and announce SLA clocks that passed.

`run_due(now)` is what the shared `DueWorkLoop` runs. Each pass claims due rows with
`SELECT ... FOR UPDATE SKIP LOCKED` and, in one transaction, changes them and writes their
events to the outbox: a crash before the commit leaves them due (sent at the next start), a
crash after it leaves them done, and two replicas never claim the same row. So every survey
is requested once and every clock breached once, whatever restarts happen.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta

from feedback_svc.domain.events import DomainEvent, IssueSlaBreached
from feedback_svc.service_layer.context import ServiceContext


class DueWorkPass:
    """What the service's `DueWorkLoop` runs: `run_due`, refreshing the open-issues gauge at most
    every `gauge_every` (passes can follow each other quickly when commands keep nudging)."""

    def __init__(self, ctx: ServiceContext, *, gauge_every: timedelta = timedelta(seconds=5)) -> None:
        self._ctx = ctx
        self._gauge_every = gauge_every
        self._gauge_refreshed: datetime | None = None

    async def __call__(self, now: datetime) -> datetime | None:
        refresh = self._gauge_refreshed is None or now - self._gauge_refreshed >= self._gauge_every
        if refresh:
            self._gauge_refreshed = now
        return await run_due(self._ctx, now, refresh_gauge=refresh)


async def run_due(ctx: ServiceContext, now: datetime, *, refresh_gauge: bool = True) -> datetime | None:
    """Do what is due by `now` (wall-clock); return when to look next (None: nothing is waiting)."""
    limit = ctx.policy.due_batch_size
    async with ctx.unit_of_work() as uow:
        events: list[DomainEvent] = []
        due_surveys = await uow.surveys.claim_due(now, limit=limit)
        expires_at = now + ctx.policy.survey_valid_for
        for survey, customer_id in due_surveys:
            url = ctx.links.url(survey.survey_id, expires_at=expires_at)
            events.append(survey.request(customer_id=customer_id, survey_url=url, now=now, expires_at=expires_at))
            await uow.surveys.save(survey)
        due_issues = await uow.issues.claim_due(now, limit=limit)
        for issue in due_issues:
            events.extend(issue.breach_due_clocks(now))
            await uow.issues.save(issue)
        uow.record(events)
        await uow.commit()
    breaches = Counter(event.clock for event in events if isinstance(event, IssueSlaBreached))
    if due_surveys:
        ctx.observer.surveys_requested(len(due_surveys))
    for clock, count in breaches.items():
        ctx.observer.breaches_published(clock, count)
    if len(due_surveys) >= limit or len(due_issues) >= limit:
        return now  # a full batch: more may be due at once
    async with ctx.unit_of_work() as uow:
        if refresh_gauge:
            ctx.observer.open_issues(await uow.issues.clock_counts(now))
        upcoming = [due for due in (await uow.surveys.next_due(), await uow.issues.next_due()) if due is not None]
    return min(upcoming) if upcoming else None

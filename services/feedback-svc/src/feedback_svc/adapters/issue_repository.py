"""Issues and their two clocks in PostgreSQL: one row per issue, the queue order kept in columns."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import and_, case, func, literal, or_, select, tuple_, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from feedback_svc.adapters.tables import issues
from feedback_svc.domain.issues import ACK, BREACHED, RESOLVE, RESOLVED, RUNNING, Clock, Issue
from feedback_svc.service_layer.ports import ClockCounts, IssueFilter

c = issues.c


def _issue(row: Any) -> Issue:
    return Issue(
        issue_id=row.issue_id,
        order_id=row.order_id,
        customer_id=row.customer_id,
        category=row.category,
        description=row.description,
        channel=row.channel,
        opened_at=row.opened_at,
        ack=Clock(ACK, row.ack_due, row.ack_state, row.acknowledged_at),
        resolve=Clock(RESOLVE, row.resolve_due, row.resolve_state, row.resolved_at),
        status=row.status,
        acknowledged_by=row.acknowledged_by,
        resolution=row.resolution,
        resolved_by=row.resolved_by,
    )


def _changing(issue: Issue) -> dict[str, Any]:
    rank, due = issue.urgency()
    return {
        "status": issue.status,
        "ack_state": issue.ack.state,
        "acknowledged_at": issue.acknowledged_at,
        "acknowledged_by": issue.acknowledged_by,
        "resolve_state": issue.resolve.state,
        "resolved_at": issue.resolved_at,
        "resolved_by": issue.resolved_by,
        "resolution": issue.resolution,
        "urgency_rank": rank,
        "urgency_due": due,
    }


def _clock_passed(due, state, now: datetime):
    return or_(state == BREACHED, and_(state == RUNNING, due <= now))


class SqlIssueRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, issue: Issue) -> None:
        await self._session.execute(
            insert(issues).values(
                issue_id=issue.issue_id,
                order_id=issue.order_id,
                customer_id=issue.customer_id,
                category=issue.category,
                description=issue.description,
                channel=issue.channel,
                opened_at=issue.opened_at,
                ack_due=issue.ack.due,
                resolve_due=issue.resolve.due,
                **_changing(issue),
            )
        )

    async def get(self, issue_id: str, *, lock: bool = False) -> Issue | None:
        statement = select(issues).where(c.issue_id == issue_id)
        if lock:
            statement = statement.with_for_update()
        row = (await self._session.execute(statement)).first()
        return None if row is None else _issue(row)

    async def save(self, issue: Issue) -> None:
        await self._session.execute(update(issues).where(c.issue_id == issue.issue_id).values(**_changing(issue)))

    async def claim_due(self, now: datetime, *, limit: int) -> list[Issue]:
        statement = (
            select(issues)
            .where(or_(and_(c.ack_state == RUNNING, c.ack_due <= now), and_(c.resolve_state == RUNNING, c.resolve_due <= now)))
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        return [_issue(row) for row in (await self._session.execute(statement)).all()]

    async def next_due(self) -> datetime | None:
        next_ack = select(func.min(c.ack_due)).where(c.ack_state == RUNNING).scalar_subquery()
        next_resolve = select(func.min(c.resolve_due)).where(c.resolve_state == RUNNING).scalar_subquery()
        return await self._session.scalar(select(func.least(next_ack, next_resolve)))

    async def page(
        self, selection: IssueFilter, *, now: datetime, after: tuple[int, datetime, str] | None, limit: int
    ) -> list[Issue]:
        statement = select(issues)
        if selection.statuses:
            statement = statement.where(c.status.in_(selection.statuses))
        if selection.order_id is not None:
            statement = statement.where(c.order_id == selection.order_id)
        if selection.breached is not None:
            passed = or_(_clock_passed(c.ack_due, c.ack_state, now), _clock_passed(c.resolve_due, c.resolve_state, now))
            statement = statement.where(passed if selection.breached else ~passed)
        if after is not None:
            statement = statement.where(tuple_(c.urgency_rank, c.urgency_due, c.issue_id) > tuple_(*after))
        statement = statement.order_by(c.urgency_rank, c.urgency_due, c.issue_id).limit(limit)
        return [_issue(row) for row in (await self._session.execute(statement)).all()]

    async def clock_counts(self, now: datetime) -> ClockCounts:
        counts: dict[tuple[str, str], int] = {}
        for name, due, state in ((ACK, c.ack_due, c.ack_state), (RESOLVE, c.resolve_due, c.resolve_state)):
            as_of_now = case((and_(state == RUNNING, due <= now), literal(BREACHED)), else_=state)
            rows = await self._session.execute(
                select(as_of_now.label("state"), func.count().label("n")).where(c.status != RESOLVED).group_by(as_of_now)
            )
            counts.update({(name, row.state): row.n for row in rows})
        return ClockCounts(counts)

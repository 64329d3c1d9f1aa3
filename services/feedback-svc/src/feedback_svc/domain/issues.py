"""A customer issue and its two SLA clocks: acknowledge by `ack_due`, resolve by `resolve_due`.

A clock runs from the moment the issue was opened (event time) until support stops it. It ends
`met` when stopped by its due time and `breached` when its due time passed first; a breach is
announced exactly once (`issue.sla_breached`), either by the scheduler the moment the due time
passes or, for a late acknowledgement reported with an old `occurred_at`, by the stop itself.
A fact reported late but dated in time (a backfill) turns an announced breach back into `met`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from orderpulse.business_hours import SlaClock

from feedback_svc.domain.errors import InvalidTime, IssueAlreadyResolved, UnknownCategory
from feedback_svc.domain.events import DomainEvent, IssueAcknowledged, IssueOpened, IssueResolved, IssueSlaBreached
from feedback_svc.domain.orders import KnownOrder

CATEGORIES = ("late", "damaged", "wrong_item", "missing_item", "documentation", "billing", "communication", "other")
# kpis.md: these categories are claims that revise the perfect-order verdict inside the claim window
CLAIM_CATEGORIES = frozenset({"damaged", "documentation", "billing"})

OPEN = "open"
ACKNOWLEDGED = "acknowledged"
RESOLVED = "resolved"
STATUSES = (OPEN, ACKNOWLEDGED, RESOLVED)

RUNNING = "running"
MET = "met"
BREACHED = "breached"
ACK = "ack"
RESOLVE = "resolve"
CLOCKS = (ACK, RESOLVE)


@dataclass(frozen=True)
class SlaPolicy:
    """How long support has, counted by `clock` (calendar hours, or business hours when configured)."""

    ack_within: timedelta = timedelta(hours=24)
    resolve_within: timedelta = timedelta(hours=48)
    clock: SlaClock = field(default_factory=SlaClock)

    def dues(self, opened_at: datetime) -> tuple[datetime, datetime]:
        return self.clock.due(opened_at, self.ack_within), self.clock.due(opened_at, self.resolve_within)


@dataclass
class Clock:
    name: str
    due: datetime
    state: str = RUNNING
    stopped_at: datetime | None = None

    def has_passed(self, now: datetime) -> bool:
        """Breached already, or still running past its due time (the scheduler may not have run yet)."""
        return self.state == BREACHED or (self.state == RUNNING and self.due <= now)

    def stop(self, at: datetime, issue: Issue) -> list[DomainEvent]:
        """Support acted at `at` (event time). In time: the clock is met — even one the scheduler
        already announced as breached, when the fact arrives late (an import): the state follows
        event time, while the announcement, once made, is never repeated."""
        self.stopped_at = at
        if at <= self.due:
            self.state = MET
            return []
        if self.state == RUNNING:
            return [self.breach(issue)]
        return []

    def breach(self, issue: Issue) -> IssueSlaBreached:
        self.state = BREACHED
        return IssueSlaBreached(occurred_at=self.due, issue_id=issue.issue_id, order_id=issue.order_id, clock=self.name, due=self.due)


@dataclass
class Issue:
    issue_id: str
    order_id: str
    customer_id: str
    category: str
    description: str
    channel: str
    opened_at: datetime
    ack: Clock
    resolve: Clock
    status: str = OPEN
    acknowledged_by: str | None = None
    resolution: str | None = None
    resolved_by: str | None = None

    @property
    def clocks(self) -> tuple[Clock, Clock]:
        return self.ack, self.resolve

    @property
    def acknowledged_at(self) -> datetime | None:
        return self.ack.stopped_at

    @property
    def resolved_at(self) -> datetime | None:
        return self.resolve.stopped_at

    def breached(self, now: datetime) -> list[str]:
        return [clock.name for clock in self.clocks if clock.has_passed(now)]

    def acknowledge(self, *, at: datetime, by: str) -> list[DomainEvent]:
        """Support saw it. Acknowledging again changes nothing; a resolved issue is closed."""
        if self.status == RESOLVED:
            raise IssueAlreadyResolved("the issue is resolved; there is nothing left to acknowledge")
        if self.status == ACKNOWLEDGED:
            return []
        if at < self.opened_at:
            raise InvalidTime("occurred_at is before the issue was opened", field="occurred_at")
        self.status = ACKNOWLEDGED
        self.acknowledged_by = by
        events: list[DomainEvent] = [IssueAcknowledged(occurred_at=at, issue_id=self.issue_id, order_id=self.order_id, by=by)]
        return events + self.ack.stop(at, self)

    def resolve_with(self, resolution: str, *, at: datetime, by: str) -> list[DomainEvent]:
        """Close the issue. Resolving an unacknowledged issue acknowledges it at the same moment
        (support answered the customer); resolving again with the same words changes nothing."""
        if self.status == RESOLVED:
            if resolution == self.resolution:
                return []
            raise IssueAlreadyResolved("the issue was already resolved with another resolution")
        events = self.acknowledge(at=at, by=by) if self.status == OPEN else []
        if self.acknowledged_at is not None and at < self.acknowledged_at:
            raise InvalidTime("occurred_at is before the issue was acknowledged", field="occurred_at")
        self.status = RESOLVED
        self.resolution = resolution
        self.resolved_by = by
        events.append(IssueResolved(occurred_at=at, issue_id=self.issue_id, order_id=self.order_id, resolution=resolution, by=by))
        return events + self.resolve.stop(at, self)

    def breach_due_clocks(self, now: datetime) -> list[IssueSlaBreached]:
        """The scheduler's part: every clock still running at or past its due time is breached, once."""
        return [clock.breach(self) for clock in self.clocks if clock.state == RUNNING and clock.due <= now]

    def next_due(self) -> datetime | None:
        running = [clock.due for clock in self.clocks if clock.state == RUNNING]
        return min(running) if running else None

    def urgency(self) -> tuple[int, datetime]:
        """Queue order: unresolved issues by their next deadline (breached ones are oldest, so
        first), then resolved ones."""
        if self.status == OPEN:
            return 0, self.ack.due
        if self.status == ACKNOWLEDGED:
            return 0, self.resolve.due
        return 1, self.resolve.due


def open_issue(
    *,
    issue_id: str,
    order: KnownOrder,
    category: str,
    description: str,
    channel: str,
    opened_at: datetime,
    policy: SlaPolicy,
) -> tuple[Issue, IssueOpened]:
    if category not in CATEGORIES:
        raise UnknownCategory(f"category must be one of {', '.join(CATEGORIES)}; got {category!r}", field="category")
    ack_due, resolve_due = policy.dues(opened_at)
    issue = Issue(
        issue_id=issue_id,
        order_id=order.order_id,
        customer_id=order.customer_id,
        category=category,
        description=description,
        channel=channel,
        opened_at=opened_at,
        ack=Clock(ACK, ack_due),
        resolve=Clock(RESOLVE, resolve_due),
    )
    event = IssueOpened(
        occurred_at=opened_at,
        issue_id=issue_id,
        order_id=order.order_id,
        customer_id=order.customer_id,
        category=category,
        ack_due=ack_due,
        resolve_due=resolve_due,
    )
    return issue, event

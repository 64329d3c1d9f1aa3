"""Fakes of feedback-svc's ports (in memory) and a service context on a settable clock.

Exposed as fixtures so no test imports another test module. The fakes keep the behaviour the
service layer relies on: one survey per order, claims only of due rows, copies on read (so a
handler that forgets to `save` is caught).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest
from feedback_svc.domain.events import DomainEvent
from feedback_svc.domain.issues import BREACHED, RESOLVED, RUNNING, Issue
from feedback_svc.domain.orders import KnownOrder
from feedback_svc.domain.survey_links import SurveyLinks
from feedback_svc.domain.surveys import SCHEDULED, Survey
from feedback_svc.service_layer.context import Policy, ServiceContext
from feedback_svc.service_layer.observer import Observer
from feedback_svc.service_layer.ports import ClockCounts, IssueFilter, StoredReply

T0 = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
SECRET = "unit-test-survey-secret-0123456789"


@dataclass
class Store:
    """What the fake database holds across units of work."""

    orders: dict[str, dict] = field(default_factory=dict)
    locales: dict[str, str] = field(default_factory=dict)
    surveys: dict[str, Survey] = field(default_factory=dict)
    issues: dict[str, Issue] = field(default_factory=dict)
    outbox: list[DomainEvent] = field(default_factory=list)


class FakeOrderBook:
    def __init__(self, store: Store) -> None:
        self._store = store

    async def remember_placed(self, order_id, customer_id, placed_at):
        row = self._store.orders.setdefault(order_id, {"customer_id": None, "cancelled": False})
        if row["customer_id"] is None:
            row["customer_id"] = customer_id

    async def remember_all_placed(self, placed):
        for order_id, customer_id, placed_at in placed:
            await self.remember_placed(order_id, customer_id, placed_at)

    async def mark_cancelled(self, order_id, cancelled_at):
        self._store.orders.setdefault(order_id, {"customer_id": None, "cancelled": False})["cancelled"] = True

    async def mark_all_cancelled(self, cancelled):
        for order_id, cancelled_at in cancelled:
            await self.mark_cancelled(order_id, cancelled_at)

    async def get(self, order_id):
        row = self._store.orders.get(order_id)
        if row is None or row["customer_id"] is None:
            return None
        return KnownOrder(order_id, row["customer_id"], row["cancelled"])

    async def is_cancelled(self, order_id):
        return self._store.orders.get(order_id, {}).get("cancelled", False)

    async def cancelled_among(self, order_ids):
        return {order_id for order_id in order_ids if await self.is_cancelled(order_id)}

    async def remember_locale(self, customer_id, locale, updated_at):
        self._store.locales[customer_id] = locale

    async def remember_locales(self, profiles):
        for customer_id, locale, updated_at in profiles:
            await self.remember_locale(customer_id, locale, updated_at)

    async def locale_of(self, customer_id):
        return self._store.locales.get(customer_id)


class FakeSurveys:
    def __init__(self, store: Store) -> None:
        self._store = store

    async def add_if_new(self, survey):
        if any(s.order_id == survey.order_id for s in self._store.surveys.values()):
            return False
        self._store.surveys[survey.survey_id] = copy.deepcopy(survey)
        return True

    async def add_all_if_new(self, added):
        return {survey.survey_id for survey in added if await self.add_if_new(survey)}

    async def get(self, survey_id, *, lock=False):
        return copy.deepcopy(self._store.surveys.get(survey_id))

    async def get_by_order(self, order_id, *, lock=False):
        found = [s for s in self._store.surveys.values() if s.order_id == order_id]
        return copy.deepcopy(found[0]) if found else None

    async def of_orders(self, order_ids, *, lock=False):
        wanted = set(order_ids)
        return [copy.deepcopy(s) for s in self._store.surveys.values() if s.order_id in wanted]

    async def save(self, survey):
        self._store.surveys[survey.survey_id] = copy.deepcopy(survey)

    def _sendable(self):
        for survey in self._store.surveys.values():
            order = self._store.orders.get(survey.order_id)
            if survey.status == SCHEDULED and order and order["customer_id"] and not order["cancelled"]:
                yield survey, order["customer_id"]

    async def claim_due(self, now, *, limit):
        due = sorted((s for s in self._sendable() if s[0].due_at <= now), key=lambda s: s[0].due_at)
        return [(copy.deepcopy(survey), customer) for survey, customer in due[:limit]]

    async def next_due(self):
        return min((survey.due_at for survey, _ in self._sendable()), default=None)


class FakeIssues:
    def __init__(self, store: Store) -> None:
        self._store = store

    async def add(self, issue):
        self._store.issues[issue.issue_id] = copy.deepcopy(issue)

    async def get(self, issue_id, *, lock=False):
        return copy.deepcopy(self._store.issues.get(issue_id))

    async def save(self, issue):
        self._store.issues[issue.issue_id] = copy.deepcopy(issue)

    async def claim_due(self, now, *, limit):
        due = [i for i in self._store.issues.values() if any(c.state == RUNNING and c.due <= now for c in i.clocks)]
        return [copy.deepcopy(issue) for issue in due[:limit]]

    async def next_due(self):
        return min((c.due for i in self._store.issues.values() for c in i.clocks if c.state == RUNNING), default=None)

    async def page(self, selection: IssueFilter, *, now, after, limit):
        chosen = [
            issue
            for issue in self._store.issues.values()
            if (not selection.statuses or issue.status in selection.statuses)
            and (selection.order_id is None or issue.order_id == selection.order_id)
            and (selection.breached is None or bool(issue.breached(now)) == selection.breached)
        ]
        ordered = sorted(chosen, key=lambda i: (*i.urgency(), i.issue_id))
        if after is not None:
            ordered = [i for i in ordered if (*i.urgency(), i.issue_id) > after]
        return [copy.deepcopy(issue) for issue in ordered[:limit]]

    async def clock_counts(self, now):
        counts: dict[tuple[str, str], int] = {}
        for issue in self._store.issues.values():
            if issue.status == RESOLVED:
                continue
            for clock in issue.clocks:
                state = BREACHED if clock.has_passed(now) else clock.state
                counts[(clock.name, state)] = counts.get((clock.name, state), 0) + 1
        return ClockCounts(counts)


class FakeIdempotency:
    def __init__(self) -> None:
        self.replies: dict[tuple[str, str], StoredReply] = {}

    async def claim(self, principal, key, fingerprint):
        return self.replies.get((principal, key))

    async def save(self, principal, key, status_code, body):
        self.replies[(principal, key)] = StoredReply(status_code, body)


class FakeUnitOfWork:
    """Stages changes on a copy of the store; `commit()` makes them (and the events) visible."""

    def __init__(self, store: Store, idempotency: FakeIdempotency) -> None:
        self._store = store
        self.idempotency = idempotency
        self.committed = False

    async def __aenter__(self):
        self._draft = copy.deepcopy(self._store)
        self._events: list[DomainEvent] = []
        self.orders = FakeOrderBook(self._draft)
        self.surveys = FakeSurveys(self._draft)
        self.issues = FakeIssues(self._draft)
        return self

    async def __aexit__(self, *exc):
        return None

    def record(self, events):
        self._events.extend(events)

    async def commit(self):
        self._draft.outbox.extend(self._events)
        self._events = []
        for name in ("orders", "locales", "surveys", "issues", "outbox"):
            setattr(self._store, name, getattr(self._draft, name))
        self._draft = copy.deepcopy(self._store)
        self.orders, self.surveys, self.issues = FakeOrderBook(self._draft), FakeSurveys(self._draft), FakeIssues(self._draft)
        self.committed = True


class RecordingObserver(Observer):
    def __init__(self) -> None:
        self.seen: list[tuple] = []

    def surveys_requested(self, count):
        self.seen.append(("surveys_requested", count))

    def survey_answered(self, csat):
        self.seen.append(("survey_answered", csat))

    def breaches_published(self, clock, count):
        self.seen.append(("breach", clock, count))

    def issue_acknowledged(self, category, after):
        self.seen.append(("acknowledged", category, after))

    def open_issues(self, counts):
        self.seen.append(("open_issues", dict(counts.counts)))


class Clock:
    def __init__(self, now: datetime = T0) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta) -> datetime:
        self.now += timedelta(**delta)
        return self.now


@dataclass
class Service:
    ctx: ServiceContext
    store: Store
    clock: Clock
    observer: RecordingObserver
    nudges: list[int]

    def uow(self) -> FakeUnitOfWork:
        return self.ctx.unit_of_work()

    def events(self, type_suffix: str | None = None) -> list[DomainEvent]:
        return [e for e in self.store.outbox if type_suffix is None or e.type.startswith(type_suffix)]


@pytest.fixture
def service() -> Service:
    store, clock, observer, nudges = Store(), Clock(), RecordingObserver(), []
    idempotency = FakeIdempotency()
    counter = iter(range(1, 1_000_000))
    ctx = ServiceContext(
        unit_of_work=lambda: FakeUnitOfWork(store, idempotency),
        links=SurveyLinks(SECRET, public_url="https://feedback.example.com/"),
        policy=Policy(survey_delay=timedelta(hours=1), survey_valid_for=timedelta(days=14), due_batch_size=50),
        clock=clock,
        new_id=lambda prefix: f"{prefix}_{next(counter)}",
        nudge=lambda: nudges.append(1),
        observer=observer,
    )
    return Service(ctx, store, clock, observer, nudges)

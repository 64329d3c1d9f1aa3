"""What the handlers need from storage, as protocols: `adapters/` implements them over PostgreSQL.

`TransientConflict`, `StoredReply` and `IdempotencyKeys` are the shared command runner's
(`orderpulse.commands`), re-exported here.

Locking contract: an issue or survey is changed only while its row is locked (`lock=True`), and
the scheduler claims due rows with `SKIP LOCKED`, so it never waits for a request and two
replicas never claim the same row.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from orderpulse.commands import IdempotencyKeys, StoredReply, TransientConflict

from feedback_svc.domain.events import DomainEvent
from feedback_svc.domain.issues import Issue
from feedback_svc.domain.orders import KnownOrder
from feedback_svc.domain.surveys import Survey


@dataclass(frozen=True)
class IssueFilter:
    statuses: tuple[str, ...] = ()
    breached: bool | None = None
    order_id: str | None = None


@dataclass(frozen=True)
class ClockCounts:
    """Unresolved issues per (clock, state) — the `issues open by clock state` gauge."""

    counts: dict[tuple[str, str], int]


__all__ = [
    "ClockCounts", "FeedbackUnitOfWork", "IdempotencyKeys", "IssueFilter", "IssueRepository", "Nudge", "OrderBook",
    "StoredReply", "SurveyRepository", "TransientConflict",
]


class OrderBook(Protocol):
    async def remember_placed(self, order_id: str, customer_id: str, placed_at: datetime) -> None:
        """Idempotent: the first `order.placed` names the customer."""

    async def remember_all_placed(self, placed: Sequence[tuple[str, str, datetime]]) -> None:
        """`remember_placed` of each (order_id, customer_id, placed_at), in order, in one go."""

    async def mark_cancelled(self, order_id: str, cancelled_at: datetime) -> None:
        """Remembered even before `order.placed` arrives (topics are not ordered)."""

    async def mark_all_cancelled(self, cancelled: Sequence[tuple[str, datetime]]) -> None:
        """`mark_cancelled` of each (order_id, cancelled_at), in order, in one go."""

    async def get(self, order_id: str) -> KnownOrder | None: ...

    async def is_cancelled(self, order_id: str) -> bool: ...

    async def cancelled_among(self, order_ids: Iterable[str]) -> set[str]:
        """Those of `order_ids` known to be cancelled."""

    async def remember_locale(self, customer_id: str, locale: str, updated_at: datetime) -> None:
        """The newest profile by event time wins."""

    async def remember_locales(self, profiles: Sequence[tuple[str, str, datetime]]) -> None:
        """`remember_locale` of each (customer_id, locale, updated_at), in order, in one go."""

    async def locale_of(self, customer_id: str) -> str | None: ...


class SurveyRepository(Protocol):
    async def add_if_new(self, survey: Survey) -> bool:
        """False when the order already has a survey (one per order, whatever replays happen)."""

    async def add_all_if_new(self, added: Sequence[Survey]) -> set[str]:
        """`add_if_new` for each, in order; the ids of those added."""

    async def get(self, survey_id: str, *, lock: bool = False) -> Survey | None: ...

    async def get_by_order(self, order_id: str, *, lock: bool = False) -> Survey | None: ...

    async def of_orders(self, order_ids: Iterable[str], *, lock: bool = False) -> list[Survey]:
        """The surveys of these orders (one read); `lock`: locked, in order-id order."""

    async def save(self, survey: Survey) -> None: ...

    async def claim_due(self, now: datetime, *, limit: int) -> list[tuple[Survey, str]]:
        """Scheduled surveys due by `now` whose order is known and not cancelled, with the
        order's customer id; locked, skipping rows another transaction holds."""

    async def next_due(self) -> datetime | None:
        """The earliest due time of a scheduled survey whose order is known (None: nothing waits)."""


class IssueRepository(Protocol):
    async def add(self, issue: Issue) -> None: ...

    async def get(self, issue_id: str, *, lock: bool = False) -> Issue | None: ...

    async def save(self, issue: Issue) -> None: ...

    async def claim_due(self, now: datetime, *, limit: int) -> list[Issue]:
        """Issues with a running clock due by `now`; locked, skipping rows others hold."""

    async def next_due(self) -> datetime | None:
        """The earliest due time of a running clock."""

    async def page(
        self, selection: IssueFilter, *, now: datetime, after: tuple[int, datetime, str] | None, limit: int
    ) -> list[Issue]:
        """Most urgent first: unresolved by next deadline, then resolved; ties by id."""

    async def clock_counts(self, now: datetime) -> ClockCounts: ...


class FeedbackUnitOfWork(Protocol):
    orders: OrderBook
    surveys: SurveyRepository
    issues: IssueRepository
    idempotency: IdempotencyKeys

    async def __aenter__(self) -> FeedbackUnitOfWork: ...

    async def __aexit__(self, *exc: Any) -> None: ...

    def record(self, events: Iterable[DomainEvent]) -> None:
        """Stage events for the outbox (validated against the catalog)."""

    async def commit(self) -> None: ...


class Nudge(Protocol):
    def __call__(self) -> None:
        """Wake the due-work loop: a transaction just added or moved a timer."""

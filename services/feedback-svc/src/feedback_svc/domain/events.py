"""Domain events of feedback-svc: the `orderpulse.feedback` topic of events.md.

Each event is an immutable value. `type` is the catalog type (the envelope adds the
`orderpulse.` prefix), `occurred_at` is event time (the envelope's `time`), the key is the
order id, and `to_data()` is the envelope's `data` with exactly the catalog's field names.
Optional fields that are not known are left out rather than sent as null.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any, ClassVar

from feedback_svc.domain.values import format_time


@dataclass(frozen=True)
class DomainEvent:
    type: ClassVar[str]
    optional_fields: ClassVar[frozenset[str]] = frozenset()

    occurred_at: datetime

    @property
    def key(self) -> str:
        return self.order_id  # type: ignore[attr-defined]  # every feedback event names its order

    def to_data(self) -> dict[str, Any]:
        data: dict[str, Any] = {}
        for spec in fields(self):
            if spec.name == "occurred_at":
                continue
            value = getattr(self, spec.name)
            if value is None and spec.name in self.optional_fields:
                continue
            data[spec.name] = format_time(value) if isinstance(value, datetime) else value
        return data


@dataclass(frozen=True)
class SurveyRequested(DomainEvent):
    type: ClassVar[str] = "survey.requested.v1"

    survey_id: str
    order_id: str
    customer_id: str
    survey_url: str
    expires_at: datetime


@dataclass(frozen=True)
class FeedbackReceived(DomainEvent):
    type: ClassVar[str] = "feedback.received.v1"
    optional_fields: ClassVar[frozenset[str]] = frozenset({"nps", "aspects", "comment"})

    survey_id: str
    order_id: str
    customer_id: str
    csat: int
    nps: int | None = None
    aspects: dict[str, int] | None = None
    comment: str | None = None


@dataclass(frozen=True)
class IssueOpened(DomainEvent):
    type: ClassVar[str] = "issue.opened.v1"

    issue_id: str
    order_id: str
    customer_id: str
    category: str
    ack_due: datetime
    resolve_due: datetime


@dataclass(frozen=True)
class IssueAcknowledged(DomainEvent):
    type: ClassVar[str] = "issue.acknowledged.v1"

    issue_id: str
    order_id: str
    by: str


@dataclass(frozen=True)
class IssueResolved(DomainEvent):
    type: ClassVar[str] = "issue.resolved.v1"

    issue_id: str
    order_id: str
    resolution: str
    by: str


@dataclass(frozen=True)
class IssueSlaBreached(DomainEvent):
    type: ClassVar[str] = "issue.sla_breached.v1"

    issue_id: str
    order_id: str
    clock: str
    due: datetime

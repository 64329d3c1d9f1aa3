"""Commands (from HTTP callers) and facts (from consumed events) the handlers take: plain values."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from feedback_svc.domain.surveys import Answer


@dataclass(frozen=True)
class OpenIssue:
    order_id: str
    category: str
    description: str
    channel: str
    occurred_at: datetime | None = None


@dataclass(frozen=True)
class AcknowledgeIssue:
    issue_id: str
    by: str
    occurred_at: datetime | None = None


@dataclass(frozen=True)
class ResolveIssue:
    issue_id: str
    resolution: str
    by: str
    occurred_at: datetime | None = None


@dataclass(frozen=True)
class AnswerSurvey:
    token: str
    answer: Answer
    occurred_at: datetime | None = None


@dataclass(frozen=True)
class OrderPlaced:
    order_id: str
    customer_id: str
    placed_at: datetime


@dataclass(frozen=True)
class OrderCancelled:
    order_id: str
    cancelled_at: datetime


@dataclass(frozen=True)
class CustomerProfile:
    customer_id: str
    locale: str
    updated_at: datetime

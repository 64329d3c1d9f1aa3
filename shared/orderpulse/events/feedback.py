"""Event payloads of the `orderpulse.feedback` topic, published by feedback-svc.

Surveys, ratings, issues and their SLA clocks (key: order id).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Literal

from pydantic import AwareDatetime, Field

from .common import Aspects, EventData, Id


class SurveyRequested(EventData):
    """A survey was sent to the customer; it can be answered until `expires_at`."""

    survey_id: Id
    order_id: Id
    customer_id: Id
    survey_url: str
    expires_at: AwareDatetime


class FeedbackReceived(EventData):
    """The customer answered a survey."""

    survey_id: Id
    order_id: Id
    customer_id: Id
    csat: Annotated[int, Field(ge=1, le=5)]
    nps: Annotated[int, Field(ge=0, le=10)] | None = None
    aspects: Aspects | None = None
    comment: str | None = None


class IssueOpened(EventData):
    """The customer raised an issue; both SLA clocks start."""

    issue_id: Id
    order_id: Id
    customer_id: Id
    category: Literal[
        "late",
        "damaged",
        "wrong_item",
        "missing_item",
        "documentation",
        "billing",
        "communication",
        "other",
    ]
    ack_due: AwareDatetime
    resolve_due: AwareDatetime


class IssueAcknowledged(EventData):
    """Support acknowledged the issue."""

    issue_id: Id
    order_id: Id
    by: str


class IssueResolved(EventData):
    """Support resolved the issue."""

    issue_id: Id
    order_id: Id
    resolution: str
    by: str


class IssueSlaBreached(EventData):
    """An issue's acknowledge or resolve clock passed `due` unanswered."""

    issue_id: Id
    order_id: Id
    clock: Literal["ack", "resolve"]
    due: AwareDatetime


EVENTS: Mapping[str, type[EventData]] = {
    "survey.requested.v1": SurveyRequested,
    "feedback.received.v1": FeedbackReceived,
    "issue.opened.v1": IssueOpened,
    "issue.acknowledged.v1": IssueAcknowledged,
    "issue.resolved.v1": IssueResolved,
    "issue.sla_breached.v1": IssueSlaBreached,
}

"""Request bodies and responses of the JSON API (pydantic): shapes, types and limits.

A request that breaks these rules is answered 422 problem+json naming the field, and changes
nothing. Business rules (clocks, one answer per survey) stay in the domain.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field, StrictInt, StringConstraints

from feedback_svc.domain.surveys import MAX_COMMENT_CHARS

ID_PATTERN = r"^[^\x00-\x1f\x7f]*[^\s\x00-\x1f\x7f][^\x00-\x1f\x7f]*$"
TEXT_PATTERN = r"^[^\x00]*[^\s\x00][^\x00]*$"
FREE_TEXT_PATTERN = r"^[^\x00]*$"

Id = Annotated[str, StringConstraints(min_length=1, max_length=200, pattern=ID_PATTERN)]
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(2100, 1, 1, tzinfo=UTC)


def _plausible(moment: datetime) -> datetime:
    if not EARLIEST <= moment <= LATEST:
        raise ValueError("must be between 1970 and 2100")
    return moment


OccurredAt = Annotated[
    AwareDatetime | None,
    AfterValidator(lambda moment: moment if moment is None else _plausible(moment)),
    Field(description="event time, RFC 3339 with offset; defaults to now, at most 5 minutes ahead"),
]
Category = Literal["late", "damaged", "wrong_item", "missing_item", "documentation", "billing", "communication", "other"]
Rating = Annotated[StrictInt, Field(ge=1, le=5)]


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class OpenIssueRequest(Body):
    order_id: Id
    category: Category
    description: Annotated[str, StringConstraints(min_length=1, max_length=4000, pattern=TEXT_PATTERN)]
    channel: Annotated[
        str, StringConstraints(min_length=1, max_length=64, pattern=ID_PATTERN), Field(description="where the customer raised it, e.g. email, phone, chat")
    ]
    occurred_at: OccurredAt = None


class AcknowledgeRequest(Body):
    occurred_at: OccurredAt = None


class ResolveRequest(Body):
    resolution: Annotated[str, StringConstraints(min_length=1, max_length=4000, pattern=TEXT_PATTERN)]
    occurred_at: OccurredAt = None


class AspectsIn(Body):
    accuracy: Rating | None = None
    timeliness: Rating | None = None
    communication: Rating | None = None


class SurveyAnswerRequest(Body):
    csat: Annotated[StrictInt, Field(ge=1, le=5, description="1 (very dissatisfied) to 5 (very satisfied)")]
    nps: Annotated[StrictInt, Field(ge=0, le=10, description="how likely to recommend, 0 to 10")] | None = None
    aspects: AspectsIn | None = None
    comment: Annotated[str, StringConstraints(max_length=MAX_COMMENT_CHARS, pattern=FREE_TEXT_PATTERN)] | None = None
    occurred_at: OccurredAt = Field(default=None, description="trusted importers only (a support key): when the answer was given")


class IssueOut(BaseModel):
    issue_id: str
    order_id: str
    customer_id: str
    category: str
    description: str
    channel: str
    status: Literal["open", "acknowledged", "resolved"]
    opened_at: str
    ack_due: str
    resolve_due: str
    breached: list[Literal["ack", "resolve"]]
    acknowledged_at: str | None = None
    resolved_at: str | None = None
    resolution: str | None = None


class IssuePage(BaseModel):
    items: list[IssueOut]
    next_cursor: str | None = None


class SurveyOut(BaseModel):
    survey_id: str
    order_id: str
    status: Literal["requested", "answered", "expired"]
    survey_url: str | None
    expires_at: str | None
    requested_at: str | None = None
    answered_at: str | None = None


class SurveyList(BaseModel):
    items: list[SurveyOut]

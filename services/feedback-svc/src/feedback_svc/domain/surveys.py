"""A post-delivery survey: scheduled when the order is delivered, requested when it falls due,
answered once, and expired some time after it was requested."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from feedback_svc.domain.errors import (
    CommentTooLong,
    InvalidRating,
    InvalidTime,
    SurveyAlreadyAnswered,
    SurveyExpired,
    SurveyNotFound,
)
from feedback_svc.domain.events import FeedbackReceived, SurveyRequested

SCHEDULED = "scheduled"  # waiting for its due time (or for order.placed to name the customer)
REQUESTED = "requested"  # the link is out
ANSWERED = "answered"
WITHDRAWN = "withdrawn"  # the order was cancelled before the survey went out

ASPECTS = ("accuracy", "timeliness", "communication")
MAX_COMMENT_CHARS = 2000


def _rating(value: Any, *, field: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise InvalidRating(f"{field} must be a whole number from {low} to {high}, got {value!r}", field=field)
    return value


@dataclass(frozen=True)
class Answer:
    """A customer's answer: csat 1–5, and optionally nps 0–10, aspect ratings 1–5 and a comment."""

    csat: int
    nps: int | None = None
    aspects: dict[str, int] | None = None
    comment: str | None = None

    @classmethod
    def of(cls, csat: Any, nps: Any = None, aspects: Any = None, comment: Any = None) -> Answer:
        checked_aspects: dict[str, int] | None = None
        if aspects is not None:
            if not isinstance(aspects, dict) or set(aspects) - set(ASPECTS):
                raise InvalidRating(f"aspects may hold only {', '.join(ASPECTS)}", field="aspects")
            checked_aspects = {
                name: _rating(aspects[name], field=f"aspects.{name}", low=1, high=5)
                for name in ASPECTS
                if aspects.get(name) is not None
            } or None
        if comment is not None:
            if not isinstance(comment, str):
                raise InvalidRating("comment must be text", field="comment")
            if len(comment) > MAX_COMMENT_CHARS:
                raise CommentTooLong(
                    f"comment is {len(comment)} characters long; at most {MAX_COMMENT_CHARS} are kept", field="comment"
                )
            comment = comment.strip() or None
        return cls(
            csat=_rating(csat, field="csat", low=1, high=5),
            nps=None if nps is None else _rating(nps, field="nps", low=0, high=10),
            aspects=checked_aspects,
            comment=comment,
        )


@dataclass
class Survey:
    survey_id: str
    order_id: str
    delivered_at: datetime
    due_at: datetime
    status: str = SCHEDULED
    customer_id: str | None = None
    survey_url: str | None = None
    requested_at: datetime | None = None
    expires_at: datetime | None = None
    answered_at: datetime | None = None

    def request(self, *, customer_id: str, survey_url: str, now: datetime, expires_at: datetime) -> SurveyRequested:
        """Send the link out. Its event time is the due time (event time everywhere: a backfilled
        delivery's survey is dated in the past), while the link expires some time after the
        wall-clock moment `now` it is sent, so even a survey of an old delivery can be answered."""
        if self.status != SCHEDULED:
            raise ValueError(f"survey {self.survey_id} is {self.status}: only a scheduled survey is sent")
        self.status = REQUESTED
        self.customer_id = customer_id
        self.survey_url = survey_url
        self.requested_at = now
        self.expires_at = expires_at
        return SurveyRequested(
            occurred_at=self.due_at,
            survey_id=self.survey_id,
            order_id=self.order_id,
            customer_id=customer_id,
            survey_url=survey_url,
            expires_at=self.expires_at,
        )

    def withdraw(self) -> bool:
        """The order was cancelled: a survey not yet sent is never sent."""
        if self.status != SCHEDULED:
            return False
        self.status = WITHDRAWN
        return True

    def public_status(self, now: datetime) -> str:
        """What support sees: requested, answered or expired."""
        if self.status == REQUESTED and self.expires_at is not None and now >= self.expires_at:
            return "expired"
        return self.status

    def answer(self, answer: Answer, *, at: datetime, now: datetime) -> FeedbackReceived:
        """Record the one answer this survey takes; `at` is its event time (now, or an importer's)."""
        if self.status == ANSWERED:
            raise SurveyAlreadyAnswered("this survey has already been answered; thank you")
        if self.status != REQUESTED or self.customer_id is None:
            raise SurveyNotFound("no survey is waiting behind this link")
        if self.expires_at is not None and now >= self.expires_at:
            raise SurveyExpired("this survey link has expired")
        if at < self.delivered_at:
            raise InvalidTime("occurred_at is before the order was delivered", field="occurred_at")
        self.status = ANSWERED
        self.answered_at = at
        return FeedbackReceived(
            occurred_at=at,
            survey_id=self.survey_id,
            order_id=self.order_id,
            customer_id=self.customer_id,
            csat=answer.csat,
            nps=answer.nps,
            aspects=answer.aspects,
            comment=answer.comment,
        )

"""Domain errors with stable codes.

Every error carries a `code` (stable, becomes the problem+json `type` suffix), a `category`
the entrypoints map to an HTTP status (`invalid` → 422, `not_found` → 404, `conflict` → 409,
`gone` → 410), a human `detail` and, where one field is at fault, its name in `field`.
"""

from __future__ import annotations

from typing import ClassVar

INVALID = "invalid"
NOT_FOUND = "not_found"
CONFLICT = "conflict"
GONE = "gone"


class FeedbackError(Exception):
    code: ClassVar[str] = "feedback_error"
    category: ClassVar[str] = CONFLICT

    def __init__(self, detail: str, *, field: str | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.field = field

    def __repr__(self) -> str:
        return f"{type(self).__name__}(code={self.code!r}, field={self.field!r}, detail={self.detail!r})"


# --- malformed input: the caller can fix the request ---------------------------------------


class InvalidInput(FeedbackError):
    code = "invalid_input"
    category = INVALID


class InvalidRating(InvalidInput):
    code = "invalid_rating"


class CommentTooLong(InvalidInput):
    code = "comment_too_long"


class InvalidTime(InvalidInput):
    code = "invalid_time"


class OccurredInFuture(InvalidInput):
    code = "occurred_at_in_future"


class UnknownCategory(InvalidInput):
    code = "unknown_category"


class UnknownOrder(InvalidInput):
    """feedback-svc learns orders from `order.placed`: an id it never saw is a bad request (422)."""

    code = "unknown_order"


class InvalidDuration(InvalidInput):
    code = "invalid_duration"


# --- lookups --------------------------------------------------------------------------------


class IssueNotFound(FeedbackError):
    code = "issue_not_found"
    category = NOT_FOUND


class SurveyNotFound(FeedbackError):
    """An unknown or forged survey token: nothing to say about which."""

    code = "survey_not_found"
    category = NOT_FOUND


# --- state conflicts --------------------------------------------------------------------------


class SurveyAlreadyAnswered(FeedbackError):
    code = "survey_already_answered"


class SurveyExpired(FeedbackError):
    code = "survey_expired"
    category = GONE


class IssueAlreadyResolved(FeedbackError):
    code = "issue_already_resolved"

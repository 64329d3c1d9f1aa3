"""Errors a command can fail with; each names the field to fix where there is one."""

from __future__ import annotations

INVALID, NOT_FOUND, CONFLICT = "invalid", "not_found", "conflict"


class NotifyError(Exception):
    category = CONFLICT
    code = "conflict"

    def __init__(self, detail: str, *, field: str | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.field = field


class InvalidPreferences(NotifyError):
    category = INVALID
    code = "invalid_preferences"


class CallNotFound(NotifyError):
    category = NOT_FOUND
    code = "courtesy_call_not_found"


class CallAlreadyCompleted(NotifyError):
    category = CONFLICT
    code = "courtesy_call_already_completed"


class OrderNotKnown(NotifyError):
    category = NOT_FOUND
    code = "order_not_found"

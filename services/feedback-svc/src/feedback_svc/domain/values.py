"""Small rules every command shares: event time, text limits, the RFC 3339 format of events."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from orderpulse.rfc3339 import format_time as format_time  # the one wire form of a time

from feedback_svc.domain.errors import InvalidInput, InvalidTime, OccurredInFuture

MAX_EVENT_TIME_AHEAD = timedelta(minutes=5)


def require_aware(moment: Any, *, field: str) -> datetime:
    if not isinstance(moment, datetime) or moment.tzinfo is None or moment.utcoffset() is None:
        raise InvalidTime(f"{field} must be a timezone-aware time", field=field)
    return moment


def check_event_time(occurred_at: datetime, *, now: datetime, field: str = "occurred_at") -> datetime:
    """Event time reported by a trusted caller: aware, and at most 5 minutes ahead of `now`."""
    require_aware(occurred_at, field=field)
    if occurred_at > now + MAX_EVENT_TIME_AHEAD:
        raise OccurredInFuture(f"{field} is more than 5 minutes in the future", field=field)
    return occurred_at.astimezone(UTC)


def event_time(occurred_at: datetime | None, *, now: datetime) -> datetime:
    """When a reported fact happened: as given (checked), else now."""
    return now if occurred_at is None else check_event_time(occurred_at, now=now)


def parse_text(value: Any, *, field: str, max_length: int) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput(f"{field} must be a non-empty string", field=field)
    if len(value) > max_length:
        raise InvalidInput(f"{field} is longer than {max_length} characters", field=field)
    return value



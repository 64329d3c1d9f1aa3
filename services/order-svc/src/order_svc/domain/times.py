"""Event times: RFC 3339 UTC text, and the rules a caller-supplied time must follow."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from orderpulse.rfc3339 import format_time as format_time  # the one wire form of a time

from .errors import InvalidInput

MAX_FUTURE_SKEW = timedelta(minutes=5)


def require_aware(moment: datetime, field: str) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise InvalidInput(f"{field} must carry a timezone offset", field=field)
    return moment.astimezone(UTC)


def event_time(given: datetime | None, now: datetime, field: str, not_before: datetime | None = None) -> datetime:
    """A caller's event time: defaults to `now`, at most 5 minutes ahead of it, and not
    before `not_before` (e.g. a cancellation cannot precede the order's placement; a
    defaulted time is lifted to it instead)."""
    now = require_aware(now, "now")
    if given is None:
        return max(now, not_before) if not_before is not None else now
    moment = require_aware(given, field)
    if moment > now + MAX_FUTURE_SKEW:
        raise InvalidInput(f"{field} is more than 5 minutes in the future", field=field)
    if not_before is not None and moment < not_before:
        raise InvalidInput(f"{field} is before the order was placed", field=field)
    return moment

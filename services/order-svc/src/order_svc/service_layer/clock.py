"""Event times at the precision they are published with (milliseconds, as `format_time` writes them),
so a time order-svc answers with can be sent back and compares equal to the one it stored."""

from __future__ import annotations

from datetime import UTC, datetime


def to_milliseconds(moment: datetime) -> datetime:
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


def utcnow() -> datetime:
    return to_milliseconds(datetime.now(UTC))

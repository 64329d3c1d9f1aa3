"""Durations as people write them in settings: `1h`, `90s`, `0s`, `1h30m`, `14d`."""

from __future__ import annotations

import re
from datetime import timedelta

from feedback_svc.domain.errors import InvalidDuration

_UNITS = {"d": 86400, "h": 3600, "m": 60, "s": 1}
_PART = re.compile(r"(\d+)([dhms])")
_WHOLE = re.compile(r"(?:\d+[dhms])+")


def parse_duration(text: str) -> timedelta:
    """`"1h"` → 1 hour. Parts in any order of d, h, m, s (`"1d12h"`, `"90s"`); `"0s"` is zero.

    A bare number, a negative or an unknown unit is refused: a delay that silently means
    seconds instead of hours is worse than one that does not start.
    """
    compact = text.strip().lower() if isinstance(text, str) else ""
    if not _WHOLE.fullmatch(compact):
        raise InvalidDuration(f"{text!r} is not a duration such as 1h, 90s, 15m or 14d", field="duration")
    seconds = sum(int(amount) * _UNITS[unit] for amount, unit in _PART.findall(compact))
    return timedelta(seconds=seconds)


def format_duration(duration: timedelta) -> str:
    """The inverse of `parse_duration`, largest units first (`5400 s` → `"1h30m"`)."""
    seconds = int(duration.total_seconds())
    if seconds <= 0:
        return "0s"
    parts = []
    for unit, size in _UNITS.items():
        amount, seconds = divmod(seconds, size)
        if amount:
            parts.append(f"{amount}{unit}")
    return "".join(parts)

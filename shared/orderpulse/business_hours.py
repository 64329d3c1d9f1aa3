"""Working hours on top of the business-day calendar: SLA clocks and courtesy-call due times.

A business day (`orderpulse.business_days`: Monday–Friday in the merchant's timezone, minus
holidays) is open from `opens` to `closes` local time. `WorkingHours.add` counts only open
time, so "24 working hours" from Friday 16:00 with 09:00–17:00 ends on the following
Wednesday at 16:00. `SlaClock` chooses between calendar hours (the default of api.md and
kpis.md) and working hours. Standard library only, so every service's domain code may use it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from orderpulse.business_days import BusinessCalendar

DEFAULT_OPENS = time(9, 0)
DEFAULT_CLOSES = time(17, 0)
_MAX_DAYS = 3660  # ten years of calendar days: a guard against a calendar with no business days


def parse_working_hours(text: str) -> tuple[time, time]:
    """`"09:00-17:00"` → (09:00, 17:00); raises ValueError naming what is wrong."""
    opens_text, dash, closes_text = text.strip().partition("-")
    if not dash:
        raise ValueError(f"working hours {text!r} must look like 09:00-17:00")
    try:
        opens, closes = time.fromisoformat(opens_text.strip()), time.fromisoformat(closes_text.strip())
    except ValueError:
        raise ValueError(f"working hours {text!r} must look like 09:00-17:00") from None
    if opens >= closes:
        raise ValueError(f"working hours {text!r} must open before they close (on the same day)")
    return opens, closes


@dataclass(frozen=True)
class WorkingHours:
    """Open from `opens` to `closes` (local time, `closes` excluded) on every business day."""

    calendar: BusinessCalendar
    opens: time = DEFAULT_OPENS
    closes: time = DEFAULT_CLOSES

    def __post_init__(self) -> None:
        if self.opens >= self.closes:
            raise ValueError("working hours must open before they close")

    def is_open(self, moment: datetime) -> bool:
        local = self._local(moment)
        return self.calendar.is_business_day(local.date()) and self.opens <= local.time() < self.closes

    def next_open(self, moment: datetime) -> datetime:
        """`moment` itself when open, else the next opening time (in UTC)."""
        local = self._local(moment)
        day = local.date()
        if self.calendar.is_business_day(day):
            if local.time() < self.opens:
                return self._at(day, self.opens)
            if local.time() < self.closes:
                return moment.astimezone(UTC)
        return self._at(self._next_business_day(day), self.opens)

    def add(self, moment: datetime, duration: timedelta) -> datetime:
        """The moment when `duration` of open time has passed since `moment`."""
        if duration < timedelta(0):
            raise ValueError("duration must be zero or more")
        cursor = self.next_open(moment)
        remaining = duration
        for _ in range(_MAX_DAYS):
            closing = self._at(self._local(cursor).date(), self.closes)
            available = closing - cursor
            if remaining <= available:
                return cursor + remaining
            remaining -= available
            cursor = self.next_open(closing)
        raise ValueError("the calendar has no business day within ten years")

    def working_time_between(self, start: datetime, end: datetime) -> timedelta:
        """Open time in [start, end); zero when end is not after start."""
        total = timedelta(0)
        cursor = self.next_open(start)
        for _ in range(_MAX_DAYS):
            if cursor >= end:
                return total
            closing = self._at(self._local(cursor).date(), self.closes)
            total += min(closing, end) - cursor
            cursor = self.next_open(closing)
        raise ValueError("the interval spans more than ten years")

    def _next_business_day(self, day: date) -> date:
        return self.calendar.next_business_day(day)

    def _at(self, day: date, local_time: time) -> datetime:
        return datetime.combine(day, local_time, tzinfo=self.calendar.zone).astimezone(UTC)

    def _local(self, moment: datetime) -> datetime:
        if moment.tzinfo is None or moment.utcoffset() is None:
            raise ValueError("working-hours arithmetic needs a timezone-aware datetime")
        return moment.astimezone(self.calendar.zone)


@dataclass(frozen=True)
class SlaClock:
    """How a service-level clock counts: calendar hours (`working_hours=None`) or working hours."""

    working_hours: WorkingHours | None = None

    def due(self, start: datetime, duration: timedelta) -> datetime:
        if self.working_hours is None:
            return start.astimezone(UTC) + duration
        return self.working_hours.add(start, duration)

"""The business-day calendar behind ship deadlines and default delivery promises (kpis.md).

Business days are Monday to Friday in the merchant's timezone, minus a holiday list.
Standard library only, so every service's domain code may use it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

SHIP_DEADLINE_BUSINESS_DAYS = 2
PROMISE_BUSINESS_DAYS = {"standard": 5, "express": 2, "next_day": 1}
END_OF_DAY = time(23, 59, 59, 999_000)

_SATURDAY = 5
_STEPS_KEPT = 4096  # (date, business days) answers a calendar keeps; forgotten all at once past it


@dataclass(frozen=True)
class BusinessCalendar:
    """Monday–Friday in `timezone` (an IANA name), minus `holidays` (local dates).

    Every method takes and returns timezone-aware datetimes; results are in UTC.
    """

    timezone: str = "UTC"
    holidays: frozenset[date] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        object.__setattr__(self, "holidays", frozenset(self.holidays))
        # ZoneInfo raises for an unknown name: a misconfigured calendar fails at start-up.
        object.__setattr__(self, "_zone", ZoneInfo(self.timezone))
        object.__setattr__(self, "_steps", {})

    @property
    def zone(self) -> ZoneInfo:
        return self._zone  # type: ignore[attr-defined]

    def in_timezone(self, timezone: str) -> BusinessCalendar:
        """The same holiday list with day boundaries in another timezone."""
        return BusinessCalendar(timezone=timezone, holidays=self.holidays)

    def is_business_day(self, day: date | datetime) -> bool:
        """True for a weekday that is not a holiday; a datetime is judged by its local date."""
        if isinstance(day, datetime):
            day = self._local(day).date()
        return day.weekday() < _SATURDAY and day not in self.holidays

    def next_business_day(self, day: date) -> date:
        """The first business day strictly after `day`."""
        day += timedelta(days=1)
        while not self.is_business_day(day):
            day += timedelta(days=1)
        return day

    def add_business_days(self, moment: datetime, business_days: int) -> datetime:
        """kpis.md's `add_business_days(t, n)`.

        If `moment` is not on a business day (local date), it first moves to 00:00 of the
        next business day; then it steps forward `business_days` business days keeping the
        local time of day. A local time that does not exist on the target day (spring
        forward) resolves with the offset in force before the change, i.e. one hour later
        on the wall clock; an ambiguous one (fall back) takes its first occurrence.
        """
        if business_days < 0:
            raise ValueError("business_days must be zero or more")
        local = self._local(moment)
        day, time_of_day = local.date(), local.time()
        steps = self._steps  # type: ignore[attr-defined]
        stepped = steps.get((day, business_days))
        if stepped is None:
            stepped = self._step(day, business_days)
            if len(steps) >= _STEPS_KEPT:
                steps.clear()
            steps[(day, business_days)] = stepped
        day, from_midnight = stepped
        if from_midnight:
            time_of_day = time(0)
        return datetime.combine(day, time_of_day, tzinfo=self.zone).astimezone(UTC)

    def _step(self, day: date, business_days: int) -> tuple[date, bool]:
        """The local date `add_business_days` lands on from `day`, and whether it starts from
        midnight (`day` not a business day). It depends on the date alone, and a consumer's
        orders share a few dates: the calendar keeps the answers (at most `_STEPS_KEPT`)."""
        from_midnight = not self.is_business_day(day)
        if from_midnight:
            day = self.next_business_day(day)
        for _ in range(business_days):
            day = self.next_business_day(day)
        return day, from_midnight

    def ship_deadline(self, placed: datetime) -> datetime:
        """When an order placed at `placed` must be dispatched: two business days later."""
        return self.add_business_days(placed, SHIP_DEADLINE_BUSINESS_DAYS)

    def default_promised_by(
        self, placed: datetime, service_level: str, customer_timezone: str | None = None
    ) -> datetime:
        """The delivery promise when the storefront sends none (kpis.md).

        The end (23:59:59.999) of the day `add_business_days(placed, d)` with d = 5, 2, 1
        for standard, express, next_day. Business days are stepped with the merchant's
        holiday list but with day boundaries (weekends, midnight, end of day) in the
        customer's timezone, since the promise is made to the customer. Without a customer
        timezone the merchant's is used.
        """
        try:
            business_days = PROMISE_BUSINESS_DAYS[service_level]
        except KeyError:
            raise ValueError(f"unknown service level {service_level!r}") from None
        calendar = self.in_timezone(customer_timezone) if customer_timezone else self
        due = calendar.add_business_days(placed, business_days)
        due_day = due.astimezone(calendar.zone).date()
        end_of_day = datetime.combine(due_day, END_OF_DAY, tzinfo=calendar.zone)
        return end_of_day.astimezone(UTC)

    def _local(self, moment: datetime) -> datetime:
        if moment.tzinfo is None or moment.utcoffset() is None:
            raise ValueError("business-day arithmetic needs a timezone-aware datetime")
        return moment.astimezone(self.zone)


def calendar_from_settings(timezone: str = "UTC", holidays: Iterable[date | str] = ()) -> BusinessCalendar:
    """Build a calendar from settings values: holidays may be ISO dates (`2026-12-25`)."""
    days = frozenset(d if isinstance(d, date) else date.fromisoformat(d.strip()) for d in holidays)
    return BusinessCalendar(timezone=timezone, holidays=days)

"""Business-day arithmetic of kpis.md: ship deadlines and default delivery promises.

Business days are Monday-Friday in a timezone, minus a holiday list. `add_business_days(t, n)`:
when `t` is not on a business day it first moves to 00:00 of the next business day; then it
steps forward `n` business days keeping the local time of day.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import date, datetime, time, timedelta, timezone
from functools import lru_cache
from zoneinfo import ZoneInfo

SHIP_DEADLINE_BUSINESS_DAYS = 2
PROMISE_BUSINESS_DAYS = {"standard": 5, "express": 2, "next_day": 1}
_END_OF_DAY = time(23, 59, 59, 999000)
_ONE_DAY = timedelta(days=1)


@lru_cache(maxsize=64)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def _as_zone(tz: ZoneInfo | str | timezone) -> ZoneInfo | timezone:
    return _zone(tz) if isinstance(tz, str) else tz


def is_business_day(day: date, holidays: Collection[date] = ()) -> bool:
    return day.weekday() < 5 and day not in holidays


def _next_business_day(day: date, holidays: Collection[date]) -> date:
    day += _ONE_DAY
    while not is_business_day(day, holidays):
        day += _ONE_DAY
    return day


def add_business_days(
    moment: datetime,
    days: int,
    tz: ZoneInfo | str | timezone = "UTC",
    holidays: Collection[date] = (),
) -> datetime:
    """`moment` plus `days` business days in `tz`; the result is aware, in `tz`."""
    if moment.tzinfo is None:
        raise ValueError("add_business_days needs an aware datetime")
    if days < 0:
        raise ValueError("days must not be negative")
    zone = _as_zone(tz)
    local = moment.astimezone(zone)
    day, time_of_day = local.date(), local.timetz().replace(tzinfo=None)
    if not is_business_day(day, holidays):
        day, time_of_day = _next_business_day(day, holidays), time(0)
    for _ in range(days):
        day = _next_business_day(day, holidays)
    # Built from wall-clock parts, so a DST change in between keeps the local time of day.
    return datetime.combine(day, time_of_day, tzinfo=zone)


def ship_deadline(
    placed: datetime, tz: ZoneInfo | str | timezone = "UTC", holidays: Collection[date] = ()
) -> datetime:
    """The latest first dispatch that is within SLA: placed + 2 business days (merchant tz)."""
    return add_business_days(placed, SHIP_DEADLINE_BUSINESS_DAYS, tz, holidays)


def promised_by_default(
    placed: datetime,
    service_level: str,
    tz: ZoneInfo | str | timezone = "UTC",
    holidays: Collection[date] = (),
) -> datetime:
    """End of the day (23:59:59.999) of placed + d business days in the customer's tz.

    d = 5 (standard), 2 (express), 1 (next_day); an unknown service level counts as standard.
    """
    days = PROMISE_BUSINESS_DAYS.get(service_level, PROMISE_BUSINESS_DAYS["standard"])
    target = add_business_days(placed, days, tz, holidays)
    return datetime.combine(target.date(), _END_OF_DAY, tzinfo=target.tzinfo)


def to_utc(moment: datetime) -> datetime:
    return moment.astimezone(timezone.utc)

"""Business-day arithmetic of kpis.md: ship deadlines and default delivery promises.

Business days are Monday-Friday in a timezone, minus a holiday list. `add_business_days(t, n)`:
when `t` is not on a business day it first moves to 00:00 of the next business day; then it
steps forward `n` business days keeping the local time of day.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import UTC, date, datetime, time, timedelta, timezone
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
    return moment.astimezone(UTC)


class BusinessCalendar:
    """add_business_days on epoch milliseconds, cached per 15-minute block.

    Every UTC offset and DST change falls on a 15-minute boundary, so inside one block the
    local date is fixed and the result moves with the input (or is fixed at 00:00 when the
    block is not on a business day): one zoneinfo computation per block, not per order.
    """

    _BLOCK_MS = 900_000

    def __init__(self, tz: ZoneInfo | str | timezone = "UTC", holidays: Collection[date] = ()) -> None:
        self.tz = _as_zone(tz)
        self.holidays = frozenset(holidays)
        self._cache: dict[int, tuple[bool, int]] = {}

    def add_ms(self, moment_ms: int, days: int) -> int:
        block = moment_ms // self._BLOCK_MS
        key = block * 16 + days
        hit = self._cache.get(key)
        if hit is None:
            start_ms = block * self._BLOCK_MS
            start = datetime.fromtimestamp(start_ms / 1000, UTC)
            result_ms = round(add_business_days(start, days, self.tz, self.holidays).timestamp() * 1000)
            if is_business_day(start.astimezone(self.tz).date(), self.holidays):
                hit = (True, result_ms - start_ms)
            else:
                hit = (False, result_ms)
            if len(self._cache) >= 100_000:
                self._cache.clear()
            self._cache[key] = hit
        return moment_ms + hit[1] if hit[0] else hit[1]

    def ship_deadline_ms(self, placed_ms: int) -> int:
        return self.add_ms(placed_ms, SHIP_DEADLINE_BUSINESS_DAYS)

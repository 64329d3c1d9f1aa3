"""Business-day arithmetic of kpis.md: ship deadlines and default promises."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from kpi_svc.domain.business_days import (
    BusinessCalendar,
    add_business_days,
    promised_by_default,
    ship_deadline,
)

UTC = UTC
BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def test_placed_friday_afternoon_ships_by_tuesday_same_time():
    friday = utc(2026, 11, 20, 15, 0)
    assert ship_deadline(friday) == utc(2026, 11, 24, 15, 0)


def test_placed_on_saturday_starts_counting_monday_midnight_so_ships_by_wednesday_midnight():
    saturday = utc(2026, 11, 21, 10, 0)
    assert ship_deadline(saturday) == utc(2026, 11, 25, 0, 0)


def test_placed_on_sunday_is_the_same_as_saturday():
    assert ship_deadline(utc(2026, 11, 22, 23, 59)) == utc(2026, 11, 25, 0, 0)


def test_placed_monday_morning_ships_by_wednesday_morning():
    assert ship_deadline(utc(2026, 11, 16, 9, 30)) == utc(2026, 11, 18, 9, 30)


def test_zero_business_days_keeps_a_business_moment_and_moves_a_weekend_one_to_monday():
    assert add_business_days(utc(2026, 11, 18, 12, 0), 0) == utc(2026, 11, 18, 12, 0)
    assert add_business_days(utc(2026, 11, 21, 12, 0), 0) == utc(2026, 11, 23, 0, 0)


def test_holidays_are_skipped_like_weekends():
    thursday = utc(2026, 12, 24, 10, 0)
    holidays = (date(2026, 12, 25), date(2026, 12, 28))
    # Friday 25th and Monday 28th are off: next business days are Tuesday 29th, Wednesday 30th
    assert ship_deadline(thursday, "UTC", holidays) == utc(2026, 12, 30, 10, 0)


def test_placed_on_a_holiday_starts_at_midnight_of_the_next_business_day():
    assert ship_deadline(utc(2026, 12, 25, 9, 0), "UTC", (date(2026, 12, 25),)) == utc(2026, 12, 30, 0, 0)


def test_business_days_are_counted_in_the_merchant_timezone():
    # Friday 23:30 UTC is Saturday 00:30 in Berlin: not a business day there
    placed = utc(2026, 11, 20, 23, 30)
    deadline = ship_deadline(placed, "Europe/Berlin")
    assert deadline == datetime(2026, 11, 25, 0, 0, tzinfo=BERLIN)
    assert ship_deadline(placed, "UTC") == utc(2026, 11, 24, 23, 30)


def test_local_time_of_day_is_kept_across_a_daylight_saving_change():
    # Friday 23 October 2026 15:00 in Berlin (CEST, +02); clocks go back on Sunday 25th
    placed = datetime(2026, 10, 23, 15, 0, tzinfo=BERLIN)
    deadline = ship_deadline(placed, BERLIN)
    assert deadline.replace(tzinfo=None) == datetime(2026, 10, 27, 15, 0)
    assert deadline.astimezone(UTC) == utc(2026, 10, 27, 14, 0)


def test_default_promise_is_the_end_of_the_business_day_per_service_level():
    wednesday = utc(2026, 11, 18, 14, 0)
    end = (23, 59, 59, 999000)
    assert promised_by_default(wednesday, "standard") == utc(2026, 11, 25, *end)
    assert promised_by_default(wednesday, "express") == utc(2026, 11, 20, *end)
    assert promised_by_default(wednesday, "next_day") == utc(2026, 11, 19, *end)
    assert promised_by_default(wednesday, "teleport") == promised_by_default(wednesday, "standard")


def test_default_promise_ends_the_day_in_the_customers_timezone():
    # Thursday 02:00 UTC is still Wednesday 21:00 in New York
    placed = utc(2026, 11, 19, 2, 0)
    promise = promised_by_default(placed, "next_day", NEW_YORK)
    assert promise == datetime(2026, 11, 19, 23, 59, 59, 999000, tzinfo=NEW_YORK)


def test_naive_times_are_refused():
    with pytest.raises(ValueError):
        add_business_days(datetime(2026, 11, 20, 15, 0), 2)


@settings(max_examples=300, deadline=None)
@given(
    moment=st.datetimes(min_value=datetime(2024, 1, 1), max_value=datetime(2028, 12, 31), timezones=st.just(UTC)),
    zone=st.sampled_from(["UTC", "Europe/Berlin", "America/New_York", "Asia/Kolkata", "Australia/Adelaide"]),
    days=st.integers(0, 6),
)
def test_the_cached_calendar_agrees_with_the_reference_arithmetic(moment, zone, days):
    holidays = (date(2026, 12, 25), date(2025, 1, 1))
    calendar = BusinessCalendar(zone, holidays)
    moment = moment.replace(microsecond=moment.microsecond // 1000 * 1000)  # the engine keeps milliseconds
    moment_ms = int(moment.timestamp() * 1000)
    expected = add_business_days(moment, days, zone, holidays)
    assert calendar.add_ms(moment_ms, days) == round(expected.timestamp() * 1000)
    # a second answer from the same 15-minute block comes from the cache and is still right
    later = moment + timedelta(minutes=7, seconds=13, milliseconds=1)
    if int(later.timestamp() * 1000) // 900_000 == moment_ms // 900_000:
        expected_later = add_business_days(later, days, zone, holidays)
        assert calendar.add_ms(int(later.timestamp() * 1000), days) == round(expected_later.timestamp() * 1000)


@settings(max_examples=200, deadline=None)
@given(
    moment=st.datetimes(min_value=datetime(2024, 1, 1), max_value=datetime(2028, 12, 31), timezones=st.just(UTC)),
    zone=st.sampled_from(["UTC", "Europe/Berlin", "America/New_York", "Asia/Tokyo"]),
    service_level=st.sampled_from(["standard", "express", "next_day"]),
)
def test_deadlines_agree_with_the_shared_calendar_other_services_use(moment, zone, service_level):
    """fulfillment-svc and order-svc use orderpulse.business_days: the same instants, always."""
    from orderpulse.business_days import BusinessCalendar as SharedCalendar

    holidays = (date(2026, 12, 25),)
    shared = SharedCalendar(timezone=zone, holidays=frozenset(holidays))
    assert ship_deadline(moment, zone, holidays) == shared.ship_deadline(moment)
    assert promised_by_default(moment, service_level, zone, holidays) == shared.default_promised_by(moment, service_level)

"""The business-day calendar: kpis.md's "Business days and deadlines"."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import pytest
from orderpulse import business_days as business_days_module
from orderpulse.business_days import BusinessCalendar, calendar_from_settings

NEW_YORK = ZoneInfo("America/New_York")
TOKYO = ZoneInfo("Asia/Tokyo")
UTC_CALENDAR = BusinessCalendar()


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


# 2026-11-20 is a Friday.


def test_placed_friday_at_3pm_ships_by_tuesday_at_3pm():
    assert UTC_CALENDAR.add_business_days(utc(2026, 11, 20, 15), 2) == utc(2026, 11, 24, 15)


def test_placed_saturday_at_10am_ships_by_wednesday_at_midnight():
    assert UTC_CALENDAR.add_business_days(utc(2026, 11, 21, 10), 2) == utc(2026, 11, 25, 0)


def test_placed_sunday_also_starts_counting_from_monday_midnight():
    assert UTC_CALENDAR.add_business_days(utc(2026, 11, 22, 23, 59), 2) == utc(2026, 11, 25, 0)


def test_a_midweek_moment_keeps_its_time_of_day():
    assert UTC_CALENDAR.add_business_days(utc(2026, 11, 17, 9, 30, 15), 3) == utc(2026, 11, 20, 9, 30, 15)


def test_ship_deadline_is_two_business_days_after_placing():
    assert UTC_CALENDAR.ship_deadline(utc(2026, 11, 20, 15)) == utc(2026, 11, 24, 15)


def test_zero_business_days_leaves_a_business_day_moment_unchanged():
    assert UTC_CALENDAR.add_business_days(utc(2026, 11, 18, 11, 5), 0) == utc(2026, 11, 18, 11, 5)


def test_zero_business_days_from_a_weekend_moves_to_monday_midnight():
    assert UTC_CALENDAR.add_business_days(utc(2026, 11, 21, 10), 0) == utc(2026, 11, 23, 0)


def test_negative_business_days_are_refused():
    with pytest.raises(ValueError):
        UTC_CALENDAR.add_business_days(utc(2026, 11, 20, 15), -1)


def test_naive_datetimes_are_refused():
    with pytest.raises(ValueError):
        UTC_CALENDAR.add_business_days(datetime(2026, 11, 20, 15), 2)


def test_an_unknown_timezone_is_refused_when_the_calendar_is_built():
    with pytest.raises(ZoneInfoNotFoundError):
        BusinessCalendar(timezone="Mars/Olympus_Mons")


def test_results_are_in_utc_whatever_the_input_offset():
    result = UTC_CALENDAR.add_business_days(datetime(2026, 11, 20, 10, tzinfo=NEW_YORK), 1)
    assert result.tzinfo is UTC
    assert result == utc(2026, 11, 23, 15)


def test_holidays_are_not_business_days():
    thanksgiving = date(2026, 11, 26)
    calendar = BusinessCalendar(holidays=frozenset({thanksgiving}))
    assert not calendar.is_business_day(thanksgiving)
    assert calendar.is_business_day(date(2026, 11, 25))
    assert not calendar.is_business_day(date(2026, 11, 28))


def test_holidays_are_stepped_over():
    calendar = BusinessCalendar(holidays=frozenset({date(2026, 11, 26)}))
    assert calendar.add_business_days(utc(2026, 11, 25, 9), 2) == utc(2026, 11, 30, 9)


def test_placed_on_a_holiday_starts_counting_from_the_next_business_day_midnight():
    calendar = BusinessCalendar(holidays=frozenset({date(2026, 11, 26)}))
    assert calendar.add_business_days(utc(2026, 11, 26, 10), 2) == utc(2026, 12, 1, 0)


def test_a_holiday_friday_before_a_weekend_skips_to_monday():
    calendar = BusinessCalendar(holidays=frozenset({date(2026, 12, 25)}))
    assert calendar.add_business_days(utc(2026, 12, 24, 12), 1) == utc(2026, 12, 28, 12)


def test_business_days_follow_the_merchant_timezone_not_utc():
    friday_evening_in_new_york = utc(2026, 11, 21, 3)  # Saturday 03:00 in UTC
    new_york = BusinessCalendar(timezone="America/New_York")
    assert new_york.is_business_day(friday_evening_in_new_york)
    assert not UTC_CALENDAR.is_business_day(friday_evening_in_new_york)
    assert new_york.add_business_days(friday_evening_in_new_york, 2) == datetime(2026, 11, 24, 22, tzinfo=NEW_YORK)
    assert UTC_CALENDAR.add_business_days(friday_evening_in_new_york, 2) == utc(2026, 11, 25, 0)


def test_just_after_midnight_saturday_in_tokyo_is_already_the_weekend():
    friday_in_utc = utc(2026, 11, 20, 16)  # Saturday 01:00 in Tokyo
    tokyo = BusinessCalendar(timezone="Asia/Tokyo")
    assert tokyo.add_business_days(friday_in_utc, 2) == datetime(2026, 11, 25, 0, tzinfo=TOKYO)
    assert tokyo.add_business_days(friday_in_utc, 2) == utc(2026, 11, 24, 15)


def test_just_before_midnight_friday_in_tokyo_keeps_its_time_of_day():
    friday_late_in_tokyo = utc(2026, 11, 20, 14, 59)  # Friday 23:59 in Tokyo
    tokyo = BusinessCalendar(timezone="Asia/Tokyo")
    assert tokyo.add_business_days(friday_late_in_tokyo, 1) == datetime(2026, 11, 23, 23, 59, tzinfo=TOKYO)


def test_spring_forward_keeps_the_local_time_of_day_not_the_elapsed_hours():
    new_york = BusinessCalendar(timezone="America/New_York")
    friday_3pm_est = datetime(2026, 3, 6, 15, tzinfo=NEW_YORK)  # DST starts Sunday 2026-03-08
    deadline = new_york.add_business_days(friday_3pm_est, 2)
    assert deadline == datetime(2026, 3, 10, 15, tzinfo=NEW_YORK)
    assert deadline == utc(2026, 3, 10, 19)
    assert deadline - friday_3pm_est == timedelta(days=4, hours=-1)


def test_fall_back_keeps_the_local_time_of_day_not_the_elapsed_hours():
    new_york = BusinessCalendar(timezone="America/New_York")
    friday_3pm_edt = datetime(2026, 10, 30, 15, tzinfo=NEW_YORK)  # DST ends Sunday 2026-11-01
    assert new_york.add_business_days(friday_3pm_edt, 2) == utc(2026, 11, 3, 20)


def test_a_local_time_skipped_by_a_weekday_dst_change_lands_an_hour_later_on_the_wall_clock():
    # Iran moved its clocks from 00:00 to 01:00 on Monday 2021-03-22.
    tehran = BusinessCalendar(timezone="Asia/Tehran")
    friday_half_past_midnight = datetime(2021, 3, 19, 0, 30, tzinfo=ZoneInfo("Asia/Tehran"))
    result = tehran.add_business_days(friday_half_past_midnight, 1)
    assert result == utc(2021, 3, 21, 21, 0)
    assert result.astimezone(ZoneInfo("Asia/Tehran")).hour == 1


def test_standard_delivery_is_promised_by_the_end_of_the_fifth_business_day():
    assert UTC_CALENDAR.default_promised_by(utc(2026, 11, 20, 15), "standard", "UTC") == datetime(
        2026, 11, 27, 23, 59, 59, 999_000, tzinfo=UTC
    )


def test_express_delivery_is_promised_by_the_end_of_the_second_business_day():
    assert UTC_CALENDAR.default_promised_by(utc(2026, 11, 20, 15), "express", "UTC") == datetime(
        2026, 11, 24, 23, 59, 59, 999_000, tzinfo=UTC
    )


def test_next_day_delivery_is_promised_by_the_end_of_the_next_business_day():
    assert UTC_CALENDAR.default_promised_by(utc(2026, 11, 20, 15), "next_day", "UTC") == datetime(
        2026, 11, 23, 23, 59, 59, 999_000, tzinfo=UTC
    )


def test_a_weekend_order_counts_its_promise_from_monday():
    assert UTC_CALENDAR.default_promised_by(utc(2026, 11, 21, 10), "next_day", "UTC") == datetime(
        2026, 11, 24, 23, 59, 59, 999_000, tzinfo=UTC
    )


def test_the_promise_ends_at_midnight_in_the_customers_timezone():
    friday_evening_in_new_york = utc(2026, 11, 21, 3)
    promise = UTC_CALENDAR.default_promised_by(friday_evening_in_new_york, "next_day", "America/New_York")
    assert promise == datetime(2026, 11, 23, 23, 59, 59, 999_000, tzinfo=NEW_YORK)
    assert promise == datetime(2026, 11, 24, 4, 59, 59, 999_000, tzinfo=UTC)


def test_a_tokyo_customer_ordering_after_midnight_saturday_counts_from_monday():
    promise = UTC_CALENDAR.default_promised_by(utc(2026, 11, 20, 16), "next_day", "Asia/Tokyo")
    assert promise == datetime(2026, 11, 24, 23, 59, 59, 999_000, tzinfo=TOKYO)


def test_the_merchants_holidays_apply_to_the_customers_promise():
    calendar = BusinessCalendar(holidays=frozenset({date(2026, 11, 23)}))
    promise = calendar.default_promised_by(datetime(2026, 11, 20, 15, tzinfo=NEW_YORK), "next_day", "America/New_York")
    assert promise == datetime(2026, 11, 24, 23, 59, 59, 999_000, tzinfo=NEW_YORK)


def test_without_a_customer_timezone_the_promise_uses_the_merchants():
    tokyo = BusinessCalendar(timezone="Asia/Tokyo")
    assert tokyo.default_promised_by(utc(2026, 11, 20, 16), "next_day") == datetime(
        2026, 11, 24, 23, 59, 59, 999_000, tzinfo=TOKYO
    )


def test_an_unknown_service_level_is_refused():
    with pytest.raises(ValueError):
        UTC_CALENDAR.default_promised_by(utc(2026, 11, 20, 15), "teleport", "UTC")


def test_holidays_can_come_from_settings_as_iso_dates():
    calendar = calendar_from_settings("Europe/Berlin", ["2026-12-25", " 2026-12-26", date(2027, 1, 1)])
    assert calendar.holidays == frozenset({date(2026, 12, 25), date(2026, 12, 26), date(2027, 1, 1)})
    assert calendar.timezone == "Europe/Berlin"


def _stepped_day_by_day(calendar: BusinessCalendar, moment: datetime, business_days: int) -> datetime:
    """`add_business_days` as kpis.md states it, without the answers a calendar keeps."""
    local = moment.astimezone(calendar.zone)
    day, time_of_day = local.date(), local.time()
    if not calendar.is_business_day(day):
        day, time_of_day = calendar.next_business_day(day), time(0)
    for _ in range(business_days):
        day = calendar.next_business_day(day)
    return datetime.combine(day, time_of_day, tzinfo=calendar.zone).astimezone(UTC)


def test_the_answers_a_calendar_keeps_are_the_day_by_day_ones(monkeypatch):
    calendar = BusinessCalendar("Europe/Berlin", frozenset({date(2026, 12, 24), date(2026, 12, 25), date(2027, 3, 29)}))
    start = datetime(2026, 12, 18, 5, 30, tzinfo=UTC)
    moments = [start + timedelta(hours=7 * n) for n in range(1_500)]  # ~14 months: holidays, weekends, both DST changes
    for business_days in (0, 1, 2, 5):
        for moment in moments:
            assert calendar.add_business_days(moment, business_days) == _stepped_day_by_day(calendar, moment, business_days)
    for moment in moments[::50]:  # asked again: from what it kept
        assert calendar.add_business_days(moment, 2) == _stepped_day_by_day(calendar, moment, 2)
    monkeypatch.setattr(business_days_module, "_STEPS_KEPT", 10)
    for moment in moments[::7]:  # past its limit: forgotten and stepped again
        assert calendar.add_business_days(moment, 3) == _stepped_day_by_day(calendar, moment, 3)
    assert len(calendar._steps) <= 10

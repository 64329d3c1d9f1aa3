"""Working hours against a minute-by-minute reference, and the SLA clock's two modes."""

from datetime import UTC, date, datetime, time, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from orderpulse.business_days import BusinessCalendar
from orderpulse.business_hours import SlaClock, WorkingHours, parse_working_hours

BERLIN = BusinessCalendar("Europe/Berlin", holidays=frozenset({date(2026, 12, 25), date(2026, 12, 28)}))
HOURS = WorkingHours(BERLIN, time(9, 0), time(17, 0))


def reference_add(start: datetime, minutes: int) -> datetime:
    """Step one minute at a time, counting only open minutes."""
    cursor = start.replace(second=0, microsecond=0)
    while not HOURS.is_open(cursor):
        cursor += timedelta(minutes=1)
    while minutes:
        if HOURS.is_open(cursor):
            minutes -= 1
        cursor += timedelta(minutes=1)
        if minutes:
            while not HOURS.is_open(cursor):
                cursor += timedelta(minutes=1)
    return cursor


def test_friday_afternoon_plus_24_working_hours_is_wednesday_afternoon():
    friday_4pm = datetime(2026, 12, 4, 15, 0, tzinfo=UTC)  # 16:00 in Berlin
    assert HOURS.add(friday_4pm, timedelta(hours=24)) == datetime(2026, 12, 9, 15, 0, tzinfo=UTC)


def test_holidays_are_closed_all_day():
    christmas_eve_4pm = datetime(2026, 12, 24, 15, 0, tzinfo=UTC)
    # 1 h on the 24th; the 25th (holiday), weekend and the 28th (holiday) are closed.
    assert HOURS.add(christmas_eve_4pm, timedelta(hours=2)) == datetime(2026, 12, 29, 9, 0, tzinfo=UTC)


@settings(max_examples=60, deadline=None)
@given(
    start_minutes=st.integers(min_value=0, max_value=60 * 24 * 21),
    duration_minutes=st.integers(min_value=1, max_value=60 * 8 * 4),
)
def test_add_agrees_with_a_minute_by_minute_reference(start_minutes, duration_minutes):
    start = datetime(2026, 12, 1, tzinfo=UTC) + timedelta(minutes=start_minutes)
    due = HOURS.add(start, timedelta(minutes=duration_minutes))
    assert due == reference_add(start, duration_minutes)
    assert HOURS.working_time_between(start, due) == timedelta(minutes=duration_minutes)


def test_next_open_keeps_an_open_moment_and_moves_a_closed_one():
    tuesday_noon = datetime(2026, 12, 8, 11, 0, tzinfo=UTC)
    assert HOURS.next_open(tuesday_noon) == tuesday_noon
    saturday = datetime(2026, 12, 5, 11, 0, tzinfo=UTC)
    assert HOURS.next_open(saturday) == datetime(2026, 12, 7, 8, 0, tzinfo=UTC)


def test_the_sla_clock_counts_calendar_hours_unless_working_hours_are_set():
    friday_4pm = datetime(2026, 12, 4, 15, 0, tzinfo=UTC)
    assert SlaClock().due(friday_4pm, timedelta(hours=24)) == friday_4pm + timedelta(hours=24)
    assert SlaClock(HOURS).due(friday_4pm, timedelta(hours=24)) == datetime(2026, 12, 9, 15, 0, tzinfo=UTC)


@pytest.mark.parametrize("text", ["9-17", "17:00-09:00", "09:00", "nine-five", "09:00-09:00"])
def test_unreadable_working_hours_are_refused(text):
    with pytest.raises(ValueError):
        parse_working_hours(text)


def test_working_hours_parse():
    assert parse_working_hours(" 08:30 - 18:00 ") == (time(8, 30), time(18, 0))

"""The one wire form of a time: four-digit years, UTC, milliseconds, `Z`."""

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st
from orderpulse.rfc3339 import format_epoch_ms, format_time


def test_a_year_before_1000_keeps_four_digits():
    assert format_time(datetime(544, 6, 26, 16, 20, 24, 999_999, tzinfo=UTC)) == "0544-06-26T16:20:24.999Z"


def test_a_time_in_another_zone_is_written_in_utc():
    assert format_time(datetime(2026, 12, 6, 12, 0, tzinfo=timezone(timedelta(hours=2)))) == "2026-12-06T10:00:00.000Z"


def test_a_naive_time_is_refused():
    with pytest.raises(ValueError, match="timezone-aware"):
        format_time(datetime(2026, 12, 6))


@given(st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30), timezones=st.just(UTC)))
def test_every_written_time_reads_back_to_the_same_millisecond(moment):
    text = format_time(moment)
    assert datetime.fromisoformat(text) == moment.replace(microsecond=moment.microsecond // 1000 * 1000)
    epoch_ms = (moment - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(milliseconds=1)
    assert format_epoch_ms(epoch_ms) == text


def _the_long_way(moment: datetime) -> str:
    """format_time as it was before a zero offset kept its own `tzinfo`: always converted to `UTC`."""
    if moment.tzinfo is not UTC:
        if moment.tzinfo is None:
            raise ValueError("times on the wire must be timezone-aware")
        moment = moment.astimezone(UTC)
    return moment.isoformat(timespec="milliseconds")[:-6] + "Z"


def _pydantic_utc() -> object:
    from pydantic import TypeAdapter

    return TypeAdapter(datetime).validate_python("2026-01-01T00:00:00Z").tzinfo  # what a consumed envelope's time has


_ZONES = st.sampled_from([
    UTC, timezone(timedelta(0)), timezone(timedelta(0), "GMT"), _pydantic_utc(), timezone(timedelta(hours=2)),
    timezone(timedelta(hours=-9, minutes=-30)), timezone(timedelta(seconds=1)), timezone(timedelta(microseconds=-1)),
]) | st.timezones()


@given(st.datetimes(min_value=datetime(1, 1, 3), max_value=datetime(9999, 12, 29), timezones=_ZONES))
def test_any_aware_time_is_written_as_converting_it_to_utc_writes_it(moment):
    assert format_time(moment) == _the_long_way(moment)


def test_a_consumed_envelopes_time_at_offset_zero_is_written_in_utc():
    from orderpulse.events.envelope import Envelope

    time = Envelope.model_validate({"id": "e", "source": "/s", "type": "t", "subject": "k", "partitionkey": "k",
                                    "time": "2026-12-06T10:00:00.123456+00:00", "data": {}}).time
    assert time.tzinfo is not UTC and format_time(time) == "2026-12-06T10:00:00.123Z"

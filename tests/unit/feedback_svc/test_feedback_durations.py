from datetime import timedelta

import pytest
from feedback_svc.domain.durations import format_duration, parse_duration
from feedback_svc.domain.errors import InvalidDuration
from hypothesis import given
from hypothesis import strategies as st


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1h", timedelta(hours=1)),
        ("90s", timedelta(seconds=90)),
        ("0s", timedelta(0)),
        ("15m", timedelta(minutes=15)),
        ("14d", timedelta(days=14)),
        ("1h30m", timedelta(minutes=90)),
        (" 2H ", timedelta(hours=2)),
    ],
)
def test_durations_read_as_people_write_them(text, expected):
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text", ["", "10", "-1h", "1x", "h", "1.5h", "1 h", "one hour"])
def test_a_duration_without_a_unit_or_with_a_sign_is_refused(text):
    with pytest.raises(InvalidDuration):
        parse_duration(text)


@given(st.integers(min_value=0, max_value=400 * 86400))
def test_formatting_a_duration_reads_back_as_the_same_duration(seconds):
    duration = timedelta(seconds=seconds)
    assert parse_duration(format_duration(duration)) == duration

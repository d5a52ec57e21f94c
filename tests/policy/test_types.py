"""The value types people write: durations, percentages, clock times, time zones."""

from __future__ import annotations

import re
from datetime import time, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import TypeAdapter, ValidationError

from onwatch.policy.types import (
    ClockTime,
    Duration,
    Percent,
    TimeZoneName,
    format_duration,
    format_percent,
    parse_clock_time,
    parse_duration,
    parse_percent,
    parse_time_zone,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("250ms", timedelta(milliseconds=250)),
        ("30s", timedelta(seconds=30)),
        ("5m", timedelta(minutes=5)),
        ("1h", timedelta(hours=1)),
        ("7d", timedelta(days=7)),
        ("2w", timedelta(weeks=2)),
        ("1h30m", timedelta(hours=1, minutes=30)),
        ("1d12h", timedelta(days=1, hours=12)),
        ("1.5h", timedelta(hours=1, minutes=30)),
        (" 5m ", timedelta(minutes=5)),
    ],
)
def test_a_duration_is_a_number_with_a_unit(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("5x", '"5x" is not a duration (e.g. 30s, 5m, 1h)'),
        ("5M", '"5M" is not a duration (e.g. 30s, 5m, 1h)'),
        ("1h 30m", '"1h 30m" is not a duration (e.g. 30s, 5m, 1h)'),
        ("-5s", '"-5s" is not a duration (e.g. 30s, 5m, 1h)'),
        ("", '"" is not a duration (e.g. 30s, 5m, 1h)'),
        (30, "30 has no unit; write a duration such as 30s (e.g. 30s, 5m, 1h)"),
        (1.5, "1.5 has no unit; write a duration such as 1.5s (e.g. 30s, 5m, 1h)"),
        (True, "True is not a duration (e.g. 30s, 5m, 1h)"),
        (None, "None is not a duration (e.g. 30s, 5m, 1h)"),
        ("0s", '"0s" must be longer than zero'),
        ("0.0001ms", '"0.0001ms" must be longer than zero'),
        ("99999999999d", '"99999999999d" is too long to be a duration'),
    ],
)
def test_a_duration_that_is_not_one_says_what_was_expected(value: Any, message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        parse_duration(value)


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (timedelta(milliseconds=250), "250ms"),
        (timedelta(seconds=90), "1m30s"),
        (timedelta(days=400), "400d"),
        (timedelta(days=1, hours=1, minutes=1, seconds=1), "1d1h1m1s"),
        (timedelta(0), "0s"),
    ],
)
def test_a_duration_is_written_back_in_its_shortest_policy_spelling(
    value: timedelta, text: str
) -> None:
    assert format_duration(value) == text


@given(st.integers(min_value=1, max_value=10**12))
def test_every_whole_millisecond_duration_survives_a_round_trip(millis: int) -> None:
    value = timedelta(milliseconds=millis)
    assert parse_duration(format_duration(value)) == value


@pytest.mark.parametrize(
    ("text", "expected"),
    [("99.9%", 0.999), ("99.95%", 0.9995), ("100%", 1.0), ("0%", 0.0), (" 50 % ", 0.5)],
)
def test_a_percentage_is_held_as_the_fraction_it_names(text: str, expected: float) -> None:
    assert parse_percent(text) == expected


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (99.9, "99.9 needs a % sign; write it as a percentage such as 99.9%"),
        ("99.9", '"99.9" is not a percentage (e.g. 99.9%)'),
        ("-1%", '"-1%" is not a percentage (e.g. 99.9%)'),
        ("1e2%", '"1e2%" is not a percentage (e.g. 99.9%)'),
        ("100.1%", '"100.1%" must lie between 0% and 100%'),
        (None, "None is not a percentage (e.g. 99.9%)"),
        (True, "True is not a percentage (e.g. 99.9%)"),
    ],
)
def test_a_percentage_that_is_not_one_says_what_was_expected(value: Any, message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        parse_percent(value)


@given(st.decimals(min_value=0, max_value=100, places=3))
def test_every_percentage_reads_back_as_written(number: Any) -> None:
    text = f"{number.normalize():f}%"
    assert parse_percent(format_percent(parse_percent(text))) == parse_percent(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [("00:00", time(0, 0)), ("07:30", time(7, 30)), ("23:59", time(23, 59))],
)
def test_a_clock_time_is_24_hour_hh_mm(text: str, expected: time) -> None:
    assert parse_clock_time(text) == expected


@pytest.mark.parametrize("value", ["24:00", "7:30", "12:60", "12:30:00", "noon", 750, None])
def test_a_clock_time_that_is_not_one_shows_the_expected_form(value: Any) -> None:
    with pytest.raises(ValueError, match=re.escape("is not a clock time (HH:MM, 24-hour")):
        parse_clock_time(value)


@pytest.mark.parametrize("name", ["UTC", "Europe/Brussels", "America/New_York", "Etc/GMT+1"])
def test_an_iana_time_zone_name_is_accepted(name: str) -> None:
    assert parse_time_zone(name) == name


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (
            "Europe/Brusels",
            '"Europe/Brusels" is not an IANA time zone (did you mean "Europe/Brussels"?)',
        ),
        ("europe/brussels", 'did you mean "Europe/Brussels"?'),
        (
            "Mars/Olympus_Mons",
            '"Mars/Olympus_Mons" is not an IANA time zone (e.g. Europe/Brussels, UTC)',
        ),
        ("../../etc/passwd", "is not an IANA time zone"),
        ("", '"" is not an IANA time zone (e.g. Europe/Brussels, UTC)'),
        (1, "1 is not an IANA time zone (e.g. Europe/Brussels, UTC)"),
    ],
)
def test_a_time_zone_that_is_not_one_suggests_the_closest(value: Any, message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        parse_time_zone(value)


@pytest.mark.parametrize(
    ("annotation", "text", "dumped"),
    [
        (Duration, "90m", "1h30m"),
        (Percent, "99.9%", "99.9%"),
        (ClockTime, "07:05", "07:05"),
        (TimeZoneName, "Europe/Brussels", "Europe/Brussels"),
    ],
)
def test_each_type_validates_and_dumps_in_the_policy_spelling(
    annotation: Any, text: str, dumped: str
) -> None:
    adapter: TypeAdapter[Any] = TypeAdapter(annotation)
    assert adapter.dump_python(adapter.validate_python(text), mode="json") == dumped


@pytest.mark.parametrize("annotation", [Duration, Percent, ClockTime])
def test_each_type_exports_a_pattern_that_matches_its_own_examples(annotation: Any) -> None:
    adapter: TypeAdapter[Any] = TypeAdapter(annotation)
    schema = adapter.json_schema()
    assert schema["type"] == "string"
    assert schema["examples"]
    for example in schema["examples"]:
        assert re.fullmatch(schema["pattern"], example), example
        adapter.validate_python(example)


def test_a_type_rejects_through_pydantic_with_the_same_message() -> None:
    with pytest.raises(ValidationError, match=re.escape('"5x" is not a duration')):
        TypeAdapter(Duration).validate_python("5x")

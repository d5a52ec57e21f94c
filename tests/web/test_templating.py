"""The numbers and times people read on every page: durations, latencies, ages, percentages."""

from __future__ import annotations

from datetime import timedelta

import pytest

from onwatch.web.templating import clock, duration, ms, percent, relative, templates


@pytest.mark.parametrize(
    ("value", "shown"),
    [(None, "—"), (0.4, "0.4 ms"), (250.0, "250 ms"), (1000.0, "1 s"), (2406.0, "2.406 s")],
)
def test_latencies_read_in_milliseconds_below_a_second_and_seconds_above(
    value: float | None, shown: str
) -> None:
    assert ms(value) == shown


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (timedelta(seconds=30), "30 s"),
        (timedelta(minutes=1), "1 min"),
        (timedelta(minutes=90), "1 h 30 min"),
        (timedelta(days=2, hours=3, minutes=4), "2 d 3 h"),
        (0.25, "250 ms"),
        (1.5, "1.5 s"),
        (None, "—"),
    ],
)
def test_durations_read_in_the_two_largest_units(
    value: timedelta | float | None, shown: str
) -> None:
    assert duration(value) == shown


@pytest.mark.parametrize(
    ("ago", "shown"),
    [(0.2, "just now"), (12, "12 s ago"), (61, "1 min ago"), (7300, "2 h ago"), (-300, "in 5 min")],
)
def test_times_read_relative_to_now(ago: float, shown: str) -> None:
    assert relative(1000.0 - ago, 1000.0) == shown
    assert relative(None, 1000.0) == "never"


def test_percentages_round_down_so_a_bad_minute_never_reads_as_100() -> None:
    assert percent(0.99999) == "99.99%"
    assert percent(1.0) == "100%"
    assert percent(0.75) == "75.00%"
    assert percent(0.123456, 3) == "12.345%"
    assert percent(None) == "—"


def test_clock_times_are_shown_in_the_policy_time_zone() -> None:
    assert clock(1_789_999_200.0) == "2026-09-21 14:00:00"
    assert clock(1_789_999_200.0, "Europe/Brussels", seconds=False) == "2026-09-21 16:00"


def test_templates_escape_what_they_show() -> None:
    page = templates.env.from_string("{{ text }}").render(text="<b>&</b>")
    assert page == "&lt;b&gt;&amp;&lt;/b&gt;"

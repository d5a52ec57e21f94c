"""Maintenance occurrences: a local start repeated by an RFC 5545 rule, in Unix seconds,
staying at the same wall-clock time when summer time starts and ends."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from onwatch.slo.occurrences import occurrences, parse_rule, recurrence

BRUSSELS = "Europe/Brussels"
TWO_HOURS = timedelta(hours=2)


def utc(*parts: int) -> float:
    """Unix seconds of a UTC date and time."""
    return datetime(*parts, tzinfo=UTC).timestamp()  # type: ignore[misc]


def as_utc(spans: list[tuple[float, float]]) -> list[tuple[str, str]]:
    """Spans as readable UTC times."""
    return [
        tuple(datetime.fromtimestamp(t, UTC).strftime("%Y-%m-%d %H:%M") for t in span)  # type: ignore[misc]
        for span in spans
    ]


def test_a_single_window_is_its_local_start_for_its_duration() -> None:
    spans = occurrences(
        datetime(2026, 12, 6, 22), BRUSSELS, TWO_HOURS, None, utc(2026, 12, 1), utc(2027, 1, 1)
    )
    assert as_utc(spans) == [("2026-12-06 21:00", "2026-12-06 23:00")]


def test_only_a_window_overlapping_the_range_is_returned() -> None:
    start = datetime(2026, 12, 6, 22)  # 21:00 to 23:00 UTC

    def between(since: float, until: float) -> int:
        return len(occurrences(start, BRUSSELS, TWO_HOURS, None, since, until))

    assert between(utc(2026, 12, 7), utc(2026, 12, 8)) == 0
    assert between(utc(2026, 12, 6, 22, 30), utc(2026, 12, 7)) == 1
    assert between(utc(2026, 12, 6), utc(2026, 12, 6, 21, 1)) == 1
    assert between(utc(2026, 12, 6), utc(2026, 12, 6, 21)) == 0  # until is not included
    assert between(utc(2026, 12, 6, 23), utc(2026, 12, 7)) == 0  # nor is the window's end
    assert between(utc(2026, 12, 6, 22), utc(2026, 12, 6, 22)) == 0


def test_a_weekly_window_stays_at_22_00_local_across_the_start_of_summer_time() -> None:
    # Clocks go forward on the last Sunday of March 2026, the 29th: 22:00 is 21:00 UTC
    # the week before and 20:00 UTC from then on.
    spans = occurrences(
        datetime(2026, 3, 15, 22),
        BRUSSELS,
        TWO_HOURS,
        "FREQ=WEEKLY;BYDAY=SU",
        utc(2026, 3, 20),
        utc(2026, 4, 6),
    )
    assert as_utc(spans) == [
        ("2026-03-22 21:00", "2026-03-22 23:00"),
        ("2026-03-29 20:00", "2026-03-29 22:00"),
        ("2026-04-05 20:00", "2026-04-05 22:00"),
    ]


def test_a_weekly_window_stays_at_22_00_local_across_the_end_of_summer_time() -> None:
    # Clocks go back on the last Sunday of October 2026, the 25th.
    spans = occurrences(
        datetime(2026, 10, 4, 22),
        BRUSSELS,
        TWO_HOURS,
        "FREQ=WEEKLY;BYDAY=SU",
        utc(2026, 10, 17),
        utc(2026, 11, 2),
    )
    assert as_utc(spans) == [
        ("2026-10-18 20:00", "2026-10-18 22:00"),
        ("2026-10-25 21:00", "2026-10-25 23:00"),
        ("2026-11-01 21:00", "2026-11-01 23:00"),
    ]


def test_a_window_over_the_change_of_clocks_lasts_its_duration_in_elapsed_time() -> None:
    # 01:00 to 05:00 on the night clocks go forward: four real hours, ending at 06:00 local.
    spans = occurrences(
        datetime(2026, 3, 29, 1),
        BRUSSELS,
        timedelta(hours=4),
        None,
        utc(2026, 3, 28),
        utc(2026, 3, 30),
    )
    assert as_utc(spans) == [("2026-03-29 00:00", "2026-03-29 04:00")]


def test_a_start_in_the_skipped_hour_is_read_with_the_offset_before_the_change() -> None:
    # 02:30 does not exist on 29 March 2026 in Brussels; it is taken as 03:30 summer time.
    spans = occurrences(
        datetime(2026, 3, 15, 2, 30),
        BRUSSELS,
        timedelta(minutes=30),
        "FREQ=WEEKLY",
        utc(2026, 3, 28),
        utc(2026, 3, 30),
    )
    assert as_utc(spans) == [("2026-03-29 01:30", "2026-03-29 02:00")]


def test_only_occurrences_overlapping_the_range_are_returned_even_years_later() -> None:
    spans = occurrences(
        datetime(2026, 1, 1, 3),
        "UTC",
        timedelta(minutes=30),
        "FREQ=DAILY",
        utc(2029, 6, 10, 3, 15),
        utc(2029, 6, 11, 3, 0),
    )
    assert as_utc(spans) == [("2029-06-10 03:00", "2029-06-10 03:30")]


def test_a_rule_with_a_count_ends() -> None:
    spans = occurrences(
        datetime(2026, 1, 1, 3),
        "UTC",
        timedelta(hours=1),
        "FREQ=DAILY;COUNT=2",
        utc(2026, 1, 1),
        utc(2026, 2, 1),
    )
    assert len(spans) == 2


def test_an_aware_start_is_read_in_the_windows_zone() -> None:
    start = datetime(2026, 12, 6, 21, tzinfo=UTC)  # 22:00 in Brussels
    spans = occurrences(
        start, BRUSSELS, TWO_HOURS, "FREQ=WEEKLY", utc(2026, 12, 10), utc(2026, 12, 14)
    )
    assert as_utc(spans) == [("2026-12-13 21:00", "2026-12-13 23:00")]


def test_a_rule_that_misses_its_start_still_counts_the_start_first() -> None:
    spans = occurrences(
        datetime(2026, 12, 5, 22),  # a Saturday
        "UTC",
        TWO_HOURS,
        "FREQ=WEEKLY;BYDAY=SU",
        utc(2026, 12, 1),
        utc(2026, 12, 8),
    )
    assert as_utc(spans) == [
        ("2026-12-05 22:00", "2026-12-06 00:00"),
        ("2026-12-06 22:00", "2026-12-07 00:00"),
    ]


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        (
            "DTSTART:20261206T220000\nRRULE:FREQ=WEEKLY",
            "holds DTSTART; leave it out, start gives it",
        ),
        ("FREQ=WEEKLY\nEXDATE:20261213T220000", "must be one RRULE value such as"),
        ("BYDAY=SU", "needs FREQ (e.g. FREQ=WEEKLY;BYDAY=SU)"),
        ("FREQ=MINUTELY", "repeats too often; maintenance can repeat at most hourly"),
        ("FREQ=FORTNIGHTLY", "is not an RFC 5545 rule: invalid 'FREQ': FORTNIGHTLY"),
        ("FREQ=WEEKLY;BYDAY=XX", "is not an RFC 5545 rule: invalid 'BYDAY': XX"),
        ("FREQ=WEEKLY;UNTIL=20270101T000000Z", "UNTIL is in local time here: write it without Z"),
    ],
)
def test_a_rule_people_cannot_mean_is_refused_with_a_reason(rule: str, message: str) -> None:
    with pytest.raises(ValueError, match="^" + message.replace("(", r"\(").replace(")", r"\)")):
        parse_rule(rule, datetime(2026, 12, 6, 22))


def test_the_rule_must_give_the_start_as_its_first_occurrence() -> None:
    with pytest.raises(ValueError, match=r"2026-12-05 22:00, a Saturday\) as its first occurrence"):
        recurrence("FREQ=WEEKLY;BYDAY=SU", datetime(2026, 12, 5, 22))
    with pytest.raises(ValueError, match="gives no date at all"):
        recurrence("FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30", datetime(2026, 2, 1, 22))


def test_an_rrule_prefix_is_accepted() -> None:
    assert recurrence("RRULE:FREQ=DAILY", datetime(2026, 1, 1)).after(
        datetime(2026, 1, 1)
    ) == datetime(2026, 1, 2)

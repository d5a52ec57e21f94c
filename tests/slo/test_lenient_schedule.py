"""Lenient ranges on the clock of Europe/Brussels, including both summer-time changes of 2026.

Summer time starts on Sunday 29 March (at 01:00 UTC the clock jumps from 02:00
to 03:00) and ends on Sunday 25 October (at 01:00 UTC it goes back from 03:00
to 02:00). A wall time is the first instant the clock shows it or later.
"""

from __future__ import annotations

from datetime import time

import pytest
from slostreams import HOUR, availability, utc

from onwatch.slo.model import LenientRange, ObjectiveSpec
from onwatch.slo.schedule import (
    occurrence_at,
    occurrences,
    range_at,
    segment_at,
    target_at,
)

BRUSSELS = "Europe/Brussels"


def night(start: int, end: int, minute: int = 0, target: float = 0.99) -> ObjectiveSpec:
    """99.9% by day, ``target`` from ``start`` to ``end`` o'clock in Brussels."""
    lenient = LenientRange(time(start), time(end, minute), target=target)
    return availability(0.999, timezone=BRUSSELS, lenient=(lenient,))


def hours_of_night(spec: ObjectiveSpec, inside: float) -> float:
    occurrence = occurrence_at(spec, inside)
    assert occurrence is not None
    return occurrence.seconds / HOUR


def test_a_night_range_holds_the_softer_target_and_the_day_the_usual_one() -> None:
    spec = night(0, 2)
    assert target_at(spec, utc(2026, 3, 21, 23, 30)) == 0.99  # 00:30 in Brussels
    assert target_at(spec, utc(2026, 3, 22, 0, 59, 59)) == 0.99
    assert target_at(spec, utc(2026, 3, 22, 1)) == 0.999  # 02:00: the range is over
    assert target_at(spec, utc(2026, 3, 22, 12)) == 0.999
    assert range_at(spec, utc(2026, 3, 22, 12)) is None


def test_a_range_across_midnight_is_one_occurrence_from_evening_to_morning() -> None:
    spec = night(23, 6)
    occurrence = occurrence_at(spec, utc(2026, 1, 10, 2))  # 03:00 in Brussels
    assert occurrence is not None
    assert (occurrence.start, occurrence.end) == (utc(2026, 1, 9, 22), utc(2026, 1, 10, 5))
    assert range_at(spec, utc(2026, 1, 9, 22)) == spec.lenient[0]


def test_a_night_of_two_hours_stays_two_hours_when_the_clock_jumps_forward_at_its_end() -> None:
    assert hours_of_night(night(0, 2), utc(2026, 3, 29, 0)) == 2


def test_a_night_holding_the_skipped_hour_is_an_hour_shorter() -> None:
    assert hours_of_night(night(1, 4), utc(2026, 3, 29, 1)) == 2  # 01:00 to 04:00, no 02:xx
    assert hours_of_night(night(1, 4), utc(2026, 3, 22, 1)) == 3  # a week before


def test_a_range_ending_in_the_skipped_hour_ends_when_the_clock_jumps() -> None:
    occurrence = occurrence_at(night(0, 2, minute=30), utc(2026, 3, 29, 0))
    assert occurrence is not None
    assert occurrence.end == utc(2026, 3, 29, 1)  # 03:00 summer time, not 03:30


def test_a_night_holding_the_repeated_hour_is_an_hour_longer() -> None:
    spec = night(2, 4)
    assert hours_of_night(spec, utc(2026, 10, 25, 1, 30)) == 3  # the second 02:30
    assert hours_of_night(spec, utc(2026, 10, 18, 1)) == 2
    assert target_at(spec, utc(2026, 10, 25, 0, 30)) == 0.99  # the first 02:30


def test_a_range_ending_at_the_repeated_hour_ends_at_its_first_showing() -> None:
    spec = night(0, 2)
    assert hours_of_night(spec, utc(2026, 10, 24, 23)) == 2
    assert target_at(spec, utc(2026, 10, 25, 0, 30)) == 0.999  # 02:30 the first time: day


@pytest.mark.parametrize(
    ("inside", "hours"),
    [
        pytest.param(utc(2026, 3, 28, 23), 6, id="spring-forward"),
        pytest.param(utc(2026, 10, 24, 23), 8, id="fall-back"),
        pytest.param(utc(2026, 6, 1, 0), 7, id="summer"),
    ],
)
def test_a_range_across_midnight_follows_real_time_on_change_nights(
    inside: float, hours: int
) -> None:
    assert hours_of_night(night(23, 6), inside) == hours


def test_occurrences_list_every_night_overlapping_a_span_in_order() -> None:
    spec = night(23, 6)
    nights = occurrences(spec, utc(2026, 1, 10, 3), utc(2026, 1, 12, 21))
    starts = [occurrence.start for occurrence in nights]
    assert starts == [utc(2026, 1, 9, 22), utc(2026, 1, 10, 22), utc(2026, 1, 11, 22)]


def test_a_segment_spans_from_one_range_edge_to_the_next() -> None:
    spec = night(0, 2)
    day = segment_at(spec, utc(2026, 5, 10, 12))  # 14:00 summer time
    assert (day.start, day.end, day.occurrences) == (utc(2026, 5, 10, 0), utc(2026, 5, 10, 22), ())
    inside = segment_at(spec, utc(2026, 5, 10, 23))
    assert (inside.start, inside.end) == (utc(2026, 5, 10, 22), utc(2026, 5, 11, 0))
    assert inside.target_range is not None
    assert inside.allowance_range is None


def test_without_lenient_ranges_the_target_never_changes() -> None:
    spec = availability(0.999)
    assert target_at(spec, utc(2026, 3, 29, 1)) == 0.999
    assert occurrences(spec, 0, utc(2030, 1, 1)) == []

"""Rebuilding a tracker from stored rollups gives what live checks would have given."""

from __future__ import annotations

from datetime import time

import pytest
from slostreams import DAY, HOUR, NOON, availability, utc

from onwatch.slo.model import LenientRange, WindowSpec
from onwatch.slo.tracker import ObjectiveTracker


def failing(minute: int) -> bool:
    """A pattern of failures: a burst of ten minutes, then one minute in seventeen."""
    return 200 <= minute < 210 or minute % 17 == 0


def test_minute_rollups_rebuild_exactly_what_the_checks_built() -> None:
    spec = availability(0.999)
    live = ObjectiveTracker(spec, start=NOON - 8 * HOUR)
    rebuilt = ObjectiveTracker(spec, start=NOON)
    for minute in range(8 * 60):
        at = NOON - 8 * HOUR + minute * 60
        live.observe(at, not failing(minute), 60)
        rebuilt.observe_bucket(at, 60, 1, int(failing(minute)), 60)
    assert rebuilt.evaluate(NOON) == live.evaluate(NOON)


def test_an_hour_rollup_takes_the_night_target_for_the_minutes_inside_the_night() -> None:
    night = LenientRange(time(0, 30), time(2), target=0.99)
    spec = availability(0.999, lenient=(night,), also_report=(WindowSpec("rolling", 2 * HOUR),))
    midnight = NOON + 12 * HOUR
    tracker = ObjectiveTracker(spec, start=midnight + HOUR)
    for hour in (-2, -1, 0):
        tracker.observe_bucket(midnight + hour * HOUR, HOUR, 60, 0, 60)
    two_hours = tracker.evaluate(midnight + HOUR - 1).also[0]  # (23:00, 01:00)
    assert two_hours.lenient_seconds == 30 * 60
    assert two_hours.budget_events == pytest.approx(90 * 0.001 + 30 * 0.01)


def test_an_hour_rollup_spreads_its_failures_over_the_hour_for_an_allowance() -> None:
    night = LenientRange(time(0, 30), time(2), allowance_seconds=120)
    spec = availability(0.999, lenient=(night,))
    midnight = NOON + 12 * HOUR
    tracker = ObjectiveTracker(spec, start=midnight + HOUR)
    tracker.observe_bucket(midnight, HOUR, 60, 6, 60)  # three before 00:30, three after
    standing = tracker.evaluate(midnight + HOUR).standing
    assert (standing.excused_bad, standing.bad) == (2, 4)


def test_thirty_days_of_hour_rollups_then_live_checks_count_every_event_once() -> None:
    spec = availability(0.999)
    tracker = ObjectiveTracker(spec, start=NOON)
    for hour in range(30 * 24, 6, -1):
        tracker.observe_bucket(NOON - hour * HOUR, HOUR, 60, 1, 60)
    for minute in range(6 * 60, 0, -1):
        tracker.observe_bucket(NOON - minute * 60, 60, 1, 0, 60)
    for minute in range(30):
        tracker.observe(NOON + minute * 60, minute != 10, 60)
    evaluation = tracker.evaluate(NOON + 30 * 60)
    thirty_days = evaluation.standing
    assert thirty_days.events == (30 * 24 - 1) * 60 + 30  # the window starts on the hour
    assert thirty_days.bad == 30 * 24 - 7 + 1
    assert thirty_days.since == NOON - (30 * 24 - 1) * HOUR


def test_a_rollup_across_local_midnight_on_the_first_is_split_between_the_months() -> None:
    # Kolkata is UTC+05:30: its months begin at 18:30 UTC, half-way through a stored hour.
    spec = availability(0.999, window=WindowSpec("month"), timezone="Asia/Kolkata")
    tracker = ObjectiveTracker(spec, start=utc(2026, 10, 31, 19))
    tracker.observe_bucket(utc(2026, 10, 31, 18), HOUR, 60, 0, 60)
    november = tracker.evaluate(utc(2026, 10, 31, 19)).standing
    assert november.since == utc(2026, 10, 31, 18, 30)
    assert november.events == 30


def test_buckets_older_than_the_longest_window_are_dropped_once_time_has_moved_on() -> None:
    tracker = ObjectiveTracker(availability(0.999), start=NOON)
    tracker.observe_bucket(NOON - HOUR, HOUR, 60, 0, 60)
    tracker.observe_bucket(NOON - 31 * DAY, HOUR, 60, 60, 60)
    standing = tracker.evaluate(NOON).standing
    assert (standing.events, standing.bad) == (60, 0)

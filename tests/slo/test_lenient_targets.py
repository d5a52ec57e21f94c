"""Lenient nights: a softer target brings more budget per event, an allowance excuses bad time.

The objective is 99.9% by day; from 00:00 to 02:00 UTC either 99% is enough or
up to 10 minutes of failed checks a night do not count. Maintenance time is
left out separately, and reported apart from the excused time.
"""

from __future__ import annotations

from datetime import time

import pytest
from slostreams import DAY, HOUR, NOON, availability, every, feed, seconds_until, warm

from onwatch.slo.budget import nano_per_event
from onwatch.slo.model import Evaluation, LenientRange, ObjectiveSpec, WindowSpec
from onwatch.slo.schedule import target_at
from onwatch.slo.tracker import ObjectiveTracker

MIDNIGHT = NOON - 12 * HOUR
SIX_HOURS = WindowSpec("rolling", 6 * HOUR)
SOFTER_NIGHT = LenientRange(time(0), time(2), target=0.99)
TEN_MINUTES_A_NIGHT = LenientRange(time(0), time(2), allowance_seconds=600)


def lenient(*ranges: LenientRange) -> ObjectiveSpec:
    return availability(0.999, lenient=ranges, also_report=(SIX_HOURS,))


def paging(evaluation: Evaluation) -> bool:
    return any(state.firing and state.tier.severity == "page" for state in evaluation.tiers)


def test_two_percent_errors_page_by_day() -> None:
    tracker = warm(lenient(SOFTER_NIGHT), NOON, history_days=3)
    seconds = seconds_until(tracker, NOON, every(50), paging, limit=2 * HOUR)
    assert seconds is not None
    assert seconds / 60 == pytest.approx(43.2, rel=0.02)


def test_two_percent_errors_do_not_page_at_night_where_99_percent_is_enough() -> None:
    tracker = warm(lenient(SOFTER_NIGHT), MIDNIGHT, history_days=3)
    for minute in range(120):
        start = MIDNIGHT + minute * 60
        feed(tracker, start, start + 60, lambda i, base=minute * 60: (base + i) % 50 == 0)
        assert not paging(tracker.evaluate(start + 59))


def test_a_window_budget_is_the_sum_of_one_minus_the_target_over_its_events() -> None:
    spec = lenient(SOFTER_NIGHT)
    tracker = ObjectiveTracker(spec, start=MIDNIGHT - 4 * HOUR)
    feed(tracker, MIDNIGHT - 4 * HOUR, MIDNIGHT + 4 * HOUR, step=60)  # 20:00 to 04:00
    now = MIDNIGHT + 4 * HOUR - 1
    six_hours = tracker.evaluate(now).also[0]
    counted = range(int(now - 6 * HOUR) + 1, int(now) + 1, 60)
    expected_nano = sum(nano_per_event(target_at(spec, at)) for at in counted)
    assert six_hours.events == 360
    assert six_hours.lenient_seconds == 2 * HOUR  # 120 checks of a minute at night
    assert expected_nano == 240 * 1_000_000 + 120 * 10_000_000
    assert six_hours.budget_events == expected_nano / 1e9


def test_the_period_budget_as_time_weighs_the_softer_nights() -> None:
    tracker = warm(availability(0.999, lenient=(SOFTER_NIGHT,)), NOON, resolution=60)
    standing = tracker.evaluate(NOON).standing
    # 30 days at 0.1%, plus 30 nights of 2 h with 0.9% more: 2,592 s + 1,944 s.
    assert standing.allowed_bad_seconds == pytest.approx(2592 + 30 * 7200 * 0.009)


def night_with_failures(spec: ObjectiveSpec, failed_minutes: range) -> ObjectiveTracker:
    """Checks every minute from 18:00 to 06:00; the given minutes after midnight fail."""
    tracker = ObjectiveTracker(spec, start=MIDNIGHT - 6 * HOUR)
    for minute in range(-6 * 60, 6 * 60):
        tracker.observe(MIDNIGHT + minute * 60, minute not in failed_minutes, 60)
    return tracker


def test_an_allowance_excuses_ten_minutes_a_night_and_the_eleventh_counts() -> None:
    tracker = night_with_failures(lenient(TEN_MINUTES_A_NIGHT), range(10, 21))
    standing = tracker.evaluate(MIDNIGHT + 6 * HOUR).standing
    assert standing.excused_bad == 10
    assert standing.excused_seconds == 600
    assert standing.bad == 1
    assert standing.events == 12 * 60 - 10  # excused checks are not events either
    assert standing.lenient_seconds == 2 * HOUR


def test_the_allowance_is_fresh_the_next_night() -> None:
    spec = lenient(TEN_MINUTES_A_NIGHT)
    tracker = night_with_failures(spec, range(10, 20))
    for minute in range(6 * 60, 30 * 60):  # until 06:00 the next morning
        tracker.observe(MIDNIGHT + minute * 60, not 24 * 60 <= minute < 24 * 60 + 10, 60)
    standing = tracker.evaluate(MIDNIGHT + 30 * HOUR).standing
    assert (standing.excused_bad, standing.bad) == (20, 0)


def test_failures_outside_the_night_are_not_excused() -> None:
    tracker = night_with_failures(lenient(TEN_MINUTES_A_NIGHT), range(-30, -25))
    standing = tracker.evaluate(MIDNIGHT + 6 * HOUR).standing
    assert (standing.excused_bad, standing.bad) == (0, 5)


def test_the_allowances_add_to_the_period_budget_but_not_to_what_is_left() -> None:
    tracker = warm(availability(0.999, lenient=(TEN_MINUTES_A_NIGHT,)), NOON, resolution=60)
    standing = tracker.evaluate(NOON).standing
    assert standing.allowed_bad_seconds == pytest.approx(2592 + 30 * 600)
    assert standing.remaining_bad_seconds == pytest.approx(2592)


def test_maintenance_time_is_excluded_and_reported_apart_from_excused_time() -> None:
    spec = lenient(TEN_MINUTES_A_NIGHT)
    tracker = night_with_failures(spec, range(10, 15))
    for minute in range(3 * 60, 3 * 60 + 30):  # 03:00 to 03:30: planned work, checks held back
        tracker.observe_excluded(MIDNIGHT + minute * 60 + 30, 60)
    standing = tracker.evaluate(MIDNIGHT + 6 * HOUR).standing
    assert standing.excluded_seconds == 30 * 60
    assert standing.excused_seconds == 5 * 60
    assert standing.events == 12 * 60 - 5


def test_a_day_of_checks_counts_the_nights_lenient_time() -> None:
    tracker = warm(lenient(SOFTER_NIGHT), NOON, resolution=60, hours=24)
    assert tracker.evaluate(NOON - 1).also[0].lenient_seconds == 0  # 06:00 to 12:00: day
    day = tracker.evaluate(NOON).standing
    assert day.lenient_seconds == 2 * HOUR
    assert day.since <= NOON - DAY

"""Calendar months and quarters in Europe/Brussels, and rolling windows beside them."""

from __future__ import annotations

import pytest
from slostreams import DAY, HOUR, THIRTY_DAYS, availability, utc

from onwatch.slo.budget import budget_words
from onwatch.slo.calendar import period_bounds, period_seconds, window_bounds
from onwatch.slo.model import WindowSpec
from onwatch.slo.tracker import ObjectiveTracker

BRUSSELS = "Europe/Brussels"
MONTH = WindowSpec("month")
QUARTER = WindowSpec("quarter")


@pytest.mark.parametrize(
    ("window", "at", "since", "until"),
    [
        pytest.param(MONTH, utc(2026, 3, 15), utc(2026, 2, 28, 23), utc(2026, 3, 31, 22), id="march"),
        pytest.param(MONTH, utc(2026, 12, 31, 23), utc(2026, 12, 31, 23), utc(2027, 1, 31, 23), id="new-year"),
        pytest.param(QUARTER, utc(2026, 2, 1), utc(2025, 12, 31, 23), utc(2026, 3, 31, 22), id="q1"),
        pytest.param(QUARTER, utc(2026, 11, 1), utc(2026, 9, 30, 22), utc(2026, 12, 31, 23), id="q4"),
    ],
)  # fmt: skip
def test_a_calendar_period_runs_from_local_midnight_on_its_first_day_to_the_next(
    window: WindowSpec, at: float, since: float, until: float
) -> None:
    assert period_bounds(window, at, BRUSSELS) == (since, until)
    assert window_bounds(window, at, BRUSSELS) == (since, at)


def test_a_month_lasts_its_real_time_across_summer_time_changes() -> None:
    assert period_seconds(MONTH, utc(2026, 3, 10), BRUSSELS) == (31 * 24 - 1) * HOUR
    assert period_seconds(MONTH, utc(2026, 10, 10), BRUSSELS) == (31 * 24 + 1) * HOUR
    assert period_seconds(MONTH, utc(2026, 6, 10), BRUSSELS) == 30 * DAY


def test_a_rolling_window_is_its_length_before_the_moment() -> None:
    assert period_bounds(THIRTY_DAYS, 100 * DAY) == (70 * DAY, 100 * DAY)
    assert period_seconds(THIRTY_DAYS, 100 * DAY) == 30 * DAY


def hourly_history(since: float, until: float, bad_hours: dict[float, int]) -> ObjectiveTracker:
    """A check a minute as hour buckets from ``since`` to ``until``; some hours with failures."""
    spec = availability(0.999, window=MONTH, timezone=BRUSSELS, also_report=(THIRTY_DAYS,))
    tracker = ObjectiveTracker(spec, start=until)
    for hour in range(int(since), int(until), HOUR):
        tracker.observe_bucket(hour, HOUR, 60, bad_hours.get(hour, 0), 60)
    return tracker


def test_the_month_starts_afresh_while_the_30_days_remember_last_month() -> None:
    tracker = hourly_history(utc(2026, 9, 1), utc(2026, 10, 3, 10), {utc(2026, 9, 28, 3): 30})
    evaluation = tracker.evaluate(utc(2026, 10, 3, 10))
    month, rolling = evaluation.standing, evaluation.also[0]
    assert month.since == utc(2026, 9, 30, 22)  # midnight, 1 October, in Brussels
    assert (month.events, month.bad) == (60 * 60, 0)  # 60 hours of October so far
    assert rolling.bad == 30
    assert rolling.events == 30 * 24 * 60 - 60  # 30 days less the hour a window may lose
    assert budget_words(month, tracker.spec).endswith("left this month")
    assert budget_words(rolling, tracker.spec).endswith("left in the last 30 days")


def test_the_month_total_resets_at_local_midnight_on_the_first() -> None:
    tracker = hourly_history(utc(2026, 9, 25), utc(2026, 9, 30, 22), {})
    before = tracker.evaluate(utc(2026, 9, 30, 21, 59)).standing
    assert before.events > 0
    after = tracker.evaluate(utc(2026, 9, 30, 22)).standing
    assert (after.events, after.since) == (0, utc(2026, 9, 30, 22))
    assert after.budget_used is None  # nothing counted yet this month


def test_a_half_counted_month_estimates_its_whole_budget_from_the_part_seen() -> None:
    october_start = utc(2026, 9, 30, 22)
    tracker = hourly_history(october_start, october_start + 15 * DAY, {})
    standing = tracker.evaluate(october_start + 15 * DAY).standing
    october_hours = 31 * 24 + 1
    assert standing.budget_events == pytest.approx(october_hours * 60 * 0.001)
    assert standing.allowed_bad_seconds == pytest.approx(october_hours * HOUR * 0.001)


def test_budget_used_follows_the_estimate_for_the_whole_period() -> None:
    october_start = utc(2026, 9, 30, 22)
    failing_hour = october_start + 2 * DAY
    tracker = hourly_history(october_start, october_start + 4 * DAY, {failing_hour: 9})
    standing = tracker.evaluate(october_start + 4 * DAY).standing
    assert standing.budget_used == pytest.approx(9 / ((31 * 24 + 1) * 60 * 0.001))
    assert standing.remaining_bad_seconds == pytest.approx(
        standing.allowed_bad_seconds * (1 - standing.budget_used)  # type: ignore[operator]
    )

"""The budget of a window as figures and as words for everyone."""

from __future__ import annotations

import pytest
from slostreams import THIRTY_DAYS, availability

from onwatch.slo.budget import Counted, budget_words, format_span, standing
from onwatch.slo.model import Evaluation, ObjectiveSpec, Standing, TimeSlices, WindowSpec

MONTH = WindowSpec("month")
DAYS_30 = 30 * 86400


def over_30_days(bad: int, events: int = 43_200, target: float = 0.999, **kw: float) -> Standing:
    """The standing of a fully counted 30-day window: a check a minute, ``bad`` of them failed."""
    return standing(
        THIRTY_DAYS,
        Counted(events, bad, round(events * (1 - target) * 1e9)),
        since=0,
        until=DAYS_30,
        covered_seconds=kw.get("covered", DAYS_30),
        period_seconds=DAYS_30,
        period_budget_seconds=DAYS_30 * (1 - target),
    )


@pytest.mark.parametrize(
    ("seconds", "words"),
    [(26, "26 s"), (51.84, "51.8 s"), (516, "8.6 min"), (2592, "43.2 min"), (12_960, "3.6 h"),
     (30 * 86400, "30 d"), (59.99, "1 min"), (-720, "-12 min")],
)  # fmt: skip
def test_a_span_is_told_in_one_unit_with_at_most_one_decimal(seconds: float, words: str) -> None:
    assert format_span(seconds) == words


def test_99_9_percent_over_30_days_allows_43_2_minutes() -> None:
    untouched = over_30_days(bad=0)
    assert untouched.allowed_bad_seconds == pytest.approx(43.2 * 60)
    assert untouched.budget_events == pytest.approx(43.2)
    assert untouched.budget_remaining == 1
    assert untouched.sli == 1


def test_99_999_percent_over_30_days_allows_26_seconds() -> None:
    assert over_30_days(0, target=0.99999).allowed_bad_seconds == pytest.approx(25.92)


def test_used_budget_is_bad_events_over_the_budget_of_the_whole_period() -> None:
    partly = over_30_days(bad=12)
    assert partly.budget_used == pytest.approx(12 / 43.2)
    assert partly.remaining_bad_seconds == pytest.approx((43.2 - 12) * 60)
    half_covered = over_30_days(bad=12, events=21_600, covered=DAYS_30 / 2)
    assert half_covered.budget_used == pytest.approx(12 / 43.2)


def test_a_window_without_events_has_no_figures_yet() -> None:
    empty = over_30_days(bad=0, events=0)
    assert (empty.sli, empty.budget_used, empty.remaining_bad_seconds) == (None, None, None)
    assert budget_words(empty, availability()) == "no checks counted yet"


def test_downtime_left_is_told_in_words_for_the_window() -> None:
    spec = availability()
    assert (
        budget_words(over_30_days(bad=12), spec)
        == "31 minutes of downtime left in the last 30 days"
    )
    month = standing(
        MONTH,
        Counted(21_600, 12, 21_600_000_000),
        since=0,
        until=DAYS_30 / 2,
        covered_seconds=DAYS_30 / 2,
        period_seconds=DAYS_30,
        period_budget_seconds=2592,
    )
    assert budget_words(month, spec) == "31 minutes of downtime left this month"


def test_an_overspent_budget_says_by_how_much() -> None:
    overspent = over_30_days(bad=55)
    assert budget_words(overspent, availability()) == (
        "budget overspent by 12 minutes of downtime in the last 30 days"
    )


def test_the_words_take_an_evaluation_as_well_as_a_standing() -> None:
    spec = availability()
    evaluation = Evaluation(spec, DAYS_30, over_30_days(bad=12))
    assert budget_words(evaluation, spec) == budget_words(evaluation.standing, spec)


def latency(**changes: object) -> ObjectiveSpec:
    return availability(0.99, kind="latency", threshold_ms=3000, **changes)


def test_a_latency_budget_counts_the_slow_loads_still_allowed() -> None:
    figures = over_30_days(bad=300, events=150_000, target=0.99)
    assert budget_words(figures, latency()) == (
        "about 1,200 more loads may take over 3 seconds in the last 30 days"
    )
    overspent = over_30_days(bad=1_600, events=150_000, target=0.99)
    assert budget_words(overspent, latency()) == (
        "budget overspent by about 100 slow loads in the last 30 days"
    )


def test_a_first_byte_budget_speaks_of_responses_starting() -> None:
    figures = over_30_days(bad=299, events=30_000, target=0.99)
    assert budget_words(figures, latency(phase="first_byte")) == (
        "about 1 more response may take over 3 seconds to start in the last 30 days"
    )


def test_a_latency_budget_in_time_slices_speaks_of_slow_time() -> None:
    figures = over_30_days(bad=0, events=43_200, target=0.99)
    spec = latency(time_slices=TimeSlices(60, 0.05))
    assert (
        budget_words(figures, spec) == "7 hours 12 minutes of slow loading left in the last 30 days"
    )


def test_a_short_rolling_window_is_the_last_day_not_the_last_1_day() -> None:
    day = standing(
        WindowSpec("rolling", 86400),
        Counted(1440, 0, 1_440_000_000),
        since=0,
        until=86400,
        covered_seconds=86400,
        period_seconds=86400,
        period_budget_seconds=86.4,
    )
    assert budget_words(day, availability()) == "1 minute of downtime left in the last day"

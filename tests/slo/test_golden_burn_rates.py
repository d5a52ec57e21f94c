"""Golden detection times: the SRE Workbook's multiwindow burn-rate table, second by second.

A 99.9% / 30-day objective sees one check a second; six hours of good checks
fill every page tier's windows, then errors start, spread evenly (10% = every
tenth second fails). The Workbook's detection times are the budget share of a
tier (2% of 30 days in 1 h at 14.4×, 5% in 6 h at 6×) over the error rate:
100% errors page after 0.86 min on the 1h tier, 10% after 8.6 min, and so on.
"""

from __future__ import annotations

import copy
from collections.abc import Callable

import pytest
from slostreams import HOUR, NOON, availability, every, feed, seconds_until, tier, warm

from onwatch.slo.model import Evaluation
from onwatch.slo.tracker import ObjectiveTracker


@pytest.fixture(scope="module")
def warm_tracker() -> ObjectiveTracker:
    """99.9% over 30 days: three days of good history, the last six hours one check a second."""
    return warm(availability(0.999), NOON, history_days=3)


@pytest.fixture
def tracker(warm_tracker: ObjectiveTracker) -> ObjectiveTracker:
    return copy.deepcopy(warm_tracker)


def holding(name: str) -> Callable[[Evaluation], bool]:
    return lambda evaluation: tier(evaluation, name).condition


@pytest.mark.parametrize(
    ("bad_every", "tier_name", "workbook_minutes"),
    [
        pytest.param(1, "page-1h", 0.86, id="100%-1h"),
        pytest.param(1, "page-6h", 2.16, id="100%-6h"),
        pytest.param(10, "page-1h", 8.6, id="10%-1h"),
        pytest.param(10, "page-6h", 21.6, id="10%-6h"),
        pytest.param(50, "page-1h", 43.2, id="2%-1h"),
        pytest.param(50, "page-6h", 108, id="2%-6h"),
        pytest.param(100, "page-6h", 3.6 * 60, id="1%-6h"),
    ],
)
def test_it_detects_an_error_rate_within_2_percent_of_the_workbook_time(
    tracker: ObjectiveTracker, bad_every: int, tier_name: str, workbook_minutes: float
) -> None:
    seconds = seconds_until(
        tracker, NOON, every(bad_every), holding(tier_name), limit=int(workbook_minutes * 90)
    )
    assert seconds is not None
    assert seconds / 60 == pytest.approx(workbook_minutes, rel=0.02)


def test_it_pages_after_52_seconds_of_total_outage(tracker: ObjectiveTracker) -> None:
    def paging(evaluation: Evaluation) -> bool:
        return bool(evaluation.firing)

    assert seconds_until(tracker, NOON, every(1), paging, limit=120) == 52


def test_1_percent_errors_never_hold_the_1h_tier_but_hold_the_6h_one(
    tracker: ObjectiveTracker,
) -> None:
    fastest_burn = 0.0
    for minute in range(4 * 60):
        start = NOON + minute * 60
        feed(tracker, start, start + 60, lambda i, base=minute * 60: (base + i) % 100 == 0)
        state = tier(tracker.evaluate(start + 59), "page-1h")
        assert not state.condition
        fastest_burn = max(fastest_burn, state.long_burn or 0.0)
    assert fastest_burn == pytest.approx(10, rel=0.01)  # 1% errors burn a 0.1% budget 10× as fast
    assert tier(tracker.evaluate(NOON + 4 * HOUR - 1), "page-6h").condition


def test_the_6h_tier_is_suppressed_while_the_1h_tier_fires_and_takes_over_after(
    tracker: ObjectiveTracker,
) -> None:
    feed(tracker, NOON, NOON + 180, every(1))
    during = tracker.evaluate(NOON + 179)
    assert tier(during, "page-1h").firing
    assert tier(during, "page-6h").condition
    assert not tier(during, "page-6h").firing

    feed(tracker, NOON + 180, NOON + 600, every(1))
    feed(tracker, NOON + 600, NOON + 900)  # errors stop; the 1h tier's 5-minute window cools
    after = tracker.evaluate(NOON + 899)
    assert not tier(after, "page-1h").condition
    assert tier(after, "page-6h").firing  # its 30-minute window still burns above 6×


def test_the_page_clears_within_the_short_window_once_errors_stop(
    tracker: ObjectiveTracker,
) -> None:
    feed(tracker, NOON, NOON + 600, every(1))
    assert tier(tracker.evaluate(NOON + 599), "page-1h").firing

    def cleared(evaluation: Evaluation) -> bool:
        return not tier(evaluation, "page-1h").condition

    seconds = seconds_until(tracker, NOON + 600, lambda _: False, cleared, limit=HOUR)
    assert seconds is not None
    assert 4.5 * 60 < seconds <= 5 * 60  # the 5-minute window, not the hour
    long_burn = tier(tracker.evaluate(NOON + 600 + seconds - 1), "page-1h").long_burn
    assert long_burn is not None
    assert long_burn > 14.4  # the long window alone would have kept paging


def test_a_90_percent_target_never_pages_on_the_1h_tier_even_at_100_percent_errors() -> None:
    tracker = warm(availability(0.90), NOON, history_days=3)
    for minute in range(3 * 60):
        start = NOON + minute * 60
        feed(tracker, start, start + 60, every(1))
        state = tier(tracker.evaluate(start + 59), "page-1h")
        assert not state.condition
        assert state.long_burn is not None
        assert state.long_burn <= 10  # 100% errors over a 10% budget: 10×, never 14.4×
    assert tier(tracker.evaluate(NOON + 3 * HOUR - 1), "page-6h").long_burn == 5  # half the window
    feed(tracker, NOON + 3 * HOUR, NOON + 4 * HOUR, every(1))
    assert tier(tracker.evaluate(NOON + 4 * HOUR - 1), "page-6h").condition  # 6.7× ≥ 6×


def test_a_99_999_percent_budget_is_gone_after_26_seconds_of_total_outage() -> None:
    tracker = warm(availability(0.99999), NOON, history_days=31)
    remaining, paged_at = [], None
    for second in range(1, 27):
        tracker.observe(NOON + second - 1, False)
        evaluation = tracker.evaluate(NOON + second - 1)
        remaining.append(evaluation.standing.budget_remaining)
        if paged_at is None and evaluation.firing:
            paged_at = second
    assert paged_at == 3  # min_bad_events: the burn rate alone would page at once
    assert remaining[24] is not None
    assert remaining[24] > 0  # 25 seconds: a little budget left
    assert remaining[25] is not None
    assert remaining[25] <= 0  # 26 seconds: 30 days × 0.001% = 25.9 s, all of it spent

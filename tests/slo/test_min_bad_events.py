"""The min_bad_events guard: with a check a minute, one failed check in an hour must not page.

One failed check is 1/60 = 1.7% of an hour's checks: 16.7× a 0.1% budget, above
the 1h tier's 14.4×. The default of three bad events in the long window asks
for three failures before a page, which a real outage gives in three minutes.
"""

from __future__ import annotations

from slostreams import NOON, availability, tier, warm

from onwatch.slo.model import DEFAULT_MIN_BAD_EVENTS
from onwatch.slo.tracker import ObjectiveTracker


def checks_every_minute(
    failed_minutes: set[int], min_bad_events: int = DEFAULT_MIN_BAD_EVENTS
) -> ObjectiveTracker:
    """A 99.9% objective checked once a minute: six good hours, then one hour with these failures."""
    tracker = warm(
        availability(0.999, min_bad_events=min_bad_events), NOON, resolution=60, history_days=3
    )
    for minute in range(60):
        tracker.observe(NOON + minute * 60, minute not in failed_minutes, 60)
    return tracker


def test_one_failed_check_in_the_hour_does_not_page() -> None:
    tracker = checks_every_minute({58})
    page = tier(tracker.evaluate(NOON + 59 * 60), "page-1h")
    assert page.long_burn is not None
    assert page.long_burn > 14.4  # fast enough to page on burn alone
    assert (page.long_bad, page.condition, page.firing) == (1, False, False)


def test_three_failed_checks_in_the_hour_page() -> None:
    tracker = checks_every_minute({20, 40, 58})
    page = tier(tracker.evaluate(NOON + 59 * 60), "page-1h")
    assert (page.long_bad, page.condition, page.firing) == (3, True, True)


def test_two_failed_checks_are_still_not_enough() -> None:
    tracker = checks_every_minute({40, 58})
    assert not tier(tracker.evaluate(NOON + 59 * 60), "page-1h").condition


def test_with_a_guard_of_one_a_single_failed_check_pages() -> None:
    tracker = checks_every_minute({58}, min_bad_events=1)
    assert tier(tracker.evaluate(NOON + 59 * 60), "page-1h").firing

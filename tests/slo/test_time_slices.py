"""Time slices: minutes are counted instead of checks, bad when over a share of their checks failed."""

from __future__ import annotations

from datetime import time

from slostreams import HOUR, NOON, availability

from onwatch.slo.model import LenientRange, ObjectiveSpec, TimeSlices
from onwatch.slo.slices import slices_of_bucket
from onwatch.slo.tracker import ObjectiveTracker

MINUTES_BAD_ABOVE_20 = TimeSlices(60, 0.2)


def by_the_minute(**changes: object) -> ObjectiveSpec:
    return availability(0.999, time_slices=MINUTES_BAD_ABOVE_20, **changes)


def minute_of_checks(tracker: ObjectiveTracker, start: float, failed: int) -> None:
    """Six checks, one every 10 seconds; the first ``failed`` of them fail."""
    for i in range(6):
        tracker.observe(start + 10 * i, i >= failed, 10)


def test_a_minute_is_bad_only_when_more_than_the_share_of_its_checks_failed() -> None:
    tracker = ObjectiveTracker(by_the_minute(), start=NOON)
    minute_of_checks(tracker, NOON, failed=1)  # 17%: a good minute
    minute_of_checks(tracker, NOON + 60, failed=2)  # 33%: a bad one
    standing = tracker.evaluate(NOON + 120).standing
    assert (standing.events, standing.bad) == (2, 1)


def test_a_slice_becomes_an_event_once_it_is_over() -> None:
    tracker = ObjectiveTracker(by_the_minute(), start=NOON)
    minute_of_checks(tracker, NOON, failed=6)
    assert tracker.evaluate(NOON + 59).standing.events == 0
    assert tracker.evaluate(NOON + 60).standing.bad == 1


def test_a_check_for_a_slice_already_over_is_too_late_to_change_it() -> None:
    tracker = ObjectiveTracker(by_the_minute(), start=NOON)
    minute_of_checks(tracker, NOON, failed=0)
    tracker.observe(NOON + 61, True, 10)  # closes the first minute
    tracker.observe(NOON + 59, False, 10)
    tracker.observe(NOON + 58, False, 10)
    assert tracker.evaluate(NOON + 120).standing.bad == 0


def test_an_allowance_counts_a_bad_minute_as_a_minute_of_bad_time() -> None:
    night = LenientRange(time(0), time(2), allowance_seconds=600)
    tracker = ObjectiveTracker(by_the_minute(lenient=(night,)), start=NOON)
    midnight = NOON + 12 * HOUR
    for minute in range(11):
        minute_of_checks(tracker, midnight + 60 * minute, failed=6)
    standing = tracker.evaluate(midnight + HOUR).standing
    assert (standing.excused_bad, standing.excused_seconds, standing.bad) == (10, 600, 1)


def test_a_stored_hour_becomes_minutes_with_failed_checks_filling_whole_minutes() -> None:
    # 360 checks an hour (6 a minute): 12 failed fill two minutes; 9 fill one and half
    # of another (50% > 20%: bad); 7 fill one and one sixth of another (17%: good).
    assert slices_of_bucket(MINUTES_BAD_ABOVE_20, HOUR, 360, 12) == (60, 2)
    assert slices_of_bucket(MINUTES_BAD_ABOVE_20, HOUR, 360, 9) == (60, 2)
    assert slices_of_bucket(MINUTES_BAD_ABOVE_20, HOUR, 360, 7) == (60, 1)
    assert slices_of_bucket(MINUTES_BAD_ABOVE_20, HOUR, 360, 360) == (60, 60)
    assert slices_of_bucket(MINUTES_BAD_ABOVE_20, HOUR, 12, 1) == (12, 1)  # a check each 5 min


def test_a_rebuild_from_hour_rollups_counts_their_minutes() -> None:
    tracker = ObjectiveTracker(by_the_minute(), start=NOON)
    tracker.observe_bucket(NOON - 2 * HOUR, HOUR, 360, 12, 10)
    tracker.observe_bucket(NOON - HOUR, HOUR, 360, 0, 10)
    standing = tracker.evaluate(NOON).standing
    assert (standing.events, standing.bad) == (120, 2)


def test_rollups_shorter_than_a_slice_add_up_in_the_slice() -> None:
    five_minutes = availability(0.999, time_slices=TimeSlices(300, 0.5))
    tracker = ObjectiveTracker(five_minutes, start=NOON)
    for minute in range(5):  # one failed check in each of three minutes: 3 of 5
        tracker.observe_bucket(NOON + 60 * minute, 60, 1, int(minute < 3), 60)
    standing = tracker.evaluate(NOON + 300).standing
    assert (standing.events, standing.bad) == (1, 1)

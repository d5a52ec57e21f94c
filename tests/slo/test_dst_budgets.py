"""Budgets stay exact across both summer-time changes in Europe/Brussels (2026).

A check a minute; 99.9% by day and 99% in a night range. The night holds as
many checks as it lasts in real time (2 h when the clock jumps forward at its
end, 2 h for 01:00→04:00 that night, 3 h for 02:00→04:00 when the hour repeats),
and the budget is Σ (1 - target) over exactly those checks.
"""

from __future__ import annotations

from datetime import time

import pytest
from slostreams import HOUR, availability, feed, utc

from onwatch.slo.budget import nano_per_event
from onwatch.slo.model import LenientRange, ObjectiveSpec, WindowSpec
from onwatch.slo.schedule import target_at
from onwatch.slo.tracker import ObjectiveTracker

BRUSSELS = "Europe/Brussels"
SPRING_NIGHT_START = utc(2026, 3, 28, 23)  # midnight in Brussels before the jump at 01:00 UTC
AUTUMN_NIGHT_START = utc(2026, 10, 24, 22)  # midnight in Brussels before the repeat at 01:00 UTC


def spec_with_night(start: int, end: int, window: WindowSpec | None = None) -> ObjectiveSpec:
    night = LenientRange(time(start), time(end), target=0.99)
    return availability(
        0.999,
        timezone=BRUSSELS,
        lenient=(night,),
        also_report=(WindowSpec("rolling", 6 * HOUR),),
        **({"window": window} if window else {}),
    )


@pytest.mark.parametrize(
    ("start", "end", "midnight", "night_hours"),
    [
        pytest.param(0, 2, SPRING_NIGHT_START, 2, id="00-02-spring"),
        pytest.param(1, 4, SPRING_NIGHT_START, 2, id="01-04-spring-skips-an-hour"),
        pytest.param(2, 4, AUTUMN_NIGHT_START, 3, id="02-04-autumn-repeats-an-hour"),
        pytest.param(0, 2, AUTUMN_NIGHT_START, 2, id="00-02-autumn"),
        pytest.param(0, 2, utc(2026, 6, 20, 22), 2, id="00-02-summer"),
    ],
)
def test_a_night_counts_as_many_lenient_checks_as_it_lasts_and_their_budget_exactly(
    start: int, end: int, midnight: float, night_hours: int
) -> None:
    spec = spec_with_night(start, end)
    tracker = ObjectiveTracker(spec, start=midnight - 3 * HOUR)
    feed(tracker, midnight - 3 * HOUR, midnight + 5 * HOUR, step=60)
    now = midnight + 5 * HOUR - 60  # the last check: the 6 h window holds the whole night
    six_hours = tracker.evaluate(now).also[0]
    checks = range(int(now) - 6 * HOUR + 60, int(now) + 1, 60)
    lenient = sum(target_at(spec, at) == 0.99 for at in checks)
    assert six_hours.events == 360
    assert lenient == night_hours * 60
    assert six_hours.lenient_seconds == night_hours * HOUR
    budget_nano = sum(nano_per_event(target_at(spec, at)) for at in checks)
    assert budget_nano == (360 - lenient) * 1_000_000 + lenient * 10_000_000
    assert six_hours.budget_events == budget_nano / 1e9


def test_the_october_budget_counts_the_long_night_and_the_extra_hour() -> None:
    spec = spec_with_night(2, 4, window=WindowSpec("month"))
    tracker = ObjectiveTracker(spec, start=utc(2026, 10, 10))
    tracker.observe(utc(2026, 10, 10), True, 60)
    october = tracker.evaluate(utc(2026, 10, 10)).standing
    hours = 31 * 24 + 1  # October gains the repeated hour
    nights = 30 * 2 + 3  # thirty nights of 2 h and the 3 h one
    assert october.allowed_bad_seconds == pytest.approx(
        hours * HOUR * 0.001 + nights * HOUR * (0.01 - 0.001)
    )


def test_the_march_budget_loses_the_skipped_hour_and_keeps_its_nights() -> None:
    spec = spec_with_night(1, 4, window=WindowSpec("month"))
    tracker = ObjectiveTracker(spec, start=utc(2026, 3, 10))
    tracker.observe(utc(2026, 3, 10), True, 60)
    march = tracker.evaluate(utc(2026, 3, 10)).standing
    hours = 31 * 24 - 1
    nights = 30 * 3 + 2  # thirty nights of 3 h and the 2 h one
    assert march.allowed_bad_seconds == pytest.approx(
        hours * HOUR * 0.001 + nights * HOUR * (0.01 - 0.001)
    )

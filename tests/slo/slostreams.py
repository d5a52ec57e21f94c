"""Event streams for the SLO maths tests: hand-built specs and checks fed second by second.

Time is plain Unix seconds: a stream is a loop over seconds that feeds a tracker
the way the evaluator would, so a test can say "after 52 seconds of total
outage" and mean exactly that. Warm-ups that only need to fill the long windows
go in as stored buckets (``observe_bucket``), which costs one call per hour.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from onwatch.slo.model import Evaluation, ObjectiveSpec, TierState, WindowSpec
from onwatch.slo.tracker import ObjectiveTracker

HOUR = 3600
DAY = 86400
THIRTY_DAYS = WindowSpec("rolling", 30 * DAY)
NOON = 1_789_999_200 - 2 * HOUR
"""2026-09-21 12:00 UTC: a whole hour, far from any DST change."""


def utc(*parts: int) -> float:
    """Unix seconds of a UTC date and time: ``utc(2026, 3, 29, 1)``."""
    return datetime(*parts, tzinfo=UTC).timestamp()  # type: ignore[misc]


def availability(target: float = 0.999, **changes: object) -> ObjectiveSpec:
    """An availability objective over 30 rolling days, with the default tiers."""
    fields: dict[str, object] = {
        "service": "shop",
        "name": "up",
        "kind": "availability",
        "target": target,
        "window": THIRTY_DAYS,
    }
    fields.update(changes)
    return ObjectiveSpec(**fields)  # type: ignore[arg-type]


def every(nth: int) -> Callable[[int], bool]:
    """Second ``i`` (1-based) of an error stream is bad when ``i`` is a multiple of ``nth``."""
    return lambda i: i % nth == 0


def feed(
    tracker: ObjectiveTracker,
    since: float,
    until: float,
    bad: Callable[[int], bool] = lambda _: False,
    step: int = 1,
) -> None:
    """One check every ``step`` seconds in ``[since, until)``; check ``i`` (from 1) fails if ``bad(i)``."""
    for i, at in enumerate(range(int(since), int(until), step), start=1):
        tracker.observe(at, not bad(i), step)


def warm(
    spec: ObjectiveSpec, until: float, *, resolution: int = 1, hours: int = 6, history_days: int = 0
) -> ObjectiveTracker:
    """A tracker that has seen only good checks: ``history_days`` as hour buckets, then
    ``hours`` of checks every ``resolution`` seconds, up to ``until`` (excluded)."""
    tracker = ObjectiveTracker(spec, resolution=resolution, start=until)
    fine_from = until - hours * HOUR
    for hour in range(history_days * 24, 0, -1):
        bucket = fine_from - hour * HOUR
        tracker.observe_bucket(bucket, HOUR, HOUR // resolution, 0, resolution)
    feed(tracker, fine_from, until, step=resolution)
    return tracker


def tier(evaluation: Evaluation, name: str) -> TierState:
    """The state of the tier called ``name`` (``page-1h``)."""
    return next(state for state in evaluation.tiers if state.tier.name == name)


def seconds_until(
    tracker: ObjectiveTracker,
    start: float,
    bad: Callable[[int], bool],
    holds: Callable[[Evaluation], bool],
    limit: int,
) -> int | None:
    """Feed a check a second from ``start`` and evaluate after each; the count of seconds
    when ``holds`` first becomes true, or None if it never does within ``limit`` seconds."""
    for i in range(1, limit + 1):
        at = start + i - 1
        tracker.observe(at, not bad(i))
        if holds(tracker.evaluate(at)):
            return i
    return None

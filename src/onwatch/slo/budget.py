"""The error budget over one window: how much of it is used, how much time is left, in plain words.

Counted so far in the window: ``events``, ``bad`` and ``budget`` = Σ (1 -
target(t)) over the events (the bad events they may hold). The budget for the
whole period is estimated from the part covered (from the first observed event
or the window's start, whichever is later):

    budget_period = budget_so_far × period_seconds / covered_seconds
    budget_used   = bad / budget_period

As time, the period's budget is ∫ (1 - target(t)) dt over the period (the
time-weighted mean of 1 - target, times its length: 43.2 min for 99.9% over 30
days), plus the allowances of the lenient nights it holds. What is left,
``remaining_bad_seconds``, is the first part times ``1 - budget_used``:
allowances are not part of it, since they are spent only inside their ranges
and a night's unused allowance is not carried over to the day.
"""

from __future__ import annotations

from dataclasses import dataclass

from onwatch.agreement.phrases import spoken_duration
from onwatch.slo.burnrate import NANO
from onwatch.slo.model import Evaluation, ObjectiveSpec, Standing, WindowSpec
from onwatch.slo.schedule import occurrences

__all__ = [
    "Counted",
    "allowance_seconds",
    "budget_seconds",
    "budget_words",
    "format_span",
    "nano_per_event",
    "period_words",
    "standing",
]


@dataclass(frozen=True, slots=True)
class Counted:
    """The sums over one window, as :class:`~onwatch.slo.tracker.ObjectiveTracker` keeps them."""

    events: int
    bad: int
    budget_nano: int
    lenient_seconds: float = 0.0
    excused_bad: int = 0
    excused_seconds: float = 0.0
    excluded_seconds: float = 0.0


def nano_per_event(target: float) -> int:
    """One event's budget, ``1 - target``, in billionths of an event (0.999 → 1,000,000)."""
    return round((1 - target) * NANO)


def budget_seconds(spec: ObjectiveSpec, since: float, until: float) -> float:
    """∫ (1 - target(t)) dt over ``[since, until)``: the budget as time, lenient targets included."""
    base = nano_per_event(spec.target)
    total = (until - since) * base
    for occurrence in occurrences(spec, since, until):
        softer = occurrence.lenient.target
        if softer is not None:
            overlap = min(until, occurrence.end) - max(since, occurrence.start)
            total += overlap * (nano_per_event(softer) - base)
    return total / NANO


def allowance_seconds(spec: ObjectiveSpec, since: float, until: float) -> float:
    """The allowances of the lenient occurrences in ``[since, until)`` (a cut night pro rata)."""
    total = 0.0
    for occurrence in occurrences(spec, since, until):
        allowance = occurrence.lenient.allowance_seconds
        if allowance is not None and occurrence.seconds > 0:
            overlap = min(until, occurrence.end) - max(since, occurrence.start)
            total += allowance * overlap / occurrence.seconds
    return total


def standing(
    window: WindowSpec,
    counted: Counted,
    *,
    since: float,
    until: float,
    covered_seconds: float,
    period_seconds: float,
    period_budget_seconds: float,
    period_allowance_seconds: float = 0.0,
) -> Standing:
    """The :class:`~onwatch.slo.model.Standing` of a window from its sums (see the module docstring).

    ``since``/``until`` bound what was counted; ``covered_seconds`` is the part of
    it since the first observed event; ``period_seconds`` is the whole period's
    length (the rolling length, or this month's), ``period_budget_seconds`` its
    budget as time and ``period_allowance_seconds`` its lenient allowances.
    """
    budget_events: float | None = None
    used: float | None = None
    if counted.events and covered_seconds > 0 and counted.budget_nano > 0:
        budget_events = counted.budget_nano / NANO * period_seconds / covered_seconds
        used = counted.bad / budget_events
    return Standing(
        window=window,
        since=since,
        until=until,
        events=counted.events,
        bad=counted.bad,
        sli=(counted.events - counted.bad) / counted.events if counted.events else None,
        budget_used=used,
        budget_remaining=None if used is None else 1 - used,
        allowed_bad_seconds=period_budget_seconds + period_allowance_seconds,
        remaining_bad_seconds=None if used is None else period_budget_seconds * (1 - used),
        excluded_seconds=counted.excluded_seconds,
        lenient_seconds=counted.lenient_seconds,
        excused_bad=counted.excused_bad,
        excused_seconds=counted.excused_seconds,
        budget_events=budget_events,
    )


# --- words --------------------------------------------------------------------------------


def format_span(seconds: float) -> str:
    """A length of time in one unit with at most one decimal: ``26 s``, ``8.6 min``, ``3.6 h``, ``30 d``."""
    if seconds < 0:
        return f"-{format_span(-seconds)}"
    for unit, size, next_at in (("s", 1, 60), ("min", 60, 60), ("h", 3600, 24), ("d", 86400, 0)):
        value = round(seconds / size, 1)
        if not next_at or value < next_at:
            return f"{value:.1f}".removesuffix(".0") + f" {unit}"
    raise AssertionError("unreachable: days have no next unit")


def period_words(window: WindowSpec) -> str:
    """``this month``, ``this quarter``, ``in the last 30 days``, ``in the last day``."""
    if window.kind != "rolling":
        return f"this {window.kind}"
    length = spoken_duration(window.seconds)
    if length.startswith("1 ") and " " not in length[2:]:  # "1 day" reads "the last day"
        length = length[2:]
    return f"in the last {length}"


def budget_words(of: Evaluation | Standing, spec: ObjectiveSpec) -> str:
    """What is left of the budget, in words for everyone.

    ``31 minutes of downtime left this month``, ``budget overspent by 12 minutes
    of downtime in the last 30 days``; for latency, slow loads rather than downtime: ``about
    1,200 more loads may take over 3 seconds this month``. ``no checks counted yet``
    before the window holds an event.
    """
    figures = of.standing if isinstance(of, Evaluation) else of
    period = period_words(figures.window)
    if figures.remaining_bad_seconds is None or figures.budget_events is None:
        return "no checks counted yet"
    if spec.kind == "latency" and spec.time_slices is None:
        return _slow_events_words(spec, figures.budget_events - figures.bad, period)
    what = "downtime" if spec.kind == "availability" else "slow loading"
    remaining = figures.remaining_bad_seconds
    if remaining < 0:
        return f"budget overspent by {spoken_duration(-remaining)} of {what} {period}"
    if remaining == 0:
        return f"no {what} left {period}"
    return f"{spoken_duration(remaining)} of {what} left {period}"


def _slow_events_words(spec: ObjectiveSpec, remaining: float, period: str) -> str:
    first_byte = spec.phase == "first_byte"
    noun = "responses" if first_byte else "loads"
    limit = spoken_duration((spec.threshold_ms or 0) / 1000) + (" to start" if first_byte else "")
    count = round(abs(remaining))
    if remaining < 0:
        return f"budget overspent by about {count:,} slow {noun} {period}"
    if count == 0:
        return f"no more {noun} may take over {limit} {period}"
    return (
        f"about {count:,} more {noun[:-1] if count == 1 else noun} may take over {limit} {period}"
    )

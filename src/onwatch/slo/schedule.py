"""Lenient ranges on the clock: which one holds at a moment, and where its occurrence begins and ends.

A :class:`~onwatch.slo.model.LenientRange` is a daily wall-clock range in the
objective's time zone ("00:00 to 02:00", or "23:00 to 06:00", which crosses
midnight and is one occurrence from 23:00 to 06:00 the next morning). Each
occurrence is a half-open interval ``[start, end)`` of Unix seconds whose ends
are the range's wall times mapped by :func:`onwatch.slo.localtime.instant`:

    a wall time is the first instant at which the clock shows it or later.

So in Europe/Brussels a night range 00:00→02:00 lasts 2 h of real time every
night, also on the last Sunday of March (02:00 is the moment the clock jumps to
03:00); a range 01:00→04:00 lasts 2 h that night (the skipped hour is not
there); and on the last Sunday of October a range 02:00→04:00 lasts 3 h,
because it starts at the first 02:00 and holds the repeated hour. An instant
is inside a range when it is inside one of its occurrences; this, not the wall
clock reading, is what every count uses, so budgets and allowances follow
real time.

The policy refuses overlapping ranges of one objective; were they to overlap,
the first range (in policy order) holding a target, or an allowance, would win.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache

from onwatch.slo.localtime import instant, local_date
from onwatch.slo.model import LenientRange, ObjectiveSpec

_NEAR_DAYS = (-2, -1, 0, 1)  # local dates whose occurrences can hold or bound a moment


@dataclass(frozen=True, slots=True)
class Occurrence:
    """One night (or day) of a lenient range: ``[start, end)`` in Unix seconds."""

    lenient: LenientRange
    start: float
    end: float

    @property
    def seconds(self) -> float:
        """Real time the occurrence lasts (DST nights differ from 24 h days)."""
        return self.end - self.start

    def holds(self, at: float) -> bool:
        return self.start <= at < self.end


@dataclass(frozen=True, slots=True)
class Segment:
    """The longest stretch of time around a moment where the same ranges hold.

    ``occurrences`` are the occurrences holding the whole stretch, in policy
    order (at most one, since the policy refuses overlaps).
    """

    start: float
    end: float
    occurrences: tuple[Occurrence, ...] = ()

    def holds(self, at: float) -> bool:
        return self.start <= at < self.end

    @property
    def target_range(self) -> Occurrence | None:
        """The occurrence whose range softens the target here, if any."""
        return next((o for o in self.occurrences if o.lenient.target is not None), None)

    @property
    def allowance_range(self) -> Occurrence | None:
        """The occurrence whose range excuses bad time here, if any."""
        return next((o for o in self.occurrences if o.lenient.allowance_seconds is not None), None)


ALWAYS = Segment(float("-inf"), float("inf"))
"""The one segment of an objective without lenient ranges."""


def crosses_midnight(lenient: LenientRange) -> bool:
    """23:00→06:00 ends on the next day."""
    return lenient.start > lenient.end


@lru_cache(maxsize=65_536)
def occurrence_on(lenient: LenientRange, day: date, zone_name: str) -> Occurrence:
    """The occurrence that starts on local date ``day``."""
    end_day = day + timedelta(days=1) if crosses_midnight(lenient) else day
    return Occurrence(
        lenient, instant(day, lenient.start, zone_name), instant(end_day, lenient.end, zone_name)
    )


def occurrences(spec: ObjectiveSpec, since: float, until: float) -> list[Occurrence]:
    """Every occurrence of every lenient range overlapping ``[since, until)``, by start."""
    if not spec.lenient or until <= since:
        return []
    first = local_date(since, spec.timezone) - timedelta(days=1)  # a night that began yesterday
    days = (local_date(until, spec.timezone) - first).days + 1
    nights = _occurrences_on_days(spec.lenient, spec.timezone, first, days)
    return [night for night in nights if night.start < until and night.end > since]


@lru_cache(maxsize=4096)
def _occurrences_on_days(
    ranges: tuple[LenientRange, ...], zone_name: str, first: date, days: int
) -> tuple[Occurrence, ...]:
    """The occurrences starting on ``days`` local dates from ``first``, by start; cached, since
    every evaluation of a rolling window asks again for nearly the same days."""
    found = [
        occurrence_on(lenient, first + timedelta(days=offset), zone_name)
        for offset in range(days)
        for lenient in ranges
    ]
    return tuple(sorted(found, key=lambda occurrence: occurrence.start))


def segment_at(spec: ObjectiveSpec, at: float) -> Segment:
    """The stretch around ``at`` with the same lenient ranges holding (:data:`ALWAYS` if none)."""
    if not spec.lenient:
        return ALWAYS
    today = local_date(at, spec.timezone)
    near = [
        occurrence_on(lenient, today + timedelta(days=offset), spec.timezone)
        for offset in _NEAR_DAYS
        for lenient in spec.lenient
    ]
    edges = [edge for o in near if o.end > o.start for edge in (o.start, o.end)]
    start = max((edge for edge in edges if edge <= at), default=float("-inf"))
    end = min((edge for edge in edges if edge > at), default=float("inf"))
    holding = tuple(o for o in near if o.holds(at))
    order = {lenient: index for index, lenient in enumerate(spec.lenient)}
    return Segment(start, end, tuple(sorted(holding, key=lambda o: order[o.lenient])))


def occurrence_at(spec: ObjectiveSpec, at: float) -> Occurrence | None:
    """The occurrence holding ``at``, if ``at`` is inside a lenient range."""
    holding = segment_at(spec, at).occurrences
    return holding[0] if holding else None


def range_at(spec: ObjectiveSpec, at: float) -> LenientRange | None:
    """The lenient range ``at`` is inside, if any."""
    occurrence = occurrence_at(spec, at)
    return occurrence.lenient if occurrence else None


def target_at(spec: ObjectiveSpec, at: float) -> float:
    """The target that holds at ``at``: a lenient range's own target there, else ``spec.target``."""
    softened = segment_at(spec, at).target_range
    if softened is None or softened.lenient.target is None:
        return spec.target
    return softened.lenient.target

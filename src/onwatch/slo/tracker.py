"""ObjectiveTracker: the running state the evaluator keeps for one objective.

Check results go in as they come (:meth:`ObjectiveTracker.observe`), stored
rollups go in at start to rebuild the state (:meth:`~ObjectiveTracker.observe_bucket`),
and :meth:`~ObjectiveTracker.evaluate` answers at any moment with the standing
over every window and the state of every burn-rate tier, in O(1) per window
(:mod:`onwatch.slo.windows`). Time is Unix seconds passed in; nothing here
reads a clock, a database or the policy.

Per event the tracker counts, in integers so every sum is exact:

- ``events`` and ``bad``, leaving out bad events an allowance excuses;
- per softer lenient target, the events inside its ranges, so that a window's
  budget Σ round((1 - target(t)) × 10⁹) is ``events × base + Σ count × (softer - base)``;
- the time inside lenient ranges, the bad events excused and their time, and
  the time left out for maintenance (:meth:`~ObjectiveTracker.observe_excluded`),
  in milliseconds.

An allowance ("up to 10 minutes a night do not count") excuses the bad events
of one occurrence of its range until their time reaches the allowance: with a
check a minute, the first ten failed checks of the night are excused and the
eleventh counts. Excused events count neither as events nor as bad.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import partial

from onwatch.slo.budget import (
    Counted,
    allowance_seconds,
    budget_seconds,
    nano_per_event,
    standing,
)
from onwatch.slo.burnrate import WindowCount, tier_states
from onwatch.slo.calendar import period_bounds
from onwatch.slo.model import Evaluation, ObjectiveSpec, Standing, WindowSpec
from onwatch.slo.schedule import ALWAYS, Segment, segment_at
from onwatch.slo.slices import SliceCounter, slices_of_bucket
from onwatch.slo.windows import FINE_SECONDS, HOUR, WindowSums

EVENTS, BAD, LENIENT_MS, EXCUSED, EXCUSED_MS, EXCLUDED_MS = range(6)
_FIRST_TARGET_FIELD = 6  # then one counter per softer lenient target
_MINUTE = 60

_Rolling = Callable[[int], tuple[float, list[int]]]
"""Seconds → (where the window begins as counted, its sums): memoised within one evaluation."""


def _ms(seconds: float) -> int:
    return round(seconds * 1000)


class ObjectiveTracker:
    """Counts one objective's events and evaluates its budget and burn-rate tiers."""

    def __init__(self, spec: ObjectiveSpec, *, resolution: int = 60, start: float) -> None:
        """``resolution``: seconds per fine bucket (60 in production, 1 in second-by-second
        tests); ``start``: now, so that a rebuild's old history skips the fine ring."""
        self.spec = spec
        softer = sorted({r.target for r in spec.lenient if r.target is not None})
        self._target_fields = {t: _FIRST_TARGET_FIELD + i for i, t in enumerate(softer)}
        self._base_nano = nano_per_event(spec.target)
        self._extra_nano = [nano_per_event(t) - self._base_nano for t in softer]
        reported = (spec.window, *spec.also_report)
        rolling = {w.seconds for w in reported if w.kind == "rolling"}
        rolling |= {s for tier in spec.tiers for s in (tier.long_seconds, tier.short_seconds)}
        fine = [s for s in rolling if s <= FINE_SECONDS and s % resolution == 0]
        self._calendars = list(dict.fromkeys(w for w in reported if w.kind != "rolling"))
        self.windows = WindowSums(
            _FIRST_TARGET_FIELD + len(softer),
            resolution=resolution,
            fine_seconds=max(fine, default=resolution),
            coarse_seconds=max(rolling, default=HOUR),
            start=start,
            calendars=[
                partial(period_bounds, window, timezone=spec.timezone) for window in self._calendars
            ],
        )
        self._segment = Segment(0.0, 0.0)  # empty: the first event looks its segment up
        self._allowance_used: dict[float, float] = {}  # occurrence start → excused seconds
        self._slices = SliceCounter(spec.time_slices) if spec.time_slices else None
        self.first_seen = math.inf
        """Unix time of the earliest event counted: windows are covered from here."""

    # --- feeding --------------------------------------------------------------------------

    def observe(self, at: float, good: bool, seconds: float = 1.0) -> None:
        """One check result at ``at``, standing for ``seconds`` of time (the monitor's interval)."""
        if self._slices is not None:
            self._close_slices(at)
            self._slices.add(at, 1, 0 if good else 1)
        else:
            self._count(at, 1, 0 if good else 1, seconds)

    def observe_excluded(self, at: float, seconds: float) -> None:
        """A check inside a maintenance window: only counted as excluded time."""
        self.windows.add(at, ((EXCLUDED_MS, _ms(seconds)),))

    def observe_bucket(
        self, start: float, length: int, events: int, bad: int, seconds_per_event: float
    ) -> None:
        """A stored rollup of ``length`` seconds from ``start``, to rebuild the state at start.

        The bucket's events and bad events are spread evenly over its time, cut
        where a lenient range begins or ends, an hour or a calendar period turns,
        and (in the fine ring) at every minute, and each piece is counted like
        checks at its start. Lenient targets and allowances thus apply per minute;
        the approximation is that failures are assumed spread evenly inside the
        bucket (so an hour rollup spreads a short outage over its hour), and that
        with a resolution under a minute a minute's events land on its first second.
        With time slices the bucket becomes slices first (see :mod:`onwatch.slo.slices`).
        """
        if events <= 0:
            return
        if self._slices is not None:
            self._close_slices(start)
            if length < self._slices.slices.seconds:
                self._slices.add(start, events, bad)
                return
            events, bad = slices_of_bucket(self._slices.slices, length, events, bad)
            seconds_per_event = self._slices.slices.seconds
        end = start + length
        if self._next_edge(start) >= end:  # the common case: one piece
            self._count(start, events, bad, seconds_per_event)
            return
        piece_start, counted, counted_bad = start, 0, 0
        while piece_start < end:
            piece_end = min(end, self._next_edge(piece_start))
            through = int(events * (piece_end - start) // length) if piece_end < end else events
            through_bad = bad * through // events  # never more bad than events in a piece
            if through > counted:
                self._count(
                    piece_start, through - counted, through_bad - counted_bad, seconds_per_event
                )
            counted, counted_bad, piece_start = through, through_bad, piece_end

    def _close_slices(self, now: float) -> None:
        assert self._slices is not None
        length = self._slices.slices.seconds
        for slice_start, bad in self._slices.close(now):
            self._count(slice_start, 1, int(bad), length)

    def _next_edge(self, at: float) -> float:
        """The next moment after ``at`` where a bucket's pieces must be cut."""
        edge = (at // HOUR + 1) * HOUR
        if self.spec.lenient:
            edge = min(edge, self._segment_at(at).end)
        for calendar in self.windows.calendars:
            within = calendar.start <= at < calendar.end
            edge = min(edge, calendar.end if within else calendar.period_of(at)[1])
        if at >= self.windows.fine_from:
            step = max(self.windows.fine.width, _MINUTE)
            edge = min(edge, (at // step + 1) * step)
        return edge

    def _segment_at(self, at: float) -> Segment:
        if not self._segment.holds(at):
            self._segment = segment_at(self.spec, at)
        return self._segment

    def _count(self, at: float, events: int, bad: int, seconds: float) -> None:
        """Count ``events`` checks (``bad`` of them failed) at ``at``, each standing for ``seconds``."""
        segment = self._segment_at(at) if self.spec.lenient else ALWAYS
        if segment.occurrences:
            self._count_lenient(segment, at, events, bad, seconds)
        elif self.windows.add(at, [(EVENTS, events), (BAD, bad)] if bad else [(EVENTS, events)]):
            self.first_seen = min(self.first_seen, at)

    def _count_lenient(
        self, segment: Segment, at: float, events: int, bad: int, seconds: float
    ) -> None:
        """:meth:`_count` inside a lenient range: a softer target's counter, or an allowance."""
        excused = 0
        if bad and segment.allowance_range and self.windows.accepts(at):
            excused = self._excuse(segment, bad, seconds)
        counted, counted_bad = events - excused, bad - excused
        deltas = [(EVENTS, counted), (BAD, counted_bad), (LENIENT_MS, _ms(events * seconds))]
        softer = segment.target_range
        if softer is not None and softer.lenient.target is not None:
            deltas.append((self._target_fields[softer.lenient.target], counted))
        if excused:
            deltas += [(EXCUSED, excused), (EXCUSED_MS, _ms(excused * seconds))]
        if self.windows.add(at, [(field, amount) for field, amount in deltas if amount]):
            self.first_seen = min(self.first_seen, at)

    def _excuse(self, segment: Segment, bad: int, seconds: float) -> int:
        """How many of ``bad`` failed checks the night's allowance still excuses."""
        occurrence = segment.allowance_range
        if occurrence is None or occurrence.lenient.allowance_seconds is None:
            return 0
        used = self._allowance_used.get(occurrence.start, 0.0)
        left = occurrence.lenient.allowance_seconds - used
        excused = bad if seconds <= 0 else min(bad, max(int((left + 1e-9) // seconds), 0))
        if excused:
            self._allowance_used[occurrence.start] = used + excused * seconds
            self._forget_old_allowances(occurrence.start)
        return excused

    def _forget_old_allowances(self, latest: float) -> None:
        if len(self._allowance_used) > 8:  # a week of nights, and then some
            horizon = latest - 7 * 86400
            for start in [s for s in self._allowance_used if s < horizon]:
                del self._allowance_used[start]

    # --- answering ------------------------------------------------------------------------

    def evaluate(self, now: float) -> Evaluation:
        """The standing over every reported window and the state of every tier at ``now``."""
        if self._slices is not None:
            self._close_slices(now)
        self.windows.advance(now)
        rolled: dict[int, tuple[float, list[int]]] = {}

        def rolling(seconds: int) -> tuple[float, list[int]]:
            if seconds not in rolled:
                rolled[seconds] = self.windows.rolling(seconds, now)
            return rolled[seconds]

        def burn_counts(seconds: int) -> WindowCount:
            sums = rolling(seconds)[1]
            return WindowCount(sums[EVENTS], sums[BAD], self._budget_nano(sums))

        tiers = tier_states(self.spec.tiers, burn_counts, self.spec.min_bad_events)
        standings = [
            self._standing(window, now, rolling)
            for window in (self.spec.window, *self.spec.also_report)
        ]
        return Evaluation(self.spec, now, standings[0], tuple(standings[1:]), tiers)

    def _budget_nano(self, sums: list[int]) -> int:
        extra = sum(sums[_FIRST_TARGET_FIELD + i] * nano for i, nano in enumerate(self._extra_nano))
        return sums[EVENTS] * self._base_nano + extra

    def _standing(self, window: WindowSpec, now: float, rolling: _Rolling) -> Standing:
        if window.kind == "rolling":
            since, sums = rolling(window.seconds)
            period_start, period_end = now - window.seconds, now
        else:
            calendar = self.windows.calendars[self._calendars.index(window)]
            since, sums = calendar.start, calendar.totals
            period_start, period_end = calendar.start, calendar.end
        counted = Counted(
            events=sums[EVENTS],
            bad=sums[BAD],
            budget_nano=self._budget_nano(sums),
            lenient_seconds=sums[LENIENT_MS] / 1000,
            excused_bad=sums[EXCUSED],
            excused_seconds=sums[EXCUSED_MS] / 1000,
            excluded_seconds=sums[EXCLUDED_MS] / 1000,
        )
        return standing(
            window,
            counted,
            since=since,
            until=now,
            covered_seconds=max(now - max(since, self.first_seen), 0.0),
            period_seconds=period_end - period_start,
            period_budget_seconds=budget_seconds(self.spec, period_start, period_end),
            period_allowance_seconds=allowance_seconds(self.spec, period_start, period_end),
        )

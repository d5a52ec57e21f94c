"""Time slices: count minutes (or other slices) instead of checks.

With ``time_slices`` an objective counts slices of ``seconds`` each, aligned on
Unix time (minutes start on the minute): a slice is bad when more than
``bad_above`` of its checks failed, and it becomes one event once it is over,
at the first check or evaluation after its end. The event stands at the
slice's start for the slice's length. A slice without checks is no event.

A check for a slice that is already over arrives too late to change it and is
dropped (monitors of one objective report within seconds of each other, and
a slice is closed only when a later check or an evaluation shows its end has
passed).

Stored rollups have no per-slice detail, so :func:`slices_of_bucket` assumes
failed checks come together, as outages do: they fill as few slices as they
can. That is exact when each slice holds one check (a check a minute, slices
of a minute) and never hides a slice that was wholly bad.
"""

from __future__ import annotations

import math

from onwatch.slo.model import TimeSlices


class SliceCounter:
    """Checks gathered per open slice until the slice is over."""

    __slots__ = ("_closed_before", "_open", "slices")

    def __init__(self, slices: TimeSlices) -> None:
        self.slices = slices
        self._open: dict[int, list[int]] = {}  # slice index → [checks, failed]
        self._closed_before = -math.inf  # slices with a lower index are over

    def add(self, at: float, checks: int, failed: int) -> bool:
        """Count checks in the slice holding ``at``; False when that slice is already over."""
        index = int(at // self.slices.seconds)
        if index < self._closed_before:
            return False
        counts = self._open.setdefault(index, [0, 0])
        counts[0] += checks
        counts[1] += failed
        return True

    def close(self, now: float) -> list[tuple[float, bool]]:
        """``(start, bad)`` of every open slice over by ``now``, oldest first; they stay closed."""
        length = self.slices.seconds
        over = int(now // length)  # slices before this index have ended
        self._closed_before = max(self._closed_before, over)
        done = sorted(index for index in self._open if index < over)
        return [(index * length, self.is_bad(*self._open.pop(index))) for index in done]

    def is_bad(self, checks: int, failed: int) -> bool:
        """More than ``bad_above`` of the slice's checks failed."""
        return failed > self.slices.bad_above * checks


def slices_of_bucket(
    slices: TimeSlices, length: float, checks: int, failed: int
) -> tuple[int, int]:
    """``(slices, bad slices)`` of a stored bucket of ``length`` seconds at least one slice long.

    The slices with checks are as many as the bucket holds, or as there are
    checks if fewer; failed checks fill whole slices first (see the module docstring).
    """
    if checks <= 0:
        return 0, 0
    counted = min(max(round(length / slices.seconds), 1), checks)
    # In units of 1/counted check, so the sums stay whole: a slice holds `checks` units.
    full = min(failed * counted // checks, counted)
    rest = failed * counted - full * checks  # one last slice, partly failed
    partly = full < counted and rest > slices.bad_above * checks
    return counted, full + partly

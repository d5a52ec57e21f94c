"""What the scheduler reports about keeping time: lateness buckets, stats, skipped starts.

Kept apart from the planning itself so ``/metrics``, the API and the dashboard can
read the shapes without the scheduler's machinery.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass

log = logging.getLogger("onwatch.scheduler")

LATENESS_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)
"""Upper bounds in seconds of the lateness histogram (Prometheus ``le``; +Inf follows)."""

RECENT_STARTS = 64
"""How many recent starts of a monitor its p50 and p99 lateness cover."""

BEHIND_REPORT_EVERY = 60.0
"""Seconds between two log lines about starts skipped because the scheduler was behind."""


@dataclass(frozen=True, slots=True)  # stats() makes one per monitor: few objects each
class MonitorStats:
    """How well one monitor's schedule is kept (a snapshot, for metrics and pages)."""

    interval: float
    next_start: float
    started: int
    skipped_behind: int
    """Planned starts dropped because the scheduler was more than an interval late."""
    skipped_busy: int
    """Planned starts dropped because the previous check had not finished."""
    skipped_not_leader: int
    crashed: int
    """Checks whose probe raised instead of returning a result (a bug in the probe)."""
    last_lateness: float | None
    max_lateness: float
    lateness_sum: float
    lateness_buckets: tuple[int, ...]
    """Cumulative counts per :data:`LATENESS_BUCKETS` bound, then the +Inf count."""
    recent_lateness: Sequence[float]
    """The last :data:`RECENT_STARTS` lateness values, in no particular order."""

    def _recent_quantile(self, q: float) -> float | None:
        ordered = sorted(self.recent_lateness)
        return ordered[max(0, math.ceil(q * len(ordered)) - 1)] if ordered else None

    @property
    def p50_lateness(self) -> float | None:
        """Over the last :data:`RECENT_STARTS` starts (worked out when read)."""
        return self._recent_quantile(0.5)

    @property
    def p99_lateness(self) -> float | None:
        """Over the last :data:`RECENT_STARTS` starts (worked out when read)."""
        return self._recent_quantile(0.99)


class BehindReport:
    """Starts skipped because the scheduler was behind: the first logged at once, then sums.

    Under overload every monitor falls behind at about the same moment; one line
    per monitor and start would bury everything else in the log.
    """

    def __init__(self, every: float) -> None:
        self._every = every
        self._last: float | None = None  # monotonic time of the last line
        self._starts = 0
        self._monitors: set[str] = set()
        self._worst = 0.0

    def note(self, name: str, starts: int, late: float, now: float) -> None:
        if self._last is None or (now - self._last >= self._every and not self._starts):
            log.warning("%s: %d starts skipped, %.1fs behind", name, starts, late)
            self._last = now
            return
        self._starts += starts
        self._monitors.add(name)
        self._worst = max(self._worst, late)

    def flush(self, now: float) -> None:
        """Log the sum of what was noted since the last line, if it is time."""
        if not self._starts or self._last is None or now - self._last < self._every:
            return
        examples = ", ".join(sorted(self._monitors)[:3])
        log.warning(
            "%d starts of %d monitors skipped in the last %.0fs, up to %.1fs behind (%s%s)",
            self._starts,
            len(self._monitors),
            now - self._last,
            self._worst,
            examples,
            ", ..." if len(self._monitors) > 3 else "",
        )
        self._last, self._starts, self._worst = now, 0, 0.0
        self._monitors.clear()

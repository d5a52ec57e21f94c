"""Window statistics of monitors, read from rollups: what the API and the dashboard show.

One :class:`WindowStats` answers "how did this monitor do over that range":
number of checks, good ones, availability, failures by class, and the p50,
p90, p95 and p99 of total and of first-byte latency. Everything comes from the
minute and hour rollups through :func:`~onwatch.store.queries.summarize` (one
pass reads both histograms), so a 30-day window costs about 720 rows per
monitor, and percentiles are within 1% of the exact ones. Ranges have minute
resolution (see :mod:`onwatch.store.queries`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy import Connection

from onwatch.store.histogram import LogHistogram
from onwatch.store.queries import RangeSummary, summarize

QUANTILES = (0.5, 0.9, 0.95, 0.99)
"""The latency percentiles every :class:`WindowStats` carries."""


@dataclass(frozen=True)
class Percentiles:
    """Latency percentiles in milliseconds; ``None`` when no check measured one."""

    count: int
    """How many checks measured this latency (a refused connection has no first byte)."""
    p50: float | None
    p90: float | None
    p95: float | None
    p99: float | None

    @classmethod
    def of(cls, histogram: LogHistogram) -> Percentiles:
        p50, p90, p95, p99 = (histogram.quantile(q) for q in QUANTILES)
        return cls(histogram.count, p50, p90, p95, p99)


@dataclass(frozen=True)
class WindowStats:
    """How one monitor (or several, taken together) did over ``[since, until)``."""

    since: float
    """Start of the range, Unix seconds (rounded down to the minute by the query)."""
    until: float
    """End of the range, Unix seconds, exclusive."""
    count: int
    good: int
    failures: Mapping[str, int]
    """Failed checks by failure class (``timeout``, ``status``, ``slow``, ...)."""
    total: Percentiles
    """Total latency of a check."""
    first_byte: Percentiles
    """Time to the first byte of the answer (HTTP only)."""

    @property
    def failed(self) -> int:
        return self.count - self.good

    @property
    def availability(self) -> float | None:
        """Share of good checks in ``[0, 1]``, or ``None`` when there were none."""
        return self.good / self.count if self.count else None

    @classmethod
    def empty(cls, since: float, until: float) -> WindowStats:
        """The statistics of a monitor that has no stored checks (not even an id yet)."""
        return cls.of(RangeSummary(), since, until)

    @classmethod
    def of(cls, summary: RangeSummary, since: float, until: float) -> WindowStats:
        return cls(
            since=since,
            until=until,
            count=summary.total,
            good=summary.good,
            failures=dict(sorted(summary.failures.items())),
            total=Percentiles.of(summary.latency),
            first_byte=Percentiles.of(summary.first_byte),
        )


def _summaries(
    connection: Connection, monitor_ids: Iterable[int], since: float, until: float
) -> dict[int, RangeSummary]:
    ids = sorted(set(monitor_ids))
    if not ids:
        return {}
    return summarize(connection, ids, since, until, with_first_byte=True)


def window_stats(
    connection: Connection, monitor_id: int, since: float, until: float
) -> WindowStats:
    """Statistics of one monitor (by its store id) over ``[since, until)``."""
    return window_stats_many(connection, [monitor_id], since, until)[monitor_id]


def window_stats_many(
    connection: Connection, monitor_ids: Sequence[int], since: float, until: float
) -> dict[int, WindowStats]:
    """Statistics of each monitor over the same range, in one query per rollup table."""
    summaries = _summaries(connection, monitor_ids, since, until)
    return {
        monitor_id: WindowStats.of(summaries[monitor_id], since, until) for monitor_id in summaries
    }


def combined_window_stats(
    connection: Connection, monitor_ids: Sequence[int], since: float, until: float
) -> WindowStats:
    """Statistics of several monitors taken as one (a pool's backends): counts add up,
    histograms merge exactly, so percentiles are those of all their checks together."""
    merged = RangeSummary()
    for summary in _summaries(connection, monitor_ids, since, until).values():
        merged.total += summary.total
        merged.good += summary.good
        merged.failures.update(summary.failures)
        merged.latency.merge(summary.latency)
        merged.first_byte.merge(summary.first_byte)
    return WindowStats.of(merged, since, until)

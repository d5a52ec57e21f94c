"""What the dashboard's monitor list reads from the rollups, for a page of monitors at once.

- :func:`hourly_latency`: p50 and p95 of total latency per hour over the last
  24 hours, one query over ``rollups_hour`` for every monitor of the page;
- :func:`availability`: the share of good checks over several windows (24 h,
  7 d, 30 d), one query that adds counts in the database without reading any
  histogram (merging 30 days of histograms for 50 monitors would take far longer
  than a page may).

The writer folds every batch into the hour rollup of its hour as well as into
the minute rollup, so the current, partial hour of the sparkline is already in
``rollups_hour``. Availability windows are tiled like
:mod:`onwatch.store.queries` (whole hours from hour rollups, the partial hours
at both ends from minute rollups), so the list shows the same figures as the
monitor page.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import pairwise

from sqlalchemy import Connection, func, literal, select, union_all

from onwatch.store.histogram import LogHistogram
from onwatch.store.rollups import HOUR, MINUTE, bucket_start
from onwatch.store.tables import rollups_hour, rollups_minute

__all__ = ["Availability", "LatencySeries", "availability", "hourly_latency"]

_CHUNK = 500  # keeps IN lists well inside every backend's parameter limit


@dataclass(frozen=True)
class LatencySeries:
    """Hourly latency percentiles (ms) of one monitor; ``None`` for an hour without data."""

    start: int
    """Unix second at which the first hour starts; the last hour holds ``now``."""
    p50: tuple[float | None, ...]
    p95: tuple[float | None, ...]

    @property
    def empty(self) -> bool:
        return all(value is None for value in self.p95)


@dataclass(frozen=True)
class Availability:
    """Checks and good checks of one monitor over one window."""

    total: int
    good: int

    @property
    def fraction(self) -> float | None:
        return self.good / self.total if self.total else None


def _chunks(ids: Sequence[int]) -> list[Sequence[int]]:
    return [ids[start : start + _CHUNK] for start in range(0, len(ids), _CHUNK)]


def hourly_latency(
    connection: Connection, monitor_ids: Sequence[int], now: float, hours: int = 24
) -> dict[int, LatencySeries]:
    """p50/p95 per hour for each monitor, oldest first; the last hour is the current one."""
    first = bucket_start(now, HOUR) - (hours - 1) * HOUR
    p50: dict[int, list[float | None]] = {id_: [None] * hours for id_ in monitor_ids}
    p95: dict[int, list[float | None]] = {id_: [None] * hours for id_ in monitor_ids}
    table = rollups_hour
    for chunk in _chunks(list(monitor_ids)):
        query = select(table.c.monitor_id, table.c.bucket_start, table.c.latency_hist).where(
            table.c.monitor_id.in_(chunk),
            table.c.bucket_start >= first,
            table.c.bucket_start <= now,
        )
        for monitor_id, start, blob in connection.execute(query):
            histogram = LogHistogram.from_bytes(blob)
            if not histogram.count:
                continue  # every check of the hour failed before it could be timed
            slot = (start - first) // HOUR
            p50[monitor_id][slot] = histogram.quantile(0.5)
            p95[monitor_id][slot] = histogram.quantile(0.95)
    return {id_: LatencySeries(first, tuple(p50[id_]), tuple(p95[id_])) for id_ in monitor_ids}


def _window_spans(now: float, seconds: float) -> list[tuple[int, int, int]]:
    """(hourly, first bucket, end) pieces that tile ``[now - seconds, now)`` to the minute.

    The same tiling as :mod:`onwatch.store.queries`: whole hours from hour rollups,
    the partial hours at both ends from minute rollups.
    """
    start, end = bucket_start(now - seconds, MINUTE), bucket_start(now, MINUTE)
    first_hour, last_hour = -(-start // HOUR) * HOUR, end // HOUR * HOUR
    if first_hour >= last_hour:
        return [(0, start, end)] if start < end else []
    spans = [(1, first_hour, last_hour), (0, start, first_hour), (0, last_hour, end)]
    return [(hourly, first, until) for hourly, first, until in spans if first < until]


def _segments(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Split possibly overlapping ``[first, end)`` spans into disjoint pieces that tile them."""
    edges = sorted({edge for span in spans for edge in span})
    return [
        (first, end)
        for first, end in pairwise(edges)
        if any(lo <= first and end <= hi for lo, hi in spans)
    ]


def availability(
    connection: Connection,
    monitor_ids: Sequence[int],
    now: float,
    windows: Mapping[str, float],
) -> dict[int, dict[str, Availability]]:
    """Checks and good checks per monitor over each ``[now - seconds, now)`` window.

    ``windows`` maps a label to its length in seconds (``{"24 h": 86400, ...}``).
    The counts equal those of :func:`onwatch.store.stats.window_stats` for the
    same range, without merging a single histogram. Monitors without checks in a
    window get ``Availability(0, 0)``.

    One statement: a ``UNION ALL`` of plain sums, one per disjoint piece of the
    windows (30 d, 7 d and 24 h share their recent hours, which are read once),
    each a range search on the primary key, so no other row is ever read.
    """
    tilings = {label: _window_spans(now, seconds) for label, seconds in windows.items()}
    pieces = {
        hourly: _segments(
            [(lo, hi) for tiling in tilings.values() for h, lo, hi in tiling if h == hourly]
        )
        for hourly in (1, 0)
    }
    keyed = [(hourly, lo, hi) for hourly, segments in pieces.items() for lo, hi in segments]
    sums: dict[int, list[tuple[int, int]]] = {id_: [(0, 0)] * len(keyed) for id_ in monitor_ids}
    for chunk in _chunks(list(monitor_ids)) if keyed else []:
        parts = []
        for number, (hourly, lo, hi) in enumerate(keyed):
            table = rollups_hour if hourly else rollups_minute
            parts.append(
                select(
                    literal(number).label("piece"),
                    table.c.monitor_id,
                    func.sum(table.c.total),
                    func.sum(table.c.good),
                )
                .where(
                    table.c.monitor_id.in_(chunk),
                    table.c.bucket_start >= lo,
                    table.c.bucket_start < hi,
                )
                .group_by(table.c.monitor_id)
            )
        for number, monitor_id, total, good in connection.execute(union_all(*parts)):
            sums[monitor_id][number] = (int(total or 0), int(good or 0))
    found: dict[int, dict[str, Availability]] = {}
    for id_, counted in sums.items():
        found[id_] = {}
        for label, tiling in tilings.items():
            inside = [
                counted[number]
                for number, (hourly, lo, hi) in enumerate(keyed)
                if any(h == hourly and first <= lo and hi <= end for h, first, end in tiling)
            ]
            found[id_][label] = Availability(sum(t for t, _ in inside), sum(g for _, g in inside))
    return found

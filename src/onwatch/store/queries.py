"""Answer questions over long ranges from rollups: counts, availability, percentiles.

A range is covered by hourly rollups for its whole hours and minute rollups for
the partial hours at either end, so 30 days for one monitor read about 720 hour
rows instead of 43,200 minutes. Ranges have minute resolution: ``since`` and
``until`` are rounded down to the minute.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Literal

from sqlalchemy import Connection, Table, func, null, select

from onwatch.store.histogram import LogHistogram
from onwatch.store.rollups import HOUR, MINUTE, bucket_start
from onwatch.store.tables import monitors, rollups_hour, rollups_minute

Phase = Literal["total", "first_byte"]
_HISTOGRAM_COLUMN = {"total": "latency_hist", "first_byte": "first_byte_hist"}


@dataclass
class RangeSummary:
    """What happened to one monitor over a range."""

    total: int = 0
    good: int = 0
    failures: Counter[str] = field(default_factory=Counter)
    latency: LogHistogram = field(default_factory=LogHistogram)
    first_byte: LogHistogram = field(default_factory=LogHistogram)
    """Filled only by ``summarize(..., with_first_byte=True)``."""

    @property
    def availability(self) -> float | None:
        return self.good / self.total if self.total else None

    def percentiles(self, quantiles: Iterable[float]) -> dict[float, float | None]:
        return {q: self.latency.quantile(q) for q in quantiles}


def _spans(since: float, until: float) -> list[tuple[Table, int, int]]:
    """(table, first bucket, end) pieces that tile ``[since, until)``."""
    start, end = bucket_start(since, MINUTE), bucket_start(until, MINUTE)
    if end <= start:
        return []
    first_hour = -(-start // HOUR) * HOUR
    last_hour = end // HOUR * HOUR
    if first_hour >= last_hour:
        return [(rollups_minute, start, end)]
    spans = [(rollups_hour, first_hour, last_hour)]
    if start < first_hour:
        spans.append((rollups_minute, start, first_hour))
    if last_hour < end:
        spans.append((rollups_minute, last_hour, end))
    return spans


def monitor_ids(connection: Connection, names: Sequence[str] | None = None) -> dict[str, int]:
    """Ids of the named monitors that exist (all of them when ``names`` is None)."""
    query = select(monitors.c.name, monitors.c.id)
    if names is not None:
        query = query.where(monitors.c.name.in_(names))
    return {name: int(id_) for name, id_ in connection.execute(query)}


def summarize(
    connection: Connection,
    monitor_id_list: Sequence[int],
    since: float,
    until: float,
    phase: Phase = "total",
    *,
    with_first_byte: bool = False,
) -> dict[int, RangeSummary]:
    """Counts, failures and the latency histogram of each monitor over ``[since, until)``.

    ``with_first_byte`` also merges the first-byte histograms into
    :attr:`RangeSummary.first_byte`, in the same pass over the rows.
    """
    summaries = {monitor_id: RangeSummary() for monitor_id in monitor_id_list}
    blobs: dict[int, list[bytes]] = {monitor_id: [] for monitor_id in monitor_id_list}
    first_bytes: dict[int, list[bytes]] = {monitor_id: [] for monitor_id in monitor_id_list}
    for table, first, end in _spans(since, until):
        hist = table.c[_HISTOGRAM_COLUMN[phase]]
        second = table.c.first_byte_hist if with_first_byte else null()
        query = select(
            table.c.monitor_id, table.c.total, table.c.good, table.c.failures, hist, second
        ).where(
            table.c.monitor_id.in_(monitor_id_list),
            table.c.bucket_start >= first,
            table.c.bucket_start < end,
        )
        for monitor_id, total, good, failures, blob, first_byte in connection.execute(query):
            summary = summaries[monitor_id]
            summary.total += total
            summary.good += good
            if failures != "{}":
                summary.failures.update(json.loads(failures))
            blobs[monitor_id].append(blob)
            if first_byte is not None:
                first_bytes[monitor_id].append(first_byte)
    for monitor_id, summary in summaries.items():
        summary.latency = LogHistogram.merge_encoded(blobs[monitor_id])
        if with_first_byte:
            summary.first_byte = LogHistogram.merge_encoded(first_bytes[monitor_id])
    return summaries


def latency_percentiles(
    connection: Connection,
    monitor: str,
    since: float,
    until: float,
    quantiles: Iterable[float] = (0.5, 0.95, 0.99),
    phase: Phase = "total",
) -> dict[float, float | None]:
    """Percentiles of one monitor's latency over a range (``None`` without data)."""
    ids = monitor_ids(connection, [monitor])
    if monitor not in ids:
        return dict.fromkeys(quantiles)
    summary = summarize(connection, [ids[monitor]], since, until, phase)[ids[monitor]]
    return summary.percentiles(quantiles)


def stored_range(connection: Connection) -> tuple[int, int] | None:
    """First and last minute that have rollups, or ``None`` for an empty store."""
    first, last = connection.execute(
        select(func.min(rollups_minute.c.bucket_start), func.max(rollups_minute.c.bucket_start))
    ).one()
    return None if first is None else (int(first), int(last))

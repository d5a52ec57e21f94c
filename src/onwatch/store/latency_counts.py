"""Exact latency counts per minute from raw check results, for latency objectives.

Rollups keep latency as histograms, which place a threshold within 1% (see
:mod:`onwatch.store.histogram`); while raw results are still kept (the
``retention.raw`` setting, 7 days by default) a latency objective counts its
good checks from them exactly instead. The database does the counting: one
grouped query per objective and range, however many results it spans.
"""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import Connection, and_, case, func, or_, select

from onwatch.probes.base import FailureClass
from onwatch.store.tables import check_results

PHASE_COLUMNS = {"total": "total_ms", "first_byte": "first_byte_ms"}
"""The result column each latency phase of an objective reads."""


def latency_counts(
    connection: Connection,
    ids: Mapping[int, str],
    *,
    phase: str,
    threshold_ms: float,
    since: int,
    until: int,
    length: int = 60,
) -> dict[tuple[str, int], tuple[int, int]]:
    """``(monitor, bucket start) → (checks, good checks)`` for ``length``-second buckets in
    ``[since, until)`` (Unix seconds, multiples of ``length``).

    A check is good when it completed (passed, or failed only for being slow) and
    its ``phase`` took at most ``threshold_ms``; every other check is bad.
    """
    if since >= until or not ids:
        return {}
    column = check_results.c[PHASE_COLUMNS[phase]]
    completed = or_(check_results.c.ok, check_results.c.failure == FailureClass.SLOW.value)
    good = case((and_(completed, column.is_not(None), column <= threshold_ms), 1), else_=0)
    bucket = check_results.c.started_at // (length * 1000)  # integer division: ms → bucket index
    query = (
        select(check_results.c.monitor_id, bucket, func.count(), func.sum(good))
        .where(
            check_results.c.monitor_id.in_(list(ids)),
            check_results.c.started_at >= since * 1000,
            check_results.c.started_at < until * 1000,
        )
        .group_by(check_results.c.monitor_id, bucket)
    )
    return {
        (ids[monitor_id], int(index) * length): (int(total), int(good_count or 0))
        for monitor_id, index, total, good_count in connection.execute(query)
    }

"""Retention: forget raw results, minute and hour rollups once they are old enough.

Periods come from the policy's ``settings.retention`` (7 days, 35 days and
400 days by default). Deleting in slices keeps each transaction short, so the
writer is never held up for long on SQLite.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Protocol

from sqlalchemy import Column, delete, func, select

from onwatch.store.database import Database
from onwatch.store.tables import check_results, rollups_hour, rollups_minute

_SLICE = 20_000


class RetentionPeriods(Protocol):
    """How long each kind of data is kept (the policy's ``settings.retention``)."""

    @property
    def raw(self) -> timedelta: ...
    @property
    def minute(self) -> timedelta: ...
    @property
    def hour(self) -> timedelta: ...


@dataclass(frozen=True)
class Deleted:
    """How many rows one retention pass removed."""

    raw: int
    minute: int
    hour: int


def _delete_before(database: Database, time_column: Column[int], cutoff: int) -> int:
    """Delete rows of ``time_column``'s table older than ``cutoff``, a slice at a time."""
    table = time_column.table
    removed = 0
    while True:
        with database.engine.begin() as connection:
            oldest = (
                select(time_column.label("t"))
                .where(time_column < cutoff)
                .order_by(time_column)
                .limit(_SLICE)
                .subquery()
            )
            bound = connection.execute(select(func.max(oldest.c.t))).scalar()
            if bound is None:
                return removed
            result = connection.execute(
                delete(table).where(time_column < cutoff, time_column <= bound)
            )
            removed += result.rowcount or 0


def apply_retention(database: Database, periods: RetentionPeriods, now: float) -> Deleted:
    """Delete everything older than its retention period, measured back from ``now`` (Unix s)."""
    return Deleted(
        raw=_delete_before(
            database,
            check_results.c.started_at,
            int((now - periods.raw.total_seconds()) * 1000),
        ),
        minute=_delete_before(
            database, rollups_minute.c.bucket_start, int(now - periods.minute.total_seconds())
        ),
        hour=_delete_before(
            database, rollups_hour.c.bucket_start, int(now - periods.hour.total_seconds())
        ),
    )

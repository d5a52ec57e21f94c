"""Write a batch of check results and fold them into the rollups, in one transaction.

Rollup rows are read, merged in Python (histograms cannot be added in SQL) and
written back. Reads lock the rows on PostgreSQL (``FOR UPDATE``), and two nodes
inserting the same new rollup row collide on its primary key; the loser retries
the whole batch, so no count is lost or doubled.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Connection, Table, select
from sqlalchemy.exc import IntegrityError

from onwatch.probes.base import CheckResult
from onwatch.store.database import Database
from onwatch.store.monitors import MonitorIds
from onwatch.store.results import RESULT_COLUMNS, result_values
from onwatch.store.rollups import HOUR, MINUTE, ROLLUP_COLUMNS, Rollup, bucket_start
from onwatch.store.tables import check_results, rollups_hour, rollups_minute

RollupKey = tuple[int, int]  # (monitor id, bucket start)
_CHUNK = 500  # keeps IN lists well inside every backend's parameter limit
_ATTEMPTS = 3


def _chunks(items: Sequence[int]) -> Iterable[Sequence[int]]:
    for start in range(0, len(items), _CHUNK):
        yield items[start : start + _CHUNK]


def _stored_rollups(
    connection: Connection, table: Table, keys: Iterable[RollupKey]
) -> dict[RollupKey, Rollup]:
    wanted = set(keys)
    monitor_ids = sorted({monitor_id for monitor_id, _ in wanted})
    starts = [start for _, start in wanted]
    stored: dict[RollupKey, Rollup] = {}
    for chunk in _chunks(monitor_ids):
        query = (
            select(table)
            .where(
                table.c.monitor_id.in_(chunk),
                table.c.bucket_start.between(min(starts), max(starts)),
            )
            .order_by(table.c.monitor_id, table.c.bucket_start)  # one lock order for every node
            .with_for_update()
        )
        for row in connection.execute(query).mappings():
            key = (row["monitor_id"], row["bucket_start"])
            if key in wanted:
                stored[key] = Rollup.from_row(row)
    return stored


def merge_into(connection: Connection, table: Table, deltas: dict[RollupKey, Rollup]) -> None:
    """Add ``deltas`` to the stored rollups of ``table``, creating missing rows."""
    if not deltas:
        return
    stored = _stored_rollups(connection, table, deltas)
    inserts: list[tuple[Any, ...]] = []
    updates: list[tuple[Any, ...]] = []
    for (monitor_id, start), delta in sorted(deltas.items()):
        if (monitor_id, start) in stored:
            merged = stored[(monitor_id, start)]
            merged.merge(delta)
            updates.append((*merged.values(), monitor_id, start))
        else:
            inserts.append((monitor_id, start, *delta.values()))
    if inserts:
        insert_many(connection, table, ("monitor_id", "bucket_start", *ROLLUP_COLUMNS), inserts)
    if updates:
        marker = placeholder(connection)
        assignments = ", ".join(f"{column} = {marker}" for column in ROLLUP_COLUMNS)
        connection.exec_driver_sql(
            # Only our own table and column names are interpolated; values are bound.
            f"UPDATE {table.name} SET {assignments} "  # noqa: S608
            f"WHERE monitor_id = {marker} AND bucket_start = {marker}",
            updates,
        )


def minute_deltas(
    results: Iterable[CheckResult], monitor_ids: dict[str, int]
) -> dict[RollupKey, Rollup]:
    """The results of a batch grouped into minute rollups."""
    deltas: dict[RollupKey, Rollup] = {}
    for result in results:
        key = (monitor_ids[result.monitor], bucket_start(result.started_at, MINUTE))
        rollup = deltas.get(key)
        if rollup is None:
            rollup = deltas[key] = Rollup()
        rollup.add(result)
    return deltas


def coarser(deltas: dict[RollupKey, Rollup], period: int) -> dict[RollupKey, Rollup]:
    """Rollups merged into longer periods (minutes → hours); exact, as merges are."""
    merged: dict[RollupKey, Rollup] = {}
    for (monitor_id, start), rollup in deltas.items():
        key = (monitor_id, bucket_start(start, period))
        target = merged.get(key)
        if target is None:
            target = merged[key] = Rollup()
        target.merge(rollup)
    return merged


def placeholder(connection: Connection) -> str:
    """The driver's positional parameter marker (``?`` for sqlite3, ``%s`` for psycopg)."""
    return "?" if connection.dialect.paramstyle == "qmark" else "%s"


def insert_many(
    connection: Connection, table: Table, columns: Sequence[str], rows: list[tuple[Any, ...]]
) -> None:
    """A plain driver-level executemany: the hot path skips SQLAlchemy's per-row processing."""
    markers = ", ".join([placeholder(connection)] * len(columns))
    connection.exec_driver_sql(
        f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES ({markers})",  # noqa: S608
        rows,
    )


def _write(connection: Connection, ids: MonitorIds, results: Sequence[CheckResult]) -> None:
    monitor_ids = ids.resolve(connection, {result.monitor for result in results})
    insert_many(
        connection,
        check_results,
        RESULT_COLUMNS,
        [result_values(result, monitor_ids[result.monitor]) for result in results],
    )
    minutes = minute_deltas(results, monitor_ids)
    merge_into(connection, rollups_minute, minutes)
    merge_into(connection, rollups_hour, coarser(minutes, HOUR))


def write_batch(database: Database, ids: MonitorIds, results: Sequence[CheckResult]) -> None:
    """Store ``results`` and update their rollups atomically; returns once committed."""
    if not results:
        return
    for attempt in range(1, _ATTEMPTS + 1):
        try:
            with database.engine.begin() as connection:
                _write(connection, ids, results)
            return
        except IntegrityError:
            # Another node created one of our new rollup rows first: redo on top of it.
            ids.forget()
            if attempt == _ATTEMPTS:
                raise
        except BaseException:
            ids.forget()
            raise

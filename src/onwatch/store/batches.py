"""Write a batch of check results and fold them into the rollups, in one transaction.

Rollup rows are merged in Python (histograms cannot be added in SQL) and written
back. A batch first locks the rollup rows it touches and reads their ``total``
(``FOR UPDATE`` on PostgreSQL, in one order for every node; SQLite has one writer
at a time). A row whose total is the one this writer last committed for it (kept
in a :class:`RollupCache`) is merged from memory; any other existing row is read
and decoded. The total serves as the row's version: every merge adds at least one
result, so a row that another writer (another node, another process) has changed
since always shows a larger total, and is read again. Two nodes inserting the
same new rollup row collide on its primary key; the loser retries the whole
batch, so no count is lost or doubled.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Connection, Table
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


class RollupCache:
    """Rollup rows of the open periods as this writer last committed them, by table.

    Kept are the rows a result started up to :attr:`LATE` seconds before the
    newest one of the last batch can land in: the open minute and the one before
    it, the open hour (and the one before, for a minute after the hour). A later
    result finds its row in the database instead, so this is a matter of speed
    only. At one hour and two minute rows per monitor that is about 2 to 6 kB per
    monitor, depending on how often it is checked and how widely its latencies
    spread. An entry is used only after the row's total has been checked under
    lock (see the module docstring).
    """

    LATE = 60.0

    def __init__(self) -> None:
        self._rows: dict[str, dict[RollupKey, Rollup]] = {}
        self._horizon: dict[str, int] = {}  # table → oldest bucket start kept

    def __len__(self) -> int:
        return sum(len(rows) for rows in self._rows.values())

    def rows(self, table: Table) -> dict[RollupKey, Rollup]:
        """The cached rows of ``table`` (the caller may merge into them in place)."""
        return self._rows.setdefault(table.name, {})

    def keep(
        self, table: Table, period: int, written: dict[RollupKey, Rollup], newest: float
    ) -> None:
        """Remember rows just committed, as of a batch whose newest result started at ``newest``."""
        rows = self.rows(table)
        horizon = bucket_start(newest - self.LATE, period)
        if horizon > self._horizon.get(table.name, horizon):
            for key in [key for key in rows if key[1] < horizon]:  # once per period
                del rows[key]
        self._horizon[table.name] = horizon  # back too, after a result from the future
        rows.update((key, rollup) for key, rollup in written.items() if key[1] >= horizon)

    def forget(self) -> None:
        """Drop everything (after a transaction that did not commit)."""
        self._rows.clear()
        self._horizon.clear()


def _chunks(items: Sequence[int]) -> Iterable[Sequence[int]]:
    for start in range(0, len(items), _CHUNK):
        yield items[start : start + _CHUNK]


def _select_keys(
    connection: Connection, table: Table, keys: Iterable[RollupKey], columns: Sequence[str]
) -> Iterable[Sequence[Any]]:
    """Rows of ``table`` covering ``keys`` (and maybe a few more), locked, in key order.

    Plain driver SQL: SQLAlchemy would render and process each of the hundreds of
    ids on every batch.
    """
    keys = list(keys)
    monitor_ids = sorted({monitor_id for monitor_id, _ in keys})
    starts = [start for _, start in keys]
    marker = placeholder(connection)
    lock = " FOR UPDATE" if connection.dialect.name == "postgresql" else ""  # SQLite: one writer
    for chunk in _chunks(monitor_ids):
        rows = connection.exec_driver_sql(
            # Only our own table and column names are interpolated; values are bound.
            f"SELECT monitor_id, bucket_start, {', '.join(columns)} FROM {table.name} "  # noqa: S608
            f"WHERE monitor_id IN ({', '.join([marker] * len(chunk))}) "
            f"AND bucket_start BETWEEN {marker} AND {marker} "
            f"ORDER BY monitor_id, bucket_start{lock}",  # one lock order for every node
            (*chunk, min(starts), max(starts)),
        )
        yield from rows


def _stored_totals(
    connection: Connection, table: Table, keys: Iterable[RollupKey]
) -> dict[RollupKey, int]:
    wanted = set(keys)
    rows = _select_keys(connection, table, wanted, ("total",))
    return {(m, s): total for m, s, total in rows if (m, s) in wanted}


def _stored_rollups(
    connection: Connection, table: Table, keys: Iterable[RollupKey]
) -> dict[RollupKey, Rollup]:
    wanted = set(keys)
    if not wanted:
        return {}
    rows = _select_keys(connection, table, wanted, ROLLUP_COLUMNS)
    return {
        (row[0], row[1]): Rollup.from_values(row[2:]) for row in rows if (row[0], row[1]) in wanted
    }


def merge_into(
    connection: Connection,
    table: Table,
    deltas: dict[RollupKey, Rollup],
    cached: dict[RollupKey, Rollup] | None = None,
) -> dict[RollupKey, Rollup]:
    """Add ``deltas`` to the stored rollups of ``table``, creating missing rows.

    ``cached`` holds rows as this writer last committed them; those still current
    are merged in place instead of being read. Returns every row as written.
    """
    if not deltas:
        return {}
    cached = {} if cached is None else cached
    totals = _stored_totals(connection, table, deltas)
    stale = [
        key for key, total in totals.items() if key not in cached or cached[key].total != total
    ]
    stored = _stored_rollups(connection, table, stale)
    inserts: list[tuple[Any, ...]] = []
    updates: list[tuple[Any, ...]] = []
    written: dict[RollupKey, Rollup] = {}
    for (monitor_id, start), delta in sorted(deltas.items()):
        key = (monitor_id, start)
        if key in totals:
            merged = stored[key] if key in stored else cached[key]
            merged.merge(delta)
            updates.append((*merged.values(), monitor_id, start))
            written[key] = merged
        else:
            inserts.append((monitor_id, start, *delta.values()))
            written[key] = delta
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
    return written


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


Written = list[tuple[Table, int, dict[RollupKey, Rollup]]]


def _write(
    connection: Connection,
    ids: MonitorIds,
    results: Sequence[CheckResult],
    cache: RollupCache | None,
) -> Written:
    monitor_ids = ids.resolve(connection, {result.monitor for result in results})
    insert_many(
        connection,
        check_results,
        RESULT_COLUMNS,
        [result_values(result, monitor_ids[result.monitor]) for result in results],
    )
    minutes = minute_deltas(results, monitor_ids)
    hours = coarser(minutes, HOUR)
    written: Written = []
    for table, period, deltas in ((rollups_minute, MINUTE, minutes), (rollups_hour, HOUR, hours)):
        rows = merge_into(connection, table, deltas, cache.rows(table) if cache else None)
        written.append((table, period, rows))
    return written


def write_batch(
    database: Database,
    ids: MonitorIds,
    results: Sequence[CheckResult],
    cache: RollupCache | None = None,
) -> None:
    """Store ``results`` and update their rollups atomically; returns once committed.

    With a ``cache`` (one per writer, used by one thread at a time) the rollup rows
    this writer committed last are merged without being read back.
    """
    if not results:
        return
    for attempt in range(1, _ATTEMPTS + 1):
        try:
            with database.engine.begin() as connection:
                written = _write(connection, ids, results, cache)
        except IntegrityError:
            # Another node created one of our new rollup rows first: redo on top of it.
            ids.forget()
            if cache is not None:
                cache.forget()  # entries may hold merges that were rolled back
            if attempt == _ATTEMPTS:
                raise
            continue
        except BaseException:
            ids.forget()
            if cache is not None:
                cache.forget()
            raise
        if cache is not None:
            newest = max(result.started_at for result in results)
            for table, period, rows in written:
                cache.keep(table, period, rows, newest)
        return

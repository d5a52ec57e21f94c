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
from typing import Any, ClassVar

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


class RollupCache:
    """Rollup rows of the open periods as this writer last committed them, by table.

    Only the newest buckets are kept: per table, those at most ``KEEP`` periods
    older than the newest bucket written (the open minute and the two before it,
    the open hour and the one before it), enough for checks that end after their
    period did. At one minute and one hour row per monitor that is a few hundred
    bytes to a few kilobytes per monitor. An entry is used only after the row's
    total has been checked under lock; a transaction that fails drops them all.
    """

    KEEP: ClassVar[dict[int, int]] = {MINUTE: 3, HOUR: 2}

    def __init__(self) -> None:
        self._rows: dict[str, dict[RollupKey, Rollup]] = {}
        self._newest: dict[str, int] = {}

    def __len__(self) -> int:
        return sum(len(rows) for rows in self._rows.values())

    def rows(self, table: Table) -> dict[RollupKey, Rollup]:
        """The cached rows of ``table`` (the caller may merge into them in place)."""
        return self._rows.setdefault(table.name, {})

    def keep(self, table: Table, period: int, written: dict[RollupKey, Rollup]) -> None:
        """Remember rows just committed; forget those of periods now too old to matter."""
        if not written:
            return
        rows = self.rows(table)
        newest = max(start for _, start in written)
        if newest > self._newest.get(table.name, newest - 1):
            self._newest[table.name] = newest
            horizon = newest - (self.KEEP[period] - 1) * period
            for key in [key for key in rows if key[1] < horizon]:  # once per period
                del rows[key]
        horizon = self._newest[table.name] - (self.KEEP[period] - 1) * period
        rows.update((key, rollup) for key, rollup in written.items() if key[1] >= horizon)

    def forget(self) -> None:
        """Drop everything (after a transaction that did not commit)."""
        self._rows.clear()
        self._newest.clear()


def _chunks(items: Sequence[int]) -> Iterable[Sequence[int]]:
    for start in range(0, len(items), _CHUNK):
        yield items[start : start + _CHUNK]


def _select_keys(
    connection: Connection, table: Table, keys: Iterable[RollupKey], *columns: Any
) -> Iterable[Any]:
    """Rows of ``table`` covering ``keys`` (and maybe a few more), locked, in key order."""
    keys = list(keys)
    monitor_ids = sorted({monitor_id for monitor_id, _ in keys})
    starts = [start for _, start in keys]
    for chunk in _chunks(monitor_ids):
        query = (
            select(table.c.monitor_id, table.c.bucket_start, *columns)
            .where(
                table.c.monitor_id.in_(chunk),
                table.c.bucket_start.between(min(starts), max(starts)),
            )
            .order_by(table.c.monitor_id, table.c.bucket_start)  # one lock order for every node
            .with_for_update()
        )
        yield from connection.execute(query)


def _stored_totals(
    connection: Connection, table: Table, keys: Iterable[RollupKey]
) -> dict[RollupKey, int]:
    wanted = set(keys)
    rows = _select_keys(connection, table, wanted, table.c.total)
    return {(m, s): total for m, s, total in rows if (m, s) in wanted}


def _stored_rollups(
    connection: Connection, table: Table, keys: Iterable[RollupKey]
) -> dict[RollupKey, Rollup]:
    wanted = set(keys)
    if not wanted:
        return {}
    rows = _select_keys(connection, table, wanted, *(table.c[c] for c in ROLLUP_COLUMNS))
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
            for table, period, rows in written:
                cache.keep(table, period, rows)
        return

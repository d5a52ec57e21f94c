"""Write a batch of check results and fold them into the rollups, in one transaction.

Rollup rows are read, merged in Python (histograms cannot be added in SQL) and
written back. Reads lock the rows on PostgreSQL (``FOR UPDATE``), and two nodes
inserting the same new rollup row collide on its primary key; the loser retries
the whole batch, so no count is lost or doubled.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Connection, Table, and_, bindparam, insert, select, update
from sqlalchemy.exc import IntegrityError

from onwatch.probes.base import CheckResult
from onwatch.store.database import Database
from onwatch.store.monitors import MonitorIds
from onwatch.store.rollups import Rollup, bucket_start
from onwatch.store.tables import ROLLUP_TABLES, check_results

RollupKey = tuple[int, int]  # (monitor id, bucket start)
_CHUNK = 500  # keeps IN lists well inside every backend's parameter limit
_ATTEMPTS = 3


def result_row(result: CheckResult, monitor_id: int) -> dict[str, Any]:
    """The ``check_results`` row of one result."""
    return {
        "monitor_id": monitor_id,
        "started_at": round(result.started_at * 1000),
        "ok": result.ok,
        "failure": result.failure.value if result.failure else None,
        "total_ms": result.total_ms,
        "dns_ms": result.dns_ms,
        "connect_ms": result.connect_ms,
        "tls_ms": result.tls_ms,
        "first_byte_ms": result.first_byte_ms,
        "transfer_ms": result.transfer_ms,
        "status_code": result.status_code,
        "bytes_read": result.bytes_read,
        "detail": result.detail,
        "location": result.location,
    }


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
    inserts: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    for (monitor_id, start), delta in sorted(deltas.items()):
        if (monitor_id, start) in stored:
            merged = stored[(monitor_id, start)]
            merged.merge(delta)
            updates.append({"key_monitor": monitor_id, "key_start": start, **merged.to_row()})
        else:
            inserts.append({"monitor_id": monitor_id, "bucket_start": start, **delta.to_row()})
    if inserts:
        connection.execute(insert(table), inserts)
    if updates:
        statement = update(table).where(
            and_(
                table.c.monitor_id == bindparam("key_monitor"),
                table.c.bucket_start == bindparam("key_start"),
            )
        )
        connection.execute(statement, updates)


def rollup_deltas(
    results: Iterable[CheckResult], monitor_ids: dict[str, int], period: int
) -> dict[RollupKey, Rollup]:
    """The results of a batch grouped into ``period``-second rollups."""
    deltas: dict[RollupKey, Rollup] = {}
    for result in results:
        key = (monitor_ids[result.monitor], bucket_start(result.started_at, period))
        rollup = deltas.get(key)
        if rollup is None:
            rollup = deltas[key] = Rollup()
        rollup.add(result)
    return deltas


def _write(connection: Connection, ids: MonitorIds, results: Sequence[CheckResult]) -> None:
    monitor_ids = ids.resolve(connection, {result.monitor for result in results})
    connection.execute(
        insert(check_results),
        [result_row(result, monitor_ids[result.monitor]) for result in results],
    )
    for period, table in ROLLUP_TABLES.items():
        merge_into(connection, table, rollup_deltas(results, monitor_ids, period))


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

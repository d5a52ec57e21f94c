"""Durability: a writer killed with SIGKILL at random moments loses no reported batch.

The issue's words: "a test kills (SIGKILL) a process that is writing batches at 20
random moments; afterwards the database opens cleanly and every batch the writer
reported committed is there". ``writer_child.py`` is that process: it writes
numbered results through the real :class:`~onwatch.store.writer.Writer` and prints
a line for each committed batch. After each kill the database is reopened with
:func:`~onwatch.store.database.open_database` and checked:

* every result of every batch reported so far is stored, exactly once;
* each minute and hour rollup counts exactly the stored results of its period, so
  no batch was half applied (results without rollups, or the other way round);
* at the end, every stored rollup equals the rollup rebuilt from the raw results,
  histograms and failure counts included.

Kills land between 0.05 and 0.6 s after the child's first reported commit, with a
seeded random generator, so they can hit the middle of a transaction, the gap between
a commit and its report, and idle moments. Nothing here asserts on timing.
"""

from __future__ import annotations

import os
import random
import re
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import pytest
from sqlalchemy import Connection, Table, select
from writer_child import RUN_STRIDE, identity, sequence_of

from onwatch.probes.base import CheckResult, FailureClass
from onwatch.store.database import Database, open_database
from onwatch.store.rollups import HOUR, MINUTE, Rollup, bucket_start
from onwatch.store.tables import check_results, monitors, rollups_hour, rollups_minute

CHILD = Path(__file__).with_name("writer_child.py")
KILLS = 20
SEED = 20_260_517
KILL_DELAY = (0.05, 0.6)  # seconds after the child's first reported commit
STARTUP_TIMEOUT = 60.0  # generous: only bounds a child that hangs before its first commit
COMMITTED = re.compile(r"committed (\d+) (\d+) (\d+)\n")

ResultKey = tuple[str, int]  # (monitor name, started_at in Unix ms)


@dataclass
class ChildOutput:
    """The lines a writer child printed, collected by a thread as they arrive."""

    lines: list[str] = field(default_factory=list)
    started: threading.Event = field(default_factory=threading.Event)

    def read(self, stdout: IO[str]) -> None:
        """Collect lines until the pipe closes; ``started`` is set at the first one or at EOF."""
        for line in stdout:
            self.lines.append(line)
            self.started.set()
        self.started.set()


def run_and_kill(url: str, start_seq: int, delay: float, stderr_path: Path) -> list[str]:
    """Start a writer child, SIGKILL it ``delay`` s after its first commit, return its output."""
    with stderr_path.open("w") as stderr:
        process = subprocess.Popen(
            [sys.executable, str(CHILD), url, str(start_seq)],
            stdout=subprocess.PIPE,
            stderr=stderr,
            text=True,
        )
    assert process.stdout is not None
    child = ChildOutput()
    reader = threading.Thread(target=child.read, args=(process.stdout,), daemon=True)
    reader.start()
    try:
        child.started.wait(STARTUP_TIMEOUT)
        if process.poll() is None and child.lines:
            time.sleep(delay)
    finally:
        if process.poll() is None:
            os.kill(process.pid, signal.SIGKILL)
        process.wait()
        reader.join()
        process.stdout.close()
    problem = stderr_path.read_text()
    assert process.returncode == -signal.SIGKILL, f"the child ended by itself:\n{problem}"
    assert child.lines, f"the child reported no commit before it was killed:\n{problem}"
    return child.lines


def reported_results(lines: list[str]) -> tuple[int, set[ResultKey]]:
    """Batches and results the child reported committed; a line cut off by the kill is ignored."""
    batches = 0
    keys: set[ResultKey] = set()
    for line in lines:
        match = COMMITTED.fullmatch(line)
        if match is None:
            assert not line.endswith("\n"), f"unexpected output from the child: {line!r}"
            continue  # the last line, cut short by SIGKILL: its batch is not claimed
        first, last, count = (int(part) for part in match.groups())
        assert last - first + 1 == count, f"a batch is not one contiguous run: {line!r}"
        batches += 1
        keys.update(identity(seq) for seq in range(first, last + 1))
    return batches, keys


def stored_results(connection: Connection) -> list[CheckResult]:
    """Every stored result, as the CheckResult fields the rollups use."""
    query = select(
        monitors.c.name,
        check_results.c.started_at,
        check_results.c.ok,
        check_results.c.failure,
        check_results.c.total_ms,
        check_results.c.first_byte_ms,
    ).join(monitors, monitors.c.id == check_results.c.monitor_id)
    return [
        CheckResult(
            monitor=name,
            started_at=started_ms / 1000,
            ok=ok,
            failure=FailureClass(failure) if failure else None,
            total_ms=total_ms,
            first_byte_ms=first_byte_ms,
        )
        for name, started_ms, ok, failure, total_ms, first_byte_ms in connection.execute(query)
    ]


def stored_rollups(connection: Connection, table: Table) -> dict[tuple[str, int], Rollup]:
    rows = connection.execute(
        select(monitors.c.name, table).join(monitors, monitors.c.id == table.c.monitor_id)
    ).mappings()
    return {(row["name"], row["bucket_start"]): Rollup.from_row(row) for row in rows}


def counts_by_period(results: list[CheckResult], period: int) -> dict[tuple[str, int], int]:
    return dict(Counter((r.monitor, bucket_start(r.started_at, period)) for r in results))


def rebuilt_rollups(results: list[CheckResult], period: int) -> dict[tuple[str, int], Rollup]:
    rollups: dict[tuple[str, int], Rollup] = {}
    for result in results:
        key = (result.monitor, bucket_start(result.started_at, period))
        rollups.setdefault(key, Rollup()).add(result)
    return rollups


def check_consistent(database: Database, reported: set[ResultKey]) -> list[CheckResult]:
    """Assert the reported results are stored once each and the rollups count the raw rows."""
    with database.engine.connect() as connection:
        if database.backend == "sqlite":
            integrity = connection.exec_driver_sql("PRAGMA integrity_check").scalar()
            assert integrity == "ok", integrity
        results = stored_results(connection)
        minutes = stored_rollups(connection, rollups_minute)
        hours = stored_rollups(connection, rollups_hour)
    keys = Counter((r.monitor, round(r.started_at * 1000)) for r in results)
    duplicates = [key for key, count in keys.items() if count > 1]
    assert duplicates == [], f"{len(duplicates)} results stored twice, e.g. {duplicates[:3]}"
    foreign = [key for key in keys if identity(sequence_of(key[1])) != key]
    assert foreign == [], f"results no child wrote: {foreign[:3]}"
    missing = reported - keys.keys()
    assert not missing, f"{len(missing)} reported results are lost, e.g. {sorted(missing)[:3]}"
    for period, rollups in ((MINUTE, minutes), (HOUR, hours)):
        counted = {key: rollup.total for key, rollup in rollups.items()}
        assert counted == counts_by_period(results, period), f"{period}-s rollups disagree"
    return results


@pytest.mark.slow
def test_every_batch_reported_committed_survives_sigkill_at_random_moments(
    database_url: str, tmp_path: Path
) -> None:
    rng = random.Random(SEED)
    reported: set[ResultKey] = set()
    batches = 0
    results: list[CheckResult] = []
    for run in range(KILLS):
        lines = run_and_kill(
            database_url, run * RUN_STRIDE, rng.uniform(*KILL_DELAY), tmp_path / f"child{run}.err"
        )
        run_batches, run_results = reported_results(lines)
        batches += run_batches
        reported |= run_results
        database = open_database(database_url)  # must open (and recover) cleanly after a kill
        try:
            results = check_consistent(database, reported)
        finally:
            database.dispose()

    database = open_database(database_url)
    try:
        with database.engine.connect() as connection:
            assert stored_rollups(connection, rollups_minute) == rebuilt_rollups(results, MINUTE)
            assert stored_rollups(connection, rollups_hour) == rebuilt_rollups(results, HOUR)
    finally:
        database.dispose()
    print(
        f"\ndurability: {KILLS} kills, {batches} batches reported committed, "
        f"{len(reported)} reported results verified, {len(results)} results stored "
        f"({len(results) - len(reported)} committed but not yet reported when killed)"
    )

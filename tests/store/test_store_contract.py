"""The store's contract: the same scenarios on a real SQLite file and a real PostgreSQL."""

from __future__ import annotations

import asyncio
import random
import threading
from datetime import timedelta
from types import SimpleNamespace

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import func, select, text

from onwatch.errors import SchemaTooNewError
from onwatch.probes.base import CheckResult, FailureClass
from onwatch.store import batches
from onwatch.store.batches import RollupCache, write_batch
from onwatch.store.database import Database, open_database
from onwatch.store.monitors import MonitorIds
from onwatch.store.queries import latency_percentiles, summarize
from onwatch.store.retention import apply_retention
from onwatch.store.rollups import HOUR, MINUTE, Rollup, bucket_start
from onwatch.store.tables import check_results, metadata, rollups_hour, rollups_minute
from onwatch.store.writer import CommittedBatch, Writer

BASE = 1_790_000_000 // HOUR * HOUR  # an hour boundary in 2026


def make_results(
    monitor: str, start: float, count: int, step: float, seed: int
) -> list[CheckResult]:
    rng = random.Random(seed)
    results = []
    for i in range(count):
        latency = rng.lognormvariate(5, 0.8)
        if rng.random() < 0.1:
            results.append(
                CheckResult(
                    monitor=monitor,
                    started_at=start + i * step,
                    ok=False,
                    failure=rng.choice([FailureClass.TIMEOUT, FailureClass.SLOW]),
                    total_ms=latency * 10,
                    first_byte_ms=latency * 9,
                )
            )
        else:
            results.append(
                CheckResult(
                    monitor=monitor,
                    started_at=start + i * step,
                    ok=True,
                    total_ms=latency,
                    first_byte_ms=latency * 0.6,
                )
            )
    return results


def stored_rollups(database: Database, table: object) -> dict[tuple[str, int], Rollup]:
    from onwatch.store.tables import monitors

    assert table in (rollups_minute, rollups_hour)
    with database.engine.connect() as connection:
        rows = connection.execute(
            select(monitors.c.name, table).join(monitors, monitors.c.id == table.c.monitor_id)  # type: ignore[attr-defined]
        ).mappings()
        return {(row["name"], row["bucket_start"]): Rollup.from_row(row) for row in rows}


def expected_rollups(results: list[CheckResult], period: int) -> dict[tuple[str, int], Rollup]:
    expected: dict[tuple[str, int], Rollup] = {}
    for result in results:
        expected.setdefault(
            (result.monitor, bucket_start(result.started_at, period)), Rollup()
        ).add(result)
    return expected


@pytest.fixture
def database(database_url: str):
    db = open_database(database_url)
    yield db
    db.dispose()


def test_a_fresh_database_is_migrated_to_exactly_the_declared_tables(database: Database) -> None:
    with database.engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), metadata)
    assert differences == []


def test_opening_twice_keeps_the_data_and_applies_nothing_new(database_url: str) -> None:
    first = open_database(database_url)
    write_batch(first, MonitorIds(), make_results("home", BASE, 10, 1.0, seed=1))
    first.dispose()
    second = open_database(database_url)
    with second.engine.connect() as connection:
        assert connection.execute(select(func.count()).select_from(check_results)).scalar() == 10
    second.dispose()


def test_it_refuses_a_database_whose_schema_is_newer_than_the_code(database_url: str) -> None:
    db = open_database(database_url)
    with db.engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    db.dispose()
    with pytest.raises(SchemaTooNewError, match=r"9999.*newer onwatch"):
        open_database(database_url)


def test_written_batches_fold_into_minute_and_hour_rollups_exactly(database: Database) -> None:
    results = make_results("checkout", BASE - 1800, 900, 4.0, seed=2)
    results += make_results("home", BASE - 600, 300, 7.0, seed=3)
    ids = MonitorIds()
    for start in range(0, len(results), 137):  # batches that cut across minutes
        write_batch(database, ids, results[start : start + 137])
    assert stored_rollups(database, rollups_minute) == expected_rollups(results, MINUTE)
    assert stored_rollups(database, rollups_hour) == expected_rollups(results, HOUR)


def test_a_late_result_is_merged_into_the_rollup_it_belongs_to(database: Database) -> None:
    ids = MonitorIds()
    on_time = make_results("api", BASE, 120, 1.0, seed=4)
    write_batch(database, ids, on_time)
    late = make_results("api", BASE + 30.5, 1, 1.0, seed=5)
    write_batch(database, ids, late)
    minute = stored_rollups(database, rollups_minute)[("api", BASE)]
    assert minute == expected_rollups(on_time + late, MINUTE)[("api", BASE)]
    assert minute.total == 61


def test_rollups_stay_exact_when_two_writers_race_for_the_same_rows(database: Database) -> None:
    halves = [make_results("shared", BASE, 400, 0.25, seed=s) for s in (6, 7)]
    errors: list[BaseException] = []

    def write(results: list[CheckResult]) -> None:
        ids = MonitorIds()
        try:
            for start in range(0, len(results), 20):
                write_batch(database, ids, results[start : start + 20])
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(half,)) for half in halves]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert stored_rollups(database, rollups_minute) == expected_rollups(
        halves[0] + halves[1], MINUTE
    )


def test_rollups_stay_exact_when_two_writers_with_rollup_caches_race_for_the_same_rows(
    database: Database,
) -> None:
    halves = [make_results("shared", BASE, 400, 0.25, seed=s) for s in (16, 17)]
    errors: list[BaseException] = []

    def write(results: list[CheckResult]) -> None:
        ids, cache = MonitorIds(), RollupCache()
        try:
            for start in range(0, len(results), 20):
                write_batch(database, ids, results[start : start + 20], cache)
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(half,)) for half in halves]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    both = halves[0] + halves[1]
    assert stored_rollups(database, rollups_minute) == expected_rollups(both, MINUTE)
    assert stored_rollups(database, rollups_hour) == expected_rollups(both, HOUR)


def test_a_cached_rollup_row_that_another_writer_changed_is_read_again(
    database: Database,
) -> None:
    ours, theirs = MonitorIds(), MonitorIds()
    cache = RollupCache()
    results = make_results("api", BASE, 90, 1.0, seed=18)
    write_batch(database, ours, results[:30], cache)
    write_batch(database, theirs, results[30:60])  # another node, behind our back
    write_batch(database, ours, results[60:], cache)
    assert stored_rollups(database, rollups_minute) == expected_rollups(results, MINUTE)
    assert stored_rollups(database, rollups_hour) == expected_rollups(results, HOUR)


def test_a_batch_that_fails_midway_leaves_the_cached_rollups_exact(
    database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids, cache = MonitorIds(), RollupCache()
    results = make_results("api", BASE, 90, 1.0, seed=19)
    write_batch(database, ids, results[:30], cache)

    def broken(deltas: object, period: int) -> object:
        raise RuntimeError("the disk is full")

    with monkeypatch.context() as patched:
        patched.setattr(batches, "coarser", broken)  # after the minute rows were merged
        with pytest.raises(RuntimeError):
            write_batch(database, ids, results[30:60], cache)
    write_batch(database, ids, results[60:], cache)
    kept = results[:30] + results[60:]
    assert stored_rollups(database, rollups_minute) == expected_rollups(kept, MINUTE)
    assert stored_rollups(database, rollups_hour) == expected_rollups(kept, HOUR)


def test_the_rollup_cache_keeps_only_the_rows_of_open_periods(database: Database) -> None:
    ids, cache = MonitorIds(), RollupCache()
    monitors = 20
    for minute in range(90):  # an hour and a half, one result per monitor and minute
        batch = [
            CheckResult(f"m{i}", BASE + minute * 60 + i, ok=True, total_ms=10.0 + i)
            for i in range(monitors)
        ]
        write_batch(database, ids, batch, cache)
        hours = 2 if minute == 60 else 1  # the last hour, for a minute after it
        assert len(cache) == monitors * (min(minute + 1, 2) + hours), minute


def test_percentiles_over_a_range_match_the_raw_results(database: Database) -> None:
    # Two days and a half, starting mid-hour, so hour and minute rollups both serve.
    results = make_results("shop", BASE - 1234, 3000, 61.0, seed=8)
    write_batch(database, MonitorIds(), results)
    since, until = BASE - 1200, BASE + 3000 * 61
    inside = sorted(
        r.total_ms
        for r in results
        if bucket_start(since, 60) <= r.started_at < bucket_start(until, 60)
    )
    with database.engine.connect() as connection:
        answer = latency_percentiles(connection, "shop", since, until, (0.5, 0.95, 0.99))
    for q, value in answer.items():
        exact = inside[int(q * (len(inside) - 1))]
        assert value is not None
        assert abs(value - exact) / exact < 0.02


def test_a_summary_counts_failures_by_class(database: Database) -> None:
    results = make_results("pay", BASE, 500, 30.0, seed=9)
    write_batch(database, MonitorIds(), results)
    with database.engine.connect() as connection:
        ids = dict(connection.execute(text("SELECT name, id FROM monitors")).all())
        summary = summarize(connection, [ids["pay"]], BASE, BASE + 500 * 30)[ids["pay"]]
    failures = [r.failure.value for r in results if r.failure]
    assert summary.total == 500
    assert summary.good == 500 - len(failures)
    assert sum(summary.failures.values()) == len(failures)
    assert summary.availability == pytest.approx((500 - len(failures)) / 500)


def test_an_unknown_monitor_has_no_percentiles(database: Database) -> None:
    with database.engine.connect() as connection:
        assert latency_percentiles(connection, "ghost", BASE, BASE + 3600, (0.5,)) == {0.5: None}


def test_retention_forgets_only_what_is_older_than_its_period(database: Database) -> None:
    now = BASE + 40 * 86400
    old = make_results("old", BASE, 10, 60.0, seed=10)  # 40 days ago
    recent = make_results("old", now - 3600, 10, 60.0, seed=11)
    write_batch(database, MonitorIds(), old + recent)
    periods = SimpleNamespace(
        raw=timedelta(days=7), minute=timedelta(days=35), hour=timedelta(days=400)
    )
    deleted = apply_retention(database, periods, now)
    assert (deleted.raw, deleted.minute, deleted.hour) == (10, 10, 0)
    with database.engine.connect() as connection:
        assert connection.execute(select(func.count()).select_from(check_results)).scalar() == 10
        assert connection.execute(select(func.count()).select_from(rollups_hour)).scalar() == 2


def test_the_writer_task_commits_everything_submitted_and_reports_each_batch(
    database: Database,
) -> None:
    committed: list[CommittedBatch] = []
    results = make_results("writer", BASE, 2500, 0.5, seed=12)

    async def scenario() -> None:
        writer = Writer(database, max_batch=1000, max_delay=0.05, on_commit=committed.append)
        writer.start()
        for result in results:
            writer.submit(result)
        await writer.stop()
        assert writer.queue_depth == 0

    asyncio.run(scenario())
    assert sum(len(batch.results) for batch in committed) == 2500
    assert max(len(batch.results) for batch in committed) <= 1000
    with database.engine.connect() as connection:
        assert connection.execute(select(func.count()).select_from(check_results)).scalar() == 2500

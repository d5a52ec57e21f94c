"""Latency objectives count from raw results exactly while raw results are kept, from the
histograms (within their 1% bound) once only rollups remain: SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import delete

from onwatch.probes.base import CheckResult, FailureClass
from onwatch.slo.model import ObjectiveSpec, WindowSpec
from onwatch.slo.sources import MonitorFacts, rebuild_trackers
from onwatch.store.batches import write_batch
from onwatch.store.database import Database, open_database
from onwatch.store.maintenance_calendar import MaintenanceCalendar
from onwatch.store.monitors import MonitorIds
from onwatch.store.tables import check_results

DAY = 86_400.0
NOW = 1_790_006_430.0
MONITOR = "checkout-page"
SPEC = ObjectiveSpec(
    service="checkout",
    name="page-load",
    kind="latency",
    target=0.9,
    window=WindowSpec("rolling", 30 * 86_400),
    monitors=(MONITOR,),
    threshold_ms=3000.0,
)


@pytest.fixture
def database(database_url: str) -> Iterator[Database]:
    db = open_database(database_url)
    yield db
    db.dispose()


def near_the_threshold() -> list[CheckResult]:
    """A check a minute for 3 hours: loads of 2,990 ms and 3,010 ms in turn (both within
    1% of the 3 s threshold, so one histogram bucket holds both), plus a slow failure."""
    results = []
    for i in range(180):
        at = NOW - 4 * 3600 + i * 60
        if i % 30 == 0:
            results.append(CheckResult(MONITOR, at, False, 9000.0, FailureClass.SLOW))
        else:
            results.append(CheckResult(MONITOR, at, True, 2990.0 if i % 2 else 3010.0))
    return results


def counted(database: Database, raw_retention: float) -> tuple[int, int]:
    with database.engine.connect() as connection:
        rebuilt = rebuild_trackers(
            connection,
            [SPEC],
            now=NOW,
            monitors={MONITOR: MonitorFacts("checkout", 60.0, None)},
            calendar=MaintenanceCalendar((), NOW - 40 * DAY, NOW),
            minute_retention=35 * DAY,
            raw_retention=raw_retention,
        )
    standing = rebuilt.trackers[SPEC.key].evaluate(NOW).standing
    return standing.events, standing.bad


def test_raw_results_decide_loads_the_histogram_cannot_tell_apart(database: Database) -> None:
    results = near_the_threshold()
    write_batch(database, MonitorIds(), results)
    truly_bad = sum(1 for r in results if r.total_ms is not None and r.total_ms > 3000.0)

    assert counted(database, raw_retention=7 * DAY) == (180, truly_bad)


def test_without_raw_results_the_histogram_counts_within_its_bound(database: Database) -> None:
    results = near_the_threshold()
    write_batch(database, MonitorIds(), results)
    with database.engine.begin() as connection:
        connection.execute(delete(check_results))  # what raw retention does after 7 days

    events, bad = counted(database, raw_retention=7 * DAY)
    assert events == 180
    # 2,990 and 3,010 ms share a bucket: the histogram may count either side of the line,
    # but never the 9 s failures as good nor more than the checks near the threshold as bad
    slow_failures = 6
    near = 180 - slow_failures
    assert slow_failures <= bad <= slow_failures + near


def test_a_zero_raw_retention_uses_only_the_histograms(database: Database) -> None:
    write_batch(database, MonitorIds(), near_the_threshold())
    with_raw = counted(database, raw_retention=7 * DAY)
    histogram_only = counted(database, raw_retention=0.0)
    assert with_raw[0] == histogram_only[0] == 180
    assert with_raw[1] == 90
    assert histogram_only[1] != 90  # the histogram puts 2,990 and 3,010 ms on one side

"""Rollup reads for the monitor list: availability windows and hourly latency series."""

from __future__ import annotations

from pathlib import Path

import pytest

from fakeclock import START
from onwatch.probes.base import CheckResult, FailureClass
from onwatch.store.batches import write_batch
from onwatch.store.database import Database, open_database
from onwatch.store.monitors import MonitorIds
from onwatch.store.queries import monitor_ids
from onwatch.store.series import availability, hourly_latency
from onwatch.store.stats import window_stats

NOW = START


def ok(name: str, at: float, total: float = 100.0) -> CheckResult:
    return CheckResult(name, at, True, total, first_byte_ms=total / 2)


def failed(name: str, at: float) -> CheckResult:
    return CheckResult(name, at, False, None, FailureClass.TIMEOUT, detail="timeout")


def write(database: Database, results: list[CheckResult]) -> None:
    write_batch(database, MonitorIds(), results)


def test_availability_counts_the_same_checks_as_the_monitor_page(database_url: str) -> None:
    database = open_database(database_url)
    try:
        results = [ok("home", NOW - 86400 * 3 + 60 * i) for i in range(0, 3 * 1440, 7)]
        results += [failed("home", NOW - 50_000 + 601 * i) for i in range(30)]
        write(database, results)
        windows = {"1 h": 3600.0, "24 h": 86400.0, "7 d": 7 * 86400.0}
        with database.engine.connect() as connection:
            (id_,) = monitor_ids(connection, ["home"]).values()
            counts = availability(connection, [id_, 999], NOW - 1234.5, windows)
            for label, seconds in windows.items():
                stats = window_stats(connection, id_, NOW - 1234.5 - seconds, NOW - 1234.5)
                assert (counts[id_][label].total, counts[id_][label].good) == (
                    stats.count,
                    stats.good,
                ), label
        assert counts[id_]["24 h"].total > counts[id_]["1 h"].total > 0
        assert counts[999]["7 d"].fraction is None
    finally:
        database.dispose()


def test_the_hourly_series_has_a_gap_for_each_hour_without_checks(tmp_path: Path) -> None:
    database = open_database(f"sqlite:///{tmp_path / 'series.db'}")
    try:
        write(
            database,
            [ok("home", NOW - 3 * 3600 + 5, total=100.0)]
            + [ok("home", NOW - 3 * 3600 + 60 * i, total=200.0) for i in range(1, 20)]
            + [ok("home", NOW + 30, total=50.0)],
        )
        with database.engine.connect() as connection:
            (id_,) = monitor_ids(connection, ["home"]).values()
            (series,) = hourly_latency(connection, [id_], NOW + 60).values()
        assert series.start == NOW - 23 * 3600
        assert len(series.p50) == len(series.p95) == 24
        assert [i for i, value in enumerate(series.p50) if value is not None] == [20, 23]
        assert series.p50[20] == pytest.approx(200, rel=0.01)
        assert series.p50[23] == pytest.approx(50, rel=0.01)
    finally:
        database.dispose()

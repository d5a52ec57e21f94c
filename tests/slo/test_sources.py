"""Rebuilding objective trackers from the store, on SQLite and PostgreSQL, and what a good event is.

Results go through the real batch writer into a real database; the rebuilt
trackers must count what was written, whether it comes back from minute
rollups, hour rollups or raw results.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

import pytest

from onwatch.policy import parse_policy
from onwatch.probes.base import CheckResult, FailureClass
from onwatch.slo.model import ObjectiveSpec, WindowSpec
from onwatch.slo.sources import MonitorFacts, Rebuilt, is_good, rebuild_trackers
from onwatch.store.batches import write_batch
from onwatch.store.database import Database, open_database
from onwatch.store.maintenance import add_window, load_windows
from onwatch.store.maintenance_calendar import MaintenanceCalendar
from onwatch.store.maintenance_request import check_window
from onwatch.store.monitors import MonitorIds

HOUR = 3600.0
DAY = 86_400.0
NOW = 1_790_006_430.0  # 2026-09-21 14:40:30 UTC: mid-minute, mid-hour
MONITOR = "checkout-page"
FACTS = {MONITOR: MonitorFacts("checkout", 60.0, "https://shop.example/checkout")}
THIRTY_DAYS = WindowSpec("rolling", 30 * 86_400)

AVAILABILITY = ObjectiveSpec(
    service="checkout",
    name="availability",
    kind="availability",
    target=0.99,
    window=THIRTY_DAYS,
    monitors=(MONITOR,),
)
LATENCY = ObjectiveSpec(
    service="checkout",
    name="latency",
    kind="latency",
    target=0.9,
    window=THIRTY_DAYS,
    monitors=(MONITOR,),
    threshold_ms=3000.0,
)
FIRST_BYTE = ObjectiveSpec(
    service="checkout",
    name="first-byte",
    kind="latency",
    target=0.9,
    window=THIRTY_DAYS,
    monitors=(MONITOR,),
    threshold_ms=500.0,
    phase="first_byte",
)


def ok(at: float, total_ms: float = 120.0, first_byte_ms: float = 80.0) -> CheckResult:
    return CheckResult(MONITOR, at, True, total_ms=total_ms, first_byte_ms=first_byte_ms)


def failed(at: float, failure: FailureClass, total_ms: float | None = None) -> CheckResult:
    return CheckResult(MONITOR, at, False, total_ms=total_ms, failure=failure)


@pytest.fixture
def database(database_url: str) -> Iterator[Database]:
    db = open_database(database_url)
    yield db
    db.dispose()


def history() -> list[CheckResult]:
    """Two days of checks a minute: every 10th refused, every 7th slow (5 s), every 13th a fast 500."""
    results = []
    start = NOW - 2 * DAY
    for i in range(int(2 * DAY // 60)):
        at = start + i * 60
        if i % 10 == 0:
            results.append(failed(at, FailureClass.REFUSED))
        elif i % 7 == 0:
            results.append(failed(at, FailureClass.SLOW, total_ms=5000.0))
        elif i % 13 == 0:
            results.append(failed(at, FailureClass.STATUS, total_ms=90.0))
        else:
            results.append(ok(at))
    return results


def rebuild(
    database: Database,
    specs: list[ObjectiveSpec],
    minute_retention: float = 35 * DAY,
    raw_retention: float = 0.0,
) -> Rebuilt:
    with database.engine.connect() as connection:
        calendar = MaintenanceCalendar(load_windows(connection), NOW - 40 * DAY, NOW + DAY)
        return rebuild_trackers(
            connection,
            specs,
            now=NOW,
            monitors=FACTS,
            calendar=calendar,
            minute_retention=minute_retention,
            raw_retention=raw_retention,
        )


def test_a_good_event_is_a_passed_check_or_one_fast_enough_in_the_right_phase() -> None:
    fast, slow_page = ok(NOW, 120.0, 80.0), ok(NOW, 4000.0, 900.0)
    slow_failure = failed(NOW, FailureClass.SLOW, total_ms=2500.0)  # slow in another phase
    refused, broken = failed(NOW, FailureClass.REFUSED), failed(NOW, FailureClass.STATUS, 90.0)
    untimed = CheckResult(MONITOR, NOW, True)

    assert [is_good(AVAILABILITY, r) for r in (fast, slow_page, slow_failure, refused)] == [
        True,
        True,
        False,
        False,
    ]
    assert [is_good(LATENCY, r) for r in (fast, slow_page, slow_failure, broken, untimed)] == [
        True,
        False,
        True,
        False,
        False,
    ]
    assert [is_good(FIRST_BYTE, r) for r in (fast, slow_page)] == [True, False]


@pytest.mark.parametrize(
    ("minute_retention", "raw_retention"),
    [(35 * DAY, 7 * DAY), (12 * HOUR, 0.0)],
    ids=["raw-results-kept", "rollups-only"],
)
def test_rebuilt_trackers_count_every_stored_check(
    database: Database, minute_retention: float, raw_retention: float
) -> None:
    results = history()
    write_batch(database, MonitorIds(), results)
    latest = [ok(NOW - 20), failed(NOW - 10, FailureClass.TIMEOUT)]  # the unfinished minute
    write_batch(database, MonitorIds(), latest)

    rebuilt = rebuild(database, [AVAILABILITY, LATENCY], minute_retention, raw_retention)
    availability = rebuilt.trackers[AVAILABILITY.key].evaluate(NOW).standing
    latency = rebuilt.trackers[LATENCY.key].evaluate(NOW).standing

    everything = results + latest
    assert availability.events == len(everything)
    assert availability.bad == sum(not r.ok for r in everything)
    assert latency.events == len(everything)
    # Latency: refused, timed out, the fast 500s and the 5-second slow ones are bad.
    exact = sum(not is_good(LATENCY, r) for r in everything)
    if raw_retention:  # latency counted from the raw results themselves
        assert latency.bad == exact
    else:  # an hour mixes fast 500s with slow loads: the histogram cannot tell them apart
        fast_failures = sum(r.failure == FailureClass.STATUS for r in everything)
        assert exact - fast_failures <= latency.bad < exact
    assert rebuilt.until == NOW - 30
    assert rebuilt.seen == {(MONITOR, NOW - 20), (MONITOR, NOW - 10)}


def test_the_latest_results_are_kept_for_messages(database: Database) -> None:
    results = history()
    write_batch(database, MonitorIds(), results)

    rebuilt = rebuild(database, [AVAILABILITY])

    assert rebuilt.recent[AVAILABILITY.key] == results[-60:]


def test_stored_checks_inside_maintenance_are_left_out_as_excluded_time(
    database: Database,
) -> None:
    policy = parse_policy(
        """\
apiVersion: onwatch/v1
services: [{name: checkout}]
monitors:
  - {name: checkout-page, type: http, url: https://shop.example/checkout, service: checkout}
"""
    )
    begin = NOW - 5 * HOUR - 630  # 09:30 UTC, whole minutes
    assert datetime.fromtimestamp(begin).second == 0
    request = check_window(
        policy,
        reason="Upgrade",
        services=["checkout"],
        monitors=[],
        now=begin,
        start=datetime.fromtimestamp(begin).astimezone().isoformat(),
        duration="1h",
    )
    with database.engine.begin() as connection:
        add_window(connection, request, created_by="alice", now=begin)
    results = history()
    write_batch(database, MonitorIds(), results)

    standing = rebuild(database, [AVAILABILITY]).trackers[AVAILABILITY.key].evaluate(NOW).standing

    inside = [r for r in results if begin <= r.started_at < begin + HOUR]
    outside = [r for r in results if r not in inside]
    assert len(inside) == 60
    assert standing.events == len(outside)
    assert standing.bad == sum(not r.ok for r in outside)
    assert standing.excluded_seconds == 60 * 60.0

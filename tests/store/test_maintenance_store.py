"""Maintenance windows in the store, on SQLite and PostgreSQL: policy sync, runtime windows,
listing, cancelling, and the in-memory calendar the evaluator asks."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from onwatch.policy import Policy, parse_policy
from onwatch.store.database import Database, open_database
from onwatch.store.maintenance import (
    PolicyWindowError,
    StoredWindow,
    UnknownWindowError,
    active_windows,
    add_window,
    cancel_window,
    get_window,
    list_windows,
    load_windows,
    maintenance_version,
    sync_policy_windows,
)
from onwatch.store.maintenance_calendar import MaintenanceCalendar, load_calendar
from onwatch.store.maintenance_request import check_window

BRUSSELS = ZoneInfo("Europe/Brussels")
HOUR = 3600.0

POLICY = """\
apiVersion: onwatch/v1
settings: {timezone: Europe/Brussels}
services:
  - name: checkout
  - name: shop
monitors:
  - {name: checkout-page, type: http, url: https://shop.example/checkout, service: checkout}
  - {name: home, type: http, url: https://shop.example/, service: shop}
pools:
  - name: api-pool
    service: shop
    targets: [http://10.0.0.1/health, http://10.0.0.2/health]
maintenance:
  - name: sunday-db
    reason: Weekly database upgrade
    start: "2026-10-18 22:00"
    duration: 2h
    rrule: FREQ=WEEKLY;BYDAY=SU
    services: [checkout]
"""


def at(text: str) -> float:
    """A Brussels wall-clock time as Unix seconds."""
    return datetime.fromisoformat(text).replace(tzinfo=BRUSSELS).timestamp()


NOW = at("2026-10-17 12:00")


@pytest.fixture
def database(database_url: str) -> Iterator[Database]:
    db = open_database(database_url)
    yield db
    db.dispose()


@pytest.fixture
def policy() -> Policy:
    return parse_policy(POLICY)


def add(
    database: Database, policy: Policy, now: float = NOW, by: str = "alice", **asked: object
) -> StoredWindow:
    fields: dict[str, object] = {"reason": "Router swap", "services": [], "monitors": []}
    fields.update(asked)
    request = check_window(policy, now=now, **fields)  # type: ignore[arg-type]
    with database.engine.begin() as connection:
        return add_window(connection, request, created_by=by, now=now)


def test_policy_windows_are_synced_in_added_changed_and_removed(
    database: Database, policy: Policy
) -> None:
    with database.engine.begin() as connection:
        first = sync_policy_windows(connection, policy, NOW)
        again = sync_policy_windows(connection, policy, NOW + 60)
    moved = parse_policy(POLICY.replace("duration: 2h", "duration: 3h"))
    with database.engine.begin() as connection:
        changed = sync_policy_windows(connection, moved, NOW + 120)
        [window] = load_windows(connection)
    assert (first.added, first.changed, first.removed) == (("sunday-db",), (), ())
    assert (again.added, again.changed, again.removed) == ((), (), ())
    assert changed.changed == ("sunday-db",)
    assert (window.source, window.name, window.created_by) == ("policy", "sunday-db", "policy")
    assert window.duration == timedelta(hours=3)
    assert (window.timezone, window.start_local) == ("Europe/Brussels", datetime(2026, 10, 18, 22))
    assert window.services == ("checkout",)

    emptied = policy.model_copy(update={"maintenance": []})
    with database.engine.begin() as connection:
        removed = sync_policy_windows(connection, emptied, NOW + 180)
        gone = get_window(connection, window.id)
        back = sync_policy_windows(connection, policy, NOW + 240)
        revived = get_window(connection, window.id)
    assert removed.removed == ("sunday-db",)
    assert (gone.cancelled_at, gone.cancelled_by) == (int(NOW + 180), "policy")
    assert back.changed == ("sunday-db",)
    assert (revived.cancelled_at, revived.created_at) == (None, int(NOW + 240))


def test_a_weekly_window_keeps_its_wall_clock_time_across_the_end_of_summer_time(
    database: Database, policy: Policy
) -> None:
    with database.engine.begin() as connection:
        sync_policy_windows(connection, policy, NOW)
        [window] = load_windows(connection)

    found = window.intervals(NOW, at("2026-11-02 00:00"))

    assert found == [
        (at("2026-10-18 22:00"), at("2026-10-19 00:00")),
        (at("2026-10-25 22:00"), at("2026-10-26 00:00")),
        (at("2026-11-01 22:00"), at("2026-11-02 00:00")),
    ]
    assert found[0][0] - found[1][0] == -7 * 24 * HOUR - HOUR  # the clocks went back an hour


def test_a_runtime_window_is_stored_with_who_added_it_and_listed_by_state(
    database: Database, policy: Policy
) -> None:
    soon = add(database, policy, start="2026-10-17 14:00", duration="2h", services=["shop"])
    now = add(database, policy, duration=1800, monitors=["home"], reason="Cache flush", by="bob")
    with database.engine.begin() as connection:
        listed = list_windows(connection, now=NOW + 60)
        everything = list_windows(connection, now=NOW + 60, states=("active", "upcoming", "past"))

    assert (now.source, now.created_by, now.created_at, now.reason) == (
        "runtime",
        "bob",
        int(NOW),
        "Cache flush",
    )
    assert now.start_local == datetime(2026, 10, 17, 12)
    assert [(item.window.id, item.state) for item in listed] == [
        (now.id, "active"),
        (soon.id, "upcoming"),
    ]
    assert listed[0].occurrence == (NOW, NOW + 1800)
    assert listed[1].occurrence == (at("2026-10-17 14:00"), at("2026-10-17 16:00"))
    assert len(everything) == 2


def test_cancelling_ends_a_window_now_and_records_who(database: Database, policy: Policy) -> None:
    window = add(database, policy, duration="2h", services=["checkout"])
    with database.engine.begin() as connection:
        cancelled = cancel_window(connection, window.id, by="carol", now=NOW + 600)
        again = cancel_window(connection, window.id, by="dave", now=NOW + 900)
        listed = list_windows(connection, now=NOW + 1200, states=("past",))

    assert (cancelled.cancelled_at, cancelled.cancelled_by) == (int(NOW + 600), "carol")
    assert (again.cancelled_at, again.cancelled_by) == (int(NOW + 600), "carol")
    assert [(item.window.id, item.occurrence) for item in listed] == [(window.id, (NOW, NOW + 600))]
    assert cancelled.intervals(NOW - HOUR, NOW + 3 * HOUR) == [(NOW, NOW + 600)]


def test_a_policy_window_or_an_unknown_id_cannot_be_cancelled(
    database: Database, policy: Policy
) -> None:
    with database.engine.begin() as connection:
        sync_policy_windows(connection, policy, NOW)
        [window] = load_windows(connection)
        with pytest.raises(PolicyWindowError, match=r"sunday-db.*comes from the policy"):
            cancel_window(connection, window.id, by="eve", now=NOW)
        with pytest.raises(UnknownWindowError, match="no maintenance window with id 999"):
            cancel_window(connection, 999, by="eve", now=NOW)


def test_a_window_applies_to_the_monitors_it_names_their_pools_and_their_services(
    database: Database, policy: Policy
) -> None:
    add(database, policy, duration="1h", monitors=["api-pool"], reason="Pool rebuild")
    add(database, policy, duration="1h", services=["checkout"], reason="Payment provider")
    with database.engine.begin() as connection:
        calendar = load_calendar(connection, NOW - HOUR, NOW + 2 * HOUR)
        home = active_windows(connection, NOW + 60, service="shop", monitor="home")
        checkout = active_windows(connection, NOW + 60, service="checkout")

    assert calendar.reason_at(NOW + 60, "shop", "api-pool#2") == "Pool rebuild"
    assert calendar.reason_at(NOW + 60, "checkout", "checkout-page") == "Payment provider"
    assert calendar.reason_at(NOW + 60, "shop", "home") is None
    assert calendar.reason_at(NOW + HOUR, "shop", "api-pool#1") is None  # over: [start, end)
    assert calendar.reason_at(NOW - 60, "shop", "api-pool#1") is None
    assert calendar.reasons_at(NOW, "shop", ["home", "api-pool#1", "api-pool#2"]) == [
        "Pool rebuild"
    ]
    assert home == []
    assert [window.reason for window in checkout] == ["Payment provider"]


def test_the_calendar_gives_merged_maintenance_time_for_a_range(
    database: Database, policy: Policy
) -> None:
    add(database, policy, duration="1h", services=["shop"], reason="one")
    add(database, policy, start="2026-10-17 12:30", duration="1h", monitors=["home"], reason="two")
    with database.engine.begin() as connection:
        calendar = MaintenanceCalendar(load_windows(connection), NOW - HOUR, NOW + 3 * HOUR)

    assert calendar.excluded("shop", "home", NOW - HOUR, NOW + 3 * HOUR) == [
        (NOW, NOW + 1.5 * HOUR)
    ]
    assert calendar.excluded("shop", "home", NOW + 600, NOW + 1200) == [(NOW + 600, NOW + 1200)]
    assert calendar.excluded("checkout", "checkout-page", NOW - HOUR, NOW + 3 * HOUR) == []
    assert calendar.covers(NOW, NOW + HOUR)
    assert not calendar.covers(NOW, NOW + 4 * HOUR)


def test_a_window_excuses_nothing_before_it_was_recorded(
    database: Database, policy: Policy
) -> None:
    window = add(database, policy, start="2026-10-17 11:00", duration="2h", services=["shop"])

    assert window.intervals(NOW - 2 * HOUR, NOW + 2 * HOUR) == [(NOW, NOW + HOUR)]


def test_the_version_changes_when_a_window_is_added_or_cancelled(
    database: Database, policy: Policy
) -> None:
    with database.engine.connect() as connection:
        empty = maintenance_version(connection)
    window = add(database, policy, duration="1h", services=["shop"])
    with database.engine.begin() as connection:
        added = maintenance_version(connection)
        cancel_window(connection, window.id, by="alice", now=NOW + 60)
        cancelled = maintenance_version(connection)
        calendar = load_calendar(connection, NOW, NOW + HOUR)

    assert len({empty, added, cancelled}) == 3
    assert calendar.version == cancelled

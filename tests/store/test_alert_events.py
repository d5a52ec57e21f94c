"""Alert events in the store, on SQLite and PostgreSQL: open, resolve, list."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from onwatch.store.alerts import list_alerts, open_alert, open_alerts, resolve_alert
from onwatch.store.database import Database, open_database

T0 = 1_790_000_000


@pytest.fixture
def database(database_url: str) -> Iterator[Database]:
    db = open_database(database_url)
    yield db
    db.dispose()


def page(database: Database, objective: str, tier: str, at: float) -> int:
    with database.engine.begin() as connection:
        event = open_alert(
            connection,
            objective=objective,
            tier=tier,
            severity="page" if tier.startswith("page") else "ticket",
            at=at,
            message=f"{objective} burns",
            details={"long_burn": 15.2, "budget_remaining": 0.41},
            epoch=3,
        )
    return event.id


def test_an_opened_alert_is_open_until_resolved(database: Database) -> None:
    opened = page(database, "checkout/availability", "page-1h", T0)
    with database.engine.begin() as connection:
        before = open_alerts(connection, "checkout/availability")
        resolved = resolve_alert(connection, "checkout/availability", "page-1h", at=T0 + 600)
        twice = resolve_alert(connection, "checkout/availability", "page-1h", at=T0 + 900)
        after = open_alerts(connection)
        [event] = list_alerts(connection, since=T0 - 60)

    assert [(e.id, e.tier, e.severity, e.opened_at, e.epoch) for e in before] == [
        (opened, "page-1h", "page", T0, 3)
    ]
    assert before[0].details == {"long_burn": 15.2, "budget_remaining": 0.41}
    assert before[0].message == "checkout/availability burns"
    assert (resolved, twice, after) == (1, 0, [])
    assert (event.id, event.resolved_at, event.is_open) == (opened, T0 + 600, False)


def test_opening_a_tier_that_is_already_open_returns_the_open_event(database: Database) -> None:
    first = page(database, "checkout/availability", "page-1h", T0)
    second = page(database, "checkout/availability", "page-1h", T0 + 60)
    other = page(database, "checkout/availability", "ticket-3d", T0 + 60)

    with database.engine.connect() as connection:
        events = open_alerts(connection)
    assert second == first
    assert [event.id for event in events] == [first, other]


def test_the_list_is_newest_first_by_objective_and_limited(database: Database) -> None:
    old = page(database, "shop/latency", "page-1h", T0 - 86_400)
    with database.engine.begin() as connection:
        resolve_alert(connection, "shop/latency", "page-1h", at=T0 - 80_000)
    still_open = page(database, "shop/latency", "ticket-3d", T0 - 86_400)
    recent = page(database, "checkout/availability", "page-1h", T0)
    newest = page(database, "shop/latency", "page-6h", T0 + 60)

    with database.engine.connect() as connection:
        since_today = list_alerts(connection, since=T0 - 3600)
        shop = list_alerts(connection, since=T0 - 90_000, objective="shop/latency")
        one = list_alerts(connection, since=T0 - 90_000, limit=1)

    assert [event.id for event in since_today] == [newest, recent, still_open]
    assert [event.id for event in shop] == [newest, still_open, old]
    assert [event.id for event in one] == [newest]

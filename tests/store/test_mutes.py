"""Mutes on SQLite and PostgreSQL: they silence a monitor for a while, then end by themselves."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest

from onwatch.store.database import Database, open_database
from onwatch.store.mutes import (
    UnknownMuteError,
    active_mutes,
    add_mute,
    end_mute,
    list_mutes,
)

NOW = 1_790_000_000.0
HOUR = 3600.0


@pytest.fixture
def database(database_url: str) -> Iterator[Database]:
    db = open_database(database_url)
    yield db
    db.dispose()


def test_a_mute_silences_its_monitor_until_it_expires(database: Database) -> None:
    with database.engine.begin() as connection:
        mute = add_mute(
            connection,
            monitor="checkout",
            reason="Payment provider migration",
            lasting=timedelta(hours=2),
            created_by="alice",
            now=NOW,
        )
    with database.engine.connect() as connection:
        assert set(active_mutes(connection, now=NOW + HOUR)) == {"checkout"}
        assert active_mutes(connection, now=NOW + HOUR)["checkout"].created_by == "alice"
        assert active_mutes(connection, now=NOW + 2 * HOUR) == {}
        assert list_mutes(connection, now=NOW + 3 * HOUR) == []
        assert [m.id for m in list_mutes(connection, now=NOW + 3 * HOUR, include_past=True)] == [
            mute.id
        ]


def test_ending_a_mute_early_is_recorded_once(database: Database) -> None:
    with database.engine.begin() as connection:
        mute = add_mute(
            connection,
            monitor="api",
            reason="deploy",
            lasting=timedelta(hours=1),
            created_by="bob",
            now=NOW,
        )
        ended = end_mute(connection, mute.id, by="carol", now=NOW + 600)
        again = end_mute(connection, mute.id, by="dave", now=NOW + 900)
    assert (ended.ended_at, ended.ended_by) == (NOW + 600, "carol")
    assert (again.ended_at, again.ended_by) == (NOW + 600, "carol")
    assert not ended.active(NOW + 601)
    assert ended.active(NOW + 599)
    with database.engine.connect() as connection:
        assert active_mutes(connection, now=NOW + 700) == {}


@pytest.mark.parametrize(
    ("reason", "lasting", "problem"),
    [
        (" ", timedelta(hours=1), "needs a reason"),
        ("x", timedelta(0), "at most 30 days"),
        ("x", timedelta(days=31), "at most 30 days"),
    ],
)
def test_a_mute_needs_a_reason_and_a_sane_length(
    database: Database, reason: str, lasting: timedelta, problem: str
) -> None:
    with database.engine.begin() as connection, pytest.raises(ValueError, match=problem):
        add_mute(connection, monitor="api", reason=reason, lasting=lasting, created_by="x", now=NOW)


def test_ending_an_unknown_mute_says_so(database: Database) -> None:
    with database.engine.begin() as connection, pytest.raises(UnknownMuteError, match="id 99"):
        end_mute(connection, 99, by="x", now=NOW)

"""On-call overrides on SQLite and PostgreSQL: added, listed while in force, cancelled."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from onwatch.notify.oncall import Override
from onwatch.store.database import Database, open_database
from onwatch.store.oncall import (
    InvalidOverrideError,
    UnknownOverrideError,
    add_override,
    cancel_override,
    list_overrides,
)

NOW = 1_790_000_000.0
HOUR = 3600.0


@pytest.fixture
def database(database_url: str) -> Iterator[Database]:
    db = open_database(database_url)
    yield db
    db.dispose()


def test_an_override_is_stored_and_listed_until_it_ends(database: Database) -> None:
    with database.engine.begin() as connection:
        added = add_override(
            connection,
            rotation="primary",
            contact="carol",
            starts_at=NOW + HOUR,
            ends_at=NOW + 3 * HOUR,
            created_by="alice",
            now=NOW,
        )
    assert (added.rotation, added.contact, added.created_by) == ("primary", "carol", "alice")
    assert added.as_override() == Override("primary", "carol", NOW + HOUR, NOW + 3 * HOUR, NOW)
    with database.engine.connect() as connection:
        assert list_overrides(connection, now=NOW) == [added]
        assert list_overrides(connection, now=NOW + 2 * HOUR) == [added]  # in force
        assert list_overrides(connection, now=NOW + 3 * HOUR) == []  # over


def test_overrides_list_soonest_first_and_by_rotation(database: Database) -> None:
    with database.engine.begin() as connection:
        later, sooner, other = (
            add_override(
                connection,
                rotation=rotation,
                contact="bob",
                starts_at=NOW + start,
                ends_at=NOW + start + HOUR,
                created_by="cli",
                now=NOW,
            )
            for rotation, start in (("primary", 5 * HOUR), ("primary", HOUR), ("nights", 0.0))
        )
    with database.engine.connect() as connection:
        assert list_overrides(connection, now=NOW) == [other, sooner, later]
        assert list_overrides(connection, "primary", now=NOW) == [sooner, later]


def test_a_cancelled_override_stops_counting_and_cannot_be_cancelled_twice(
    database: Database,
) -> None:
    with database.engine.begin() as connection:
        added = add_override(
            connection, rotation="primary", contact="carol", starts_at=NOW,
            ends_at=NOW + HOUR, created_by="alice", now=NOW,
        )  # fmt: skip
    with database.engine.begin() as connection:
        cancelled = cancel_override(connection, added.id, now=NOW + 60, by="carol")
    assert cancelled.cancelled_at == NOW + 60
    assert cancelled.cancelled_by == "carol"
    with database.engine.begin() as connection:
        assert list_overrides(connection, now=NOW + 120) == []
        with pytest.raises(UnknownOverrideError, match=f"no override {added.id} in force"):
            cancel_override(connection, added.id, now=NOW + 120)
        with pytest.raises(UnknownOverrideError):
            cancel_override(connection, 9999, now=NOW)


def test_an_override_that_covers_no_time_is_refused(database: Database) -> None:
    with database.engine.begin() as connection:
        with pytest.raises(InvalidOverrideError, match="end after it starts"):
            add_override(
                connection, rotation="primary", contact="bob", starts_at=NOW,
                ends_at=NOW, created_by="cli", now=NOW,
            )  # fmt: skip
        with pytest.raises(InvalidOverrideError, match="end in the future"):
            add_override(
                connection, rotation="primary", contact="bob", starts_at=NOW - 2 * HOUR,
                ends_at=NOW - HOUR, created_by="cli", now=NOW,
            )  # fmt: skip
        assert list_overrides(connection, now=NOW - 3 * HOUR) == []

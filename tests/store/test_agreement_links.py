"""Share links of the agreement page, on SQLite and PostgreSQL: shown once, stored as a hash."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import select

from onwatch.store.agreement_links import (
    LINK_PREFIX,
    UnknownLinkError,
    create_link,
    list_links,
    revoke_link,
    verify_link,
)
from onwatch.store.database import Database, open_database
from onwatch.store.tables import agreement_links

T0 = 1_790_000_000


@pytest.fixture
def database(database_url: str) -> Iterator[Database]:
    db = open_database(database_url)
    yield db
    db.dispose()


def test_a_link_opens_until_it_expires_and_only_its_hash_is_stored(database: Database) -> None:
    with database.engine.begin() as connection:
        new = create_link(connection, created_by="alice", now=T0, expires_in=timedelta(days=7))
        stored = connection.execute(select(agreement_links)).mappings().one()
        valid = verify_link(connection, new.secret, now=T0 + 60)
        expired = verify_link(connection, new.secret, now=T0 + 7 * 86_400)
        wrong = verify_link(connection, new.secret[:-1] + "x", now=T0 + 60)
        foreign = verify_link(connection, "ow_" + new.secret[4:], now=T0 + 60)

    assert new.secret.startswith(LINK_PREFIX)
    assert len(new.secret) == 47
    assert new.secret not in str(dict(stored).values())
    assert stored["prefix"] == new.secret[:10] == new.info.prefix
    assert valid == new.info
    assert (new.info.created_by, new.info.expires_at) == ("alice", T0 + 7 * 86_400)
    assert (expired, wrong, foreign) == (None, None, None)


def test_a_revoked_link_opens_nothing_and_stays_listed(database: Database) -> None:
    with database.engine.begin() as connection:
        keep = create_link(connection, created_by="alice", now=T0)
        gone = create_link(connection, created_by="bob", now=T0 + 1)
        revoked = revoke_link(connection, gone.info.id, now=T0 + 60)
        again = revoke_link(connection, gone.info.id, now=T0 + 120)
        listed = list_links(connection)
        opened = verify_link(connection, gone.secret, now=T0 + 90)
        kept = verify_link(connection, keep.secret, now=T0 + 90)
        with pytest.raises(UnknownLinkError, match="no share link with id 999"):
            revoke_link(connection, 999, now=T0)

    assert (revoked.revoked_at, again.revoked_at) == (T0 + 60, T0 + 60)
    assert [(link.id, link.revoked_at) for link in listed] == [
        (keep.info.id, None),
        (gone.info.id, T0 + 60),
    ]
    assert opened is None
    assert kept == keep.info

"""Users and API tokens on a real SQLite file and a real PostgreSQL database."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import MetaData, select, update
from sqlalchemy.engine import make_url

from onwatch.accounts.bootstrap import ensure_first_admin
from onwatch.accounts.errors import (
    DuplicateTokenError,
    DuplicateUserError,
    InvalidNameError,
    LastAdminError,
    UnknownTokenError,
    UnknownUserError,
    WeakPasswordError,
)
from onwatch.accounts.passwords import ScryptParams, hash_password, needs_rehash
from onwatch.accounts.roles import Role
from onwatch.accounts.tokens import (
    LAST_USED_RESOLUTION,
    create_token,
    list_tokens,
    parse_expiry,
    revoke_token,
    verify_token,
)
from onwatch.accounts.users import (
    add_user,
    authenticate,
    get_user,
    list_users,
    remove_user,
    reset_password,
)
from onwatch.store.database import Database, open_database
from onwatch.store.tables import users

PASSWORD = "correct horse battery staple"
NOW = 1_790_000_000


@pytest.fixture
def database(database_url: str) -> Iterator[Database]:
    db = open_database(database_url)
    yield db
    db.dispose()


def test_roles_are_ordered_viewer_editor_admin() -> None:
    assert Role.ADMIN.allows(Role.EDITOR)
    assert Role.EDITOR.allows(Role.VIEWER)
    assert Role.EDITOR.allows(Role.EDITOR)
    assert not Role.VIEWER.allows(Role.EDITOR)
    assert not Role.EDITOR.allows(Role.ADMIN)
    assert sorted(Role, key=lambda role: role.rank) == [Role.VIEWER, Role.EDITOR, Role.ADMIN]


def test_a_user_logs_in_with_the_right_password_only(database: Database) -> None:
    added = add_user(database, "alice", PASSWORD, Role.EDITOR, now=NOW)
    assert authenticate(database, "alice", PASSWORD) == added
    assert added.role is Role.EDITOR
    assert added.created_at == NOW
    assert authenticate(database, "alice", "correct horse battery stapler") is None
    assert authenticate(database, "Alice", PASSWORD) is None
    assert authenticate(database, "nobody", PASSWORD) is None


def test_users_are_listed_by_name_without_their_hashes(database: Database) -> None:
    add_user(database, "zoe", PASSWORD, Role.VIEWER)
    add_user(database, "alice", PASSWORD, Role.ADMIN)
    listed = list_users(database)
    assert [(user.username, user.role) for user in listed] == [
        ("alice", Role.ADMIN),
        ("zoe", Role.VIEWER),
    ]
    assert not any(hasattr(user, "password_hash") for user in listed)


def test_a_second_user_of_the_same_name_is_refused(database: Database) -> None:
    add_user(database, "alice", PASSWORD)
    with pytest.raises(DuplicateUserError, match="'alice' already exists"):
        add_user(database, "alice", "another long passphrase")


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("short", r"too short \(5 characters; use at least 12"),
        ("elevenchars", "too short"),
        ("x" * 1025, "longer than 1024"),
        ("Alice.Example", "must not be the user name"),
    ],
)
def test_weak_passwords_are_refused(database: Database, password: str, message: str) -> None:
    with pytest.raises(WeakPasswordError, match=message):
        add_user(database, "alice.example", password)
    assert list_users(database) == []


@pytest.mark.parametrize("name", ["", "-alice", "alice smith", "alice/admin", "a" * 65, "ålice"])
def test_user_names_with_odd_characters_are_refused(database: Database, name: str) -> None:
    with pytest.raises(InvalidNameError):
        add_user(database, name, PASSWORD)


def test_a_password_reset_replaces_the_password_and_bumps_the_session_version(
    database: Database,
) -> None:
    before = add_user(database, "alice", PASSWORD)
    after = reset_password(database, "alice", "a brand new passphrase")
    assert after.session_version == before.session_version + 1
    assert get_user(database, before.id) == after
    assert authenticate(database, "alice", PASSWORD) is None
    assert authenticate(database, "alice", "a brand new passphrase") == after
    with pytest.raises(UnknownUserError, match="no user named 'bob'"):
        reset_password(database, "bob", "a brand new passphrase")
    with pytest.raises(WeakPasswordError):
        reset_password(database, "alice", "short")


def test_removing_users_keeps_at_least_one_admin(database: Database) -> None:
    first = add_user(database, "alice", PASSWORD, Role.ADMIN)
    add_user(database, "bob", PASSWORD, Role.ADMIN)
    add_user(database, "victor", PASSWORD, Role.VIEWER)
    remove_user(database, "victor")
    remove_user(database, "bob")
    with pytest.raises(LastAdminError, match="only admin"):
        remove_user(database, "alice")
    assert get_user(database, first.id) == first
    with pytest.raises(UnknownUserError):
        remove_user(database, "victor")
    assert [user.username for user in list_users(database)] == ["alice"]


def test_a_hash_with_old_parameters_is_upgraded_at_the_next_login(database: Database) -> None:
    add_user(database, "alice", PASSWORD)
    old = hash_password(PASSWORD, ScryptParams(n=2**10))
    with database.engine.begin() as connection:
        connection.execute(update(users).values(password_hash=old))
    assert authenticate(database, "alice", PASSWORD) is not None
    with database.engine.connect() as connection:
        stored = connection.execute(select(users.c.password_hash)).scalar_one()
    assert stored != old
    assert not needs_rehash(stored)
    assert authenticate(database, "alice", PASSWORD) is not None


def test_the_first_start_creates_one_admin_with_a_one_time_password(database: Database) -> None:
    password = ensure_first_admin(database)
    assert password is not None
    assert len(password) >= 20
    admin = authenticate(database, "admin", password)
    assert admin is not None
    assert admin.role is Role.ADMIN
    assert ensure_first_admin(database) is None  # once only
    assert len(list_users(database)) == 1


def test_no_admin_is_made_when_users_exist(database: Database) -> None:
    add_user(database, "alice", PASSWORD, Role.ADMIN)
    assert ensure_first_admin(database) is None
    assert [user.username for user in list_users(database)] == ["alice"]


def test_a_token_is_shown_once_and_verifies_until_revoked(database: Database) -> None:
    new = create_token(database, "ci", Role.EDITOR, created_by="alice", now=NOW)
    assert new.plaintext.startswith("ow_")
    assert len(new.plaintext) >= 40
    assert new.info.prefix == new.plaintext[:10]
    assert verify_token(database, new.plaintext, now=NOW + 1) == new.info
    revoked = revoke_token(database, "ci", now=NOW + 5)
    assert revoked.revoked_at == NOW + 5
    assert verify_token(database, new.plaintext, now=NOW + 6) is None
    assert revoke_token(database, "ci", now=NOW + 9).revoked_at == NOW + 5  # first time kept


def test_a_token_stops_working_when_it_expires(database: Database) -> None:
    new = create_token(database, "temp", created_by="alice", expires_in=timedelta(days=90), now=NOW)
    assert new.info.expires_at == NOW + 90 * 86400
    assert verify_token(database, new.plaintext, now=NOW + 90 * 86400 - 1) is not None
    assert verify_token(database, new.plaintext, now=NOW + 90 * 86400) is None


def test_a_wrong_or_malformed_token_verifies_as_nobody(database: Database) -> None:
    new = create_token(database, "ci", created_by="alice", now=NOW)
    for wrong in (new.plaintext[:-1], new.plaintext + "x", "", "ow_", new.plaintext[3:], "x" * 500):
        assert verify_token(database, wrong, now=NOW) is None


def test_token_use_is_recorded_at_most_once_a_minute(database: Database) -> None:
    new = create_token(database, "ci", created_by="alice", now=NOW)
    verify_token(database, new.plaintext, now=NOW + 10)
    verify_token(database, new.plaintext, now=NOW + 10 + LAST_USED_RESOLUTION - 1)
    assert list_tokens(database)[0].last_used_at == NOW + 10
    verify_token(database, new.plaintext, now=NOW + 10 + LAST_USED_RESOLUTION)
    assert list_tokens(database)[0].last_used_at == NOW + 10 + LAST_USED_RESOLUTION


def test_tokens_are_listed_with_revoked_ones_and_their_names_stay_taken(
    database: Database,
) -> None:
    create_token(database, "ci", Role.EDITOR, created_by="cli:root", now=NOW)
    create_token(database, "grafana", created_by="cli:root", now=NOW)
    revoke_token(database, "ci", now=NOW + 1)
    listed = [(t.name, t.role, t.revoked_at) for t in list_tokens(database)]
    assert listed == [("ci", Role.EDITOR, NOW + 1), ("grafana", Role.VIEWER, None)]
    with pytest.raises(DuplicateTokenError, match="'ci' already exists"):
        create_token(database, "ci", created_by="cli:root")
    with pytest.raises(UnknownTokenError, match="no token named 'nope'"):
        revoke_token(database, "nope")
    with pytest.raises(InvalidNameError):
        create_token(database, "has space", created_by="cli:root")


def test_expiry_is_written_as_a_duration() -> None:
    assert parse_expiry("90d") == timedelta(days=90)
    assert parse_expiry("12h") == timedelta(hours=12)
    with pytest.raises(ValueError, match="not a duration"):
        parse_expiry("soon")


def test_no_password_or_token_is_stored_in_the_database(
    database: Database, database_url: str
) -> None:
    add_user(database, "alice", PASSWORD, Role.ADMIN)
    reset_password(database, "alice", "a second secret passphrase")
    new = create_token(database, "ci", created_by="alice")
    verify_token(database, new.plaintext, now=NOW)
    reflected = MetaData()
    reflected.reflect(database.engine)
    with database.engine.connect() as connection:
        dump = "\n".join(
            repr(row)
            for table in reflected.sorted_tables
            for row in connection.execute(select(table))
        )
    secrets = [PASSWORD, "a second secret passphrase", new.plaintext, new.plaintext[10:]]
    assert "alice" in dump  # the dump did read the accounts
    for secret in secrets:
        assert secret not in dump
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        database.dispose()  # checkpoints the WAL into the file
        raw = Path(str(url.database)).read_bytes()
        for secret in secrets:
            assert secret.encode() not in raw

"""Users: add, list, remove, reset a password, and authenticate, on a :class:`Database`.

Only scrypt hashes are stored (:mod:`onwatch.accounts.passwords`). Every
function is synchronous (SQLAlchemy Core); the web side calls them in a thread.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from onwatch.accounts.errors import (
    DuplicateUserError,
    InvalidNameError,
    LastAdminError,
    UnknownUserError,
    WeakPasswordError,
)
from onwatch.accounts.passwords import (
    burn_verify_time,
    hash_password,
    needs_rehash,
    verify_password,
)
from onwatch.accounts.roles import Role
from onwatch.store.database import Database
from onwatch.store.tables import users

__all__ = [
    "MAX_PASSWORD_CHARS",
    "MIN_PASSWORD_CHARS",
    "User",
    "add_user",
    "authenticate",
    "check_password",
    "check_username",
    "count_users",
    "get_user",
    "list_users",
    "remove_user",
    "reset_password",
]

MIN_PASSWORD_CHARS = 12
MAX_PASSWORD_CHARS = 1024  # far above any passphrase; keeps a request from hashing megabytes
_USERNAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@-]{0,63}")


@dataclass(frozen=True)
class User:
    """A user as the rest of onwatch sees it: never with the password hash."""

    id: int
    username: str
    role: Role
    created_at: int
    session_version: int


def _user(row: Any) -> User:  # a Row of _COLUMNS
    return User(row[0], row[1], Role(row[2]), row[3], row[4])


_COLUMNS = (users.c.id, users.c.username, users.c.role, users.c.created_at, users.c.session_version)


def check_username(username: str) -> None:
    """Refuse names that would be ambiguous in a table or a URL."""
    if not _USERNAME.fullmatch(username):
        raise InvalidNameError(
            f"{username!r} is not a valid user name: 1 to 64 letters, digits, '.', '_', '@' "
            "or '-', starting with a letter or digit"
        )


def check_password(password: str, username: str | None = None) -> None:
    """The rules every new password meets: at least 12 characters, and not the user name."""
    if len(password) < MIN_PASSWORD_CHARS:
        raise WeakPasswordError(
            f"the password is too short ({len(password)} characters; "
            f"use at least {MIN_PASSWORD_CHARS}, a passphrase of a few words works well)"
        )
    if len(password) > MAX_PASSWORD_CHARS:
        raise WeakPasswordError(f"the password is longer than {MAX_PASSWORD_CHARS} characters")
    if username is not None and password.casefold() == username.casefold():
        raise WeakPasswordError("the password must not be the user name")


def add_user(
    database: Database,
    username: str,
    password: str,
    role: Role = Role.VIEWER,
    *,
    now: float | None = None,
) -> User:
    """Create a user; :class:`DuplicateUserError` if the name is taken."""
    check_username(username)
    check_password(password, username)
    hashed = hash_password(password)  # slow: before the transaction, not inside it
    created = int(time.time() if now is None else now)
    try:
        with database.engine.begin() as connection:
            user_id: int = connection.execute(
                insert(users)
                .values(
                    username=username,
                    password_hash=hashed,
                    role=Role(role).value,
                    created_at=created,
                    session_version=1,
                )
                .returning(users.c.id)
            ).scalar_one()
    except IntegrityError:
        raise DuplicateUserError(f"a user named {username!r} already exists") from None
    return User(user_id, username, Role(role), created, 1)


def list_users(database: Database) -> list[User]:
    """Every user, by name."""
    with database.engine.connect() as connection:
        rows = connection.execute(select(*_COLUMNS).order_by(users.c.username)).all()
    return [_user(row) for row in rows]


def get_user(database: Database, user_id: int) -> User | None:
    """The user with this id, if it still exists (sessions hold ids)."""
    with database.engine.connect() as connection:
        row = connection.execute(select(*_COLUMNS).where(users.c.id == user_id)).first()
    return None if row is None else _user(row)


def count_users(database: Database) -> int:
    """How many users exist."""
    with database.engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(users)).scalar_one())


def _require(connection: Connection, username: str) -> User:
    row = connection.execute(select(*_COLUMNS).where(users.c.username == username)).first()
    if row is None:
        raise UnknownUserError(f"no user named {username!r} (see `onwatch user list`)")
    return _user(row)


def remove_user(database: Database, username: str) -> None:
    """Delete a user (its sessions end with it); never the last admin."""
    with database.engine.begin() as connection:
        user = _require(connection, username)
        if user.role is Role.ADMIN:
            admins = connection.execute(
                select(func.count()).select_from(users).where(users.c.role == Role.ADMIN.value)
            ).scalar_one()
            if admins <= 1:
                raise LastAdminError(
                    f"{username!r} is the only admin; add another admin before removing it"
                )
        connection.execute(delete(users).where(users.c.id == user.id))


def reset_password(database: Database, username: str, password: str) -> User:
    """Set a new password and end every session of the user."""
    check_password(password, username)
    hashed = hash_password(password)
    with database.engine.begin() as connection:
        user = _require(connection, username)
        connection.execute(
            update(users)
            .where(users.c.id == user.id)
            .values(password_hash=hashed, session_version=users.c.session_version + 1)
        )
    return User(user.id, user.username, user.role, user.created_at, user.session_version + 1)


def authenticate(database: Database, username: str, password: str) -> User | None:
    """The user if the password matches, else None (the same time either way).

    A hash made with older scrypt parameters is replaced by a current one.
    """
    if len(password) > MAX_PASSWORD_CHARS:
        return None
    with database.engine.connect() as connection:
        row = connection.execute(
            select(*_COLUMNS, users.c.password_hash).where(users.c.username == username)
        ).first()
    if row is None:
        burn_verify_time(password)
        return None
    stored: str = row[5]
    if not verify_password(password, stored):
        return None
    if needs_rehash(stored):
        fresh = hash_password(password)
        with database.engine.begin() as connection:
            # Only if nobody changed the password meanwhile.
            connection.execute(
                update(users)
                .where(users.c.id == row[0], users.c.password_hash == stored)
                .values(password_hash=fresh)
            )
    return User(row[0], row[1], Role(row[2]), row[3], row[4])

"""The first admin: an instance with no user gets ``admin`` with a random password.

The caller (``onwatch serve``) prints the password once to the terminal; it is
never logged and never stored anywhere but as a hash. Two nodes starting at the
same moment race on the unique user name: one creates the admin, the other
gets None.
"""

from __future__ import annotations

import secrets

from onwatch.accounts.errors import DuplicateUserError
from onwatch.accounts.roles import Role
from onwatch.accounts.users import add_user, count_users
from onwatch.store.database import Database

__all__ = ["FIRST_ADMIN", "ensure_first_admin"]

FIRST_ADMIN = "admin"


def ensure_first_admin(database: Database, *, now: float | None = None) -> str | None:
    """Create ``admin`` and return its one-time password if there is no user; else None."""
    if count_users(database):
        return None
    password = secrets.token_urlsafe(18)  # 24 characters, 144 random bits
    try:
        add_user(database, FIRST_ADMIN, password, Role.ADMIN, now=now)
    except DuplicateUserError:  # another node won the race
        return None
    return password

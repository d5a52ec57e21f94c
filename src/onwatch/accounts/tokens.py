"""API bearer tokens: created once in plaintext, stored only as a SHA-256 hash.

A token reads ``ow_`` followed by 43 URL-safe characters (256 random bits). It
is shown once, at creation; the database keeps its hash and its first
characters (``prefix``) so people can tell tokens apart in ``token list``.

Why SHA-256 and not scrypt as for passwords: a slow KDF exists to make
guessing low-entropy secrets expensive. A 256-bit random token cannot be
guessed whatever the hash speed, so one fast hash is as safe and lets every
API request be checked by a single indexed lookup.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import time
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError

from onwatch.accounts.errors import DuplicateTokenError, InvalidNameError, UnknownTokenError
from onwatch.accounts.roles import Role
from onwatch.policy.types import parse_duration
from onwatch.store.database import Database
from onwatch.store.tables import api_tokens

__all__ = [
    "TOKEN_PREFIX",
    "MintedSecret",
    "NewToken",
    "TokenInfo",
    "create_token",
    "hash_token",
    "list_tokens",
    "mint_secret",
    "parse_expiry",
    "revoke_token",
    "verify_token",
]

TOKEN_PREFIX = "ow_"  # noqa: S105  # a marker that makes leaked tokens greppable, not a secret
SHOWN_CHARS = 10  # "ow_" and 7 random characters: enough to recognise, useless to guess
# Writing last_used_at on every request would turn each API read into a write;
# once a minute is precise enough for "is this token still used?".
LAST_USED_RESOLUTION = 60
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")


@dataclass(frozen=True)
class TokenInfo:
    """What is known about a token, without the token itself."""

    id: int
    name: str
    prefix: str
    role: Role
    created_by: str
    created_at: int
    expires_at: int | None
    revoked_at: int | None
    last_used_at: int | None

    def usable(self, now: float) -> bool:
        """Neither revoked nor expired at ``now``."""
        return self.revoked_at is None and (self.expires_at is None or now < self.expires_at)


@dataclass(frozen=True)
class NewToken:
    """A just-created token: ``plaintext`` exists only here, show it once."""

    plaintext: str
    info: TokenInfo


_COLUMNS = (
    api_tokens.c.id,
    api_tokens.c.name,
    api_tokens.c.prefix,
    api_tokens.c.role,
    api_tokens.c.created_by,
    api_tokens.c.created_at,
    api_tokens.c.expires_at,
    api_tokens.c.revoked_at,
    api_tokens.c.last_used_at,
)


def _info(row: Any) -> TokenInfo:  # a Row of _COLUMNS
    return TokenInfo(row[0], row[1], row[2], Role(row[3]), row[4], row[5], row[6], row[7], row[8])


def hash_token(plaintext: str) -> str:
    """The stored form of a token: SHA-256, hex."""
    return hashlib.sha256(plaintext.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class MintedSecret:
    """A new random secret: ``plaintext`` to show once, ``digest`` and ``prefix`` to store."""

    plaintext: str
    digest: str
    prefix: str


def mint_secret(marker: str = TOKEN_PREFIX) -> MintedSecret:
    """``marker`` and 256 random URL-safe bits, with the hash and prefix that are stored.

    API tokens and agreement share links are made here, so both follow the rules
    above: only the SHA-256 is kept, the first characters identify it.
    """
    plaintext = marker + secrets.token_urlsafe(32)
    return MintedSecret(plaintext, hash_token(plaintext), plaintext[:SHOWN_CHARS])


def parse_expiry(text: str) -> timedelta:
    """``90d``, ``12h``, ``2w`` → a timedelta; ValueError with an example otherwise."""
    return parse_duration(text)


def create_token(
    database: Database,
    name: str,
    role: Role = Role.VIEWER,
    *,
    created_by: str,
    expires_in: timedelta | None = None,
    now: float | None = None,
) -> NewToken:
    """Make a new token; the returned plaintext is never stored or shown again."""
    if not _NAME.fullmatch(name):
        raise InvalidNameError(
            f"{name!r} is not a valid token name: 1 to 64 letters, digits, '.', '_' or '-'"
        )
    moment = int(time.time() if now is None else now)
    secret = mint_secret()
    expires_at = None if expires_in is None else moment + int(expires_in.total_seconds())
    values = {
        "name": name,
        "token_hash": secret.digest,
        "prefix": secret.prefix,
        "role": Role(role).value,
        "created_by": created_by,
        "created_at": moment,
        "expires_at": expires_at,
    }
    try:
        with database.engine.begin() as connection:
            query = insert(api_tokens).values(values).returning(api_tokens.c.id)
            token_id: int = connection.execute(query).scalar_one()
    except IntegrityError:
        raise DuplicateTokenError(
            f"a token named {name!r} already exists (names of revoked tokens stay taken; "
            "see `onwatch token list`)"
        ) from None
    info = TokenInfo(
        token_id,
        name,
        secret.prefix,
        Role(role),
        created_by,
        moment,
        expires_at,
        None,
        None,
    )
    return NewToken(secret.plaintext, info)


def list_tokens(database: Database) -> list[TokenInfo]:
    """Every token, revoked ones included, oldest first."""
    with database.engine.connect() as connection:
        rows = connection.execute(select(*_COLUMNS).order_by(api_tokens.c.id)).all()
    return [_info(row) for row in rows]


def revoke_token(database: Database, name: str, *, now: float | None = None) -> TokenInfo:
    """Revoke a token at once; revoking it again keeps the first revocation time."""
    moment = int(time.time() if now is None else now)
    with database.engine.begin() as connection:
        connection.execute(
            update(api_tokens)
            .where(api_tokens.c.name == name, api_tokens.c.revoked_at.is_(None))
            .values(revoked_at=moment)
        )
        row = connection.execute(select(*_COLUMNS).where(api_tokens.c.name == name)).first()
    if row is None:
        raise UnknownTokenError(f"no token named {name!r} (see `onwatch token list`)")
    return _info(row)


def verify_token(database: Database, plaintext: str, *, now: float) -> TokenInfo | None:
    """The token's info if it exists and is usable at ``now``, else None."""
    if not plaintext.startswith(TOKEN_PREFIX) or len(plaintext) > 200:
        return None
    # The lookup is by hash: an equality on the hash leaks nothing usable about the token.
    digest = hash_token(plaintext)
    with database.engine.connect() as connection:
        row = connection.execute(select(*_COLUMNS).where(api_tokens.c.token_hash == digest)).first()
    if row is None:
        return None
    info = _info(row)
    if not info.usable(now):
        return None
    moment = int(now)
    if info.last_used_at is None or moment - info.last_used_at >= LAST_USED_RESOLUTION:
        with database.engine.begin() as connection:
            connection.execute(
                update(api_tokens).where(api_tokens.c.id == info.id).values(last_used_at=moment)
            )
    return info

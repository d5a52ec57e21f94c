"""Share links for the published agreement page: made once, stored only as a hash.

A link's secret reads ``ows_`` followed by 43 URL-safe characters (256 random
bits), minted and hashed by :func:`onwatch.accounts.tokens.mint_secret` exactly
as API tokens are. The plaintext goes into the URL handed out once; the
database keeps its SHA-256 and first characters, so a stolen database opens no
page, and a link can be told apart from others and revoked.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import Connection, insert, select, update

from onwatch.accounts.tokens import hash_token, mint_secret
from onwatch.errors import OnwatchError
from onwatch.store.tables import agreement_links

__all__ = [
    "LINK_PREFIX",
    "LinkInfo",
    "NewLink",
    "UnknownLinkError",
    "create_link",
    "list_links",
    "revoke_link",
    "verify_link",
]

LINK_PREFIX = "ows_"
"""Marks share-link secrets (greppable in logs and chats), as ``ow_`` marks API tokens."""
_LONGEST = 200  # anything longer is not one of ours; do not hash megabytes for nothing


class UnknownLinkError(OnwatchError):
    """No share link with that id."""


@dataclass(frozen=True)
class LinkInfo:
    """What is known about a share link, without its secret."""

    id: int
    prefix: str
    created_by: str
    created_at: int
    expires_at: int | None
    revoked_at: int | None

    def usable(self, now: float) -> bool:
        """Neither revoked nor expired at ``now``."""
        return self.revoked_at is None and (self.expires_at is None or now < self.expires_at)


@dataclass(frozen=True)
class NewLink:
    """A just-made link: ``secret`` exists only here; put it in the URL and show it once."""

    secret: str
    info: LinkInfo


_COLUMNS = (
    agreement_links.c.id,
    agreement_links.c.prefix,
    agreement_links.c.created_by,
    agreement_links.c.created_at,
    agreement_links.c.expires_at,
    agreement_links.c.revoked_at,
)


def _info(row: Any) -> LinkInfo:  # a Row of _COLUMNS
    return LinkInfo(*row)


def create_link(
    connection: Connection, *, created_by: str, now: float, expires_in: timedelta | None = None
) -> NewLink:
    """Make a share link; its secret is never stored or shown again."""
    secret = mint_secret(LINK_PREFIX)
    moment = int(now)
    expires_at = None if expires_in is None else moment + int(expires_in.total_seconds())
    query = (
        insert(agreement_links)
        .values(
            token_hash=secret.digest,
            prefix=secret.prefix,
            created_by=created_by,
            created_at=moment,
            expires_at=expires_at,
        )
        .returning(agreement_links.c.id)
    )
    link_id: int = connection.execute(query).scalar_one()
    info = LinkInfo(link_id, secret.prefix, created_by, moment, expires_at, None)
    return NewLink(secret.plaintext, info)


def verify_link(connection: Connection, secret: str, *, now: float) -> LinkInfo | None:
    """The link's info if the secret belongs to a link usable at ``now``, else None."""
    if not secret.startswith(LINK_PREFIX) or len(secret) > _LONGEST:
        return None
    row = connection.execute(
        select(*_COLUMNS).where(agreement_links.c.token_hash == hash_token(secret))
    ).first()
    if row is None:
        return None
    info = _info(row)
    return info if info.usable(now) else None


def revoke_link(connection: Connection, link_id: int, *, now: float) -> LinkInfo:
    """Revoke a link at once; revoking it again keeps the first revocation time."""
    connection.execute(
        update(agreement_links)
        .where(agreement_links.c.id == link_id, agreement_links.c.revoked_at.is_(None))
        .values(revoked_at=int(now))
    )
    row = connection.execute(select(*_COLUMNS).where(agreement_links.c.id == link_id)).first()
    if row is None:
        raise UnknownLinkError(f"no share link with id {link_id}")
    return _info(row)


def list_links(connection: Connection) -> list[LinkInfo]:
    """Every link, revoked and expired ones included, oldest first."""
    rows = connection.execute(select(*_COLUMNS).order_by(agreement_links.c.id)).all()
    return [_info(row) for row in rows]

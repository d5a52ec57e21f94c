"""Mutes: a monitor silenced for a while without a policy commit, with who and why.

``onwatch mute NAME --for 2h --reason ...``, the API and the dashboard all
create rows here. A mute never hides anything from the record: incidents of a
muted monitor are still opened and shown; only their notifications stay
unsent, and the incident's timeline says who muted the monitor and why. A mute
ends by itself at ``expires_at`` or early through :func:`end_mute`; both stay
on record (audited).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import Connection, and_, insert, or_, select, update

from onwatch.errors import OnwatchError
from onwatch.store.tables import mutes

__all__ = ["Mute", "UnknownMuteError", "active_mutes", "add_mute", "end_mute", "list_mutes"]

LONGEST_MUTE = timedelta(days=30)
"""A mute longer than this is refused: forgetting a monitor muted is how outages go unseen."""


class UnknownMuteError(OnwatchError):
    """No mute with that id."""


@dataclass(frozen=True)
class Mute:
    """One mute (times in Unix seconds)."""

    id: int
    monitor: str
    reason: str
    created_by: str
    created_at: float
    expires_at: float
    ended_at: float | None
    ended_by: str | None

    def active(self, now: float) -> bool:
        """Silencing at ``now``: started, not expired, not ended early."""
        return self.created_at <= now < self.expires_at and (
            self.ended_at is None or now < self.ended_at
        )


_COLUMNS = (
    mutes.c.id,
    mutes.c.monitor,
    mutes.c.reason,
    mutes.c.created_by,
    mutes.c.created_at,
    mutes.c.expires_at,
    mutes.c.ended_at,
    mutes.c.ended_by,
)


def _mute(row: Any) -> Mute:  # a Row of _COLUMNS
    return Mute(*row)


def add_mute(
    connection: Connection,
    *,
    monitor: str,
    reason: str,
    lasting: timedelta,
    created_by: str,
    now: float,
) -> Mute:
    """Mute ``monitor`` from ``now`` for ``lasting`` (checked: a reason, at most 30 days)."""
    if not reason.strip():
        raise ValueError("a mute needs a reason (it is shown wherever the monitor is)")
    if lasting <= timedelta(0) or lasting > LONGEST_MUTE:
        raise ValueError("a mute lasts more than 0 and at most 30 days")
    expires_at = now + lasting.total_seconds()
    values = {
        "monitor": monitor,
        "reason": reason.strip(),
        "created_by": created_by,
        "created_at": now,
        "expires_at": expires_at,
    }
    mute_id: int = connection.execute(
        insert(mutes).values(**values).returning(mutes.c.id)
    ).scalar_one()
    return Mute(mute_id, monitor, reason.strip(), created_by, now, expires_at, None, None)


def end_mute(connection: Connection, mute_id: int, *, by: str, now: float) -> Mute:
    """End a mute now; ending it again keeps the first end."""
    connection.execute(
        update(mutes)
        .where(mutes.c.id == mute_id, mutes.c.ended_at.is_(None))
        .values(ended_at=now, ended_by=by)
    )
    row = connection.execute(select(*_COLUMNS).where(mutes.c.id == mute_id)).first()
    if row is None:
        raise UnknownMuteError(f"no mute with id {mute_id}")
    return _mute(row)


def active_mutes(connection: Connection, *, now: float) -> dict[str, Mute]:
    """The mute silencing each monitor at ``now`` (the one lasting longest when several do)."""
    rows = connection.execute(
        select(*_COLUMNS)
        .where(
            mutes.c.created_at <= now,
            mutes.c.expires_at > now,
            or_(mutes.c.ended_at.is_(None), mutes.c.ended_at > now),
        )
        .order_by(mutes.c.expires_at)
    )
    return {mute.monitor: mute for mute in map(_mute, rows)}


def list_mutes(
    connection: Connection, *, now: float, include_past: bool = False, monitor: str | None = None
) -> list[Mute]:
    """Mutes active at ``now`` (and past ones with ``include_past``), newest first."""
    query = select(*_COLUMNS)
    if monitor is not None:
        query = query.where(mutes.c.monitor == monitor)
    if not include_past:
        query = query.where(
            and_(
                mutes.c.expires_at > now,
                or_(mutes.c.ended_at.is_(None), mutes.c.ended_at > now),
            )
        )
    rows = connection.execute(query.order_by(mutes.c.created_at.desc(), mutes.c.id.desc()))
    return [_mute(row) for row in rows]

"""On-call overrides as stored: someone else covers a rotation for a while.

``onwatch oncall override`` adds a row to ``oncall_overrides``; cancelling one
stamps ``cancelled_at`` instead of deleting it, so the record of who was meant
to be on call stays. :func:`list_overrides` gives the overrides still in force
or to come, as :class:`~onwatch.notify.oncall.Override` values through
:meth:`StoredOverride.as_override`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, insert, select, update

from onwatch.errors import OnwatchError
from onwatch.notify.oncall import Override
from onwatch.store.tables import oncall_overrides

__all__ = [
    "InvalidOverrideError",
    "StoredOverride",
    "UnknownOverrideError",
    "add_override",
    "cancel_override",
    "list_overrides",
]


class UnknownOverrideError(OnwatchError):
    """No override with that id is in force or to come."""


class InvalidOverrideError(OnwatchError):
    """An override that would cover no time."""


@dataclass(frozen=True)
class StoredOverride:
    """One row of ``oncall_overrides``."""

    id: int
    rotation: str
    contact: str
    starts_at: float
    ends_at: float
    created_by: str
    created_at: float
    cancelled_at: float | None
    cancelled_by: str | None = None

    def as_override(self) -> Override:
        """The value :func:`~onwatch.notify.oncall.on_call` takes."""
        return Override(self.rotation, self.contact, self.starts_at, self.ends_at, self.created_at)


_COLUMNS = (
    oncall_overrides.c.id,
    oncall_overrides.c.rotation,
    oncall_overrides.c.contact,
    oncall_overrides.c.starts_at,
    oncall_overrides.c.ends_at,
    oncall_overrides.c.created_by,
    oncall_overrides.c.created_at,
    oncall_overrides.c.cancelled_at,
    oncall_overrides.c.cancelled_by,
)


def _stored(row: Any) -> StoredOverride:
    return StoredOverride(*row)


def add_override(
    connection: Connection,
    *,
    rotation: str,
    contact: str,
    starts_at: float,
    ends_at: float,
    created_by: str,
    now: float,
) -> StoredOverride:
    """Record that ``contact`` covers ``rotation`` from ``starts_at`` to ``ends_at``."""
    if ends_at <= starts_at:
        raise InvalidOverrideError("an override must end after it starts")
    if ends_at <= now:
        raise InvalidOverrideError("an override must end in the future")
    new_id = connection.execute(
        insert(oncall_overrides)
        .values(
            rotation=rotation,
            contact=contact,
            starts_at=starts_at,
            ends_at=ends_at,
            created_by=created_by,
            created_at=now,
        )
        .returning(oncall_overrides.c.id)
    ).scalar_one()
    return StoredOverride(new_id, rotation, contact, starts_at, ends_at, created_by, now, None)


def list_overrides(
    connection: Connection, rotation: str | None = None, *, now: float
) -> list[StoredOverride]:
    """Overrides not cancelled that have not ended by ``now``, soonest first."""
    query = select(*_COLUMNS).where(
        oncall_overrides.c.cancelled_at.is_(None), oncall_overrides.c.ends_at > now
    )
    if rotation is not None:
        query = query.where(oncall_overrides.c.rotation == rotation)
    query = query.order_by(oncall_overrides.c.starts_at, oncall_overrides.c.id)
    return [_stored(row) for row in connection.execute(query)]


def cancel_override(
    connection: Connection, override_id: int, *, now: float, by: str = "onwatch"
) -> StoredOverride:
    """Cancel an override in force or to come; it stops counting from ``now``; who is kept."""
    changed = connection.execute(
        update(oncall_overrides)
        .where(
            oncall_overrides.c.id == override_id,
            oncall_overrides.c.cancelled_at.is_(None),
            oncall_overrides.c.ends_at > now,
        )
        .values(cancelled_at=now, cancelled_by=by)
    )
    if changed.rowcount != 1:
        raise UnknownOverrideError(
            f"no override {override_id} in force or to come (see `onwatch oncall overrides`)"
        )
    row = connection.execute(select(*_COLUMNS).where(oncall_overrides.c.id == override_id)).one()
    return _stored(row)

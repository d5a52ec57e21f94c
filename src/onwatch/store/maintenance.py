"""Maintenance windows as stored: the one home of every window, from the policy or added at runtime.

Policy windows (``maintenance:`` in the policy) are copied into
``maintenance_windows`` on start and on every reload by
:func:`sync_policy_windows`; runtime windows come from ``onwatch maintenance
add`` and ``POST /api/v1/maintenance``. Everything that asks "is this in
maintenance?" reads this table, usually through a
:class:`~onwatch.store.maintenance_calendar.MaintenanceCalendar`.

A window excuses time only while it is on record: its occurrences are cut to
start no earlier than ``created_at`` and to end at ``cancelled_at``, so neither
adding a window afterwards nor cancelling one rewrites what was counted.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal

from sqlalchemy import Connection, func, insert, select, update

from onwatch.errors import OnwatchError
from onwatch.slo.occurrences import occurrences
from onwatch.store.tables import maintenance_windows

if TYPE_CHECKING:
    from onwatch.policy import Policy
    from onwatch.store.maintenance_request import WindowRequest

__all__ = [
    "HORIZON",
    "ListedWindow",
    "PolicyWindowError",
    "State",
    "StoredWindow",
    "SyncReport",
    "UnknownWindowError",
    "active_windows",
    "add_window",
    "cancel_window",
    "get_window",
    "list_windows",
    "load_windows",
    "maintenance_version",
    "pool_of",
    "sync_policy_windows",
]

Source = Literal["policy", "runtime"]
State = Literal["active", "upcoming", "past"]
HORIZON = 400 * 86400
"""How far ahead (and back) listings look for an occurrence: a yearly window is always found."""
POLICY = "policy"
"""``created_by`` and ``cancelled_by`` of what :func:`sync_policy_windows` does."""


class UnknownWindowError(OnwatchError):
    """No maintenance window with that id."""


class PolicyWindowError(OnwatchError):
    """A window from the policy cannot be cancelled at runtime: the policy would bring it back."""


def pool_of(monitor: str) -> str:
    """The pool a stored monitor name belongs to (``api-pool#1`` → ``api-pool``), else itself."""
    return monitor.partition("#")[0]


@dataclass(frozen=True)
class StoredWindow:
    """One row of ``maintenance_windows``."""

    id: int
    source: Source
    name: str | None
    reason: str
    services: tuple[str, ...]
    monitors: tuple[str, ...]
    start_local: datetime
    """Naive wall-clock time in :attr:`timezone`."""
    timezone: str
    duration: timedelta
    rrule: str | None
    created_by: str
    created_at: int
    cancelled_at: int | None
    cancelled_by: str | None

    @property
    def scope(self) -> str:
        """What it covers, for people: ``services checkout; monitors db``."""
        parts = [f"{kind} {', '.join(names)}" for kind, names in self._scopes() if names]
        return "; ".join(parts)

    def _scopes(self) -> tuple[tuple[str, tuple[str, ...]], ...]:
        return (("services", self.services), ("monitors", self.monitors))

    def applies_to(self, service: str | None, monitor: str) -> bool:
        """Whether it covers ``monitor``: named itself, through its pool, or through ``service``."""
        if monitor in self.monitors or pool_of(monitor) in self.monitors:
            return True
        return service is not None and service in self.services

    def intervals(self, since: float, until: float) -> list[tuple[float, float]]:
        """``(begin, end)`` Unix seconds it excuses within ``[since, until)``, in time order.

        Occurrences cut to the time the window was on record (from ``created_at``
        to ``cancelled_at``) and to the range itself.
        """
        low = max(since, float(self.created_at))
        high = until if self.cancelled_at is None else min(until, float(self.cancelled_at))
        if high <= low:
            return []
        found = occurrences(self.start_local, self.timezone, self.duration, self.rrule, low, high)
        return [(max(begin, low), min(end, high)) for begin, end in found]

    def state(self, now: float) -> tuple[State, tuple[float, float] | None]:
        """Active (with the current occurrence), upcoming (the next) or past (the last)."""
        around = self.intervals(now - self.duration.total_seconds(), now + HORIZON)
        ahead = [(begin, end) for begin, end in around if end > now]
        if ahead:
            return ("active" if ahead[0][0] <= now else "upcoming"), ahead[0]
        behind = self.intervals(now - HORIZON, now)
        return "past", (behind[-1] if behind else None)


@dataclass(frozen=True)
class ListedWindow:
    """A window with its state at the time of listing and the occurrence that goes with it."""

    window: StoredWindow
    state: State
    occurrence: tuple[float, float] | None
    """The current occurrence (active), the next (upcoming) or the last one (past)."""

    @classmethod
    def of(cls, window: StoredWindow, now: float) -> ListedWindow:
        state, occurrence = window.state(now)
        return cls(window, state, occurrence)


@dataclass(frozen=True)
class SyncReport:
    """What :func:`sync_policy_windows` did, by policy window name."""

    added: tuple[str, ...]
    changed: tuple[str, ...]
    removed: tuple[str, ...]


_COLUMNS = tuple(maintenance_windows.c)


def _window(row: Any) -> StoredWindow:  # a Row of every column, in table order
    values = dict(zip((column.name for column in _COLUMNS), row, strict=True))
    return StoredWindow(
        id=values["id"],
        source=values["source"],
        name=values["name"],
        reason=values["reason"],
        services=tuple(json.loads(values["services"])),
        monitors=tuple(json.loads(values["monitors"])),
        start_local=datetime.fromisoformat(values["start_local"]),
        timezone=values["timezone"],
        duration=timedelta(seconds=values["duration_s"]),
        rrule=values["rrule"],
        created_by=values["created_by"],
        created_at=values["created_at"],
        cancelled_at=values["cancelled_at"],
        cancelled_by=values["cancelled_by"],
    )


def _schedule_values(
    reason: str,
    services: tuple[str, ...] | list[str],
    monitors: tuple[str, ...] | list[str],
    start_local: datetime,
    timezone: str,
    duration: timedelta,
    rrule: str | None,
) -> dict[str, Any]:
    """The columns that say when and what a window covers, as stored."""
    return {
        "reason": reason,
        "services": json.dumps(list(services)),
        "monitors": json.dumps(list(monitors)),
        "start_local": start_local.replace(tzinfo=None).isoformat(timespec="seconds"),
        "timezone": timezone,
        "duration_s": round(duration.total_seconds()),
        "rrule": rrule,
    }


def add_window(
    connection: Connection, request: WindowRequest, *, created_by: str, now: float
) -> StoredWindow:
    """Store a runtime window (checked by :func:`~onwatch.store.maintenance_request.check_window`)."""
    values = _schedule_values(
        request.reason,
        request.services,
        request.monitors,
        request.start_local,
        request.timezone,
        request.duration,
        request.rrule,
    )
    owner = {"source": "runtime", "name": None, "created_by": created_by, "created_at": int(now)}
    query = (
        insert(maintenance_windows).values({**values, **owner}).returning(maintenance_windows.c.id)
    )
    return get_window(connection, connection.execute(query).scalar_one())


def get_window(connection: Connection, window_id: int) -> StoredWindow:
    """The window with this id; :class:`UnknownWindowError` when there is none."""
    row = connection.execute(select(*_COLUMNS).where(maintenance_windows.c.id == window_id)).first()
    if row is None:
        raise UnknownWindowError(f"no maintenance window with id {window_id}")
    return _window(row)


def load_windows(connection: Connection) -> list[StoredWindow]:
    """Every window, cancelled ones too (their past occurrences still excuse), oldest first."""
    rows = connection.execute(select(*_COLUMNS).order_by(maintenance_windows.c.id))
    return [_window(row) for row in rows]


def list_windows(
    connection: Connection, *, now: float, states: tuple[State, ...] = ("active", "upcoming")
) -> list[ListedWindow]:
    """Windows in ``states`` at ``now``: active first, then upcoming, then past, each by time."""
    everything = (ListedWindow.of(window, now) for window in load_windows(connection))
    listed = [item for item in everything if item.state in states]
    order: dict[State, int] = {"active": 0, "upcoming": 1, "past": 2}

    def key(item: ListedWindow) -> tuple[int, float, int]:
        begin = item.occurrence[0] if item.occurrence else float("-inf")
        return order[item.state], -begin if item.state == "past" else begin, item.window.id

    return sorted(listed, key=key)


def active_windows(
    connection: Connection, at: float, *, service: str | None = None, monitor: str | None = None
) -> list[StoredWindow]:
    """Windows in an occurrence at ``at``.

    With ``monitor`` (and its ``service``): only those covering that monitor.
    With ``service`` alone: only those naming the service.
    """
    found = []
    for window in load_windows(connection):
        if monitor is not None and not window.applies_to(service, monitor):
            continue
        if monitor is None and service is not None and service not in window.services:
            continue
        if window.intervals(at, at + 1e-6):
            found.append(window)
    return found


def cancel_window(connection: Connection, window_id: int, *, by: str, now: float) -> StoredWindow:
    """End a runtime window now (an ongoing occurrence stops counting at ``now``).

    Cancelling again keeps the first cancellation. A policy window is refused
    with :class:`PolicyWindowError`: remove it from the policy instead.
    """
    window = get_window(connection, window_id)
    if window.source == POLICY:
        raise PolicyWindowError(
            f"maintenance window {window_id} ({window.name}) comes from the policy: "
            "remove it there and reload (`onwatch reload`)"
        )
    connection.execute(
        update(maintenance_windows)
        .where(maintenance_windows.c.id == window_id, maintenance_windows.c.cancelled_at.is_(None))
        .values(cancelled_at=int(now), cancelled_by=by)
    )
    return get_window(connection, window_id)


def sync_policy_windows(connection: Connection, policy: Policy, now: float) -> SyncReport:
    """Make the table's policy windows match ``policy.maintenance``.

    New names are inserted, changed ones updated in place, and names no longer
    in the policy are cancelled by ``policy`` at ``now``. A window that was
    removed and is back counts again from ``now``, not over the time it was gone.
    """
    table = maintenance_windows
    stored = {
        window.name: window
        for window in load_windows(connection)
        if window.source == POLICY and window.name is not None
    }
    added, changed = [], []
    for entry in policy.maintenance:
        zone = entry.zone(policy.settings.timezone)
        values = _schedule_values(
            entry.reason,
            entry.services,
            entry.monitors,
            entry.local_start(zone),
            zone,
            entry.duration,
            entry.rrule,
        )
        before = stored.pop(entry.name, None)
        if before is None:
            owner = {"source": POLICY, "name": entry.name, "created_by": POLICY}
            connection.execute(insert(table).values({**values, **owner, "created_at": int(now)}))
            added.append(entry.name)
        elif before.cancelled_at is not None or values != _schedule_values(
            before.reason,
            before.services,
            before.monitors,
            before.start_local,
            before.timezone,
            before.duration,
            before.rrule,
        ):
            revived = {} if before.cancelled_at is None else {"created_at": int(now)}
            connection.execute(
                update(table)
                .where(table.c.id == before.id)
                .values({**values, **revived, "cancelled_at": None, "cancelled_by": None})
            )
            changed.append(entry.name)
    removed = sorted(name for name, window in stored.items() if window.cancelled_at is None)
    if removed:
        connection.execute(
            update(table)
            .where(table.c.source == POLICY, table.c.name.in_(removed))
            .values(cancelled_at=int(now), cancelled_by=POLICY)
        )
    return SyncReport(tuple(added), tuple(changed), tuple(removed))


def maintenance_version(connection: Connection) -> tuple[int, ...]:
    """A fingerprint that changes whenever a window is added, changed or cancelled.

    Runtime windows are only ever inserted or cancelled; policy windows change
    through :func:`sync_policy_windows`, which the caller knows it ran.
    """
    table = maintenance_windows
    row = connection.execute(
        select(
            func.count(),
            func.coalesce(func.max(table.c.id), 0),
            func.count(table.c.cancelled_at),
            func.coalesce(func.max(table.c.cancelled_at), 0),
        )
    ).one()
    return tuple(int(value) for value in row)

"""Incidents: the triggered → acknowledged → resolved state machine over the store.

One incident is open per ``(subject, condition)``: opening it again while it is
open adds a ``repeat`` entry to its timeline instead (:func:`open_or_repeat`).
Every change is a timeline entry (:func:`timeline`) saying when, who and how.

Opening is race-safe without a unique index (an incident may be opened again
once resolved): on PostgreSQL the check and the insert run under a
transaction-scoped advisory lock on ``(subject, condition)``, so a second node
waits and then sees the first node's row; on SQLite a database has one writer
at a time, and a transaction whose read went stale cannot write (it fails with
"database is locked" instead of adding a second row).

Acknowledging stops the escalation (``next_step_at`` becomes NULL); resolving
returns who was notified, so the caller can tell them (:mod:`onwatch.notify.escalation`).
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import Connection, func, insert, select, text, update

from onwatch.errors import OnwatchError
from onwatch.store.tables import incident_events, incidents, outbox

__all__ = [
    "Incident",
    "IncidentError",
    "IncidentEvent",
    "IncidentResolvedError",
    "Notified",
    "Opened",
    "UnknownIncidentError",
    "acknowledge",
    "add_event",
    "add_member",
    "get_incident",
    "list_incidents",
    "notified",
    "open_incidents",
    "open_or_repeat",
    "regroup",
    "resolve",
    "timeline",
]

State = Literal["triggered", "acknowledged", "resolved"]
TRIGGERED, ACKNOWLEDGED, RESOLVED = "triggered", "acknowledged", "resolved"
DEFAULT_LIMIT = 100


class IncidentError(OnwatchError):
    """An incident cannot be changed as asked."""


class UnknownIncidentError(IncidentError):
    """No incident with that id."""


class IncidentResolvedError(IncidentError):
    """The incident is already resolved; nothing more can change it."""


@dataclass(frozen=True)
class Incident:
    """One stored incident (times in Unix seconds)."""

    id: int
    subject_kind: str
    subject: str
    condition: str
    severity: str
    service: str | None
    state: str
    title: str
    members: tuple[str, ...]
    opened_at: float
    acknowledged_at: float | None
    acknowledged_by: str | None
    resolved_at: float | None
    resolved_by: str | None
    in_maintenance: bool
    escalation: str | None
    escalation_snapshot: dict[str, Any] | None
    next_step: int
    next_step_at: float | None
    round: int
    epoch: int

    @property
    def is_open(self) -> bool:
        return self.state != RESOLVED


@dataclass(frozen=True)
class IncidentEvent:
    """One timeline entry."""

    at: float
    kind: str
    actor: str | None
    via: str | None
    detail: str


@dataclass(frozen=True)
class Opened:
    """What :func:`open_or_repeat` did: the incident, and whether it is new."""

    incident: Incident
    new: bool


@dataclass(frozen=True)
class Notified:
    """A contact's channel that received a message about an incident."""

    contact: str
    channel: str


def _incident(row: Any) -> Incident:
    values = dict(row._mapping)
    snapshot = values.pop("escalation_snapshot")
    return Incident(
        **{
            **values,
            "members": tuple(json.loads(values["members"])),
            "in_maintenance": bool(values["in_maintenance"]),
            "escalation_snapshot": None if snapshot is None else json.loads(snapshot),
        }
    )


def add_event(
    connection: Connection,
    incident_id: int,
    *,
    at: float,
    kind: str,
    detail: str,
    actor: str | None = None,
    via: str | None = None,
) -> None:
    """Add one timeline entry to ``incident_id``."""
    connection.execute(
        insert(incident_events).values(
            incident_id=incident_id, at=at, kind=kind, actor=actor, via=via, detail=detail
        )
    )


def _lock_subject(connection: Connection, subject: str, condition: str) -> None:
    """On PostgreSQL, hold an advisory lock on ``(subject, condition)`` until the commit."""
    if connection.dialect.name == "postgresql":
        key = zlib.crc32(f"incident:{subject}\0{condition}".encode())
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})


def _open_one(connection: Connection, subject: str, condition: str) -> Incident | None:
    row = connection.execute(
        select(incidents)
        .where(
            incidents.c.subject == subject,
            incidents.c.condition == condition,
            incidents.c.state != RESOLVED,
        )
        .order_by(incidents.c.id)
    ).first()
    return None if row is None else _incident(row)


def open_or_repeat(
    connection: Connection,
    *,
    subject_kind: str,
    subject: str,
    condition: str,
    severity: str,
    service: str | None,
    title: str,
    members: Sequence[str],
    at: float,
    epoch: int,
    escalation: str | None = None,
    escalation_snapshot: dict[str, Any] | None = None,
    first_step_at: float | None = None,
    in_maintenance: bool = False,
    detail: str = "",
) -> Opened:
    """Open an incident, or add a ``repeat`` entry to the open one of ``(subject, condition)``.

    ``first_step_at`` is when the escalation's first step is due (None: nothing to send).
    """
    _lock_subject(connection, subject, condition)
    existing = _open_one(connection, subject, condition)
    if existing is not None:
        add_event(connection, existing.id, at=at, kind="repeat", detail=detail or title)
        return Opened(existing, new=False)
    values = {
        "subject_kind": subject_kind,
        "subject": subject,
        "condition": condition,
        "severity": severity,
        "service": service,
        "state": TRIGGERED,
        "title": title,
        "members": json.dumps(list(members)),
        "opened_at": at,
        "in_maintenance": in_maintenance,
        "escalation": escalation,
        "escalation_snapshot": None
        if escalation_snapshot is None
        else json.dumps(escalation_snapshot, sort_keys=True),
        "next_step": 0,
        "next_step_at": first_step_at,
        "round": 0,
        "epoch": epoch,
    }
    incident_id: int = connection.execute(
        insert(incidents).values(values).returning(incidents.c.id)
    ).scalar_one()
    add_event(connection, incident_id, at=at, kind="opened", detail=detail or title, via="auto")
    return Opened(get_incident(connection, incident_id), new=True)


def get_incident(connection: Connection, incident_id: int) -> Incident:
    """The incident ``incident_id``; :class:`UnknownIncidentError` if there is none."""
    row = connection.execute(select(incidents).where(incidents.c.id == incident_id)).first()
    if row is None:
        raise UnknownIncidentError(f"no incident with id {incident_id}")
    return _incident(row)


def _changeable(connection: Connection, incident_id: int) -> Incident:
    incident = get_incident(connection, incident_id)
    if not incident.is_open:
        raise IncidentResolvedError(
            f"incident {incident_id} is already resolved (by {incident.resolved_by})"
        )
    return incident


def acknowledge(
    connection: Connection, incident_id: int, *, by: str, via: str, at: float
) -> Incident:
    """Acknowledge an open incident: the escalation stops. Acknowledging twice keeps the first."""
    incident = _changeable(connection, incident_id)
    if incident.state == ACKNOWLEDGED:
        return incident
    connection.execute(
        update(incidents)
        .where(incidents.c.id == incident_id, incidents.c.state == TRIGGERED)
        .values(state=ACKNOWLEDGED, acknowledged_at=at, acknowledged_by=by, next_step_at=None)
    )
    add_event(connection, incident_id, at=at, kind="acknowledged", actor=by, via=via, detail="")
    return get_incident(connection, incident_id)


def resolve(
    connection: Connection, incident_id: int, *, by: str, via: str, at: float, detail: str = ""
) -> tuple[Incident, list[Notified]]:
    """Resolve an open incident; it and every contact channel notified about it."""
    _changeable(connection, incident_id)
    connection.execute(
        update(incidents)
        .where(incidents.c.id == incident_id, incidents.c.state != RESOLVED)
        .values(state=RESOLVED, resolved_at=at, resolved_by=by, next_step_at=None)
    )
    add_event(connection, incident_id, at=at, kind="resolved", actor=by, via=via, detail=detail)
    return get_incident(connection, incident_id), notified(connection, incident_id)


def notified(connection: Connection, incident_id: int) -> list[Notified]:
    """Each contact channel an escalation step of ``incident_id`` wrote a message for, once."""
    rows = connection.execute(
        select(outbox.c.contact, outbox.c.channel, func.min(outbox.c.id).label("first"))
        .where(outbox.c.incident_id == incident_id, outbox.c.step.is_not(None))
        .group_by(outbox.c.contact, outbox.c.channel)
        .order_by("first")
    )
    return [Notified(contact, channel) for contact, channel, _ in rows]


def add_member(connection: Connection, incident_id: int, member: str, *, at: float) -> Incident:
    """Name one more monitor in an open incident (grouping); naming it again changes nothing."""
    incident = _changeable(connection, incident_id)
    if member in incident.members:
        return incident
    members = [*incident.members, member]
    connection.execute(
        update(incidents).where(incidents.c.id == incident_id).values(members=json.dumps(members))
    )
    add_event(connection, incident_id, at=at, kind="member", detail=f"{member} is failing too")
    return get_incident(connection, incident_id)


def regroup(
    connection: Connection,
    incident_id: int,
    *,
    subject_kind: str,
    subject: str,
    title: str,
    at: float,
) -> Incident:
    """Make an open incident about a whole service (several of its monitors fail together)."""
    _changeable(connection, incident_id)
    connection.execute(
        update(incidents)
        .where(incidents.c.id == incident_id)
        .values(subject_kind=subject_kind, subject=subject, title=title)
    )
    add_event(connection, incident_id, at=at, kind="grouped", detail=title)
    return get_incident(connection, incident_id)


def timeline(connection: Connection, incident_id: int) -> list[IncidentEvent]:
    """The incident's timeline, oldest first; :class:`UnknownIncidentError` if there is none."""
    get_incident(connection, incident_id)
    rows = connection.execute(
        select(
            incident_events.c.at,
            incident_events.c.kind,
            incident_events.c.actor,
            incident_events.c.via,
            incident_events.c.detail,
        )
        .where(incident_events.c.incident_id == incident_id)
        .order_by(incident_events.c.at, incident_events.c.id)
    )
    return [IncidentEvent(*row) for row in rows]


def open_incidents(connection: Connection) -> list[Incident]:
    """Every incident not yet resolved, oldest first."""
    rows = connection.execute(
        select(incidents).where(incidents.c.state != RESOLVED).order_by(incidents.c.id)
    )
    return [_incident(row) for row in rows]


def list_incidents(
    connection: Connection,
    *,
    state: str | None = None,
    since: float | None = None,
    limit: int = DEFAULT_LIMIT,
) -> list[Incident]:
    """Incidents newest first: only in ``state`` if given, only opened or still open since ``since``."""
    query = select(incidents)
    if state is not None:
        query = query.where(incidents.c.state == state)
    if since is not None:
        query = query.where((incidents.c.opened_at >= since) | (incidents.c.state != RESOLVED))
    query = query.order_by(incidents.c.opened_at.desc(), incidents.c.id.desc()).limit(limit)
    return [_incident(row) for row in connection.execute(query)]

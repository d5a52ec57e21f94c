"""Alert events: when an objective's burn-rate tier started and stopped firing.

The evaluator opens an event when a tier starts firing and resolves it when the
tier stops. Each event records the :class:`~onwatch.leader.Leader` epoch that
opened it, so work done by a node that lost leadership can be told apart.
At most one event per objective and tier is open: opening an open one returns it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, insert, or_, select, update

from onwatch.slo.model import Severity
from onwatch.store.tables import alert_events

__all__ = ["AlertEvent", "list_alerts", "open_alert", "open_alerts", "resolve_alert"]

DEFAULT_LIMIT = 100


@dataclass(frozen=True)
class AlertEvent:
    """One stored alert event (times in Unix seconds)."""

    id: int
    objective: str
    """``service/name``."""
    tier: str
    """``page-1h``."""
    severity: Severity
    opened_at: int
    resolved_at: int | None
    message: str
    details: dict[str, Any]
    epoch: int

    @property
    def is_open(self) -> bool:
        return self.resolved_at is None


_COLUMNS = (
    alert_events.c.id,
    alert_events.c.objective,
    alert_events.c.tier,
    alert_events.c.severity,
    alert_events.c.opened_at,
    alert_events.c.resolved_at,
    alert_events.c.message,
    alert_events.c.details,
    alert_events.c.epoch,
)


def _event(row: Any) -> AlertEvent:  # a Row of _COLUMNS
    id_, objective, tier, severity, opened, resolved, message, details, epoch = row
    return AlertEvent(
        id_, objective, tier, severity, opened, resolved, message, json.loads(details), epoch
    )


def _open_event(connection: Connection, objective: str, tier: str) -> AlertEvent | None:
    row = connection.execute(
        select(*_COLUMNS)
        .where(
            alert_events.c.objective == objective,
            alert_events.c.tier == tier,
            alert_events.c.resolved_at.is_(None),
        )
        .order_by(alert_events.c.id)
    ).first()
    return None if row is None else _event(row)


def open_alert(
    connection: Connection,
    *,
    objective: str,
    tier: str,
    severity: Severity,
    at: float,
    message: str,
    details: dict[str, Any],
    epoch: int,
) -> AlertEvent:
    """Open an event for a tier that started firing; the open one if there already is one."""
    existing = _open_event(connection, objective, tier)
    if existing is not None:
        return existing
    values = {
        "objective": objective,
        "tier": tier,
        "severity": severity,
        "opened_at": int(at),
        "message": message,
        "details": json.dumps(details, sort_keys=True),
        "epoch": epoch,
    }
    event_id: int = connection.execute(
        insert(alert_events).values(values).returning(alert_events.c.id)
    ).scalar_one()
    return AlertEvent(event_id, objective, tier, severity, int(at), None, message, details, epoch)


def resolve_alert(connection: Connection, objective: str, tier: str, *, at: float) -> int:
    """Resolve the open event of this objective and tier; how many were resolved (0 or 1)."""
    result = connection.execute(
        update(alert_events)
        .where(
            alert_events.c.objective == objective,
            alert_events.c.tier == tier,
            alert_events.c.resolved_at.is_(None),
        )
        .values(resolved_at=int(at))
    )
    return result.rowcount or 0


def open_alerts(connection: Connection, objective: str | None = None) -> list[AlertEvent]:
    """Events still open, oldest first; only one objective's when ``objective`` is given."""
    query = select(*_COLUMNS).where(alert_events.c.resolved_at.is_(None))
    if objective is not None:
        query = query.where(alert_events.c.objective == objective)
    return [_event(row) for row in connection.execute(query.order_by(alert_events.c.id))]


def list_alerts(
    connection: Connection,
    since: float,
    objective: str | None = None,
    limit: int = DEFAULT_LIMIT,
) -> list[AlertEvent]:
    """Events that fired at some time since ``since`` (still open, or resolved after it),
    newest first, at most ``limit``."""
    query = select(*_COLUMNS).where(
        or_(alert_events.c.resolved_at.is_(None), alert_events.c.resolved_at >= int(since))
    )
    if objective is not None:
        query = query.where(alert_events.c.objective == objective)
    query = query.order_by(alert_events.c.opened_at.desc(), alert_events.c.id.desc()).limit(limit)
    return [_event(row) for row in connection.execute(query)]

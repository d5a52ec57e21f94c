"""Reading the outbox back: its rows as values, counts by state, an incident's attempts.

For the sender (:class:`OutboxRow`), operators, the incident API (``GET
/api/v1/incidents/{id}`` lists the attempts) and tests. Everything here is
also re-exported by :mod:`onwatch.notify.outbox`, which writes and claims.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, func, select

from onwatch.notify.delivery import Message
from onwatch.store.tables import delivery_attempts, outbox

__all__ = ["AttemptRecord", "OutboxRow", "attempts_for", "counts", "row_from", "rows"]


@dataclass(frozen=True)
class OutboxRow:
    """One claimed (or listed) outbox row."""

    id: int
    key: str
    incident_id: int | None
    step: int | None
    contact: str
    channel: str
    title: str
    short: str
    full: str
    payload: dict[str, Any]
    created_at: float
    due_at: float
    state: str
    attempts: int
    claimed_epoch: int | None
    claimed_until: float | None
    sent_at: float | None
    last_error: str | None

    @property
    def message(self) -> Message:
        """The message this row sends."""
        return Message(
            key=self.key,
            title=self.title,
            short=self.short,
            full=self.full,
            payload=self.payload,
            contact=self.contact,
            incident_id=self.incident_id,
            step=self.step,
        )


def row_from(mapping: Any) -> OutboxRow:
    """An :class:`OutboxRow` from a selected ``outbox`` row mapping."""
    return OutboxRow(
        id=mapping["id"],
        key=mapping["idempotency_key"],
        incident_id=mapping["incident_id"],
        step=mapping["step"],
        contact=mapping["contact"],
        channel=mapping["channel"],
        title=mapping["title"],
        short=mapping["body_short"],
        full=mapping["body_full"],
        payload=json.loads(mapping["payload"]),
        created_at=mapping["created_at"],
        due_at=mapping["due_at"],
        state=mapping["state"],
        attempts=mapping["attempts"],
        claimed_epoch=mapping["claimed_epoch"],
        claimed_until=mapping["claimed_until"],
        sent_at=mapping["sent_at"],
        last_error=mapping["last_error"],
    )


@dataclass(frozen=True)
class AttemptRecord:
    """One stored try of one message, for the incident API."""

    outbox_id: int
    key: str
    contact: str
    channel: str
    step: int | None
    started_at: float
    elapsed_ms: float
    ok: bool
    error: str | None
    epoch: int


def rows(connection: Connection, *, state: str | None = None) -> list[OutboxRow]:
    """Every outbox row (of one ``state``), oldest first: for operators and tests."""
    query = select(outbox).order_by(outbox.c.id)
    if state is not None:
        query = query.where(outbox.c.state == state)
    return [row_from(row) for row in connection.execute(query).mappings()]


def counts(connection: Connection) -> dict[str, int]:
    """Rows per state."""
    query = select(outbox.c.state, func.count()).group_by(outbox.c.state)
    return {state: int(n) for state, n in connection.execute(query)}


def attempts_for(connection: Connection, incident_id: int) -> list[AttemptRecord]:
    """Every try of every message of one incident, in the order they started."""
    query = (
        select(
            delivery_attempts.c.outbox_id,
            outbox.c.idempotency_key,
            outbox.c.contact,
            outbox.c.channel,
            outbox.c.step,
            delivery_attempts.c.started_at,
            delivery_attempts.c.elapsed_ms,
            delivery_attempts.c.ok,
            delivery_attempts.c.error,
            delivery_attempts.c.epoch,
        )
        .join(outbox, outbox.c.id == delivery_attempts.c.outbox_id)
        .where(outbox.c.incident_id == incident_id)
        .order_by(delivery_attempts.c.started_at, delivery_attempts.c.id)
    )
    return [
        AttemptRecord(
            outbox_id=int(r.outbox_id),
            key=r.idempotency_key,
            contact=r.contact,
            channel=r.channel,
            step=r.step,
            started_at=r.started_at,
            elapsed_ms=r.elapsed_ms,
            ok=bool(r.ok),
            error=r.error,
            epoch=int(r.epoch),
        )
        for r in connection.execute(query)
    ]

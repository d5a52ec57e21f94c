"""The durable outbox: every notification is a row, claimed once, tried until it is sent.

A row is written by :func:`enqueue` inside the caller's transaction (the same
one that changes the incident), so a notification exists exactly when its
cause does. A sender then:

1. :func:`claim` s due rows, each with a conditional UPDATE that must touch
   exactly one row (``pending`` and due, or ``sending`` whose claim expired),
   stamping its epoch and a lease (``claimed_until``);
2. sends outside any transaction;
3. :func:`settle` s the outcome in one transaction: the attempt is stored
   (:func:`record_attempt`) and the row is :func:`mark_sent`, pushed back with
   capped exponential backoff (:func:`retry_later`) or given up
   (:func:`give_up`). A channel that failed :data:`FALLBACK_AFTER` times
   (or permanently) hands the message to the contact's next channel under a
   derived key, and its own row stays ``failed`` with its ``last_error``.

The state changes after a claim are fenced by the claim itself (row id, epoch
and ``claimed_until``), so a sender whose claim expired and was taken over
cannot overwrite the new owner's outcome. A crash between a provider
accepting a message and the commit leaves the row ``sending``; once its claim
expires it is sent again with the same idempotency key (at-least-once).
"""

from __future__ import annotations

import hashlib
import json
import logging
from enum import Enum
from typing import Any

from sqlalchemy import Connection, and_, or_, select, update

from onwatch.notify.delivery import Delivery
from onwatch.notify.history import AttemptRecord, OutboxRow, attempts_for, counts, row_from, rows
from onwatch.store.tables import delivery_attempts, outbox
from onwatch.store.upsert import insert_ignoring_conflicts

__all__ = [
    "BACKOFF_BASE",
    "BACKOFF_CAP",
    "FALLBACK_AFTER",
    "MAX_ATTEMPTS",
    "AttemptRecord",
    "OutboxRow",
    "Outcome",
    "attempts_for",
    "backoff",
    "claim",
    "counts",
    "enqueue",
    "fallback_key",
    "give_up",
    "mark_sent",
    "record_attempt",
    "retry_later",
    "rows",
    "settle",
]

log = logging.getLogger(__name__)

BACKOFF_BASE = 5.0
"""Seconds before the first retry; each further retry waits twice as long."""
BACKOFF_CAP = 300.0
"""The longest wait between two tries of one message."""
MAX_ATTEMPTS = 10
"""Tries of one message on one channel before it is given up (about 25 minutes)."""
FALLBACK_AFTER = 3
"""Failed tries on one channel before the message also goes to the contact's next channel."""
_KEY_LENGTH = 100  # the idempotency_key column

PENDING, SENDING, SENT, FAILED = "pending", "sending", "sent", "failed"


class Outcome(Enum):
    """What :func:`settle` did with a row."""

    SENT = "sent"
    RETRY = "retry"
    FAILED = "failed"
    LOST_CLAIM = "lost claim"  # another sender took the row over meanwhile


def enqueue(
    connection: Connection,
    *,
    key: str,
    contact: str,
    channel: str,
    title: str,
    short: str,
    full: str,
    payload: dict[str, Any],
    due_at: float,
    now: float,
    incident_id: int | None = None,
    step: int | None = None,
) -> int | None:
    """Add one pending message in the caller's transaction; its id, or None if ``key`` exists."""
    if not key or len(key) > _KEY_LENGTH:
        raise ValueError(f"an idempotency key has 1 to {_KEY_LENGTH} characters, not {len(key)}")
    statement = (
        insert_ignoring_conflicts(connection, outbox, ["idempotency_key"])
        .values(
            idempotency_key=key,
            incident_id=incident_id,
            step=step,
            contact=contact,
            channel=channel,
            title=title,
            body_short=short,
            body_full=full,
            payload=json.dumps(payload, sort_keys=True),
            created_at=now,
            due_at=due_at,
            state=PENDING,
            attempts=0,
        )
        .returning(outbox.c.id)
    )
    inserted = connection.execute(statement).scalar_one_or_none()
    return None if inserted is None else int(inserted)


def _claimable(now: float) -> Any:
    """Rows a sender may take now: pending and due, or sending with an expired claim."""
    return or_(
        and_(outbox.c.state == PENDING, outbox.c.due_at <= now),
        and_(outbox.c.state == SENDING, outbox.c.claimed_until < now),
    )


def claim(
    connection: Connection, *, epoch: int, now: float, lease: float, limit: int
) -> list[OutboxRow]:
    """Claim up to ``limit`` due rows for ``lease`` seconds under ``epoch``, oldest due first.

    Each row is taken with its own conditional UPDATE; a row another sender
    took in between touches no row and is skipped, so every row has one owner.
    """
    candidates = connection.execute(
        select(outbox.c.id).where(_claimable(now)).order_by(outbox.c.due_at).limit(limit)
    ).scalars()
    claimed: list[int] = []
    for row_id in list(candidates):
        taken = connection.execute(
            update(outbox)
            .where(outbox.c.id == row_id, _claimable(now))
            .values(state=SENDING, claimed_epoch=epoch, claimed_until=now + lease)
        )
        if taken.rowcount == 1:
            claimed.append(row_id)
    if not claimed:
        return []
    rows = connection.execute(select(outbox).where(outbox.c.id.in_(claimed))).mappings()
    return sorted((row_from(row) for row in rows), key=lambda row: (row.due_at, row.id))


def _fenced(row: OutboxRow) -> Any:
    """This claim of ``row`` and no later one."""
    return and_(
        outbox.c.id == row.id,
        outbox.c.state == SENDING,
        outbox.c.claimed_epoch == row.claimed_epoch,
        outbox.c.claimed_until == row.claimed_until,
    )


def record_attempt(
    connection: Connection,
    row: OutboxRow,
    *,
    started_at: float,
    elapsed_ms: float,
    ok: bool,
    error: str | None,
    epoch: int,
) -> None:
    """Store one try of ``row`` (kept even if the claim was lost: it happened)."""
    connection.execute(
        delivery_attempts.insert().values(
            outbox_id=row.id,
            started_at=started_at,
            elapsed_ms=elapsed_ms,
            ok=ok,
            error=error,
            epoch=epoch,
        )
    )


def mark_sent(connection: Connection, row: OutboxRow, *, now: float) -> bool:
    """The message went out; False if the claim was lost meanwhile."""
    done = connection.execute(
        update(outbox)
        .where(_fenced(row))
        .values(
            state=SENT,
            sent_at=now,
            attempts=row.attempts + 1,
            claimed_until=None,
            last_error=None,
        )
    )
    return done.rowcount == 1


def backoff(attempts: int) -> float:
    """Seconds to wait after the ``attempts``-th failed try: 5, 10, 20, … capped at 300."""
    return float(min(BACKOFF_BASE * 2 ** max(attempts - 1, 0), BACKOFF_CAP))


def retry_later(connection: Connection, row: OutboxRow, *, now: float, error: str) -> float | None:
    """Put the row back as pending after its backoff; the new due time, or None if the claim
    was lost."""
    attempts = row.attempts + 1
    due_at = now + backoff(attempts)
    done = connection.execute(
        update(outbox)
        .where(_fenced(row))
        .values(
            state=PENDING,
            due_at=due_at,
            attempts=attempts,
            claimed_until=None,
            last_error=error,
        )
    )
    return due_at if done.rowcount == 1 else None


def give_up(connection: Connection, row: OutboxRow, *, now: float, error: str) -> bool:
    """Mark the row failed for good (visible with its ``last_error``); False if the claim was
    lost."""
    done = connection.execute(
        update(outbox)
        .where(_fenced(row))
        .values(state=FAILED, attempts=row.attempts + 1, claimed_until=None, last_error=error)
    )
    return done.rowcount == 1


def fallback_key(key: str, channel: str) -> str:
    """The idempotency key of ``key``'s message handed to ``channel``: readable when it fits."""
    derived = f"{key}>{channel}"
    if len(derived) <= _KEY_LENGTH:
        return derived
    return "fb-" + hashlib.sha256(derived.encode("utf-8")).hexdigest()[:64]


def settle(
    connection: Connection,
    row: OutboxRow,
    delivery: Delivery,
    *,
    started_at: float,
    elapsed_ms: float,
    epoch: int,
    now: float,
    next_channel: str | None,
) -> Outcome:
    """Store one try's outcome in the caller's transaction: sent, retried, or given up.

    ``next_channel`` is the contact's channel after ``row.channel`` in policy
    order (None when it is the last): a failure after :data:`FALLBACK_AFTER`
    tries, or a permanent one, enqueues the message there too.
    """
    record_attempt(
        connection,
        row,
        started_at=started_at,
        elapsed_ms=elapsed_ms,
        ok=delivery.ok,
        error=delivery.error,
        epoch=epoch,
    )
    if delivery.ok:
        return Outcome.SENT if mark_sent(connection, row, now=now) else Outcome.LOST_CLAIM
    error = delivery.error or "failed without a reason"
    attempts = row.attempts + 1
    fall_back = next_channel is not None and (delivery.permanent or attempts >= FALLBACK_AFTER)
    if not (fall_back or delivery.permanent or attempts >= MAX_ATTEMPTS):
        retried = retry_later(connection, row, now=now, error=error)
        return Outcome.RETRY if retried is not None else Outcome.LOST_CLAIM
    if not give_up(connection, row, now=now, error=error):
        return Outcome.LOST_CLAIM
    if fall_back and next_channel is not None:
        enqueue(
            connection,
            key=fallback_key(row.key, next_channel),
            contact=row.contact,
            channel=next_channel,
            title=row.title,
            short=row.short,
            full=row.full,
            payload=row.payload,
            due_at=now,
            now=now,
            incident_id=row.incident_id,
            step=row.step,
        )
        log.warning(
            "notification %s to %s via %s failed %d times (%s): falling back to %s",
            row.key,
            row.contact,
            row.channel,
            attempts,
            error,
            next_channel,
        )
    else:
        log.error(
            "notification %s to %s via %s given up after %d attempts: %s",
            row.key,
            row.contact,
            row.channel,
            attempts,
            error,
        )
    return Outcome.FAILED

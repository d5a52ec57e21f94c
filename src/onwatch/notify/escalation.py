"""The escalation cascade: which step is due, who it notifies, and the outbox rows it writes.

At open, the routed escalation policy is *snapshotted* into the incident
(:func:`snapshot`): a policy reload never changes a running cascade. The
incident row holds the next step (``next_step``, ``round``, ``next_step_at``);
:func:`send_due` advances it with a conditional UPDATE that must match the
state it read (a stale or duplicate tick touches no row and sends nothing),
and writes one outbox row per recipient in the same transaction.

Timing: step 0 is due ``steps[0].after`` after the open; each later step is
due its delay difference after the previous step was due (``after[i] -
after[i-1]``). After the last step the chain runs ``repeat`` more rounds; each
round's first step is due ``spacing`` after the previous round's last step
(the gap between the last two steps, at least 5 minutes:
:meth:`~onwatch.policy.escalation.Escalation.spacing`), plus its own ``after``.
Without deferrals this is exactly ``Escalation.schedule()``.

Quiet hours: inside them only incidents of severity ``only`` notify; a step of
another severity (tickets) is deferred to the end of the quiet hours, and the
rest of the chain keeps its spacing from there.

Silences: a step of an incident whose monitors are in a maintenance window or
muted is not sent to anyone; the timeline says why. Later steps still run (and
send, once the silence is over). An acknowledgement or resolution stops the chain.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, select, update

from onwatch.incidents import TRIGGERED, Incident, Notified, add_event, get_incident
from onwatch.notify import outbox
from onwatch.notify.recipients import send_at
from onwatch.policy.escalation import Escalation
from onwatch.store.tables import incidents

__all__ = [
    "Rendered",
    "announce_resolved",
    "first_step_at",
    "send_due",
    "snapshot",
    "thawed",
]

Recipients = Callable[[Sequence[str], float], list[tuple[str, str]]]
"""``(targets, at)`` → the ``(contact, channel)`` pairs they reach at ``at``."""
Silence = Callable[[Incident, float], str | None]
"""Why an incident notifies nobody at ``at`` (maintenance, a mute), or None."""


@dataclass(frozen=True)
class Rendered:
    """The texts of one message about an incident."""

    title: str
    short: str
    full: str
    payload: dict[str, Any]


Render = Callable[[Incident, str], Rendered]
"""``(incident, kind)`` → the message; kind is ``notify`` or ``resolved``."""


def snapshot(escalation: Escalation) -> dict[str, Any]:
    """The escalation policy frozen for one incident (its policy-file form, as JSON)."""
    return escalation.model_dump(mode="json", by_alias=True)


def thawed(data: dict[str, Any]) -> Escalation:
    """The escalation policy an incident snapshotted at open."""
    return Escalation.model_validate(data)


def first_step_at(chain: Escalation | None, opened_at: float) -> float | None:
    """When the first step of a cascade opened at ``opened_at`` is due (None: no cascade)."""
    return None if chain is None else opened_at + chain.steps[0].after.total_seconds()


def _following(
    chain: Escalation, step: int, round_: int, due: float
) -> tuple[int, int, float | None]:
    """``(next_step, round, next_step_at)`` after sending ``step`` of ``round_`` due at ``due``."""
    steps = chain.steps
    if step + 1 < len(steps):
        return step + 1, round_, due + (steps[step + 1].after - steps[step].after).total_seconds()
    if round_ < chain.repeat:
        return 0, round_ + 1, due + (chain.spacing() + steps[0].after).total_seconds()
    return step + 1, round_, None


def _advance(connection: Connection, incident: Incident, values: dict[str, Any]) -> bool:
    """Move the incident's cascade on, if nobody else did since it was read."""
    moved = connection.execute(
        update(incidents)
        .where(
            incidents.c.id == incident.id,
            incidents.c.state == TRIGGERED,
            incidents.c.next_step == incident.next_step,
            incidents.c.round == incident.round,
            incidents.c.next_step_at == incident.next_step_at,
        )
        .values(**values)
    )
    return moved.rowcount == 1


def _step_once(
    connection: Connection,
    incident: Incident,
    *,
    now: float,
    recipients: Recipients,
    silence: Silence,
    render: Render,
) -> int:
    """Run the due step of one incident; how many messages it wrote."""
    if incident.escalation_snapshot is None or incident.next_step_at is None:
        return 0
    chain = thawed(incident.escalation_snapshot)
    due, step, round_ = incident.next_step_at, incident.next_step, incident.round
    until = send_at(chain, severity=incident.severity, at=now)
    if until > now:
        if _advance(connection, incident, {"next_step_at": until}):
            add_event(
                connection,
                incident.id,
                at=now,
                kind="deferred",
                via="auto",
                detail=f"quiet hours: a {incident.severity} waits until they end",
            )
        return 0
    next_step, next_round, next_at = _following(chain, step, round_, due)
    if not _advance(
        connection, incident, {"next_step": next_step, "round": next_round, "next_step_at": next_at}
    ):
        return 0
    reason = silence(incident, now)
    label = f"step {step + 1}" + (f" (round {round_ + 1})" if round_ else "")
    if reason is not None:
        add_event(
            connection,
            incident.id,
            at=now,
            kind="silenced",
            via="auto",
            detail=f"{label} notified nobody: {reason}",
        )
        return 0
    message = render(incident, "notify")
    reached = recipients(chain.steps[step].notify, now)
    for contact, channel in reached:
        outbox.enqueue(
            connection,
            key=f"inc{incident.id}-r{round_}-s{step}-{contact}.{channel}",
            contact=contact,
            channel=channel,
            title=message.title,
            short=message.short,
            full=message.full,
            payload=message.payload,
            due_at=now,
            now=now,
            incident_id=incident.id,
            step=step,
        )
    names = ", ".join(f"{contact}.{channel}" for contact, channel in reached) or "nobody"
    add_event(
        connection, incident.id, at=now, kind="notified", via="auto", detail=f"{label}: {names}"
    )
    return len(reached)


def send_due(
    connection: Connection,
    *,
    now: float,
    recipients: Recipients,
    silence: Silence,
    render: Render,
) -> int:
    """Run every escalation step due at ``now`` in the caller's transaction; how many
    messages were written to the outbox."""
    due_ids = connection.execute(
        select(incidents.c.id)
        .where(incidents.c.state == TRIGGERED, incidents.c.next_step_at <= now)
        .order_by(incidents.c.next_step_at)
    ).scalars()
    written = 0
    for incident_id in list(due_ids):
        incident = get_incident(connection, incident_id)
        written += _step_once(
            connection, incident, now=now, recipients=recipients, silence=silence, render=render
        )
    return written


def announce_resolved(
    connection: Connection,
    incident: Incident,
    reached: Sequence[Notified],
    *,
    now: float,
    render: Render,
) -> int:
    """Tell everyone who was notified about ``incident`` that it is resolved; rows written."""
    if not reached:
        return 0
    message = render(incident, "resolved")
    for item in reached:
        outbox.enqueue(
            connection,
            key=f"inc{incident.id}-resolved-{item.contact}.{item.channel}",
            contact=item.contact,
            channel=item.channel,
            title=message.title,
            short=message.short,
            full=message.full,
            payload=message.payload,
            due_at=now,
            now=now,
            incident_id=incident.id,
            step=None,
        )
    return len(reached)

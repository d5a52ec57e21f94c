"""Messages about incidents that people can act on: short for SMS, full for email and chat.

The short text says what, where, how bad, and carries the acknowledge link::

    PAGE checkout down: checkout-page, cart-api (HTTP 503). Ack: https://…/ack/…

The full text adds the numbers: the latest failing check's phase breakdown,
each agreed objective of the service with its budget left (the wording of
:mod:`onwatch.slo.budget`), and the runbook link when the monitor has one.
The webhook payload holds the same facts as JSON. Everything here is pure.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from onwatch.agreement.phrases import spoken_duration
from onwatch.incidents import Incident
from onwatch.notify.escalation import Rendered
from onwatch.probes.base import CheckResult
from onwatch.slo.budget import budget_words
from onwatch.slo.messages import agreed_sentence, failure_words, seconds_words
from onwatch.slo.model import Evaluation

__all__ = ["Facts", "full_text", "payload", "phase_breakdown", "render", "short_text"]

_PHASES = (
    ("dns_ms", "DNS"),
    ("connect_ms", "connect"),
    ("tls_ms", "TLS"),
    ("first_byte_ms", "first byte"),
    ("transfer_ms", "transfer"),
)


@dataclass(frozen=True)
class Facts:
    """What is known around an incident when its message is written."""

    latest: CheckResult | None = None
    """The newest failing result of its monitors."""
    url: str | None = None
    runbook: str | None = None
    objectives: Sequence[Evaluation] = field(default_factory=tuple)
    """The latest evaluation of each objective of the incident's service."""


def phase_breakdown(result: CheckResult) -> str:
    """``DNS 0.01 s, connect 0.02 s, first byte 3.1 s``: where the time of one check went."""
    return ", ".join(
        f"{label} {seconds_words(value)}"
        for name, label in _PHASES
        if (value := getattr(result, name)) is not None
    )


def _what(incident: Incident) -> str:
    members = ", ".join(incident.members)
    subject = incident.subject
    if incident.subject_kind == "service" or (members and members != subject):
        return f"{subject} {incident.condition}: {members}"
    return f"{subject} {incident.condition}"


def short_text(incident: Incident, facts: Facts, ack_url: str, *, resolved: bool = False) -> str:
    """The SMS: what, where, how bad, and the acknowledge link (none once resolved)."""
    if resolved:
        return f"RESOLVED {_what(incident)} (by {incident.resolved_by or 'onwatch'})"
    why = f" ({failure_words(facts.latest)})" if facts.latest and not facts.latest.ok else ""
    return f"{incident.severity.upper()} {_what(incident)}{why}. Ack: {ack_url}"


def _objective_line(evaluation: Evaluation) -> str:
    spec = evaluation.spec
    budget = budget_words(evaluation, spec)
    return f"- {spec.title or spec.service} {spec.name}: {agreed_sentence(spec)} {budget[0].upper()}{budget[1:]}."


def full_text(incident: Incident, facts: Facts, ack_url: str, *, resolved: bool = False) -> str:
    """The email or chat text: the short text's facts plus the numbers and the runbook."""
    opened = datetime.fromtimestamp(incident.opened_at, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    lines = [incident.title, "", f"Severity: {incident.severity}. Opened {opened}."]
    if resolved and incident.resolved_at is not None:
        lasted = spoken_duration(incident.resolved_at - incident.opened_at)
        lines.append(f"Resolved after {lasted} by {incident.resolved_by}.")
    if incident.members:
        lines.append(f"Monitors: {', '.join(incident.members)}.")
    latest = facts.latest
    if latest is not None and not latest.ok:
        where = f" ({facts.url})" if facts.url else ""
        took = f" after {seconds_words(latest.total_ms)}" if latest.total_ms is not None else ""
        lines.append(f"Latest check of {latest.monitor}{where}: {failure_words(latest)}{took}.")
        if breakdown := phase_breakdown(latest):
            lines.append(f"Phases: {breakdown}.")
        if latest.detail:
            lines.append(f"Detail: {latest.detail}")
    if facts.objectives:
        lines.append("Objectives:")
        lines.extend(_objective_line(evaluation) for evaluation in facts.objectives)
    if facts.runbook:
        lines.append(f"Runbook: {facts.runbook}")
    if incident.in_maintenance:
        lines.append("In a maintenance window: recorded, nobody is paged.")
    if not resolved:
        lines.append(f"Acknowledge: {ack_url}")
    return "\n".join(lines)


def payload(incident: Incident, facts: Facts, ack_url: str, *, kind: str) -> dict[str, Any]:
    """The JSON facts for webhooks."""
    latest = facts.latest
    return {
        "event": kind,
        "incident": {
            "id": incident.id,
            "subject_kind": incident.subject_kind,
            "subject": incident.subject,
            "condition": incident.condition,
            "severity": incident.severity,
            "service": incident.service,
            "state": incident.state,
            "title": incident.title,
            "members": list(incident.members),
            "opened_at": incident.opened_at,
            "resolved_at": incident.resolved_at,
            "in_maintenance": incident.in_maintenance,
        },
        "latest": None
        if latest is None
        else {
            "monitor": latest.monitor,
            "started_at": latest.started_at,
            "failure": None if latest.failure is None else str(latest.failure),
            "status_code": latest.status_code,
            "total_ms": latest.total_ms,
            "phases_ms": {name: getattr(latest, name) for name, _ in _PHASES},
        },
        "objectives": [
            {
                "objective": evaluation.spec.key,
                "target": evaluation.spec.target,
                "budget_remaining": evaluation.standing.budget_remaining,
            }
            for evaluation in facts.objectives
        ],
        "runbook": facts.runbook,
        "url": facts.url,
        "ack_url": None if kind == "resolved" else ack_url,
    }


def render(incident: Incident, kind: str, facts: Facts, ack_url: str) -> Rendered:
    """The whole message of ``kind`` (``notify`` or ``resolved``) about ``incident``."""
    resolved = kind == "resolved"
    title = f"{'Resolved: ' if resolved else ''}{incident.title}"
    return Rendered(
        title=title,
        short=short_text(incident, facts, ack_url, resolved=resolved),
        full=full_text(incident, facts, ack_url, resolved=resolved),
        payload=payload(incident, facts, ack_url, kind=kind),
    )

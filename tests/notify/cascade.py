"""A cascade under test: a real database, a parsed policy and ticks of virtual time.

``Cascade.tick(t)`` runs the escalation steps due ``t`` seconds after the start,
as the engine does every second; ``sent()`` reads the outbox to say who would
be notified, when, and about which step.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from onwatch.incidents import Incident, Opened, open_or_repeat, resolve
from onwatch.notify.acklinks import ACK_PLACEHOLDER
from onwatch.notify.escalation import Rendered, announce_resolved, first_step_at, send_due, snapshot
from onwatch.notify.messages import Facts, render
from onwatch.notify.outbox import rows
from onwatch.notify.recipients import recipients, route
from onwatch.policy import Policy
from onwatch.policy.loader import parse_policy
from onwatch.store.database import Database

START = 1_790_031_600.0  # 2026-09-21 21:40 UTC... see quiet-hour tests for local times
NO_SILENCE: dict[int, str] = {}

POLICY = """\
apiVersion: onwatch/v1
services:
  - name: checkout
contacts:
  - name: alice
    channels: {sms: "json://127.0.0.1:9/alice", email: "json://127.0.0.1:9/alice-mail"}
  - name: bob
    channels: {sms: "json://127.0.0.1:9/bob"}
  - name: carol
    channels: {sms: "json://127.0.0.1:9/carol"}
escalation:
  - name: default
    steps:
      - {after: 0m, notify: [alice.sms]}
      - {after: 5m, notify: [bob.sms]}
      - {after: 15m, notify: [carol.sms]}
    repeat: 1
  - name: tickets
    steps:
      - {after: 0m, notify: [alice.email]}
    quiet_hours: {from: "00:00", to: "07:00", timezone: Europe/Brussels, only: page}
routes:
  - {severity: ticket, escalation: tickets}
"""


@dataclass(frozen=True)
class Sent:
    """One outbox row, as the tests read it."""

    at: float
    to: str
    step: int | None
    short: str


class Cascade:
    """Incidents and their cascades on one database, with time given by the test."""

    def __init__(self, database: Database, start: float = START, policy: str = POLICY) -> None:
        self.database = database
        self.start = start
        self.policy: Policy = parse_policy(policy)
        self.silenced: dict[int, str] = {}

    def open(
        self,
        subject: str = "checkout-page",
        *,
        at: float = 0.0,
        severity: str = "page",
        condition: str = "down",
    ) -> Opened:
        chain = route(self.policy, severity=severity, service="checkout")
        moment = self.start + at
        with self.database.engine.begin() as connection:
            return open_or_repeat(
                connection,
                subject_kind="monitor",
                subject=subject,
                condition=condition,
                severity=severity,
                service="checkout",
                title=f"{subject} is {condition}",
                members=[subject],
                at=moment,
                epoch=1,
                escalation=None if chain is None else chain.name,
                escalation_snapshot=None if chain is None else snapshot(chain),
                first_step_at=first_step_at(chain, moment),
            )

    def _render(self, incident: Incident, kind: str) -> Rendered:
        return render(incident, kind, Facts(), ACK_PLACEHOLDER)  # as the engine writes it

    def tick(self, at: float) -> int:
        """Run what is due ``at`` seconds after the start."""
        with self.database.engine.begin() as connection:
            return send_due(
                connection,
                now=self.start + at,
                recipients=lambda targets, moment: [
                    (r.contact, r.channel) for r in recipients(self.policy, targets, moment)
                ],
                silence=lambda incident, moment: self.silenced.get(incident.id),
                render=self._render,
            )

    def run(self, until: float, *, every: float = 1.0, since: float = 0.0) -> None:
        """Tick every ``every`` seconds from ``since`` to ``until`` (seconds after the start)."""
        at = since
        while at <= until:
            self.tick(at)
            at += every

    def resolve(self, incident_id: int, *, at: float, by: str = "alice") -> Sequence[object]:
        with self.database.engine.begin() as connection:
            incident, reached = resolve(
                connection, incident_id, by=by, via="cli", at=self.start + at
            )
            announce_resolved(
                connection, incident, reached, now=self.start + at, render=self._render
            )
        return reached

    def sent(self) -> list[Sent]:
        with self.database.engine.connect() as connection:
            return [
                Sent(
                    row.created_at - self.start, f"{row.contact}.{row.channel}", row.step, row.short
                )
                for row in rows(connection)
            ]

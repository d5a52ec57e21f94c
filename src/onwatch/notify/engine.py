"""The incident engine: a service task turning results and objective alerts into incidents and pages.

Only the leader acts. Every result the writer commits is queued; every
second (on the service's clock) the engine feeds the queued results to the
:class:`~onwatch.notify.detect.Detector`, applies its decisions as incidents
(routing and snapshotting the escalation at open, marking maintenance),
turns newly open objective alert events into incidents and resolves those
whose alert ended, then runs the escalation steps that are due
(:func:`~onwatch.notify.escalation.send_due`) — all in one transaction, so an
outbox row exists exactly when its incident change does.

Messages carry the placeholder ``{ack_url}``; the sender fills in each
incident's signed link.

The detector's memory lives in the process, the incidents in the store: before
its first round as leader, after a policy reload and whenever it leads under a
new epoch, the engine seeds the detector from the open incidents
(:meth:`~onwatch.notify.detect.Detector.seed`), so an incident opened before a
restart or by another node still resolves when its monitors recover.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable, Mapping

from sqlalchemy import Connection

from onwatch.incidents import Incident, get_incident, open_incidents, open_or_repeat, regroup
from onwatch.incidents import add_member as name_member
from onwatch.incidents import resolve as resolve_incident
from onwatch.notify.acklinks import ACK_PLACEHOLDER
from onwatch.notify.detect import Decision, Detector, Join, Open, Regroup, Rules
from onwatch.notify.escalation import Rendered, announce_resolved, first_step_at, send_due, snapshot
from onwatch.notify.messages import Facts, render
from onwatch.notify.recipients import recipients, route
from onwatch.policy import Policy
from onwatch.policy.monitors import HttpMonitor
from onwatch.probes.base import CheckResult
from onwatch.runtime import Service, monitor_entries, run_rounds
from onwatch.slo.model import Evaluation
from onwatch.store.alerts import open_alerts
from onwatch.store.maintenance_calendar import MaintenanceCalendar, load_calendar
from onwatch.store.mutes import active_mutes
from onwatch.store.oncall import list_overrides
from onwatch.store.writer import CommittedBatch

__all__ = [
    "ACK_PLACEHOLDER",
    "TICK",
    "IncidentEngine",
    "incident_engine_task",
    "incident_facts",
    "rules_of",
]

log = logging.getLogger(__name__)

TICK = 1.0
"""Seconds between engine rounds."""


def rules_of(policy: Policy) -> dict[str, Rules]:
    """The detection rules of every stored monitor name of ``policy``."""
    return {
        name: Rules(
            service=entry.service,
            confirm=entry.confirm.consecutive,
            recovery=entry.recovery.consecutive,
            flap_changes=entry.flapping.changes,
            flap_within=entry.flapping.within.total_seconds(),
        )
        for name, entry in monitor_entries(policy).items()
    }


def incident_facts(
    policy: Policy,
    incident: Incident,
    latest: Mapping[str, CheckResult],
    evaluations: Iterable[Evaluation],
) -> Facts:
    """What a message about ``incident`` can say: the newest failing result of its members
    (from ``latest``, by monitor), the page's URL, the runbook, the service's objectives."""
    entries = monitor_entries(policy)
    found = [latest[m] for m in incident.members if m in latest]
    newest = max(found, key=lambda r: r.started_at) if found else None
    entry = entries.get(newest.monitor if newest else incident.subject)
    return Facts(
        latest=newest,
        url=entry.url if isinstance(entry, HttpMonitor) else None,
        runbook=entry.runbook if entry else None,
        objectives=[e for e in evaluations if e.spec.service == incident.service],
    )


class IncidentEngine:
    """Results and alerts in, incidents and outbox rows out (leader only)."""

    def __init__(self, service: Service, *, tick: float = TICK) -> None:
        self._service = service
        self.tick = tick
        self._policy = service.policy
        self._detector = Detector(rules_of(service.policy))
        self._inbox: list[CheckResult] = []
        self._latest: dict[str, CheckResult] = {}
        self._seeded_epoch: int | None = None
        """The leadership epoch the detector was last seeded under; None: seed again."""

    def start(self) -> None:
        self._service.writer.add_commit_listener(self.on_commit)

    def on_commit(self, batch: CommittedBatch) -> None:
        """Writer listener: queue the results (never raises)."""
        self._inbox.extend(batch.results)

    # --- facts for messages and silences -------------------------------------------------

    def _facts(self, incident: Incident) -> Facts:
        evaluator = self._service.evaluator
        evaluations = evaluator.evaluations.values() if evaluator else ()
        return incident_facts(self._policy, incident, self._latest, evaluations)

    def _silence_reason(
        self, connection: Connection, calendar: MaintenanceCalendar, incident: Incident, at: float
    ) -> str | None:
        mutes = active_mutes(connection, now=at)
        reasons: list[str] = []
        for member in incident.members or (incident.subject,):
            mute = mutes.get(member)
            if mute is not None:
                reasons.append(f"{member} muted by {mute.created_by}: {mute.reason}")
                continue
            window = calendar.reason_at(at, incident.service, member)
            if window is None:
                return None
            reasons.append(f"{member} in maintenance: {window}")
        return "; ".join(reasons) or None

    # --- applying ------------------------------------------------------------------------

    def _open(
        self,
        connection: Connection,
        decision: Open,
        calendar: MaintenanceCalendar,
        epoch: int,
        *,
        subject_kind: str = "monitor",
        severity: str = "page",
    ) -> Incident:
        """Open (or repeat) the decision's incident; the incident as it now stands."""
        chain = route(self._policy, severity=severity, service=decision.service)
        maintenance = all(
            calendar.reason_at(decision.at, decision.service, m) for m in decision.members
        )
        opened = open_or_repeat(
            connection,
            subject_kind=subject_kind,
            subject=decision.subject,
            condition=decision.condition,
            severity=severity,
            service=decision.service,
            title=f"{decision.subject} is {decision.condition}",
            members=decision.members,
            at=decision.at,
            epoch=epoch,
            escalation=None if chain is None else chain.name,
            escalation_snapshot=None if chain is None else snapshot(chain),
            first_step_at=first_step_at(chain, decision.at),
            in_maintenance=maintenance,
        )
        log.warning(
            "incident %s: %s", "opened" if opened.new else "repeated", opened.incident.title
        )
        return opened.incident

    def _resolve(self, connection: Connection, incident: Incident, at: float, why: str) -> None:
        done, reached = resolve_incident(
            connection, incident.id, by="onwatch", via="auto", at=at, detail=why
        )
        announce_resolved(connection, done, reached, now=at, render=self._render)
        log.info("incident resolved: %s (%s)", done.title, why)

    def _render(self, incident: Incident, kind: str) -> Rendered:
        return render(incident, kind, self._facts(incident), ACK_PLACEHOLDER)

    def _apply(self, decisions: list[Decision], now: float, epoch: int) -> int:
        with self._service.database.engine.begin() as connection:
            evaluator = self._service.evaluator
            calendar = (
                evaluator.calendar if evaluator else load_calendar(connection, now - 60, now + 60)
            )
            current = {(i.subject, i.condition): i for i in open_incidents(connection)}
            for decision in decisions:
                if isinstance(decision, Open):
                    # later decisions of this round (a join, a regroup) must find it
                    opened = self._open(connection, decision, calendar, epoch)
                    current[(opened.subject, opened.condition)] = opened
                    continue
                incident = current.get((decision.subject, decision.condition))
                if incident is None:
                    continue
                if isinstance(decision, Regroup):
                    moved = regroup(
                        connection,
                        incident.id,
                        subject_kind="service",
                        subject=decision.service,
                        title=f"{decision.service} is {decision.condition}",
                        at=decision.at,
                    )
                    current[(moved.subject, moved.condition)] = moved
                elif isinstance(decision, Join):
                    joined = name_member(connection, incident.id, decision.member, at=decision.at)
                    current[(joined.subject, joined.condition)] = joined
                else:
                    self._resolve(
                        connection,
                        get_incident(connection, incident.id),
                        decision.at,
                        decision.reason,
                    )
            self._sync_alerts(connection, now, epoch, calendar)
            overrides = [o.as_override() for o in list_overrides(connection, now=now)]
            return send_due(
                connection,
                now=now,
                recipients=lambda targets, at: [
                    (r.contact, r.channel) for r in recipients(self._policy, targets, at, overrides)
                ],
                silence=lambda incident, at: self._silence_reason(
                    connection, calendar, incident, at
                ),
                render=self._render,
            )

    def _sync_alerts(
        self, connection: Connection, now: float, epoch: int, calendar: MaintenanceCalendar
    ) -> None:
        """Objective alert events become incidents; an incident whose alert ended resolves."""
        alerts = {(a.objective, a.tier): a for a in open_alerts(connection)}
        current = {
            (i.subject, i.condition): i
            for i in open_incidents(connection)
            if i.subject_kind == "objective"
        }
        for key, alert in alerts.items():
            if key in current:
                continue
            service = alert.objective.partition("/")[0]
            chain = route(self._policy, severity=alert.severity, service=service)
            open_or_repeat(
                connection,
                subject_kind="objective",
                subject=alert.objective,
                condition=alert.tier,
                severity=alert.severity,
                service=service,
                title=alert.message,
                members=[],
                at=now,
                epoch=epoch,
                escalation=None if chain is None else chain.name,
                escalation_snapshot=None if chain is None else snapshot(chain),
                first_step_at=first_step_at(chain, now),
                detail=alert.message,
            )
        for key, incident in current.items():
            if key not in alerts:
                self._resolve(connection, incident, now, "the objective's alert ended")

    def _seed(self, now: float) -> None:
        with self._service.database.engine.connect() as connection:
            self._detector.seed(open_incidents(connection), now)

    async def step(self) -> None:
        """One round: as leader, detect, apply, alert and escalate."""
        service = self._service
        leadership = service.leader.current()
        results, self._inbox = sorted(self._inbox, key=lambda r: r.started_at), []
        if not leadership.is_leader:
            self._seeded_epoch = None
            return
        if service.policy is not self._policy:
            self._policy = service.policy
            self._detector.update_rules(rules_of(service.policy))
            self._seeded_epoch = None
        if self._seeded_epoch != leadership.epoch:
            await asyncio.to_thread(self._seed, service.clock.now())
            self._seeded_epoch = leadership.epoch
        decisions: list[Decision] = []
        for result in results:
            if not result.ok:
                self._latest[result.monitor] = result
            decisions += self._detector.feed(result)
        await asyncio.to_thread(self._apply, decisions, service.clock.now(), leadership.epoch)

    async def run(self) -> None:
        """Rounds every :attr:`tick` seconds until the service stops."""
        self.start()
        await run_rounds(self._service, self.tick, self.step, "incident engine round")


async def incident_engine_task(service: Service) -> None:
    """A :data:`~onwatch.runtime.ServiceTask`: run an :class:`IncidentEngine` until the service stops."""
    await IncidentEngine(service).run()

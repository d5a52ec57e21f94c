"""The evaluator: a service task that keeps every objective's tracker current and opens alerts.

On start, and whenever the running policy changes (SIGHUP reload), it syncs
the policy's maintenance windows into the store, records the agreed numbers
(:mod:`onwatch.store.agreement_log`) and rebuilds one tracker per objective
from the store (:mod:`onwatch.slo.sources`), in a worker thread. From then on
every result the writer commits is fed to the trackers of the objectives
counting its monitor, as excluded time when a maintenance window covers it.

Every ``interval`` seconds (10 by default, on the service's clock) a round
evaluates every tracker and compares the firing burn-rate tiers with the alert
events open in the store: a tier that starts firing opens an event (with the
:class:`~onwatch.leader.Leader`'s epoch and a message naming the page and the
numbers, :mod:`onwatch.slo.messages`), one that stops resolves it; each is one
log line. Only the leader evaluates; a node that becomes leader rebuilds first.

The web side reads ``service.evaluator``: :attr:`Evaluator.evaluations` (the
latest :class:`~onwatch.slo.model.Evaluation` by ``service/name``),
:attr:`Evaluator.specs` and :meth:`Evaluator.maintenance_reasons`.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Mapping
from types import MappingProxyType

from onwatch.agreement.phrases import spoken_duration
from onwatch.policy import Policy
from onwatch.probes.base import CheckResult
from onwatch.runtime import Service, run_rounds
from onwatch.slo.alert_changes import AlertChanges, alert_changes
from onwatch.slo.model import Evaluation, ObjectiveSpec
from onwatch.slo.sources import (
    RECENT_RESULTS,
    MonitorFacts,
    Rebuilt,
    in_maintenance,
    monitor_facts,
    observe_result,
    rebuild_for_policy,
)
from onwatch.slo.specs import objective_specs
from onwatch.slo.tracker import ObjectiveTracker
from onwatch.store.agreement_log import record_policy
from onwatch.store.alerts import AlertEvent, open_alert, open_alerts, resolve_alert
from onwatch.store.maintenance import maintenance_version, sync_policy_windows
from onwatch.store.maintenance_calendar import MaintenanceCalendar, load_calendar
from onwatch.store.writer import CommittedBatch, error_reason

__all__ = ["EVALUATION_INTERVAL", "Evaluator", "evaluator_task"]

log = logging.getLogger(__name__)

EVALUATION_INTERVAL = 10.0
"""Seconds between evaluation rounds."""
CALENDAR_MARGIN = 86_400.0
"""The live maintenance calendar covers a day either side of now."""


class Evaluator:
    """The objectives of the running policy: trackers, latest evaluations and alert state."""

    def __init__(
        self, service: Service, *, interval: float = EVALUATION_INTERVAL, resolution: int = 60
    ) -> None:
        self._service = service
        self.interval = interval
        self._resolution = resolution
        self._policy: Policy | None = None
        self._specs: tuple[ObjectiveSpec, ...] = ()
        self._trackers: dict[str, ObjectiveTracker] = {}
        self._by_monitor: dict[str, list[str]] = {}
        self._facts: dict[str, MonitorFacts] = {}
        self._recent: dict[str, deque[CheckResult]] = {}
        self._evaluations: Mapping[str, Evaluation] = MappingProxyType({})
        self._firing: dict[str, dict[str, int]] = {}
        """Objective → tier → when its open alert event was opened."""
        self._calendar = MaintenanceCalendar((), 0.0, 0.0)
        self._pending: list[CheckResult] | None = None
        self._leading = False
        self._started = False
        self.rounds = 0
        """Evaluation rounds completed (for /metrics and operators)."""

    # --- what the web and the API read -----------------------------------------------------

    @property
    def specs(self) -> tuple[ObjectiveSpec, ...]:
        """The objectives being evaluated (of the policy as last rebuilt)."""
        return self._specs

    @property
    def evaluations(self) -> Mapping[str, Evaluation]:
        """The latest evaluation of each objective by ``service/name`` (read-only, replaced whole
        each round; empty until the first round)."""
        return self._evaluations

    def latest(self, key: str) -> Evaluation | None:
        """The latest evaluation of objective ``service/name``, or None."""
        return self._evaluations.get(key)

    @property
    def calendar(self) -> MaintenanceCalendar:
        """The maintenance calendar around now (refreshed each round when the table changed)."""
        return self._calendar

    def maintenance_reasons(self, spec: ObjectiveSpec, at: float | None = None) -> list[str]:
        """Reasons of the maintenance windows covering any of ``spec``'s monitors at ``at``
        (default: now), each once."""
        moment = self._service.clock.now() if at is None else at
        reasons: dict[str, None] = {}
        for monitor in spec.monitors:
            facts = self._facts.get(monitor)
            service = facts.service if facts else spec.service
            reasons.update(dict.fromkeys(self._calendar.reasons_at(moment, service, [monitor])))
        return list(reasons)

    # --- feeding -------------------------------------------------------------------------

    def start(self) -> None:
        """Register with the service and the writer (once); results count from now on."""
        if not self._started:
            self._service.evaluator = self
            self._service.writer.add_commit_listener(self.on_commit)
            self._started = True

    def on_commit(self, batch: CommittedBatch) -> None:
        """Writer listener: count each committed result (held back while a rebuild runs).

        Never raises: the writer calls it, and must go on writing whatever happens here.
        """
        if self._pending is not None:
            self._pending.extend(batch.results)
            return
        try:
            for result in batch.results:
                self._feed(result)
        except Exception as exc:  # a wrong count must not stop results from being stored
            log.error("counting results for objectives failed: %s", error_reason(exc))

    def _feed(self, result: CheckResult) -> None:
        keys = self._by_monitor.get(result.monitor)
        if not keys:
            return
        facts = self._facts.get(result.monitor)
        seconds = facts.interval if facts else 60.0
        for key in keys:
            tracker = self._trackers[key]
            excluded = in_maintenance(result, tracker.spec, facts, self._calendar)
            observe_result(tracker, result, seconds=seconds, in_maintenance=excluded)
            if not excluded:
                self._recent[key].append(result)

    # --- rebuilding ----------------------------------------------------------------------

    def _prepare(
        self, policy: Policy, specs: tuple[ObjectiveSpec, ...], now: float
    ) -> tuple[Rebuilt, MaintenanceCalendar, list[AlertEvent]]:
        """In a worker thread: sync windows, record the agreement, read the history back."""
        service = self._service
        with service.database.engine.begin() as connection:
            synced = sync_policy_windows(connection, policy, now)
            try:
                changes = record_policy(connection, policy, service.policy_path, now)
            except OSError as exc:  # the file went away after it was loaded
                log.warning("agreement not recorded: %s cannot be read (%s)", exc.filename, exc)
                changes = []
            keys = {spec.key for spec in specs}
            stale = [event for event in open_alerts(connection) if event.objective not in keys]
            for event in stale:
                resolve_alert(connection, event.objective, event.tier, at=now)
        for name, change in (("added", synced.added), ("changed", synced.changed)):
            if change:
                log.info("maintenance windows from the policy %s: %s", name, ", ".join(change))
        if synced.removed:
            log.info("maintenance windows removed from the policy: %s", ", ".join(synced.removed))
        if changes:
            log.info("agreement: %d agreed numbers recorded as changed", len(changes))
        for event in stale:
            log.info(
                "alert resolved: %s %s (objective no longer in the policy)",
                event.objective,
                event.tier,
            )
        with service.database.engine.connect() as connection:
            rebuilt, calendar = rebuild_for_policy(
                connection,
                policy,
                specs,
                now=now,
                margin=CALENDAR_MARGIN,
                resolution=self._resolution,
            )
            still_open = open_alerts(connection)
        return rebuilt, calendar, still_open

    async def rebuild(self) -> None:
        """Rebuild every tracker from the store for the running policy (results that arrive
        meanwhile are held and counted after)."""
        policy = self._service.policy
        now = self._service.clock.now()
        specs = tuple(objective_specs(policy))
        self._pending = []
        try:
            rebuilt, calendar, still_open = await asyncio.to_thread(
                self._prepare, policy, specs, now
            )
        except BaseException:
            self._pending = None
            raise
        self._policy, self._specs = policy, specs
        self._facts = monitor_facts(policy)
        self._trackers = rebuilt.trackers
        self._by_monitor = {}
        for spec in specs:
            for monitor in spec.monitors:
                self._by_monitor.setdefault(monitor, []).append(spec.key)
        self._recent = {
            key: deque(results, maxlen=RECENT_RESULTS) for key, results in rebuilt.recent.items()
        }
        self._calendar = calendar
        self._firing = {}
        for event in still_open:
            self._firing.setdefault(event.objective, {})[event.tier] = event.opened_at
        pending, self._pending = self._pending, None
        for result in pending:
            if (
                result.started_at >= rebuilt.until
                and (result.monitor, result.started_at) not in rebuilt.seen
            ):
                self._feed(result)
        log.info(
            "objectives: %d evaluated, rebuilt from the store in %.1fs",
            len(specs),
            self._service.clock.now() - now,
        )

    # --- evaluating ----------------------------------------------------------------------

    def _refresh_calendar(self, now: float) -> MaintenanceCalendar | None:
        """In a worker thread: a new calendar if the windows changed or time left its span.

        The trackers need no rebuild: a window excuses nothing before it was
        recorded, and a cancellation only ends it, so the past stays as counted.
        """
        calendar = self._calendar
        with self._service.database.engine.connect() as connection:
            version = maintenance_version(connection)
            if version == calendar.version and calendar.covers(now - 3600, now + 3600):
                return None
            return load_calendar(connection, now - CALENDAR_MARGIN, now + CALENDAR_MARGIN)

    def _write(self, changes: AlertChanges, now: float, epoch: int) -> list[AlertEvent]:
        """In a worker thread: store the opened and resolved events in one transaction."""
        with self._service.database.engine.begin() as connection:
            opened = [
                open_alert(
                    connection,
                    objective=item.objective,
                    tier=item.tier,
                    severity=item.severity,
                    at=now,
                    message=item.message,
                    details=item.details,
                    epoch=epoch,
                )
                for item in changes.opened
            ]
            for objective, tier in changes.resolved:
                resolve_alert(connection, objective, tier, at=now)
        return opened

    async def evaluate_round(self, epoch: int) -> None:
        """Evaluate every objective now and open or resolve alert events."""
        now = self._service.clock.now()
        calendar = await asyncio.to_thread(self._refresh_calendar, now)
        if calendar is not None:
            self._calendar = calendar
        evaluations = {key: tracker.evaluate(now) for key, tracker in self._trackers.items()}
        self._evaluations = MappingProxyType(evaluations)
        urls = {name: facts.url for name, facts in self._facts.items()}
        changes = alert_changes(evaluations, self._firing, self._recent, urls)
        if changes:
            opened = await asyncio.to_thread(self._write, changes, now, epoch)
            for event in opened:
                self._firing.setdefault(event.objective, {})[event.tier] = event.opened_at
                log.warning("alert opened: %s %s: %s", event.objective, event.tier, event.message)
            for objective, tier in changes.resolved:
                opened_at = self._firing.get(objective, {}).pop(tier, int(now))
                after = spoken_duration(max(now - opened_at, 0))
                log.info("alert resolved: %s %s after %s", objective, tier, after)
        self.rounds += 1

    async def step(self) -> None:
        """One round as the task runs it: as leader, rebuild if needed, then evaluate."""
        leadership = self._service.leader.current()
        if not leadership.is_leader:
            if self._leading:
                log.info("no longer the leader: objectives are evaluated elsewhere")
            self._leading = False
            return
        if not self._leading or self._service.policy is not self._policy:
            await self.rebuild()
            self._leading = True
        await self.evaluate_round(leadership.epoch)

    async def run(self) -> None:
        """Evaluate every ``interval`` seconds until the service stops; errors are logged."""
        self.start()
        await run_rounds(self._service, self.interval, self.step, "evaluating objectives")


async def evaluator_task(service: Service, *, interval: float = EVALUATION_INTERVAL) -> None:
    """A :data:`~onwatch.runtime.ServiceTask`: run an :class:`Evaluator` until the service stops."""
    await Evaluator(service, interval=interval).run()

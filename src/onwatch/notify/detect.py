"""From check results to incident decisions: confirmation, recovery, flapping and grouping.

Pure: :class:`Detector` is fed each monitor's :class:`~onwatch.probes.base.CheckResult`
s in time order and answers with :class:`Decision` s for the engine to apply.

- A monitor is *confirmed failing* after ``confirm.consecutive`` failed checks
  in a row (default 2); its condition is ``slow`` when the failure that
  confirmed it is of class ``slow``, else ``down``.
- It *recovers* after ``recovery.consecutive`` passing checks in a row (default 2).
- *Flapping*: every change between passing and failing checks counts (before
  confirmation, so flapping that confirmation hides is seen too). More than
  ``flapping.changes`` changes within ``flapping.within`` open one ``flapping``
  incident and stop every other decision for that monitor; it resolves once a
  whole ``within`` passes without a change, and the monitor's real state
  (confirmed again from then on) takes over.
- *Grouping* (per service and condition): a monitor confirmed failing joins
  the open service incident of its service if there is one; otherwise, if
  another monitor of the same service opened an incident of the same
  condition less than :data:`GROUP_WINDOW` (60 s) ago, that incident becomes
  the service's (``subject_kind`` service, subject the service name) and names
  both; otherwise the monitor opens its own incident. A grouped incident
  resolves when every member has recovered.
- *Seeding* (:meth:`Detector.seed`): the open incidents in the store are the
  truth about which monitors are confirmed failing, so a restarted (or newly
  leading) engine continues where the store says: every member of an open
  ``down``/``slow`` incident is failing with that condition and feeds that
  incident (so its recovery resolves it, and it is not confirmed again); an
  open ``flapping`` incident keeps its monitor flapping, resolving once a
  whole ``within`` passes without a change from the moment of seeding at the
  earliest. Streaks and change history of monitors already known are kept.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from onwatch.probes.base import CheckResult, FailureClass

if TYPE_CHECKING:
    from onwatch.incidents import Incident

__all__ = [
    "GROUP_WINDOW",
    "Decision",
    "Detector",
    "Join",
    "Open",
    "Regroup",
    "Resolve",
    "Rules",
]

GROUP_WINDOW = 60.0
"""Seconds within which monitors of one service confirmed failing make one incident."""


@dataclass(frozen=True)
class Rules:
    """How one monitor's results become incidents (from its policy entry)."""

    service: str | None = None
    confirm: int = 2
    recovery: int = 2
    flap_changes: int = 6
    flap_within: float = 1800.0


@dataclass(frozen=True)
class Open:
    """Open an incident (or repeat the open one) about ``subject``."""

    subject_kind: str
    subject: str
    condition: str
    service: str | None
    members: tuple[str, ...]
    at: float
    result: CheckResult


@dataclass(frozen=True)
class Regroup:
    """The open incident about monitor ``subject`` becomes the incident of ``service``."""

    subject: str
    condition: str
    service: str
    at: float


@dataclass(frozen=True)
class Join:
    """``member`` is failing too: name it in the open incident about ``subject``."""

    subject: str
    condition: str
    member: str
    at: float


@dataclass(frozen=True)
class Resolve:
    """The incident about ``subject`` is over."""

    subject: str
    condition: str
    at: float
    reason: str


Decision = Open | Regroup | Join | Resolve


@dataclass
class _Monitor:
    rules: Rules
    failing: str | None = None  # the confirmed condition, None while up
    streak_failed: int = 0
    streak_passed: int = 0
    last_ok: bool | None = None
    changes: deque[float] = field(default_factory=deque)
    flapping_since: float | None = None


@dataclass
class _Group:
    subject_kind: str
    subject: str
    opened_at: float
    failing: set[str]


class Detector:
    """The confirmed state of every monitor and the open incidents they form."""

    def __init__(self, rules: dict[str, Rules]) -> None:
        self._rules = dict(rules)
        self._monitors: dict[str, _Monitor] = {}
        self._groups: dict[tuple[str, str], _Group] = {}
        """(service or monitor, condition) → the open incident it feeds."""

    def update_rules(self, rules: dict[str, Rules]) -> None:
        """Use the rules of a reloaded policy; the state of known monitors is kept."""
        self._rules = dict(rules)
        for name, monitor in self._monitors.items():
            if name in rules:
                monitor.rules = rules[name]

    def seed(self, incidents: Iterable[Incident], now: float) -> None:
        """Take the store's open ``incidents`` as the truth about who is failing (see the module).

        What the detector believed about incidents before is dropped; objective
        incidents and members the rules do not know are ignored.
        """
        self._groups.clear()
        for monitor in self._monitors.values():
            monitor.failing, monitor.flapping_since = None, None
        for incident in incidents:
            if incident.subject_kind not in ("monitor", "service"):
                continue
            known = [m for m in incident.members or (incident.subject,) if m in self._rules]
            for name in known:
                monitor = self._monitors.setdefault(name, _Monitor(self._rules[name]))
                if incident.condition == "flapping":
                    monitor.flapping_since = incident.opened_at
                    monitor.changes = monitor.changes or deque([now])
                    continue
                monitor.failing = incident.condition
                if monitor.last_ok is None:
                    monitor.last_ok = False
            if known and incident.condition != "flapping":
                self._groups[(incident.subject, incident.condition)] = _Group(
                    incident.subject_kind, incident.subject, incident.opened_at, set(known)
                )

    def feed(self, result: CheckResult) -> list[Decision]:
        """The decisions one result leads to (usually none)."""
        rules = self._rules.get(result.monitor)
        if rules is None:
            return []
        monitor = self._monitors.setdefault(result.monitor, _Monitor(rules))
        decisions = self._flapping(result, monitor)
        if monitor.flapping_since is not None:
            return decisions
        if result.ok:
            monitor.streak_failed, monitor.streak_passed = 0, monitor.streak_passed + 1
            if monitor.failing and monitor.streak_passed >= rules.recovery:
                decisions += self._recovered(result.monitor, monitor, result.started_at)
        else:
            monitor.streak_passed, monitor.streak_failed = 0, monitor.streak_failed + 1
            if not monitor.failing and monitor.streak_failed >= rules.confirm:
                monitor.failing = "slow" if result.failure == FailureClass.SLOW else "down"
                decisions += self._confirmed(result, monitor)
        return decisions

    # --- flapping ------------------------------------------------------------------------

    def _flapping(self, result: CheckResult, monitor: _Monitor) -> list[Decision]:
        at, rules, name = result.started_at, monitor.rules, result.monitor
        if monitor.last_ok is not None and monitor.last_ok != result.ok:
            monitor.changes.append(at)
        monitor.last_ok = result.ok
        while monitor.changes and monitor.changes[0] <= at - rules.flap_within:
            monitor.changes.popleft()
        if monitor.flapping_since is None and len(monitor.changes) > rules.flap_changes:
            decisions: list[Decision] = []
            if monitor.failing:
                decisions += self._recovered(name, monitor, at, reason="flapping instead")
            monitor.flapping_since = at
            monitor.streak_failed = monitor.streak_passed = 0
            decisions.append(Open("monitor", name, "flapping", rules.service, (name,), at, result))
            return decisions
        if monitor.flapping_since is not None and not monitor.changes:
            monitor.flapping_since = None
            reason = f"no change for {rules.flap_within / 60:g} minutes"
            return [Resolve(name, "flapping", at, reason)]
        return []

    # --- grouping ------------------------------------------------------------------------

    def _confirmed(self, result: CheckResult, monitor: _Monitor) -> list[Decision]:
        name, at, service = result.monitor, result.started_at, monitor.rules.service
        condition = monitor.failing or "down"
        if service is not None:
            group = self._groups.get((service, condition))
            if group is not None:
                group.failing.add(name)
                return [Join(service, condition, name, at)]
            recent = self._recent_monitor_incident(service, condition, at)
            if recent is not None:
                first, group = recent
                del self._groups[(first, condition)]
                group.subject_kind, group.subject = "service", service
                group.failing.add(name)
                self._groups[(service, condition)] = group
                return [Regroup(first, condition, service, at), Join(service, condition, name, at)]
        self._groups[(name, condition)] = _Group("monitor", name, at, {name})
        return [Open("monitor", name, condition, service, (name,), at, result)]

    def _recent_monitor_incident(
        self, service: str, condition: str, at: float
    ) -> tuple[str, _Group] | None:
        for (subject, kind), group in self._groups.items():
            if (
                kind == condition
                and group.subject_kind == "monitor"
                and at - group.opened_at < GROUP_WINDOW
                and self._service_of(subject) == service
            ):
                return subject, group
        return None

    def _service_of(self, monitor: str) -> str | None:
        rules = self._rules.get(monitor)
        return rules.service if rules else None

    def _recovered(
        self, name: str, monitor: _Monitor, at: float, *, reason: str = "recovered"
    ) -> list[Decision]:
        condition, monitor.failing = monitor.failing or "down", None
        for key, group in list(self._groups.items()):
            if key[1] == condition and name in group.failing:
                group.failing.discard(name)
                if group.failing:
                    return []
                del self._groups[key]
                return [Resolve(group.subject, condition, at, f"{name} {reason}")]
        return []

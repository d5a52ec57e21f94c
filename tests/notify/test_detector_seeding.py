"""Seeding the detector from the store's open incidents: after a restart it carries on."""

from __future__ import annotations

from onwatch.incidents import Incident
from onwatch.notify.detect import Decision, Detector, Join, Open, Resolve, Rules
from onwatch.probes.base import CheckResult, FailureClass

T0 = 1_790_000_000.0
RULES = {
    "web": Rules(service="shop", flap_changes=2, flap_within=600.0),
    "api": Rules(service="shop"),
}


def _incident(subject_kind: str, subject: str, condition: str, *members: str) -> Incident:
    return Incident(
        id=1,
        subject_kind=subject_kind,
        subject=subject,
        condition=condition,
        severity="page",
        service="shop",
        state="triggered",
        title=f"{subject} is {condition}",
        members=members,
        opened_at=T0,
        acknowledged_at=None,
        acknowledged_by=None,
        resolved_at=None,
        resolved_by=None,
        in_maintenance=False,
        escalation="default",
        escalation_snapshot=None,
        next_step=1,
        next_step_at=None,
        round=0,
        epoch=1,
    )


def _feed(detector: Detector, monitor: str, pattern: str, *, start: float) -> list[Decision]:
    """Feed ``pattern`` (``x`` failed, ``.`` passed) one check every 10 s from ``start``."""
    return [
        decision
        for index, mark in enumerate(pattern)
        for decision in detector.feed(
            CheckResult(
                monitor,
                T0 + start + index * 10,
                mark == ".",
                failure=None if mark == "." else FailureClass.REFUSED,
            )
        )
    ]


def test_a_seeded_failing_monitor_resolves_its_incident_after_two_passes_and_never_reopens_it() -> (
    None
):
    detector = Detector(RULES)
    detector.seed([_incident("monitor", "web", "down", "web")], now=T0 + 100)
    assert _feed(detector, "web", "xxx", start=100) == []
    decisions = _feed(detector, "web", "..", start=130)
    assert [(type(d), d.subject, d.condition) for d in decisions] == [(Resolve, "web", "down")]


def test_a_monitor_failing_with_a_seeded_service_incident_joins_it() -> None:
    detector = Detector(RULES)
    detector.seed([_incident("service", "shop", "down", "web")], now=T0 + 100)
    decisions = _feed(detector, "api", "xx", start=100)
    assert decisions == [Join("shop", "down", "api", T0 + 110)]
    assert _feed(detector, "web", "..", start=120) == []  # api still fails
    decisions = _feed(detector, "api", "..", start=140)
    assert [(type(d), d.subject) for d in decisions] == [(Resolve, "shop")]


def test_a_seeded_flapping_monitor_opens_nothing_and_resolves_after_a_quiet_window() -> None:
    detector = Detector(RULES)
    detector.seed([_incident("monitor", "web", "flapping", "web")], now=T0 + 100)
    assert _feed(detector, "web", "xxxx", start=100) == []
    decisions = _feed(detector, "web", "x", start=700)
    assert [(type(d), d.condition) for d in decisions] == [(Resolve, "flapping")]


def test_seeding_ignores_objectives_and_monitors_the_rules_do_not_know() -> None:
    detector = Detector(RULES)
    detector.seed(
        [
            _incident("objective", "shop/availability", "page"),
            _incident("monitor", "gone", "down", "gone"),
        ],
        now=T0,
    )
    decisions = _feed(detector, "web", "xx", start=0)
    assert [(type(d), d.subject) for d in decisions] == [(Open, "web")]


def test_seeding_again_forgets_incidents_the_store_no_longer_has() -> None:
    detector = Detector(RULES)
    detector.seed([_incident("monitor", "web", "down", "web")], now=T0)
    detector.seed([], now=T0 + 10)  # resolved by hand meanwhile
    decisions = _feed(detector, "web", "xx", start=20)
    assert [(type(d), d.subject, d.condition) for d in decisions] == [(Open, "web", "down")]

"""From check results to incident decisions: confirmation, recovery, flapping and grouping."""

from __future__ import annotations

from onwatch.notify.detect import Decision, Detector, Join, Open, Regroup, Resolve, Rules
from onwatch.probes.base import CheckResult, FailureClass

T0 = 1_790_000_000.0


def _result(
    monitor: str, at: float, ok: bool, failure: FailureClass = FailureClass.REFUSED
) -> CheckResult:
    return CheckResult(monitor, T0 + at, ok, failure=None if ok else failure)


def _feed(detector: Detector, monitor: str, pattern: str, *, every: float = 10.0) -> list[Decision]:
    """Feed ``pattern`` (``x`` failed, ``s`` slow, ``.`` passed) one check every ``every`` s."""
    decisions: list[Decision] = []
    for index, mark in enumerate(pattern):
        failure = FailureClass.SLOW if mark == "s" else FailureClass.REFUSED
        decisions += detector.feed(_result(monitor, index * every, mark == ".", failure))
    return decisions


def test_two_consecutive_failures_are_needed_before_anything_opens() -> None:
    detector = Detector({"web": Rules(service="shop")})
    assert _feed(detector, "web", "x.x.") == []
    decisions = _feed(detector, "web", "xx")
    assert [(type(d), getattr(d, "condition", None)) for d in decisions] == [(Open, "down")]


def test_a_slow_failure_opens_a_slow_incident() -> None:
    detector = Detector({"web": Rules()})
    (decision,) = _feed(detector, "web", "ss")
    assert isinstance(decision, Open)
    assert decision.condition == "slow"


def test_recovery_resolves_after_two_passes() -> None:
    detector = Detector({"web": Rules()})
    _feed(detector, "web", "xxx")
    assert detector.feed(_result("web", 100, True)) == []
    (decision,) = detector.feed(_result("web", 110, True))
    assert isinstance(decision, Resolve)
    assert (decision.subject, decision.condition) == (
        "web",
        "down",
    )


def test_flapping_becomes_one_incident_instead_of_a_stream() -> None:
    detector = Detector({"web": Rules(confirm=1, recovery=1, flap_changes=4)})
    decisions = _feed(detector, "web", "x.x.x.x.x.x.x.", every=30)
    opened = [d for d in decisions if isinstance(d, Open)]
    assert [d.condition for d in opened] == ["down", "down", "down", "flapping"]
    assert all(not isinstance(d, Open) for d in decisions[decisions.index(opened[-1]) + 1 :])


def test_flapping_ends_after_a_quiet_window() -> None:
    detector = Detector({"web": Rules(confirm=1, recovery=1, flap_changes=2, flap_within=300)})
    _feed(detector, "web", "x.x.", every=30)
    decisions = detector.feed(_result("web", 1000, True))
    assert decisions == [Resolve("web", "flapping", T0 + 1000, "no change for 5 minutes")]


def test_ten_monitors_of_one_service_failing_together_make_one_incident_naming_them_all() -> None:
    names = [f"page-{n}" for n in range(10)]
    detector = Detector({name: Rules(service="shop") for name in names})
    decisions: list[Decision] = []
    for at in (0.0, 10.0):
        for offset, name in enumerate(names):
            decisions += detector.feed(_result(name, at + offset, False))
    assert sum(isinstance(d, Open) for d in decisions) == 1
    assert decisions[1] == Regroup("page-0", "down", "shop", T0 + 11)
    joined = [d.member for d in decisions if isinstance(d, Join)]
    assert joined == names[1:]
    resolves: list[Decision] = []
    for at in (100.0, 110.0):
        for name in names:
            resolves += detector.feed(_result(name, at, True))
    assert resolves == [Resolve("shop", "down", T0 + 110, "page-9 recovered")]


def test_monitors_failing_minutes_apart_keep_their_own_incidents() -> None:
    detector = Detector({"a": Rules(service="shop"), "b": Rules(service="shop")})
    first = _feed(detector, "a", "xx")
    later = [detector.feed(_result("b", 300 + n, False)) for n in (0, 10)]
    assert [type(d) for d in first + later[1]] == [Open, Open]

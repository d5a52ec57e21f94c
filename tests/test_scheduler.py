"""The scheduler on a virtual clock: fixed rate, spread phases, caps, lateness, reload, stop.

The probes here are small fakes: the scheduler is the unit under test, and a
fake probe "takes" virtual seconds on the same clock, so every scenario runs in
milliseconds and always interleaves the same way.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import os
import random
import re
import subprocess
import sys
from collections import Counter, defaultdict
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

import pytest

import onwatch.clock as clock_module
from fakeclock import START, FakeClock
from onwatch.clock import SystemClock
from onwatch.lateness import BEHIND_REPORT_EVERY, RECENT_STARTS
from onwatch.leader import Leadership, SingleNodeLeader
from onwatch.probes.base import CheckResult, Probe
from onwatch.scheduler import ScheduleChange, Scheduler, first_start, phase


class Lab:
    """A fake clock, what the fake probes saw, and the results the scheduler submitted."""

    def __init__(self) -> None:
        self.clock = FakeClock()
        self.results: list[CheckResult] = []
        self.starts: dict[str, list[float]] = defaultdict(list)
        self.versions: dict[str, list[int]] = defaultdict(list)
        self.running: Counter[str] = Counter()  # by target, now
        self.peak: Counter[str] = Counter()  # by target, at most
        self.peak_total = 0
        self.cancelled: list[str] = []

    def probe(self, name: str, **options: Any) -> FakeProbe:
        return FakeProbe(name, self, **options)

    def scheduler(
        self, probes: Sequence[Probe], interval: float = 10.0, **options: Any
    ) -> Scheduler:
        options.setdefault("leader", SingleNodeLeader())
        by_name, submit = {p.name: p for p in probes}, self.results.append
        return Scheduler(by_name, dict.fromkeys(by_name, interval), submit, self.clock, **options)

    async def stop(self, sched: Scheduler, grace: float = 0.0) -> None:
        await asyncio.gather(sched.stop(grace), self.clock.advance(grace))


@dataclass
class FakeProbe:
    """Takes ``duration`` virtual seconds (after ``gate`` opens, if given), then succeeds."""

    name: str
    lab: Lab
    target: str = ""
    duration: float | Callable[[], float] = 0.0
    gate: asyncio.Event | None = None
    version: int = 1

    def __post_init__(self) -> None:
        self.target = self.target or f"{self.name}.example:443"

    async def check(self, started_at: float) -> CheckResult:
        lab = self.lab
        lab.starts[self.name].append(started_at)
        lab.versions[self.name].append(self.version)
        lab.running[self.target] += 1
        lab.peak[self.target] = max(lab.peak[self.target], lab.running[self.target])
        lab.peak_total = max(lab.peak_total, sum(lab.running.values()))
        duration = self.duration() if callable(self.duration) else self.duration
        try:
            if self.gate is not None:
                await self.gate.wait()
            await lab.clock.sleep(duration)
        except asyncio.CancelledError:
            lab.cancelled.append(self.name)
            raise
        finally:
            lab.running[self.target] -= 1
        return CheckResult(self.name, started_at, ok=True, total_ms=duration * 1e3)


def virtual(test: Callable[..., Coroutine[Any, Any, None]]) -> Callable[..., None]:
    """Run an async test in a fresh event loop (its time comes from the lab's fake clock)."""
    return functools.wraps(test)(lambda **fixtures: asyncio.run(test(**fixtures)))


def grid(first: float, interval: float, until: float) -> list[float]:
    return [first + k * interval for k in range(int((until - first) // interval) + 1)]


def by_phase(*names: str) -> list[str]:  # in the order of their first starts at 60 s
    return sorted(names, key=lambda name: phase(name, 60.0))


@virtual
async def test_starts_never_drift_over_a_thousand_intervals_whatever_checks_take() -> None:
    lab, rng = Lab(), random.Random(7)
    sched = lab.scheduler([lab.probe("api", duration=lambda: rng.uniform(0.0, 9.9))])
    first = sched.next_start("api")
    sched.start()
    await lab.clock.run_until(first + 999 * 10.0 + 9.95)
    assert lab.starts["api"] == grid(first, 10.0, first + 9990.0)
    assert len(lab.results) == 1000
    assert sched.stats()["api"].max_lateness == 0.0
    await lab.stop(sched)


@virtual
async def test_a_thousand_monitors_at_sixty_seconds_spread_over_the_whole_minute() -> None:
    lab = Lab()
    sched = lab.scheduler([lab.probe(f"monitor-{i}") for i in range(1000)], interval=60.0)
    sched.start()
    await lab.clock.run_until(START + 59.999)
    await lab.stop(sched)
    per_second = Counter(int(starts[0] - START) for starts in lab.starts.values())
    assert sum(per_second.values()) == 1000
    assert len(per_second) == 60  # every second of the minute is used
    assert max(per_second.values()) <= 30  # none holds more than 3 % (even would be 1.7 %)


def test_a_monitor_keeps_its_phase_in_every_process_whatever_the_hash_seed() -> None:
    names = ["checkout", "api#1", "ünïcode-shop"]
    code = "import sys; from onwatch.scheduler import phase; print([phase(n, 60.0) for n in sys.argv[1:]])"
    for seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        command = [sys.executable, "-c", code, *names]
        done = subprocess.run(command, capture_output=True, text=True, env=env, check=True)
        assert done.stdout.strip() == repr([phase(name, 60.0) for name in names])


@virtual
async def test_no_more_checks_run_at_once_than_the_global_cap() -> None:
    lab = Lab()
    probes = [lab.probe(f"m{i}", duration=50.0) for i in range(40)]
    sched = lab.scheduler(probes, interval=60.0, max_concurrency=5)
    sched.start()
    await lab.clock.advance(600.0)
    assert sched.in_flight == 5
    assert sched.waiting > 0
    await lab.stop(sched, grace=60.0)
    assert lab.peak_total == 5


@virtual
async def test_no_more_checks_run_at_once_against_one_host_than_the_per_host_cap() -> None:
    lab = Lab()
    shared = [lab.probe(f"db{i}", target="db:5432", duration=50.0) for i in range(20)]
    spread = [lab.probe(f"web{i}", duration=50.0) for i in range(20)]
    sched = lab.scheduler(shared + spread, interval=60.0, per_host=3)
    sched.start()
    await lab.clock.advance(600.0)
    await lab.stop(sched, grace=60.0)
    assert lab.peak["db:5432"] == 3
    assert lab.peak_total > 10  # other hosts were not held to the one host's cap


@virtual
async def test_a_target_that_hangs_does_not_delay_the_checks_of_other_hosts() -> None:
    lab = Lab()
    hanging = [lab.probe(f"hang{i}", target="hang:80", duration=1e6) for i in range(10)]
    healthy = [lab.probe(f"ok{i}", duration=1.0) for i in range(3)]
    sched = lab.scheduler(hanging + healthy, per_host=2, max_concurrency=5)
    firsts = {p.name: sched.next_start(p.name) for p in healthy}
    sched.start()
    await lab.clock.run_until(START + 600.0)
    for probe in healthy:
        assert lab.starts[probe.name] == grid(firsts[probe.name], 10.0, START + 600.0)
        assert sched.stats()[probe.name].max_lateness == 0.0
    assert lab.peak["hang:80"] == 2
    await lab.stop(sched)


@virtual
async def test_lateness_is_the_wait_between_the_planned_and_the_actual_start() -> None:
    lab, gate = Lab(), asyncio.Event()
    early, late = by_phase("alpha", "bravo")
    blocker = lab.probe(early, target="shared:443", gate=gate)
    sched = lab.scheduler([blocker, lab.probe(late, target="shared:443")], 60.0, per_host=1)
    planned = sched.next_start(late)
    sched.start()
    await lab.clock.run_until(planned + 7.0)
    assert lab.starts[late] == []
    assert sched.waiting == 1
    gate.set()
    await lab.clock.settle()
    stats = sched.stats()[late]
    assert lab.starts[late] == [planned + 7.0]
    assert (stats.last_lateness, stats.max_lateness, stats.p50_lateness) == (7.0, 7.0, 7.0)
    assert stats.lateness_sum == 7.0
    assert stats.lateness_buckets[-4:] == (1, 1, 1, 1)  # ≤ 10 s, ≤ 30 s, ≤ 60 s, +Inf
    assert stats.lateness_buckets[-5] == 0  # not ≤ 5 s
    await lab.stop(sched)


@virtual
async def test_when_the_scheduler_falls_far_behind_missed_runs_are_skipped_not_burst() -> None:
    lab = Lab()
    sched = lab.scheduler([lab.probe("api")])
    first = sched.next_start("api")
    sched.start()
    await lab.clock.run_until(first + 25.0)
    await lab.clock.jump(47.0)  # the machine was suspended: now first + 72
    await lab.clock.run_until(first + 100.0)
    assert lab.starts["api"] == [first + d for d in (0.0, 10.0, 20.0, 72.0, 80.0, 90.0, 100.0)]
    stats = sched.stats()["api"]
    assert stats.skipped_behind == 4
    assert stats.max_lateness == pytest.approx(2.0)
    await lab.stop(sched)


@virtual
async def test_when_the_wall_clock_steps_back_checks_go_on_from_the_new_time() -> None:
    lab = Lab()
    sched = lab.scheduler([lab.probe("api")])
    first = sched.next_start("api")
    sched.start()
    await lab.clock.run_until(first + 25.0)
    await lab.clock.jump(-3600.0)  # NTP stepped the clock back an hour
    await lab.clock.run_until(first + 55.0 - 3600.0)
    back = [first + d - 3600.0 for d in (30.0, 40.0, 50.0)]
    assert lab.starts["api"] == [first, first + 10.0, first + 20.0, *back]
    await lab.stop(sched)


@virtual
async def test_a_check_longer_than_its_interval_never_runs_twice_at_once() -> None:
    lab = Lab()
    sched = lab.scheduler([lab.probe("slow", duration=25.0)])
    first = sched.next_start("slow")
    sched.start()
    await lab.clock.run_until(first + 65.0)
    assert lab.starts["slow"] == [first, first + 30.0, first + 60.0]
    assert sched.stats()["slow"].skipped_busy == 4
    assert lab.peak_total == 1
    await lab.stop(sched, grace=30.0)


@virtual
async def test_a_node_that_is_not_the_leader_skips_its_planned_runs() -> None:
    lab, leading = Lab(), [True]
    leader = SimpleNamespace(current=lambda: Leadership(leading[0], epoch=3, remaining=30.0))
    sched = lab.scheduler([lab.probe("api")], leader=leader)
    first = sched.next_start("api")
    sched.start()
    await lab.clock.run_until(first + 15.0)
    leading[0] = False
    await lab.clock.run_until(first + 45.0)
    leading[0] = True
    await lab.clock.run_until(first + 55.0)
    assert lab.starts["api"] == [first, first + 10.0, first + 50.0]
    assert sched.stats()["api"].skipped_not_leader == 3
    await lab.stop(sched)


@virtual
async def test_a_probe_that_raises_is_counted_and_the_schedule_goes_on() -> None:
    class BrokenProbe:
        name, target = "broken", "broken:80"

        async def check(self, started_at: float) -> CheckResult:
            raise RuntimeError("bug")

    lab = Lab()
    leader = SingleNodeLeader()
    sched = Scheduler(
        {"broken": BrokenProbe()}, {"broken": 10.0}, lab.results.append, lab.clock, leader=leader
    )
    sched.start()
    await lab.clock.advance(30.0)
    assert sched.stats()["broken"].crashed == 3
    assert lab.results == []
    await lab.stop(sched)


@virtual
async def test_a_reload_keeps_unchanged_schedules_and_adds_removes_and_replans_the_rest() -> None:
    lab = Lab()
    slower = lab.probe("slower")
    sched = lab.scheduler([lab.probe("keep"), slower, lab.probe("gone", duration=5.0)])
    keep_first = sched.next_start("keep")
    sched.start()
    await lab.clock.run_until(START + 100.0)
    reload_at = sched.next_start("gone") + 2.0  # while a check of "gone" runs
    await lab.clock.run_until(reload_at)
    assert lab.running["gone.example:443"] == 1
    change = sched.replace(
        {"keep": lab.probe("keep", version=2), "slower": slower, "new": lab.probe("new")},
        {"keep": 10.0, "slower": 30.0, "new": 10.0},
    )
    assert change == ScheduleChange(added=("new",), removed=("gone",), replanned=("slower",))
    gone_starts = len(lab.starts["gone"])
    end = reload_at + 100.0
    await lab.clock.run_until(end)
    assert lab.starts["keep"] == grid(keep_first, 10.0, end)
    assert lab.versions["keep"][-1] == 2
    after = [t for t in lab.starts["slower"] if t > reload_at]
    assert after == grid(first_start("slower", 30.0, reload_at), 30.0, end)
    assert lab.starts["new"] == grid(first_start("new", 10.0, reload_at), 10.0, end)
    assert len(lab.starts["gone"]) == gone_starts
    gone_results = [r for r in lab.results if r.monitor == "gone"]
    assert len(gone_results) == gone_starts  # the check running at reload was submitted
    assert sched.monitors == ["keep", "new", "slower"]
    await lab.stop(sched)


@virtual
async def test_stop_waits_for_running_checks_and_their_results_are_submitted() -> None:
    lab = Lab()
    sched = lab.scheduler([lab.probe("api", duration=8.0)], 60.0)
    first = sched.next_start("api")
    sched.start()
    await lab.clock.run_until(first + 3.0)
    stopping = asyncio.ensure_future(sched.stop(grace=30.0))
    await lab.clock.run_until(first + 8.0)
    assert stopping.done()  # when the check ended, not when the grace ran out
    await lab.clock.run_until(first + 200.0)
    await stopping
    assert len(lab.starts["api"]) == 1
    assert len(lab.results) == 1


@virtual
async def test_stop_cancels_checks_past_the_grace_period_and_drops_those_not_yet_started() -> None:
    lab = Lab()
    early, late = by_phase("alpha", "bravo")
    hung = lab.probe(early, target="same:80", duration=1e6)
    sched = lab.scheduler([hung, lab.probe(late, target="same:80")], 60.0, per_host=1)
    sched.start()
    await lab.clock.run_until(sched.next_start(late) + 1.0)
    assert (sched.in_flight, sched.waiting) == (1, 1)
    stopping = asyncio.ensure_future(sched.stop(grace=10.0))
    await lab.clock.advance(9.0)
    assert not stopping.done()
    await lab.clock.advance(1.0)
    assert stopping.done()
    await stopping
    assert lab.cancelled == [early]
    assert lab.starts[late] == []
    assert lab.results == []


@virtual
async def test_lateness_percentiles_cover_only_the_recent_starts() -> None:
    lab, gate = Lab(), asyncio.Event()
    early, late = by_phase("alpha", "bravo")
    blocker = lab.probe(early, target="shared:443", gate=gate)
    sched = lab.scheduler([blocker, lab.probe(late, target="shared:443")], 60.0, per_host=1)
    planned = sched.next_start(late)
    sched.start()
    await lab.clock.run_until(planned + 7.0)
    gate.set()
    await lab.clock.run_until(planned + RECENT_STARTS * 60.0 - 1.0)
    stats = sched.stats()[late]
    assert stats.started == RECENT_STARTS  # the late start is still among the recent ones
    assert (stats.p99_lateness, stats.p50_lateness) == (7.0, 0.0)
    await lab.clock.run_until(planned + RECENT_STARTS * 60.0)
    stats = sched.stats()[late]
    assert (stats.p99_lateness, stats.max_lateness) == (0.0, 7.0)  # out of the window
    assert stats.lateness_buckets[-1] == RECENT_STARTS + 1  # the histogram keeps them all
    await lab.stop(sched)


@virtual
async def test_a_thousand_monitors_falling_behind_at_once_log_a_line_then_a_summary(
    caplog: pytest.LogCaptureFixture,
) -> None:
    lab = Lab()
    sched = lab.scheduler([lab.probe(f"m{i}") for i in range(1000)], interval=10.0)
    sched.start()
    await lab.clock.advance(30.0)
    with caplog.at_level(logging.WARNING, logger="onwatch.scheduler"):
        await lab.clock.jump(45.0)  # suspended: every monitor is four starts behind
        await lab.clock.advance(BEHIND_REPORT_EVERY - 1.0)
        assert len(caplog.records) == 1  # the first monitor to notice, not a thousand
        await lab.clock.jump(45.0)
        await lab.clock.advance(1.0)
    first, summary = (record.getMessage() for record in caplog.records)
    once = re.fullmatch(r"m\d+: (\d) starts skipped, 4\d\.\ds behind", first)
    summed = re.fullmatch(
        r"(\d+) starts of 1000 monitors skipped in the last 104s, up to 45.0s behind "
        r"\(m0, m1, m10, ...\)",
        summary,
    )
    assert once is not None, first
    assert summed is not None, summary
    skipped = sum(s.skipped_behind for s in sched.stats().values())
    assert int(once[1]) + int(summed[1]) == skipped > 6000
    await lab.stop(sched)


@virtual
async def test_checks_run_in_at_most_max_concurrency_tasks_however_many_are_due() -> None:
    lab = Lab()
    probes = [lab.probe(f"m{i}", duration=0.5) for i in range(400)]
    sched = lab.scheduler(probes, interval=1.0, max_concurrency=8, per_host=8)
    sched.start()
    tasks = 0
    for _ in range(40):
        await lab.clock.advance(0.25)
        tasks = max(tasks, len(asyncio.all_tasks()))
    await lab.stop(sched, grace=1.0)
    assert tasks <= 8 + 2  # the runners, the planner and this test
    assert lab.peak_total == 8


def test_a_system_clock_sleep_never_asks_the_loop_for_less_than_a_millisecond(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    now, naps = [1_000.0], []

    async def early_timer(delay: float) -> None:  # event loop timers may fire a bit early
        naps.append(delay)
        now[0] += delay * 0.7

    monkeypatch.setattr(clock_module.time, "time", lambda: now[0])
    monkeypatch.setattr(clock_module.asyncio, "sleep", early_timer)
    asyncio.run(SystemClock().sleep_until(1_000.0153))
    assert now[0] >= 1_000.0153  # never early
    assert min(naps) >= SystemClock.MIN_NAP  # no spinning through the last millisecond
    assert now[0] < 1_000.0153 + SystemClock.MIN_NAP

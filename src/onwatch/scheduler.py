"""Fixed-rate scheduling of every probe, with concurrency caps and lateness metrics.

Planning and running are kept apart. One planner task holds a heap of
``(planned start, monitor)``; when starts come due it hands them to the runners
and plans each next start from the previous *planned* one, never from when a
check ended, so intervals never drift. A due start first takes a slot of its
host (or waits in that host's line), then waits in one line for a runner: at
most ``max_concurrency`` runner tasks exist, each running checks one after the
other while the line is not empty. A slow target holds at most ``per_host``
slots and delays neither the planning nor the checks of others, and a check
costs no task, lock or callback of its own.

Each monitor's starts sit on a grid ``phase + k * interval`` (Unix seconds),
where the phase is a stable hash of its name (:func:`phase`): a thousand
monitors at 60 s spread over the minute, the same way in every process and
after every restart. Lateness (actual start minus planned start, measured when
a runner takes the check) is kept per monitor for ``/metrics``: counts in fixed
buckets since the start, and the last :data:`RECENT_STARTS` values for p50/p99.

When the scheduler falls more than an interval behind, the missed starts are
skipped, not burst; that is logged once, then summed up at most once a minute.
"""

from __future__ import annotations

import asyncio
import bisect
import hashlib
import heapq
import itertools
import logging
import math
from array import array
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from onwatch.clock import Clock, wait_until_deadline
from onwatch.lateness import (
    BEHIND_REPORT_EVERY,
    LATENESS_BUCKETS,
    RECENT_STARTS,
    BehindReport,
    MonitorStats,
)
from onwatch.leader import Leader
from onwatch.probes.base import CheckResult, Probe

log = logging.getLogger(__name__)


def phase(name: str, interval: float) -> float:
    """Where in each ``interval`` a monitor starts, in ``[0, interval)``.

    A blake2b hash of the name: Python's :func:`hash` is salted per process, so
    it would move every monitor on each restart.
    """
    digest = hashlib.blake2b(name.encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64 * interval


def first_start(name: str, interval: float, now: float) -> float:
    """The earliest start at or after ``now`` on the monitor's grid."""
    offset = phase(name, interval)
    return offset + math.ceil((now - offset) / interval) * interval


@dataclass(frozen=True)
class ScheduleChange:
    """What :meth:`Scheduler.replace` did, by monitor name."""

    added: tuple[str, ...]
    removed: tuple[str, ...]
    replanned: tuple[str, ...]
    """Monitors whose interval changed, so they moved to a new grid."""


class _Monitor:
    """One monitor's place on its grid and its lateness record."""

    __slots__ = (
        "anchor",
        "buckets",
        "crashed",
        "interval",
        "last",
        "max",
        "n",
        "name",
        "probe",
        "recent",
        "skipped_behind",
        "skipped_busy",
        "skipped_not_leader",
        "started",
        "sum",
    )

    def __init__(self, name: str, probe: Probe, interval: float, start: float) -> None:
        self.name = name
        self.probe = probe
        self.interval = interval
        self.anchor = start
        # Starts are anchor + n * interval: repeated addition would accumulate float error.
        self.n = 0
        self.started = self.skipped_behind = self.skipped_busy = 0
        self.skipped_not_leader = self.crashed = 0
        self.last: float | None = None
        self.max = self.sum = 0.0
        self.buckets = [0] * (len(LATENESS_BUCKETS) + 1)
        # The last RECENT_STARTS values as C doubles, oldest overwritten first: start k
        # goes to slot k % RECENT_STARTS (512 bytes once full, where a deque of floats
        # of that length takes about 2.3 kB).
        self.recent = array("d")

    def planned(self) -> float:
        return self.anchor + self.n * self.interval

    def record_start(self, lateness: float) -> None:
        if lateness < 0.0:
            lateness = 0.0
        if len(self.recent) < RECENT_STARTS:
            self.recent.append(lateness)
        else:
            self.recent[self.started % RECENT_STARTS] = lateness
        self.started += 1
        self.last = lateness
        if lateness > self.max:
            self.max = lateness
        self.sum += lateness
        self.buckets[bisect.bisect_left(LATENESS_BUCKETS, lateness)] += 1

    def snapshot(self) -> MonitorStats:
        return MonitorStats(
            interval=self.interval,
            next_start=self.planned(),
            started=self.started,
            skipped_behind=self.skipped_behind,
            skipped_busy=self.skipped_busy,
            skipped_not_leader=self.skipped_not_leader,
            crashed=self.crashed,
            last_lateness=self.last,
            max_lateness=self.max,
            lateness_sum=self.sum,
            lateness_buckets=tuple(itertools.accumulate(self.buckets)),
            recent_lateness=self.recent[:],  # a copy, in C
        )


_Start = tuple[_Monitor, Probe, float]  # a due check: monitor, its probe then, planned start


def _validate(probes: Mapping[str, Probe], intervals: Mapping[str, float]) -> None:
    if set(probes) != set(intervals):
        missing = sorted(set(probes) ^ set(intervals))
        raise ValueError(f"probes and intervals name different monitors: {', '.join(missing)}")
    for name, interval in intervals.items():
        if not (math.isfinite(interval) and interval > 0):
            raise ValueError(f"{name}: interval must be a positive number of seconds")


class Scheduler:
    """Runs every probe at a fixed rate under a global and a per-host concurrency cap."""

    def __init__(
        self,
        probes: Mapping[str, Probe],
        intervals: Mapping[str, float],
        submit: Callable[[CheckResult], None],
        clock: Clock,
        *,
        leader: Leader,
        max_concurrency: int = 256,
        per_host: int = 8,
    ) -> None:
        if max_concurrency < 1 or per_host < 1:
            raise ValueError("max_concurrency and per_host must be at least 1")
        _validate(probes, intervals)
        self._submit = submit
        self._clock = clock
        self._leader = leader
        self._max_concurrency = max_concurrency
        self._per_host = per_host
        self._hosts: dict[str, int] = {}  # target → slots taken (running or in _ready)
        self._lines: dict[str, deque[_Start]] = {}  # target → starts waiting for a slot
        self._ready: deque[_Start] = deque()  # starts holding a host slot, waiting for a runner
        self._due: set[str] = set()  # monitors with a check waiting or running
        self._runners: dict[asyncio.Task[None], str | None] = {}  # → the monitor it checks
        self._planner: asyncio.Task[None] | None = None
        self._planning = False
        self._behind = BehindReport(BEHIND_REPORT_EVERY)
        self._monitors: dict[str, _Monitor] = {}
        self._heap: list[tuple[float, str]] = []
        self.replace(probes, intervals)

    @property
    def monitors(self) -> list[str]:
        """The names being scheduled, sorted."""
        return sorted(self._monitors)

    @property
    def in_flight(self) -> int:
        """Checks running now."""
        return sum(name is not None for name in self._runners.values())

    @property
    def waiting(self) -> int:
        """Checks that are due but wait for a concurrency cap."""
        return len(self._ready) + sum(map(len, self._lines.values()))

    def next_start(self, name: str) -> float:
        """The next planned start of a monitor (Unix seconds)."""
        return self._monitors[name].planned()

    def stats(self) -> dict[str, MonitorStats]:
        """Lateness and skip counts of every scheduled monitor."""
        return {name: monitor.snapshot() for name, monitor in sorted(self._monitors.items())}

    def start(self) -> None:
        """Start planning (in the running event loop)."""
        if not self._planning:
            self._planning = True
            self._replan()

    def replace(
        self, probes: Mapping[str, Probe], intervals: Mapping[str, float]
    ) -> ScheduleChange:
        """Swap in a new set of probes at once (a policy reload).

        A monitor whose interval is unchanged keeps its grid and takes the new
        probe at its next start; a changed interval moves it to the new grid; new
        monitors join at their phase; removed ones are planned no more, while a
        check of theirs already due or running goes ahead and its result is submitted.
        """
        _validate(probes, intervals)  # before touching anything: all or nothing
        now = self._clock.now()
        added, replanned, kept = [], [], {}
        for name, probe in probes.items():
            interval = float(intervals[name])
            monitor = self._monitors.get(name)
            if monitor is None:
                monitor = _Monitor(name, probe, interval, first_start(name, interval, now))
                added.append(name)
            elif monitor.interval != interval:
                monitor.interval, monitor.n = interval, 0
                monitor.anchor = first_start(name, interval, now)
                replanned.append(name)
            monitor.probe = probe
            kept[name] = monitor
        removed = sorted(set(self._monitors) - set(kept))
        self._monitors = kept
        self._rebuild_heap()
        self._replan()  # the earliest start may have moved: plan again now
        return ScheduleChange(tuple(sorted(added)), tuple(removed), tuple(sorted(replanned)))

    def _rebuild_heap(self) -> None:
        # One entry per monitor, rebuilt whenever starts move, so none is ever stale.
        self._heap = [(monitor.planned(), name) for name, monitor in self._monitors.items()]
        heapq.heapify(self._heap)

    def _replan(self) -> None:
        """(Re)start the planner, which sleeps until the earliest start it knew of."""
        if not self._planning:
            return
        if self._planner is not None:
            self._planner.cancel()  # it only ever waits in sleep_until: nothing is cut short
        self._planner = asyncio.create_task(self._plan(), name="onwatch-planner")

    async def stop(self, grace: float) -> None:
        """Stop planning; give running checks ``grace`` seconds, then cancel what is left.

        Checks still waiting for a cap have not started and are dropped at once.
        Results of checks that finish in time are submitted before this returns.
        """
        self._planning = False
        if self._planner is not None:
            self._planner.cancel()
            await asyncio.wait({self._planner})
            self._planner = None
        waiting = [*self._ready, *itertools.chain.from_iterable(self._lines.values())]
        taken = len(self._ready)  # the first ones hold a host slot each
        self._ready.clear()
        self._lines.clear()
        for index, (monitor, probe, _) in enumerate(waiting):
            self._due.discard(monitor.name)
            if index < taken:
                self._hosts[probe.target] -= 1
        self._hosts = {target: slots for target, slots in self._hosts.items() if slots}
        runners = list(self._runners)
        late = await wait_until_deadline(self._clock, runners, self._clock.now() + grace)
        for runner in late:
            name = self._runners.get(runner)
            log.warning("check of %s still running after %gs; cancelled", name, grace)
            runner.cancel()
        if runners:
            await asyncio.wait(runners)

    async def _plan(self) -> None:
        clock, heap, last = self._clock, self._heap, self._clock.now()
        while heap:
            now = clock.now()
            if now < last - 1.0:
                self._after_step_back(now, last - now)
                heap = self._heap
            last = now
            if heap[0][0] <= now:
                leading = self._leader.current().is_leader
                while heap and heap[0][0] <= now:
                    _, name = heapq.heappop(heap)
                    self._fire(self._monitors[name], now, leading)
                self._behind.flush(clock.monotonic())
            if heap:
                await clock.sleep_until(heap[0][0])
        # Nothing to plan until replace() brings monitors, and a new planner with them.

    def _after_step_back(self, now: float, step: float) -> None:
        # Starts planned before the wall clock went back may lie hours ahead: plan from now.
        log.warning("the clock went back %.1fs: planning every monitor from now", step)
        for monitor in self._monitors.values():
            if monitor.planned() > now + monitor.interval:
                monitor.anchor, monitor.n = first_start(monitor.name, monitor.interval, now), 0
        self._rebuild_heap()

    def _fire(self, monitor: _Monitor, now: float, leading: bool) -> None:
        planned = monitor.planned()
        behind = math.floor((now - planned) / monitor.interval)
        if behind >= 1:
            # Catching up would burst the target with checks; those moments are gone.
            self._behind.note(monitor.name, behind, now - planned, self._clock.monotonic())
            monitor.n += behind
            monitor.skipped_behind += behind
            planned = monitor.planned()
        monitor.n += 1
        heapq.heappush(self._heap, (monitor.planned(), monitor.name))
        if not leading:
            monitor.skipped_not_leader += 1
        elif monitor.name in self._due:
            monitor.skipped_busy += 1  # never two checks of one monitor at once
        else:
            self._due.add(monitor.name)
            self._queue((monitor, monitor.probe, planned))

    def _queue(self, start: _Start) -> None:
        """Take a slot of the start's host and line up for a runner, or wait for the slot."""
        target = start[1].target
        taken = self._hosts.get(target, 0)
        if taken >= self._per_host:
            line = self._lines.get(target)
            if line is None:
                line = self._lines[target] = deque()
            line.append(start)
            return
        self._hosts[target] = taken + 1
        self._ready.append(start)
        if len(self._runners) < self._max_concurrency:
            runner = asyncio.create_task(self._run(), name="onwatch-checks")
            self._runners[runner] = None

    def _release(self, monitor: _Monitor, target: str) -> None:
        """A check ended: its host slot goes to the next start waiting for it, if any."""
        self._due.discard(monitor.name)
        line = self._lines.get(target)
        if line:
            self._ready.append(line.popleft())  # the slot passes on; a runner is busy here
            if not line:
                del self._lines[target]
            return
        taken = self._hosts[target] - 1
        if taken:
            self._hosts[target] = taken
        else:
            del self._hosts[target]

    async def _run(self) -> None:
        """A runner: take due checks in order and run them until none is left."""
        runner = asyncio.current_task()
        assert runner is not None
        ready, runners, clock = self._ready, self._runners, self._clock
        try:
            while ready:
                monitor, probe, planned = ready.popleft()
                runners[runner] = monitor.name
                started_at = clock.now()
                monitor.record_start(started_at - planned)
                try:
                    result = await probe.check(started_at)
                except Exception as exc:  # a probe bug; every target failure is a result
                    monitor.crashed += 1
                    log.error("%s: probe raised %s", monitor.name, type(exc).__name__)
                    continue
                finally:
                    runners[runner] = None
                    self._release(monitor, probe.target)
                self._submit(result)
        finally:
            del runners[runner]

"""Fixed-rate scheduling of every probe, with concurrency caps and lateness metrics.

Planning and running are kept apart. One planner task holds a heap of
``(planned start, monitor)``; when a start comes due it spawns a check task and
plans the next start from the previous *planned* one, never from when a check
ended, so intervals never drift. A check task waits for its host's cap, then
for the global cap, and only then starts: a slow target holds at most
``per_host`` slots and delays neither the planning nor the checks of others.

Each monitor's starts sit on a grid ``phase + k * interval`` (Unix seconds),
where the phase is a stable hash of its name (:func:`phase`): a thousand
monitors at 60 s spread over the minute, the same way in every process and
after every restart. Lateness (actual start minus planned start, measured once
the caps are acquired) is kept per monitor for ``/metrics``.
"""

from __future__ import annotations

import asyncio
import bisect
import functools
import hashlib
import heapq
import itertools
import logging
import math
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from onwatch.clock import Clock, wait_until_deadline
from onwatch.leader import Leader
from onwatch.probes.base import CheckResult, Probe

log = logging.getLogger(__name__)

LATENESS_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)
"""Upper bounds in seconds of the lateness histogram (Prometheus ``le``; +Inf follows)."""

RECENT_STARTS = 256
"""How many recent starts of a monitor its p50 and p99 lateness cover."""


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
class MonitorStats:
    """How well one monitor's schedule is kept (a snapshot, for metrics and pages)."""

    interval: float
    next_start: float
    started: int
    skipped_behind: int
    """Planned starts dropped because the scheduler was more than an interval late."""
    skipped_busy: int
    """Planned starts dropped because the previous check had not finished."""
    skipped_not_leader: int
    crashed: int
    """Checks whose probe raised instead of returning a result (a bug in the probe)."""
    last_lateness: float | None
    max_lateness: float
    p50_lateness: float | None
    p99_lateness: float | None
    lateness_sum: float
    lateness_buckets: tuple[int, ...]
    """Cumulative counts per :data:`LATENESS_BUCKETS` bound, then the +Inf count."""


@dataclass(frozen=True)
class ScheduleChange:
    """What :meth:`Scheduler.replace` did, by monitor name."""

    added: tuple[str, ...]
    removed: tuple[str, ...]
    replanned: tuple[str, ...]
    """Monitors whose interval changed, so they moved to a new grid."""


class _Monitor:
    """One monitor's place on its grid and its lateness record."""

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
        self.recent: deque[float] = deque(maxlen=RECENT_STARTS)

    def planned(self) -> float:
        return self.anchor + self.n * self.interval

    def record_start(self, lateness: float) -> None:
        lateness = max(0.0, lateness)
        self.started += 1
        self.last = lateness
        self.max = max(self.max, lateness)
        self.sum += lateness
        self.buckets[bisect.bisect_left(LATENESS_BUCKETS, lateness)] += 1
        self.recent.append(lateness)

    def snapshot(self) -> MonitorStats:
        ordered = sorted(self.recent)

        def quantile(q: float) -> float | None:
            return ordered[max(0, math.ceil(q * len(ordered)) - 1)] if ordered else None

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
            p50_lateness=quantile(0.5),
            p99_lateness=quantile(0.99),
            lateness_sum=self.sum,
            lateness_buckets=tuple(itertools.accumulate(self.buckets)),
        )


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
        self._per_host = per_host
        self._global = asyncio.Semaphore(max_concurrency)
        self._hosts: dict[str, tuple[asyncio.Semaphore, int]] = {}  # target → (cap, users)
        self._flights: dict[str, asyncio.Task[None]] = {}  # at most one check per monitor
        self._running: set[asyncio.Task[None]] = set()  # those holding both caps
        self._planner: asyncio.Task[None] | None = None
        self._nap: asyncio.Future[None] | None = None
        self._monitors: dict[str, _Monitor] = {}
        self._heap: list[tuple[float, str]] = []
        self.replace(probes, intervals)

    @property
    def monitors(self) -> list[str]:
        """The names being scheduled, sorted."""
        return sorted(self._monitors)

    @property
    def in_flight(self) -> int:
        """Checks running now (holding both caps)."""
        return len(self._running)

    @property
    def waiting(self) -> int:
        """Checks that are due but wait for a concurrency cap."""
        return len(self._flights) - len(self._running)

    def next_start(self, name: str) -> float:
        """The next planned start of a monitor (Unix seconds)."""
        return self._monitors[name].planned()

    def stats(self) -> dict[str, MonitorStats]:
        """Lateness and skip counts of every scheduled monitor."""
        return {name: monitor.snapshot() for name, monitor in sorted(self._monitors.items())}

    def start(self) -> None:
        """Start planning (in the running event loop)."""
        if self._planner is None:
            self._planner = asyncio.create_task(self._plan(), name="onwatch-planner")

    def replace(
        self, probes: Mapping[str, Probe], intervals: Mapping[str, float]
    ) -> ScheduleChange:
        """Swap in a new set of probes at once (a policy reload).

        A monitor whose interval is unchanged keeps its grid and takes the new
        probe at its next start; a changed interval moves it to the new grid; new
        monitors join at their phase; removed ones are planned no more, while a
        check of theirs already running finishes and its result is submitted.
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
        if self._nap is not None:
            self._nap.cancel()  # the earliest start may have moved: plan again now
        return ScheduleChange(tuple(sorted(added)), tuple(removed), tuple(sorted(replanned)))

    def _rebuild_heap(self) -> None:
        # One entry per monitor, rebuilt whenever starts move, so none is ever stale.
        self._heap = [(monitor.planned(), name) for name, monitor in self._monitors.items()]
        heapq.heapify(self._heap)

    async def stop(self, grace: float) -> None:
        """Stop planning; give running checks ``grace`` seconds, then cancel what is left.

        Checks still waiting for a cap have not started and are dropped at once.
        Results of checks that finish in time are submitted before this returns.
        """
        if self._planner is not None:
            self._planner.cancel()
            await asyncio.wait({self._planner})
        tasks = list(self._flights.values())
        for task in tasks:
            if task not in self._running:
                task.cancel()
        late = await wait_until_deadline(self._clock, tasks, self._clock.now() + grace)
        for task in late:
            log.warning("check %s still running after %gs; cancelled", task.get_name(), grace)
            task.cancel()
        if tasks:
            await asyncio.wait(tasks)

    async def _plan(self) -> None:
        loop, last = asyncio.get_running_loop(), self._clock.now()
        while True:
            now = self._clock.now()
            if now < last - 1.0:
                self._after_step_back(now, last - now)
            last = now
            while self._heap and self._heap[0][0] <= now:
                _, name = heapq.heappop(self._heap)
                self._fire(self._monitors[name], now)
            if self._heap:
                self._nap = asyncio.ensure_future(self._clock.sleep_until(self._heap[0][0]))
            else:
                self._nap = loop.create_future()  # nothing to plan until replace()
            try:
                # replace() cancels the nap to wake us; that must not end the planner.
                await asyncio.wait({self._nap})
            finally:
                self._nap.cancel()
                self._nap = None

    def _after_step_back(self, now: float, step: float) -> None:
        # Starts planned before the wall clock went back may lie hours ahead: plan from now.
        log.warning("the clock went back %.1fs: planning every monitor from now", step)
        for monitor in self._monitors.values():
            if monitor.planned() > now + monitor.interval:
                monitor.anchor, monitor.n = first_start(monitor.name, monitor.interval, now), 0
        self._rebuild_heap()

    def _fire(self, monitor: _Monitor, now: float) -> None:
        behind = math.floor((now - monitor.planned()) / monitor.interval)
        if behind >= 1:
            # Catching up would burst the target with checks; those moments are gone.
            late = now - monitor.planned()
            log.warning("%s: %d starts skipped, %.1fs behind", monitor.name, behind, late)
            monitor.n += behind
            monitor.skipped_behind += behind
        planned = monitor.planned()
        monitor.n += 1
        heapq.heappush(self._heap, (monitor.planned(), monitor.name))
        if not self._leader.current().is_leader:
            monitor.skipped_not_leader += 1
        elif monitor.name in self._flights:
            monitor.skipped_busy += 1  # never two checks of one monitor at once
        else:
            check = self._check(monitor, monitor.probe, planned)
            task = asyncio.create_task(check, name=f"onwatch-check:{monitor.name}")
            self._flights[monitor.name] = task
            # A callback, not a finally: a task cancelled before its first step runs no code.
            task.add_done_callback(functools.partial(self._landed, monitor.name))

    def _landed(self, name: str, task: asyncio.Task[None]) -> None:
        self._running.discard(task)
        if self._flights.get(name) is task:
            del self._flights[name]

    async def _check(self, monitor: _Monitor, probe: Probe, planned: float) -> None:
        target = probe.target
        cap, users = self._hosts.get(target) or (asyncio.Semaphore(self._per_host), 0)
        self._hosts[target] = (cap, users + 1)
        try:
            # Host first: a check queued behind a slow host must not sit on a global slot.
            async with cap, self._global:
                started_at = self._clock.now()
                self._running.add(self._flights[monitor.name])
                monitor.record_start(started_at - planned)
                try:
                    result = await probe.check(started_at)
                except Exception as exc:  # a probe bug; every target failure is a result
                    monitor.crashed += 1
                    log.error("%s: probe raised %s", monitor.name, type(exc).__name__)
                    return
            self._submit(result)
        finally:
            cap, users = self._hosts[target]
            if users == 1:
                del self._hosts[target]
            else:
                self._hosts[target] = (cap, users - 1)

"""A virtual-time :class:`~onwatch.clock.Clock`: time moves only when every task waits.

``sleep_until`` parks the caller on a future. ``run_until(t)`` lets every
runnable task run until all of them wait, then moves time to the earliest
sleeper, wakes it (and everything due at the same moment), lets the tasks run
again, and so on up to ``t``. A day of schedules runs in milliseconds, and the
same test always sees the same interleaving.

"Every task waits" means the event loop has no ready callbacks. asyncio has no
public way to ask that, so :meth:`settle` peeks at the loop's ready queue (and
falls back to a fixed number of yields on a loop without one).
"""

from __future__ import annotations

import asyncio
import heapq
import itertools

START = 1_789_999_200.0  # a Unix time in 2026, on a whole hour


class FakeClock:
    """Virtual Unix time for the scheduler; drive it with :meth:`run_until` or :meth:`advance`."""

    def __init__(self, start: float = START) -> None:
        self._start = start
        self._now = start
        self._order = itertools.count()  # equal wake times wake in the order they slept
        self._sleepers: list[tuple[float, int, asyncio.Future[None]]] = []

    # The Clock protocol.

    def now(self) -> float:
        return self._now

    def monotonic(self) -> float:
        return self._now - self._start

    async def sleep_until(self, when: float) -> None:
        if when <= self._now:
            await asyncio.sleep(0)
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._sleepers, (when, next(self._order), future))
        await future

    # Helpers for fake probes and tests.

    async def sleep(self, seconds: float) -> None:
        await self.sleep_until(self._now + seconds)

    @property
    def sleepers(self) -> int:
        """Tasks waiting on this clock."""
        return sum(not future.done() for _, _, future in self._sleepers)

    async def settle(self) -> None:
        """Return once no other task can run without time moving on."""
        loop = asyncio.get_running_loop()
        ready = getattr(loop, "_ready", None)  # asyncio's queue of runnable callbacks
        for _ in range(100_000 if ready is not None else 100):
            await asyncio.sleep(0)
            if ready is not None and not ready:
                return
        if ready is not None:
            raise RuntimeError("tasks never settled: something spins without waiting")

    async def run_until(self, when: float) -> None:
        """Move time to ``when``, waking every sleeper on the way at its own moment."""
        await self.settle()
        while self._sleepers and self._sleepers[0][0] <= when:
            moment, _, future = heapq.heappop(self._sleepers)
            if future.done():  # its sleeper was cancelled
                continue
            self._now = max(self._now, moment)
            future.set_result(None)
            await self.settle()
        self._now = max(self._now, when)
        await self.settle()

    async def advance(self, seconds: float) -> None:
        """:meth:`run_until` ``seconds`` from now."""
        await self.run_until(self._now + seconds)

    async def jump(self, seconds: float) -> None:
        """Step time at once, as a resumed machine or an NTP step does.

        Forward, sleepers wake late. Back, every sleeper wakes at once, as
        :meth:`SystemClock.sleep_until` returns early when the clock steps back.
        """
        self._now += seconds
        if seconds < 0:
            for _, _, future in self._sleepers:
                if not future.done():
                    future.set_result(None)
            self._sleepers.clear()
        await self.run_until(self._now)

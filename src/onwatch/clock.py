"""Time as a dependency: every part that waits or reads the time takes a :class:`Clock`.

Production code uses :class:`SystemClock`; tests pass a virtual-time clock
(``tests/fakeclock.py``) so schedules spanning days run in milliseconds and
never depend on how busy the test machine is.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Iterable
from typing import Any, Protocol, TypeVar

T = TypeVar("T")
F = TypeVar("F", bound="asyncio.Future[Any]")


class Clock(Protocol):
    """Reads the time and sleeps until a moment; all times are Unix seconds (UTC)."""

    def now(self) -> float:
        """The current Unix time in seconds."""
        ...

    def monotonic(self) -> float:
        """Seconds on a clock that never jumps (for measuring durations)."""
        ...

    async def sleep_until(self, when: float) -> None:
        """Return once :meth:`now` reaches ``when``, or early if the clock is stepped back.

        Callers read :meth:`now` again on return: after a step back, moments
        planned before it may now lie far ahead.
        """
        ...


class SystemClock:
    """The machine's clock, with sleeps that follow the wall clock when it is stepped.

    A sleep never wakes early and wakes at most about :attr:`MIN_NAP` late: event
    loops time their timers in whole milliseconds (uvloop rounds a shorter delay
    down to zero), so sleeping for what is left of the last millisecond would
    spin the loop, waking again and again until the target passes.
    """

    # An NTP step or a resumed laptop moves the wall clock; checking again at least
    # this often keeps a long sleep from ending that far off its Unix target.
    MAX_NAP = 5.0
    MIN_NAP = 0.001
    STEP_BACK = 1.0  # seconds the wall clock must go back to count as stepped

    def now(self) -> float:
        return time.time()

    def monotonic(self) -> float:
        return time.monotonic()

    async def sleep_until(self, when: float) -> None:
        before = time.time()
        while (now := time.time()) < when and now > before - self.STEP_BACK:
            before = now
            await asyncio.sleep(min(max(when - now, self.MIN_NAP), self.MAX_NAP))


async def wait_until_deadline(clock: Clock, tasks: Iterable[F], deadline: float) -> set[F]:
    """Wait for ``tasks`` until ``deadline`` on ``clock``; return those still pending.

    Nothing is cancelled: the caller decides what happens to the stragglers.
    """
    pending = {task for task in tasks if not task.done()}
    while pending and clock.now() < deadline:
        alarm: asyncio.Future[None] = asyncio.ensure_future(clock.sleep_until(deadline))
        try:
            waiting: set[asyncio.Future[Any]] = {*pending, alarm}
            await asyncio.wait(waiting, return_when=asyncio.FIRST_COMPLETED)
        finally:
            alarm.cancel()
        pending = {task for task in pending if not task.done()}
    return pending


async def within(clock: Clock, awaitable: Awaitable[T], seconds: float) -> T:
    """Await ``awaitable`` for at most ``seconds`` of ``clock`` time; raise TimeoutError after."""
    task = asyncio.ensure_future(awaitable)
    try:
        late = await wait_until_deadline(clock, [task], clock.now() + seconds)
    except BaseException:
        task.cancel()
        raise
    if late:
        task.cancel()
        raise TimeoutError(f"not done within {seconds:g}s")
    return task.result()

"""The one writer task: results queue up, and leave for the database in batches.

Probes call :meth:`Writer.submit` and never wait for the disk. One asyncio task
takes what has queued (up to ``max_batch`` results, or whatever arrived within
``max_delay`` seconds of the first), writes it in a worker thread with
:func:`~onwatch.store.batches.write_batch`, and reports each committed batch.
A batch that fails is kept and retried with backoff; it is never dropped.

Submitting costs a list append: the task sleeps until the first result of a batch
arrives, then until the delay is over or a full batch is queued, never once per
result. The rollup rows this writer committed are kept in a
:class:`~onwatch.store.batches.RollupCache`, so the next batch merges into them
without reading them back.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from onwatch.probes.base import CheckResult
from onwatch.store.batches import RollupCache, write_batch
from onwatch.store.database import Database
from onwatch.store.monitors import MonitorIds

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CommittedBatch:
    """What the writer reports after a commit."""

    number: int
    results: tuple[CheckResult, ...]
    attempts: int


def error_reason(exc: Exception) -> str:
    """The driver's first line, without the SQL parameters SQLAlchemy appends."""
    original = getattr(exc, "orig", None) or exc
    text = str(original).strip().splitlines()
    return f"{type(original).__name__}: {text[0]}" if text else type(original).__name__


class Writer:
    """Batches results into the database from a single asyncio task."""

    def __init__(
        self,
        database: Database,
        *,
        max_batch: int = 5000,
        max_delay: float = 0.2,
        retry_backoff: float = 0.5,
        on_commit: Callable[[CommittedBatch], None] | None = None,
    ) -> None:
        self._database = database
        self._ids = MonitorIds()
        self._rollups = RollupCache()
        self._max_batch = max_batch
        self._max_delay = max_delay
        self._retry_backoff = retry_backoff
        self._listeners: list[Callable[[CommittedBatch], None]] = [on_commit] if on_commit else []
        self._queue: deque[CheckResult] = deque()
        self._wanted = 1  # queued results that wake the task from ``_wakeup``
        self._wakeup: asyncio.Future[None] | None = None
        self._task: asyncio.Task[None] | None = None
        self._batches = 0
        self._idle = asyncio.Event()
        self._idle.set()
        self.committed_results = 0
        self.failed_attempts = 0

    @property
    def queue_depth(self) -> int:
        """Results waiting to be written (exported as a metric)."""
        return len(self._queue)

    def add_commit_listener(self, listener: Callable[[CommittedBatch], None]) -> None:
        """Also call ``listener`` after every commit (metrics, live pages)."""
        self._listeners.append(listener)

    def submit(self, result: CheckResult) -> None:
        """Queue a result; returns at once."""
        self._idle.clear()
        self._queue.append(result)
        if len(self._queue) >= self._wanted:
            self._wake()

    def _wake(self) -> None:
        if self._wakeup is not None and not self._wakeup.done():
            self._wakeup.set_result(None)

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="onwatch-writer")

    async def flush(self) -> None:
        """Wait until everything submitted so far is committed."""
        await self._idle.wait()

    async def stop(self) -> None:
        """Write what is queued, then end the task."""
        await self.flush()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _until(self, wanted: int, deadline: float | None = None) -> None:
        """Sleep until ``wanted`` results are queued, or ``deadline`` (loop time) passes."""
        if len(self._queue) >= wanted:
            return
        loop = asyncio.get_running_loop()
        self._wanted, self._wakeup = wanted, loop.create_future()
        alarm = None if deadline is None else loop.call_at(deadline, self._wake)
        try:
            await self._wakeup
        finally:
            self._wanted, self._wakeup = 1, None
            if alarm is not None:
                alarm.cancel()

    async def _collect(self) -> list[CheckResult]:
        await self._until(1)
        deadline = asyncio.get_running_loop().time() + self._max_delay
        await self._until(self._max_batch, deadline)
        queue = self._queue
        return [queue.popleft() for _ in range(min(len(queue), self._max_batch))]

    async def _write(self, batch: list[CheckResult]) -> int:
        attempts = 0
        while True:
            attempts += 1
            try:
                await asyncio.to_thread(
                    write_batch, self._database, self._ids, batch, self._rollups
                )
                return attempts
            except Exception as exc:  # keep the batch whatever went wrong, and say so
                self.failed_attempts += 1
                delay = min(self._retry_backoff * 2 ** (attempts - 1), 30.0)
                log.error(
                    "writing %d results failed (attempt %d, retrying in %.1fs): %s",
                    len(batch),
                    attempts,
                    delay,
                    error_reason(exc),
                )
                await asyncio.sleep(delay)

    async def _run(self) -> None:
        while True:
            batch = await self._collect()
            attempts = await self._write(batch)
            self._batches += 1
            self.committed_results += len(batch)
            committed = CommittedBatch(self._batches, tuple(batch), attempts)
            for listener in self._listeners:
                listener(committed)
            if not self._queue:
                self._idle.set()

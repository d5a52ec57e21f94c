"""An in-memory limit on failed attempts per key (client address, user name).

A key is blocked once it has ``limit`` failures within the last ``window``
seconds, until the oldest of them leaves the window. Time is read from the
service clock, so tests drive it. The memory is per process: with several
nodes, each counts on its own (so an attacker gets ``limit`` tries per node).
"""

from __future__ import annotations

import math
from collections import OrderedDict, deque

from onwatch.clock import Clock

__all__ = ["FailureLimiter"]


class FailureLimiter:
    """Counts failures per key in a sliding window; bounded to ``max_keys`` keys."""

    def __init__(
        self, clock: Clock, *, limit: int = 5, window: float = 300.0, max_keys: int = 10_000
    ) -> None:
        if limit < 1 or window <= 0 or max_keys < 1:
            raise ValueError("limit, window and max_keys must be positive")
        self._clock = clock
        self.limit = limit
        self.window = window
        self._max_keys = max_keys
        # Least recently failed first, so a flood of new keys evicts the stalest ones.
        self._failures: OrderedDict[str, deque[float]] = OrderedDict()

    def _recent(self, key: str, now: float) -> deque[float]:
        times = self._failures.get(key)
        if times is None:
            return deque(maxlen=self.limit)  # only the last `limit` failures ever matter
        while times and times[0] <= now - self.window:
            times.popleft()
        if not times:
            del self._failures[key]
        return times

    def retry_after(self, *keys: str) -> int | None:
        """Whole seconds until every key may try again, or None if none is blocked."""
        now = self._clock.now()
        waits = []
        for key in keys:
            times = self._recent(key, now)
            if len(times) >= self.limit:
                waits.append(times[-self.limit] + self.window - now)
        return max(1, math.ceil(max(waits))) if waits else None

    def failed(self, *keys: str) -> None:
        """Record one failure against each key."""
        now = self._clock.now()
        for key in keys:
            times = self._recent(key, now)
            times.append(now)
            self._failures[key] = times
            self._failures.move_to_end(key)
        while len(self._failures) > self._max_keys:
            self._failures.popitem(last=False)

    def clear(self, key: str) -> None:
        """Forget the failures of ``key`` (after a successful login)."""
        self._failures.pop(key, None)

"""Pools: is a service that runs on several backends still redundant?

Users may still get answers from a pool whose second server died a week ago;
onwatch says so the same day. A pool is judged from the latest result of each
backend: all healthy → ``healthy``; at least ``min_healthy`` → ``degraded``
(a backend is down but redundancy holds); fewer than ``min_healthy`` but at
least one → ``redundancy lost``; none → ``down``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from onwatch.policy.monitors import Pool
from onwatch.probes.base import CheckResult


class PoolState(StrEnum):
    """How much of a pool answers, worst last."""

    HEALTHY = "healthy"
    DEGRADED = "degraded"
    REDUNDANCY_LOST = "redundancy lost"
    DOWN = "down"
    UNKNOWN = "unknown"  # no backend has been checked yet


@dataclass(frozen=True)
class Backend:
    """One target of a pool and its latest result (``None`` before its first check)."""

    monitor: str
    url: str
    latest: CheckResult | None

    @property
    def healthy(self) -> bool:
        return self.latest is not None and self.latest.ok


@dataclass(frozen=True)
class PoolStatus:
    """The verdict on one pool."""

    pool: str
    state: PoolState
    healthy: int
    total: int
    min_healthy: int
    backends: tuple[Backend, ...]

    @property
    def summary(self) -> str:
        """One plain sentence, e.g. ``api: 1 of 2 backends healthy (needs 2): redundancy lost``."""
        text = (
            f"{self.pool}: {self.healthy} of {self.total} backends healthy "
            f"(needs {self.min_healthy}): {self.state}"
        )
        if self.state is PoolState.REDUNDANCY_LOST:
            text += "; users still get answers, but one more failure can take the service down"
        return text


def judge_pool(pool: Pool, latest: Mapping[str, CheckResult]) -> PoolStatus:
    """Judge ``pool`` from the latest result of each backend, keyed by backend monitor name."""
    backends = tuple(
        Backend(pool.target_monitor_name(index), url, latest.get(pool.target_monitor_name(index)))
        for index, url in enumerate(pool.targets)
    )
    healthy = sum(backend.healthy for backend in backends)
    checked = sum(backend.latest is not None for backend in backends)
    if checked == 0:
        state = PoolState.UNKNOWN
    elif healthy == len(backends):
        state = PoolState.HEALTHY
    elif healthy >= pool.min_healthy:
        state = PoolState.DEGRADED
    elif healthy > 0:
        state = PoolState.REDUNDANCY_LOST
    else:
        state = PoolState.DOWN
    return PoolStatus(pool.name, state, healthy, len(backends), pool.min_healthy, backends)

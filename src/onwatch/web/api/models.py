"""The shapes of the JSON API (``/api/v1``), as pydantic models documented in OpenAPI.

Times are ISO 8601 in UTC (``2026-09-21T10:00:00Z``), durations are seconds,
latencies milliseconds. Fields that do not apply are ``null``, never left out,
so clients can rely on every key being present.
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from onwatch.lateness import MonitorStats
from onwatch.pools import PoolState, PoolStatus
from onwatch.probes.base import CheckResult
from onwatch.store.stats import Percentiles, WindowStats

MAX_LIMIT = 1000
"""The most results one page of ``/results`` holds; larger ``limit`` values are capped."""
DEFAULT_LIMIT = 100

MonitorType = Literal["http", "tcp", "dns", "tls", "pool"]


def utc(unix_seconds: float) -> datetime:
    """A Unix time as an aware UTC datetime."""
    return datetime.fromtimestamp(unix_seconds, UTC)


class Window(StrEnum):
    """A statistics window, ending at the end of the current minute."""

    HOUR = "1h"
    DAY = "24h"
    WEEK = "7d"
    MONTH = "30d"

    @property
    def seconds(self) -> int:
        return {"1h": 3600, "24h": 86_400, "7d": 604_800, "30d": 2_592_000}[self.value]


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True)


class Error(_Model):
    """What every 4xx answer other than 422 carries."""

    detail: str = Field(examples=['no monitor named "chekout" (did you mean checkout?)'])


class Result(_Model):
    """One check; phase latencies in ms are ``null`` when the phase did not happen."""

    monitor: str
    started_at: datetime
    ok: bool
    failure: str | None = Field(description="Failure class when not ok: timeout, status, slow, ...")
    total_ms: float | None
    dns_ms: float | None
    connect_ms: float | None
    tls_ms: float | None
    first_byte_ms: float | None
    transfer_ms: float | None
    status_code: int | None
    bytes_read: int | None
    detail: str | None
    location: str | None = Field(description="Where the check ran (probe agent), if not here")

    @classmethod
    def of(cls, result: CheckResult) -> Result:
        return cls(
            monitor=result.monitor,
            started_at=utc(result.started_at),
            ok=result.ok,
            failure=result.failure.value if result.failure else None,
            total_ms=result.total_ms,
            dns_ms=result.dns_ms,
            connect_ms=result.connect_ms,
            tls_ms=result.tls_ms,
            first_byte_ms=result.first_byte_ms,
            transfer_ms=result.transfer_ms,
            status_code=result.status_code,
            bytes_read=result.bytes_read,
            detail=result.detail,
            location=result.location,
        )


class Backend(_Model):
    """One backend of a pool, judged from its latest result."""

    monitor: str = Field(description="The backend's own monitor name, e.g. api#1")
    url: str
    healthy: bool


class PoolVerdict(_Model):
    """How much of a pool answers, from each backend's latest result."""

    state: PoolState
    healthy: int
    total: int
    min_healthy: int
    summary: str
    backends: list[Backend]

    @classmethod
    def of(cls, status: PoolStatus) -> PoolVerdict:
        return cls(
            state=status.state,
            healthy=status.healthy,
            total=status.total,
            min_healthy=status.min_healthy,
            summary=status.summary,
            backends=[
                Backend(monitor=b.monitor, url=b.url, healthy=b.healthy) for b in status.backends
            ],
        )


class Monitor(_Model):
    """A monitor of the running policy: a check, a pool, or one backend of a pool."""

    name: str = Field(
        description="Pool backends are named pool#1, pool#2 (write # as %23 in paths)"
    )
    type: MonitorType
    target: str | None = Field(
        description="What is checked: the URL (http), host:port (tcp, tls), the query (dns); "
        "null for a pool"
    )
    service: str | None
    interval_seconds: float
    timeout_seconds: float
    runbook: str | None
    pool: str | None = Field(description="The pool this monitor is a backend of")
    backends: list[str] = Field(description="A pool's backend monitors (empty for others)")
    latest: Result | None = Field(description="The most recent stored check (null for pools)")
    pool_status: PoolVerdict | None = Field(description="A pool's verdict (null for others)")


class Schedule(_Model):
    """How well this process keeps the monitor's schedule (since it started)."""

    next_start: datetime
    started: int = Field(description="Checks started")
    skipped_behind: int = Field(description="Starts dropped: the scheduler was an interval late")
    skipped_busy: int = Field(description="Starts dropped: the previous check still ran")
    skipped_not_leader: int = Field(description="Starts left to the leader node")
    lateness_p50_seconds: float | None = Field(description="Over the last 64 starts")
    lateness_p99_seconds: float | None = Field(description="Over the last 64 starts")
    lateness_max_seconds: float

    @classmethod
    def of(cls, stats: MonitorStats) -> Schedule:
        return cls(
            next_start=utc(stats.next_start),
            started=stats.started,
            skipped_behind=stats.skipped_behind,
            skipped_busy=stats.skipped_busy,
            skipped_not_leader=stats.skipped_not_leader,
            lateness_p50_seconds=stats.p50_lateness,
            lateness_p99_seconds=stats.p99_lateness,
            lateness_max_seconds=stats.max_lateness,
        )


class MonitorDetail(Monitor):
    """A monitor with its schedule in this process (null for pools and when not scheduled)."""

    schedule: Schedule | None


class ResultsPage(_Model):
    """Stored checks, newest first, one page at a time."""

    monitor: str
    since: datetime | None
    until: datetime | None
    limit: int = Field(description=f"The page size used: the requested limit, at most {MAX_LIMIT}")
    limit_capped: bool = Field(description=f"Whether the requested limit was cut to {MAX_LIMIT}")
    results: list[Result]
    next: str | None = Field(
        description="Path of the next (older) page, with the same filters; null on the last page"
    )


class LatencyPercentiles(_Model):
    """Percentiles in ms (within 1% of the exact values), over the checks that measured one."""

    count: int = Field(description="Checks that measured this latency")
    p50: float | None
    p90: float | None
    p95: float | None
    p99: float | None

    @classmethod
    def of(cls, percentiles: Percentiles) -> LatencyPercentiles:
        return cls(
            count=percentiles.count,
            p50=percentiles.p50,
            p90=percentiles.p90,
            p95=percentiles.p95,
            p99=percentiles.p99,
        )


class Latency(_Model):
    """Total latency of a check, and its time to the first byte (HTTP only)."""

    total: LatencyPercentiles
    first_byte: LatencyPercentiles


class Stats(_Model):
    """Counts, availability, latency percentiles and failures by class over one window."""

    monitor: str
    covers: list[str] = Field(description="Monitors whose checks are counted (a pool's backends)")
    window: Window
    since: datetime
    until: datetime
    count: int = Field(description="Checks in the window")
    good: int = Field(description="Checks that passed")
    failed: int = Field(description="count - good")
    availability: float | None = Field(description="good / count, null without checks")
    failures: dict[str, int] = Field(description="Failed checks by failure class")
    latency_ms: Latency

    @classmethod
    def of(cls, monitor: str, covers: list[str], window: Window, stats: WindowStats) -> Stats:
        return cls(
            monitor=monitor,
            covers=covers,
            window=window,
            since=utc(stats.since),
            until=utc(stats.until),
            count=stats.count,
            good=stats.good,
            failed=stats.failed,
            availability=stats.availability,
            failures=dict(stats.failures),
            latency_ms=Latency(
                total=LatencyPercentiles.of(stats.total),
                first_byte=LatencyPercentiles.of(stats.first_byte),
            ),
        )

"""``GET /metrics``: Prometheus exposition of checks, latencies, scheduling and the writer.

Every figure is built at scrape time by :class:`ServiceCollector` from the
running service, into a registry that belongs to one app (no global registry,
so two apps in one process never mix their figures).

Why ``onwatch_checks_total`` and ``onwatch_check_duration_seconds`` are
counted in memory, from the writer's commits, rather than read from rollups:
a Prometheus counter may reset to zero when the process restarts (``rate()``
and ``increase()`` detect that and carry on), but it must never go down
otherwise and must not be counted twice. Sums over rollups would go down
whenever retention deletes old rollups (Prometheus would read each deletion as
a reset and add the whole total again), and every node sharing a PostgreSQL
database would report the same checks (double counting across targets). In
memory, each process counts exactly the results it committed itself: results
still queued when the process is killed are neither stored nor counted.
Counting starts at the first scrape (before it, nobody reads the figures).

A scrape copies the figures on the event loop (the scheduler and the writer
change them there, so no lock is needed) and builds and formats the metric
families in a worker thread: for a thousand monitors that is a few hundred
milliseconds the scheduler must not wait for.

``/metrics`` needs a viewer token unless the instance setting
``metrics_public`` is true (docs/settings.md).
"""

from __future__ import annotations

import asyncio
import bisect
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    InfoMetricFamily,
    Metric,
)

from onwatch import __version__
from onwatch.lateness import LATENESS_BUCKETS, MonitorStats
from onwatch.runtime import Service
from onwatch.store.writer import CommittedBatch, Writer
from onwatch.web.auth import Principal, api_principal
from onwatch.web.context import context_of

DURATION_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)
"""Upper bounds in seconds of ``onwatch_check_duration_seconds`` (+Inf follows)."""


def _le(bound: float) -> str:
    return "+Inf" if bound == float("inf") else repr(float(bound))


class _Histogram:
    """Per-bucket counts (not cumulative) and the sum, for one label set."""

    def __init__(self, bounds: tuple[float, ...]) -> None:
        self.bounds = bounds
        self.counts = [0] * (len(bounds) + 1)
        self.sum = 0.0

    def observe(self, value: float) -> None:
        self.counts[bisect.bisect_left(self.bounds, value)] += 1
        self.sum += value

    def buckets(self) -> list[tuple[str, float]]:
        bounds = [*self.bounds, float("inf")]
        total, out = 0, []
        for bound, count in zip(bounds, self.counts, strict=True):
            total += count
            out.append((_le(bound), float(total)))
        return out


class CommittedChecks:
    """Results this process committed since counting began: outcomes and durations."""

    def __init__(self) -> None:
        self.outcomes: Counter[tuple[str, str]] = Counter()  # (monitor, outcome)
        self.durations: dict[str, _Histogram] = {}

    def add(self, batch: CommittedBatch) -> None:
        for result in batch.results:
            outcome = "ok" if result.ok or result.failure is None else result.failure.value
            self.outcomes[(result.monitor, outcome)] += 1
            if result.total_ms is not None:
                histogram = self.durations.get(result.monitor)
                if histogram is None:
                    histogram = self.durations[result.monitor] = _Histogram(DURATION_BUCKETS)
                histogram.observe(result.total_ms / 1000)


def subscribe(writer: Writer, listener: Callable[[CommittedBatch], None]) -> None:
    """Call ``listener`` after every commit of ``writer``.

    Commits are reported on the event loop, where scrapes copy the counters, so
    they need no lock.
    """
    writer.add_commit_listener(listener)


@dataclass(frozen=True)
class Snapshot:
    """The figures of one scrape, copied on the event loop."""

    scheduled: tuple[str, ...]
    stats: Mapping[str, MonitorStats]
    outcomes: Mapping[tuple[str, str], int]
    durations: Mapping[str, tuple[list[tuple[str, float]], float]]
    in_flight: int
    waiting: int
    queue_depth: int
    committed: int
    failed_attempts: int

    @classmethod
    def of(cls, service: Service, checks: CommittedChecks) -> Snapshot:
        scheduler, writer = service.scheduler, service.writer
        return cls(
            scheduled=tuple(scheduler.monitors),
            stats=scheduler.stats(),
            outcomes=dict(checks.outcomes),
            durations={name: (h.buckets(), h.sum) for name, h in checks.durations.items()},
            in_flight=scheduler.in_flight,
            waiting=scheduler.waiting,
            queue_depth=writer.queue_depth,
            committed=writer.committed_results,
            failed_attempts=writer.failed_attempts,
        )


class ServiceCollector:
    """A Prometheus collector: the families of the snapshot the current scrape took."""

    def __init__(self) -> None:
        self.snapshot: Snapshot | None = None

    def collect(self) -> Iterable[Metric]:
        snapshot = self.snapshot
        if snapshot is None:
            return
        yield InfoMetricFamily("onwatch_build", "The running onwatch", {"version": __version__})
        yield from _check_metrics(snapshot)
        yield from _scheduler_metrics(snapshot)
        yield from _writer_metrics(snapshot)


def _check_metrics(snapshot: Snapshot) -> Iterator[Metric]:
    checks = CounterMetricFamily(
        "onwatch_checks",
        "Check results committed by this process, by outcome (ok or the failure class)",
        labels=["monitor", "outcome"],
    )
    outcomes = Counter({(name, "ok"): 0 for name in snapshot.scheduled})
    outcomes.update(snapshot.outcomes)
    for (monitor, outcome), count in sorted(outcomes.items()):
        checks.add_metric([monitor, outcome], count)
    yield checks
    durations = HistogramMetricFamily(
        "onwatch_check_duration_seconds",
        "Total duration of committed checks that measured one",
        labels=["monitor"],
    )
    for monitor, (buckets, total) in sorted(snapshot.durations.items()):
        durations.add_metric([monitor], buckets, total)
    yield durations


def _scheduler_metrics(snapshot: Snapshot) -> Iterator[Metric]:
    lateness = HistogramMetricFamily(
        "onwatch_scheduler_lateness_seconds",
        "How late checks started after their planned moment",
        labels=["monitor"],
    )
    skipped = CounterMetricFamily(
        "onwatch_scheduler_skipped",
        "Planned starts dropped: behind (over an interval late), busy (previous check "
        "still running), not_leader (another node runs checks)",
        labels=["monitor", "reason"],
    )
    crashed = CounterMetricFamily(
        "onwatch_probe_crashes", "Checks whose probe raised (a bug)", labels=["monitor"]
    )
    bounds = [*map(_le, LATENESS_BUCKETS), "+Inf"]
    for name, monitor in snapshot.stats.items():
        buckets = [(le, float(n)) for le, n in zip(bounds, monitor.lateness_buckets, strict=True)]
        lateness.add_metric([name], buckets, monitor.lateness_sum)
        skipped.add_metric([name, "behind"], monitor.skipped_behind)
        skipped.add_metric([name, "busy"], monitor.skipped_busy)
        skipped.add_metric([name, "not_leader"], monitor.skipped_not_leader)
        crashed.add_metric([name], monitor.crashed)
    yield from (lateness, skipped, crashed)
    yield GaugeMetricFamily("onwatch_monitors", "Monitors scheduled", value=len(snapshot.stats))
    yield GaugeMetricFamily(
        "onwatch_checks_in_flight", "Checks running now", value=snapshot.in_flight
    )
    yield GaugeMetricFamily(
        "onwatch_checks_waiting",
        "Checks due but waiting for a concurrency cap",
        value=snapshot.waiting,
    )


def _writer_metrics(snapshot: Snapshot) -> Iterator[Metric]:
    yield GaugeMetricFamily(
        "onwatch_writer_queue_depth", "Results waiting to be written", value=snapshot.queue_depth
    )
    yield CounterMetricFamily(
        "onwatch_writer_committed_results",
        "Results written since this process started",
        value=snapshot.committed,
    )
    yield CounterMetricFamily(
        "onwatch_writer_failed_attempts",
        "Batch writes that failed and were retried",
        value=snapshot.failed_attempts,
    )


class AppMetrics:
    """One app's counters, registry and collector; scrapes take turns."""

    def __init__(self, service: Service) -> None:
        self.service = service
        self.checks = CommittedChecks()
        subscribe(service.writer, self.checks.add)
        self.collector = ServiceCollector()
        self.registry = CollectorRegistry(auto_describe=False)
        self.registry.register(self.collector)
        self._turn = asyncio.Lock()

    async def scrape(self) -> bytes:
        async with self._turn:
            self.collector.snapshot = Snapshot.of(self.service, self.checks)
            try:
                return await asyncio.to_thread(generate_latest, self.registry)
            finally:
                self.collector.snapshot = None


def _app_metrics(request: Request) -> AppMetrics:
    """The app's metrics, made (and the writer subscribed) at the first scrape."""
    metrics: AppMetrics | None = getattr(request.app.state, "metrics", None)
    if metrics is None:
        metrics = request.app.state.metrics = AppMetrics(context_of(request).service)
    return metrics


_viewer = api_principal()


async def metrics_access(request: Request) -> Principal | None:
    """Anyone when ``metrics_public`` is set; otherwise a viewer (token or session)."""
    if context_of(request).settings.metrics_public:
        return None
    return await _viewer(request)


router = APIRouter(tags=["metrics"])


@router.get(
    "/metrics",
    summary="Prometheus metrics (text exposition format)",
    response_class=Response,
    responses={
        200: {"content": {CONTENT_TYPE_LATEST.split(";")[0]: {}}, "description": "Metrics"},
        401: {"description": "No valid token, and metrics_public is not set"},
    },
)
async def metrics(
    request: Request, _principal: Annotated[Principal | None, Depends(metrics_access)]
) -> Response:
    """Checks by monitor and outcome, check durations, scheduler lateness and skips, the
    writer's queue. Scrape with ``authorization: {credentials: <token>}`` in Prometheus."""
    body = await _app_metrics(request).scrape()
    return Response(body, media_type=CONTENT_TYPE_LATEST)

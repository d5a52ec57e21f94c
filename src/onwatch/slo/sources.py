"""Where an objective's events come from: live check results, and the store at start.

:func:`is_good` is the one definition of a good event for a live result, and
:func:`observe_result` the one way a result (or one inside maintenance) enters
a tracker. :func:`rebuild_trackers` rebuilds every objective's tracker when the
evaluator starts or the policy is reloaded:

- rollups over the longest window the objective reports or alerts on (a
  calendar month or quarter from its first day): minute rollups for the last
  6 hours (as far back as they are kept for time slices), hour rollups beyond;
- then the raw results of the current, unfinished minute.

Availability counts a rollup's good checks. Latency counts exactly from raw
results (:mod:`onwatch.store.latency_counts`) for every rollup period that raw
results still cover whole (``retention.raw``); before that, the checks whose
phase (``total`` → ``latency_hist``, ``first_byte`` → ``first_byte_hist``) took
at most the threshold, by :meth:`~onwatch.store.histogram.LogHistogram.count_at_most`
(the objective is judged as if its threshold moved by at most about 2%), and
every failed check other than ``slow`` as bad. A rollup keeps one histogram of
all timed checks, so one that holds both failed checks with fast timings (a
quick 500) and slow loads counts up to the fewer of them as good: exact for a
check a minute in minute rollups, an estimate in hour rollups. Rollup time
inside maintenance is left out in proportion to the bucket it covers.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from sqlalchemy import Connection, Select, Table, select

from onwatch.policy import Policy
from onwatch.policy.monitors import HttpMonitor
from onwatch.probes.base import CheckResult, FailureClass
from onwatch.slo.calendar import period_bounds
from onwatch.slo.model import ObjectiveSpec
from onwatch.slo.tracker import ObjectiveTracker
from onwatch.slo.windows import FINE_SECONDS, HOUR
from onwatch.store.histogram import LogHistogram
from onwatch.store.latency_counts import latency_counts
from onwatch.store.maintenance_calendar import MaintenanceCalendar, load_calendar
from onwatch.store.queries import monitor_ids
from onwatch.store.results import RESULT_COLUMNS, result_from_row
from onwatch.store.rollups import MINUTE, bucket_start
from onwatch.store.tables import check_results, rollups_hour, rollups_minute

__all__ = [
    "RECENT_RESULTS",
    "MonitorFacts",
    "Rebuilt",
    "history_start",
    "in_maintenance",
    "is_good",
    "monitor_facts",
    "observe_result",
    "rebuild_trackers",
]

RECENT_RESULTS = 60
"""Results kept per objective for alert messages ("12 of the last 60 checks failed")."""
_HISTOGRAM = {"total": "latency_hist", "first_byte": "first_byte_hist"}


@dataclass(frozen=True)
class MonitorFacts:
    """What the evaluator needs to know of one stored monitor name."""

    service: str | None
    interval: float
    """Seconds between checks: the time one check stands for."""
    url: str | None = None
    """The page an HTTP check loads, for messages."""


def monitor_facts(policy: Policy) -> dict[str, MonitorFacts]:
    """Facts of every stored monitor name of the policy (pool backends as ``pool#1``)."""
    facts: dict[str, MonitorFacts] = {}
    for monitor in policy.monitors:
        url = monitor.url if isinstance(monitor, HttpMonitor) else None
        facts[monitor.name] = MonitorFacts(monitor.service, monitor.interval.total_seconds(), url)
    for pool in policy.pools:
        for index, url in enumerate(pool.targets):
            facts[pool.target_monitor_name(index)] = MonitorFacts(
                pool.service, pool.interval.total_seconds(), url
            )
    return facts


def _phase_ms(spec: ObjectiveSpec, result: CheckResult) -> float | None:
    return result.first_byte_ms if spec.phase == "first_byte" else result.total_ms


def is_good(spec: ObjectiveSpec, result: CheckResult) -> bool:
    """Whether a live result is a good event of ``spec``.

    Availability: the check passed. Latency: it passed or failed only for being
    slow, and its phase took at most the threshold.
    """
    if spec.kind == "availability":
        return result.ok
    if not (result.ok or result.failure == FailureClass.SLOW):
        return False
    took = _phase_ms(spec, result)
    return took is not None and spec.threshold_ms is not None and took <= spec.threshold_ms


def observe_result(
    tracker: ObjectiveTracker, result: CheckResult, *, seconds: float, in_maintenance: bool
) -> None:
    """Count one result in ``tracker``: as excluded time inside maintenance, else good or bad."""
    if in_maintenance:
        tracker.observe_excluded(result.started_at, seconds)
    else:
        tracker.observe(result.started_at, is_good(tracker.spec, result), seconds)


def history_start(spec: ObjectiveSpec, now: float) -> float:
    """How far back the objective looks: its longest rolling window or tier, its calendar periods."""
    starts = [now - FINE_SECONDS]
    for window in (spec.window, *spec.also_report):
        starts.append(period_bounds(window, now, spec.timezone)[0])
    starts.extend(now - tier.long_seconds for tier in spec.tiers)
    return min(starts)


@dataclass
class Rebuilt:
    """Trackers rebuilt from the store, and where the store's part ends."""

    trackers: dict[str, ObjectiveTracker]
    """By :attr:`ObjectiveSpec.key`."""
    until: float
    """Rollups were counted before this minute; raw results from it on."""
    seen: set[tuple[str, float]] = field(default_factory=set)
    """``(monitor, started_at)`` of the raw results counted: a live copy of one is a repeat."""
    recent: dict[str, list[CheckResult]] = field(default_factory=dict)
    """Up to :data:`RECENT_RESULTS` latest results outside maintenance per objective, oldest first."""


class _Bucket(NamedTuple):
    """One rollup row of one monitor, with what counting needs of it."""

    monitor: str
    start: int
    total: int
    good: int
    failures: str = "{}"
    histogram: bytes = b""


def _bucket_counts(spec: ObjectiveSpec, bucket: _Bucket) -> tuple[int, int]:
    """(events, bad) of one rollup for ``spec``."""
    if spec.kind == "availability":
        return bucket.total, bucket.total - bucket.good
    failures: dict[str, int] = json.loads(bucket.failures)
    failed_otherwise = sum(n for name, n in failures.items() if name != FailureClass.SLOW.value)
    fast = LogHistogram.from_bytes(bucket.histogram).count_at_most(spec.threshold_ms or 0.0)
    good = max(min(round(fast), bucket.total - failed_otherwise), 0)
    return bucket.total, bucket.total - good


def _rollups(
    connection: Connection,
    spec: ObjectiveSpec,
    table: Table,
    ids: Mapping[int, str],
    since: int,
    until: int,
) -> Iterator[_Bucket]:
    """The objective's rollups in ``[since, until)``, oldest first."""
    if since >= until or not ids:
        return
    columns = [table.c.total, table.c.good]
    if spec.kind == "latency":
        columns += [table.c.failures, table.c[_HISTOGRAM[spec.phase]]]
    query = (
        select(table.c.monitor_id, table.c.bucket_start, *columns)
        .where(
            table.c.monitor_id.in_(list(ids)),
            table.c.bucket_start >= since,
            table.c.bucket_start < until,
        )
        .order_by(table.c.bucket_start, table.c.monitor_id)
    )
    for monitor_id, start, *values in connection.execute(query):
        yield _Bucket(ids[monitor_id], int(start), *values)


def _feed_bucket(
    tracker: ObjectiveTracker,
    start: int,
    length: int,
    counts: tuple[int, int],
    seconds_per_event: float,
    excluded_seconds: float,
) -> None:
    """Count a rollup, leaving out the share of it that maintenance covers."""
    events, bad = counts
    kept = 1.0 - min(excluded_seconds / length, 1.0)
    kept_events = round(events * kept)
    kept_bad = min(round(bad * kept), kept_events)
    if events > kept_events:
        tracker.observe_excluded(start, (events - kept_events) * seconds_per_event)
    tracker.observe_bucket(start, length, kept_events, kept_bad, seconds_per_event)


def _exact_latency(
    connection: Connection,
    spec: ObjectiveSpec,
    ids: Mapping[int, str],
    since: int,
    until: int,
    length: int,
    raw_from: float,
) -> dict[tuple[str, int], tuple[int, int]]:
    """(events, bad) from raw results for the latency buckets whose whole period raw
    results still cover; empty for availability objectives (rollups are exact for them)."""
    if spec.kind != "latency" or spec.threshold_ms is None:
        return {}
    first = max(since, -(-int(raw_from) // length) * length)  # the first whole bucket kept raw
    counts = latency_counts(
        connection,
        ids,
        phase=spec.phase,
        threshold_ms=spec.threshold_ms,
        since=first,
        until=until,
        length=length,
    )
    return {key: (total, total - good) for key, (total, good) in counts.items()}


def _minute_from(spec: ObjectiveSpec, now: float, minute_retention: float) -> tuple[int, int]:
    """(first hour rollup, first minute rollup) of the objective's history.

    Minute rollups cover the last 6 hours (every short alert window); beyond,
    hour rollups, which rebuild 60 times faster (bench/objectives.py: 2.3 ms
    against 52 ms an objective, minutes at 10,000 objectives instead of
    seconds), except for time slices, which need the minutes as far back as
    they are kept.
    """
    begin = history_start(spec, now)
    minutes_back = minute_retention if spec.time_slices is not None else FINE_SECONDS
    kept_from = min(now - min(minutes_back, minute_retention), now - FINE_SECONDS)
    if kept_from <= begin:
        return bucket_start(begin, MINUTE), bucket_start(begin, MINUTE)
    return bucket_start(begin, HOUR), -(-int(kept_from) // HOUR) * HOUR


def rebuild_trackers(
    connection: Connection,
    specs: Sequence[ObjectiveSpec],
    *,
    now: float,
    monitors: Mapping[str, MonitorFacts],
    calendar: MaintenanceCalendar,
    minute_retention: float,
    raw_retention: float = 0.0,
    resolution: int = 60,
) -> Rebuilt:
    """A tracker per objective fed with its history from the store, up to ``now``.

    ``calendar`` must cover every objective's :func:`history_start` to ``now``.
    Latency objectives count from raw results, exactly, where all of a rollup's
    period lies within ``raw_retention`` of ``now``; from histograms before that.
    """
    until = bucket_start(now, MINUTE)
    names = sorted({name for spec in specs for name in spec.monitors})
    by_id = {id_: name for name, id_ in monitor_ids(connection, names).items()}
    raw = _raw_results(connection, by_id, until * 1000)
    rebuilt = Rebuilt({}, float(until), {(r.monitor, r.started_at) for r in raw})
    for spec in specs:
        tracker = ObjectiveTracker(spec, resolution=resolution, start=now)
        ids = {id_: name for id_, name in by_id.items() if name in spec.monitors}
        first_hour, first_minute = _minute_from(spec, now, minute_retention)
        for table, length, since, stop in (
            (rollups_hour, HOUR, first_hour, first_minute),
            (rollups_minute, MINUTE, first_minute, until),
        ):
            exact = _exact_latency(connection, spec, ids, since, stop, length, now - raw_retention)
            for bucket in _rollups(connection, spec, table, ids, since, stop):
                facts = monitors.get(bucket.monitor)
                interval = facts.interval if facts else float(MINUTE)
                service = facts.service if facts else spec.service
                covered = calendar.excluded(
                    service, bucket.monitor, bucket.start, bucket.start + length
                )
                gone = sum(end - begin for begin, end in covered)
                counts = exact.get((bucket.monitor, bucket.start)) or _bucket_counts(spec, bucket)
                _feed_bucket(tracker, bucket.start, length, counts, interval, gone)
        for result in raw:
            if result.monitor in spec.monitors:
                _observe(tracker, result, monitors, calendar)
        rebuilt.trackers[spec.key] = tracker
        rebuilt.recent[spec.key] = _recent(connection, spec, ids, monitors, calendar)
    return rebuilt


def rebuild_for_policy(
    connection: Connection,
    policy: Policy,
    specs: Sequence[ObjectiveSpec],
    *,
    now: float,
    margin: float = 0.0,
    resolution: int = 60,
) -> tuple[Rebuilt, MaintenanceCalendar]:
    """:func:`rebuild_trackers` with the policy's monitors and retention, and the maintenance
    calendar it used (covering the history needed, ``margin`` seconds more either side)."""
    since = min((history_start(spec, now) for spec in specs), default=now) - margin
    calendar = load_calendar(connection, since, now + margin)
    rebuilt = rebuild_trackers(
        connection,
        specs,
        now=now,
        monitors=monitor_facts(policy),
        calendar=calendar,
        minute_retention=policy.settings.retention.minute.total_seconds(),
        raw_retention=policy.settings.retention.raw.total_seconds(),
        resolution=resolution,
    )
    return rebuilt, calendar


def in_maintenance(
    result: CheckResult,
    spec: ObjectiveSpec,
    facts: MonitorFacts | None,
    calendar: MaintenanceCalendar,
) -> bool:
    """Whether ``result`` falls in a maintenance window covering its monitor."""
    service = facts.service if facts else spec.service
    return calendar.reason_at(result.started_at, service, result.monitor) is not None


def _observe(
    tracker: ObjectiveTracker,
    result: CheckResult,
    monitors: Mapping[str, MonitorFacts],
    calendar: MaintenanceCalendar,
) -> None:
    facts = monitors.get(result.monitor)
    observe_result(
        tracker,
        result,
        seconds=facts.interval if facts else float(MINUTE),
        in_maintenance=in_maintenance(result, tracker.spec, facts, calendar),
    )


def _select_results(ids: Mapping[int, str]) -> Select[Any]:
    return select(*(check_results.c[column] for column in RESULT_COLUMNS)).where(
        check_results.c.monitor_id.in_(list(ids))
    )


def _raw_results(
    connection: Connection, ids: Mapping[int, str], since_ms: int
) -> list[CheckResult]:
    if not ids:
        return []
    query = _select_results(ids).where(check_results.c.started_at >= since_ms)
    rows = connection.execute(query.order_by(check_results.c.started_at, check_results.c.id))
    return [result_from_row(ids[row[0]], row) for row in rows]


def _recent(
    connection: Connection,
    spec: ObjectiveSpec,
    ids: Mapping[int, str],
    monitors: Mapping[str, MonitorFacts],
    calendar: MaintenanceCalendar,
) -> list[CheckResult]:
    if not ids:
        return []
    query = _select_results(ids).order_by(
        check_results.c.started_at.desc(), check_results.c.id.desc()
    )
    rows = connection.execute(query.limit(RECENT_RESULTS))
    latest = [result_from_row(ids[row[0]], row) for row in rows]
    kept = [r for r in latest if not in_maintenance(r, spec, monitors.get(r.monitor), calendar)]
    return kept[::-1]

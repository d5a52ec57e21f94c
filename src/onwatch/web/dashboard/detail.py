"""The monitor page's data: settings, latest result phase by phase, recent results, windows."""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from datetime import timedelta

from markupsafe import Markup
from sqlalchemy import Connection, select

from onwatch.policy.monitors import HttpOptions, SlowThresholds
from onwatch.probes.base import CheckResult
from onwatch.store.mutes import Mute, list_mutes
from onwatch.store.queries import monitor_ids
from onwatch.store.results import RESULT_COLUMNS, result_from_row
from onwatch.store.stats import WindowStats, window_stats
from onwatch.store.tables import check_results
from onwatch.web.charts import PHASES, ChartPoint, latency_chart, waterfall_bar
from onwatch.web.context import WebContext
from onwatch.web.dashboard.views import (
    Entry,
    State,
    entries,
    find,
    phases_markup,
    state_of,
    svg,
    through,
)
from onwatch.web.templating import clock, duration, ms

RECENT = 200
"""Results on the latency chart; the table shows the newest :data:`TABLE_ROWS`."""
TABLE_ROWS = 50
DETAIL_WINDOWS: dict[str, float] = {
    "1 h": 3600.0,
    "24 h": 86400.0,
    "7 d": 7 * 86400.0,
    "30 d": 30 * 86400.0,
}


_KINDS = {"http": "HTTP", "tcp": "TCP", "dns": "DNS", "tls": "TLS", "pool backend": "HTTP"}


@dataclass(frozen=True)
class PhaseRow:
    """One phase of a result, where it starts, and how it compares with the agreed limit."""

    key: str
    label: str
    ms: float | None
    bar: Markup
    limit_ms: float | None

    @property
    def over(self) -> bool:
        return self.ms is not None and self.limit_ms is not None and self.ms > self.limit_ms

    @property
    def verdict(self) -> str:
        """``over the 1 s agreed`` / ``within the 1 s agreed`` / empty without a limit."""
        if self.limit_ms is None or self.ms is None:
            return ""
        return f"{'over' if self.over else 'within'} the {ms(self.limit_ms)} agreed"


@dataclass(frozen=True)
class ResultRow:
    result: CheckResult
    state: State
    phases: Markup


@dataclass(frozen=True)
class DetailPage:
    """Everything the monitor page shows."""

    entry: Entry
    settings: list[tuple[str, str]]
    runbook_url: str | None
    latest: CheckResult | None
    state: State
    phases: list[PhaseRow]
    chart: Markup
    recent: list[ResultRow]
    windows: list[tuple[str, WindowStats]]
    late: str | None
    now: float
    zone: str
    mute: Mute | None = None
    """The mute silencing its notifications now, if any."""


def _limit(slow: SlowThresholds | None, key: str) -> float | None:
    limit: timedelta | None = getattr(slow, key, None) if slow is not None else None
    return limit / timedelta(milliseconds=1) if limit is not None else None


def phase_rows(result: CheckResult, slow: SlowThresholds | None) -> list[PhaseRow]:
    """Each phase with a waterfall bar to scale against the total, then the total."""
    measured = [getattr(result, f"{key}_ms") for key, _ in PHASES]
    total = result.total_ms or sum(value for value in measured if value is not None)
    rows, offset = [], 0.0
    for (key, label), value in zip(PHASES, measured, strict=True):
        bar = Markup("")
        if value is not None and total:
            bar = svg(waterfall_bar(offset, value, total, phase=key))
            offset += value
        rows.append(PhaseRow(key, label, value, bar, _limit(slow, key)))
    whole = svg(waterfall_bar(0, total, total, phase="total")) if total else Markup("")
    rows.append(PhaseRow("total", "total", result.total_ms, whole, _limit(slow, "total")))
    return rows


def _settings(entry: Entry) -> list[tuple[str, str]]:
    config = entry.config
    kind = _KINDS.get(entry.kind, entry.kind)
    rows = [("checks", f"{kind} {entry.target}")]
    if entry.pool:
        rows.append(("pool", entry.pool))
    if config.service:
        rows.append(("service", config.service))
    rows.append(("every", duration(config.interval)))
    rows.append(("timeout", duration(config.timeout)))
    if isinstance(config, HttpOptions):
        codes = ", ".join(str(code) for code in config.expect.status)
        rows.append(("expects", f"{config.method}, status {codes}"))
    slow: SlowThresholds | None = getattr(config, "slow", None)
    limits = [
        f"{label} over {duration(getattr(slow, key))}"
        for key, label in (*PHASES, ("total", "total"))
        if slow is not None and getattr(slow, key) is not None
    ]
    rows.append(("slow when", "; ".join(limits) if limits else "no thresholds agreed"))
    return rows


def _recent(connection: Connection, monitor_id: int, name: str) -> list[CheckResult]:
    query = (
        select(*(check_results.c[column] for column in RESULT_COLUMNS))
        .where(check_results.c.monitor_id == monitor_id)
        .order_by(check_results.c.started_at.desc())
        .limit(RECENT)
    )
    return [result_from_row(name, row) for row in connection.execute(query)]


def _chart(results: list[CheckResult], entry: Entry, now: float, zone: str) -> Markup:
    if not results:
        return Markup("")
    points = []
    for result in reversed(results):
        state = state_of(result)
        took = f", {ms(result.total_ms)}" if result.total_ms is not None else ""
        words = f"{clock(result.started_at, zone)}: {state.word}{took}"
        if state.word != "up":
            words += f" ({state.detail})"
        points.append(ChartPoint(result.started_at, result.total_ms, state.word, words))  # type: ignore[arg-type]
    since = min(results[-1].started_at, now - entry.config.interval.total_seconds())
    span = now - since
    label_seconds = span >= 86400

    def when(at: float) -> str:
        text = clock(at, zone, seconds=False)
        return text if label_seconds else text[11:]

    limit = _limit(getattr(entry.config, "slow", None), "total")
    chart = latency_chart(
        points,
        since=since,
        until=now,
        time_label=when,
        title=f"{entry.name}: total latency of the last {len(points)} checks",
        limit_ms=limit,
    )
    return svg(chart)


def _late(latest: CheckResult | None, entry: Entry, now: float) -> str | None:
    """A sentence when the newest result is older than two intervals plus the timeout."""
    if latest is None:
        return None
    interval = entry.config.interval.total_seconds()
    quiet = now - latest.started_at
    if quiet <= 2 * interval + entry.config.timeout.total_seconds():
        return None
    return f"no result for {duration(quiet)}, though it is checked every {duration(interval)}"


def monitor_detail(context: WebContext, name: str) -> DetailPage | None:
    """The monitor page of ``name``, or ``None`` when the policy has no such monitor."""
    service = context.service
    policy = service.policy
    entry = find(policy, name)
    if entry is None:
        return None
    now = service.clock.now()
    zone = policy.settings.timezone
    recent: list[CheckResult] = []
    windows: list[tuple[str, WindowStats]] = []
    with service.database.engine.connect() as connection:
        id_ = monitor_ids(connection, [name]).get(name)
        if id_ is not None:
            recent = _recent(connection, id_, name)
        end = through(now)
        for label, seconds in DETAIL_WINDOWS.items():
            stats = (
                window_stats(connection, id_, end - seconds, end)
                if id_ is not None
                else WindowStats.empty(end - seconds, end)
            )
            windows.append((label, stats))
        mute = next(iter(list_mutes(connection, now=now, monitor=name)), None)
    latest = recent[0] if recent else None
    slow: SlowThresholds | None = getattr(entry.config, "slow", None)
    runbook = entry.config.runbook
    return DetailPage(
        entry=entry,
        settings=_settings(entry),
        runbook_url=runbook if runbook and runbook.startswith(("https://", "http://")) else None,
        latest=latest,
        state=state_of(latest),
        phases=phase_rows(latest, slow) if latest else [],
        chart=_chart(recent, entry, now, zone),
        recent=[
            ResultRow(result, state_of(result), phases_markup(result, width=90))
            for result in recent[:TABLE_ROWS]
        ],
        windows=windows,
        late=_late(latest, entry, now),
        now=now,
        zone=zone,
        mute=mute,
    )


def suggestions(context: WebContext, name: str) -> list[str]:
    """Monitor names close to an unknown one, for the 404 page."""
    names = [entry.name for entry in entries(context.service.policy)]
    return difflib.get_close_matches(name, names, n=3, cutoff=0.5)

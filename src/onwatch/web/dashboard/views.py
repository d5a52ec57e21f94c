"""What the dashboard pages show, assembled from the policy and the store (no HTTP here).

The monitor list reads a page of monitors in a fixed number of queries, however
many monitors the policy holds: their ids, their latest results, their
availability over three windows and their hourly latency series. Searching and
paging happen on the policy's list in memory, before any query.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal
from urllib.parse import urlencode

from markupsafe import Markup

from onwatch.policy import Policy
from onwatch.policy.monitors import DnsMonitor, HttpMonitor, MonitorBase, Pool, TcpMonitor
from onwatch.probes.base import CheckResult, FailureClass
from onwatch.store.queries import monitor_ids
from onwatch.store.results import latest_results
from onwatch.store.rollups import MINUTE, bucket_start
from onwatch.store.series import availability, hourly_latency
from onwatch.web.charts import PHASES, phase_bar, sparkline
from onwatch.web.context import WebContext
from onwatch.web.templating import ms

WINDOWS: dict[str, float] = {"24 h": 86400.0, "7 d": 7 * 86400.0, "30 d": 30 * 86400.0}
"""The availability windows of the monitor list, by label."""
DEFAULT_PER_PAGE = 50
MAX_PER_PAGE = 200

StateWord = Literal["up", "slow", "down", "unknown"]


@dataclass(frozen=True, slots=True)
class Entry:
    """One monitored name of the policy: a monitor, or one backend of a pool."""

    name: str
    kind: str
    """``http``, ``tcp``, ``dns``, ``tls``, or ``pool backend``."""
    target: str
    """What is checked, as people read it (a URL, ``host:port``, ``A example.com``)."""
    config: MonitorBase
    pool: str | None = None

    def matches(self, words: list[str]) -> bool:
        """Whether every word appears in the name, target, kind, service or pool."""
        haystack = " ".join(
            (self.name, self.target, self.kind, self.config.service or "", self.pool or "")
        ).lower()
        return all(word in haystack for word in words)


def _target(monitor: MonitorBase) -> str:
    if isinstance(monitor, HttpMonitor):
        return monitor.url
    if isinstance(monitor, DnsMonitor):
        where = f" at {monitor.resolver}" if monitor.resolver else ""
        return f"{monitor.record_type} {monitor.query}{where}"
    if isinstance(monitor, TcpMonitor):
        return f"{monitor.host}:{monitor.port}"
    host, port = getattr(monitor, "host", "?"), getattr(monitor, "port", "?")
    return f"{host}:{port}"


Listed = tuple[MonitorBase, int]
"""A monitor (target index 0), or a pool and the index of one of its targets."""


def listed(policy: Policy) -> list[Listed]:
    """Every monitored name in policy order, cheaply: monitors, then each pool's backends."""
    found: list[Listed] = [(monitor, 0) for monitor in policy.monitors]
    for pool in policy.pools:
        found.extend((pool, index) for index in range(len(pool.targets)))
    return found


def entry(item: Listed) -> Entry:
    """The :class:`Entry` of one listed monitor or pool backend."""
    config, index = item
    if isinstance(config, Pool):
        return Entry(
            config.target_monitor_name(index),
            "pool backend",
            config.targets[index],
            config,
            config.name,
        )
    return Entry(config.name, getattr(config, "type", "?"), _target(config), config)


def entries(policy: Policy) -> list[Entry]:
    """Every monitored name in policy order, as :class:`Entry` values."""
    return [entry(item) for item in listed(policy)]


def find(policy: Policy, name: str) -> Entry | None:
    """The monitor or pool backend (``pool#2``) called ``name``, if the policy has it."""
    for monitor in policy.monitors:
        if monitor.name == name:
            return entry((monitor, 0))
    pool_name, sep, number = name.rpartition("#")
    if sep and number.isdigit():
        for pool in policy.pools:
            if pool.name == pool_name and 1 <= int(number) <= len(pool.targets):
                return entry((pool, int(number) - 1))
    return None


@dataclass(frozen=True)
class State:
    """A monitor's state in words, from its latest result."""

    word: StateWord
    failure: str | None
    """The failure class (``refused``, ``status``, ``slow`` …) when the check failed."""
    detail: str
    """One sentence: ``slow: first byte took 2.4 s, over the 1 s agreed (+1.4 s)``."""


def state_of(result: CheckResult | None) -> State:
    """up, slow, down or unknown, with the failure class and what happened."""
    if result is None:
        return State("unknown", None, "not checked yet")
    if result.ok:
        status = f" with HTTP {result.status_code}" if result.status_code else ""
        took = f" in {ms(result.total_ms)}" if result.total_ms is not None else ""
        return State("up", None, f"answered{status}{took}")
    failure = result.failure or FailureClass.ERROR
    word: StateWord = "slow" if failure is FailureClass.SLOW else "down"
    return State(word, failure.value, result.detail or failure.value)


def svg(markup: str) -> Markup:
    """Chart markup for the templates, unescaped: the charts escape every text they draw."""
    return Markup(markup)  # noqa: S704


def result_phases(result: CheckResult) -> list[tuple[str, float | None]]:
    """(phase key, ms) of a result in request order."""
    return [(key, getattr(result, f"{key}_ms")) for key, _ in PHASES]


def phases_markup(result: CheckResult | None, width: float = 120) -> Markup:
    """The compact stacked phase bar of a result (empty when it was never timed)."""
    if result is None or result.total_ms is None:
        return Markup("")
    return svg(phase_bar(result_phases(result), result.total_ms, width=width))


def through(now: float) -> float:
    """The end of the current minute: windows end there, so a check made seconds ago counts
    (rollup queries have minute resolution and would otherwise leave this minute out)."""
    return bucket_start(now, MINUTE) + MINUTE


def whole(text: str | None, default: int, low: int, high: int) -> int:
    """A page number from the query string: lenient, clamped to ``[low, high]``."""
    try:
        value = int(text) if text is not None else default
    except ValueError:
        value = default
    return min(max(value, low), high)


@dataclass(frozen=True)
class Row:
    """One line of the monitor list."""

    entry: Entry
    latest: CheckResult | None
    state: State
    phases: Markup
    spark: Markup
    availability: dict[str, float | None]


@dataclass(frozen=True)
class ListPage:
    """A page of the monitor list, with what is needed to link to the others."""

    rows: list[Row]
    q: str
    page: int
    per_page: int
    pages: int
    matching: int
    total: int
    now: float
    zone: str

    @property
    def first(self) -> int:
        """1-based position of the first row shown (0 when nothing matches)."""
        return (self.page - 1) * self.per_page + 1 if self.rows else 0

    @property
    def last(self) -> int:
        return (self.page - 1) * self.per_page + len(self.rows)

    def link(self, page: int) -> str:
        """The URL of another page of the same search."""
        query: dict[str, str | int] = {"page": page}
        if self.q:
            query["q"] = self.q
        if self.per_page != DEFAULT_PER_PAGE:
            query["per_page"] = self.per_page
        return "/monitors?" + urlencode(query)


def monitor_list(
    context: WebContext, q: str = "", page: str | None = None, per_page: str | None = None
) -> ListPage:
    """The monitors matching ``q`` (every word, case-insensitive), one page of them."""
    service = context.service
    policy = service.policy
    everything = listed(policy)
    words = q.lower().split()
    matching = [item for item in everything if entry(item).matches(words)] if words else everything
    size = whole(per_page, DEFAULT_PER_PAGE, 1, MAX_PER_PAGE)
    pages = max(1, math.ceil(len(matching) / size))
    number = whole(page, 1, 1, pages)
    shown = [entry(item) for item in matching[(number - 1) * size : number * size]]
    now = service.clock.now()
    names = [one.name for one in shown]
    with service.database.engine.connect() as connection:
        ids = monitor_ids(connection, names) if names else {}
        latest = latest_results(connection, names) if ids else {}
        counts = availability(connection, list(ids.values()), through(now), WINDOWS)
        series = hourly_latency(connection, list(ids.values()), now)
    rows = []
    for one in shown:
        id_ = ids.get(one.name)
        result = latest.get(one.name)
        line = series.get(id_) if id_ is not None else None
        spark = (
            sparkline(line.p50, line.p95, label=f"{one.name}, last 24 h")
            if line is not None and not line.empty
            else sparkline([None] * 24, [None] * 24, label=f"{one.name}, last 24 h")
        )
        windows = counts.get(id_, {}) if id_ is not None else {}
        rows.append(
            Row(
                entry=one,
                latest=result,
                state=state_of(result),
                phases=phases_markup(result),
                spark=svg(spark),
                availability={
                    label: windows[label].fraction if label in windows else None
                    for label in WINDOWS
                },
            )
        )
    return ListPage(
        rows, q, number, size, pages, len(matching), len(everything), now, policy.settings.timezone
    )

"""The pools page's data: each pool judged from its backends' latest results."""

from __future__ import annotations

from dataclasses import dataclass

from markupsafe import Markup

from onwatch.policy.monitors import Pool
from onwatch.pools import Backend, PoolStatus, judge_pool
from onwatch.probes.base import CheckResult
from onwatch.store.results import latest_results
from onwatch.web.context import WebContext
from onwatch.web.dashboard.views import State, phases_markup, state_of


@dataclass(frozen=True)
class BackendRow:
    """One backend of a pool with its latest result."""

    backend: Backend
    state: State
    phases: Markup


@dataclass(frozen=True)
class PoolView:
    """A pool, the verdict on it, and its backends."""

    pool: Pool
    status: PoolStatus
    backends: list[BackendRow]


@dataclass(frozen=True)
class PoolsPage:
    pools: list[PoolView]
    now: float
    zone: str

    @property
    def at_risk(self) -> list[PoolView]:
        """Pools that lost redundancy or are down, for the summary at the top."""
        return [view for view in self.pools if view.status.state in ("redundancy lost", "down")]


def pools_page(context: WebContext) -> PoolsPage:
    """Every pool of the policy judged from its backends' latest results (one query)."""
    service = context.service
    policy = service.policy
    names = [pool.target_monitor_name(i) for pool in policy.pools for i in range(len(pool.targets))]
    latest: dict[str, CheckResult] = {}
    if names:
        with service.database.engine.connect() as connection:
            latest = latest_results(connection, names)
    views = []
    for pool in policy.pools:
        status = judge_pool(pool, latest)
        backends = [
            BackendRow(backend, state_of(backend.latest), phases_markup(backend.latest))
            for backend in status.backends
        ]
        views.append(PoolView(pool, status, backends))
    return PoolsPage(views, service.clock.now(), policy.settings.timezone)

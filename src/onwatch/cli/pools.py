"""Pool commands: ``onwatch pools`` (from stored results) and probing a whole pool now."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence

import typer
from rich.table import Table

from onwatch.cli.common import DbOption, PolicyOption, database_url, out, policy_path
from onwatch.policy import Policy, load_policy
from onwatch.policy.monitors import Pool
from onwatch.pools import PoolState, PoolStatus, judge_pool
from onwatch.probes.base import CheckResult

app = typer.Typer()

_STYLE = {
    PoolState.HEALTHY: "green",
    PoolState.DEGRADED: "yellow",
    PoolState.REDUNDANCY_LOST: "bold red",
    PoolState.DOWN: "bold red",
    PoolState.UNKNOWN: "dim",
}


def _describe(result: CheckResult | None) -> str:
    if result is None:
        return "not checked yet"
    when = time.strftime("%H:%M:%S", time.localtime(result.started_at))
    if result.ok:
        return f"ok in {result.total_ms or 0:,.0f} ms (at {when})"
    return f"{result.detail or result.failure} (at {when})"


def show(statuses: Sequence[PoolStatus]) -> None:
    """A table of backends per pool, then each pool's verdict in one sentence."""
    for status in statuses:
        table = Table("backend", "url", "latest", title=status.pool, title_justify="left")
        for backend in status.backends:
            mark = "[green]✓[/green]" if backend.healthy else "[red]✗[/red]"
            table.add_row(f"{mark} {backend.monitor}", backend.url, _describe(backend.latest))
        out.print(table)
        out.print(status.summary, style=_STYLE[status.state], highlight=False, markup=False)


def probe_pool(policy: Policy, pool: Pool) -> None:
    """Check every backend of ``pool`` now, show them, exit 1 unless the pool is healthy."""
    from onwatch.probes.registry import build_probes
    from onwatch.runtime import run_blocking

    only = policy.model_copy(update={"monitors": [], "pools": [pool]})
    probes = list(build_probes(only).values())
    out.print(f"checking the {len(probes)} backends of {pool.name}", highlight=False)

    async def check_all() -> list[CheckResult]:
        now = time.time()
        return list(await asyncio.gather(*(probe.check(now) for probe in probes)))

    results = run_blocking(check_all())
    status = judge_pool(pool, {result.monitor: result for result in results})
    show([status])
    if status.state is not PoolState.HEALTHY:
        raise typer.Exit(1)


@app.command()
def pools(policy: PolicyOption = None, db: DbOption = None) -> None:
    """Judge every pool from its backends' latest stored results; exit 1 if any lost redundancy."""
    from onwatch.store.database import open_database
    from onwatch.store.results import latest_results

    loaded = load_policy(policy_path(policy))
    if not loaded.pools:
        out.print("the policy has no pools")
        return
    database = open_database(database_url(db))
    names = [p.target_monitor_name(i) for p in loaded.pools for i in range(len(p.targets))]
    with database.engine.connect() as connection:
        latest = latest_results(connection, names)
    database.dispose()
    statuses = [judge_pool(pool, latest) for pool in loaded.pools]
    show(statuses)
    if any(s.state in (PoolState.REDUNDANCY_LOST, PoolState.DOWN) for s in statuses):
        raise typer.Exit(1)

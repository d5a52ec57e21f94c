"""Dashboard benchmark: how long the monitor list takes with 5,000 monitors.

Run it with ``.venv/bin/python bench/dashboard.py`` (about 2 minutes, most of it
filling the database) or ``--quick`` (24 hours of rollups instead of 30 days).

A policy of 5,000 HTTP monitors is loaded, and a SQLite file in a temporary
directory is filled in bulk the way the writer would have left it: for every
monitor an hour rollup for each hour of the last 30 days (the current, partial
hour included), the minute rollups of the partial hours at the edges of the
24 h, 7 d and 30 d windows and of the current hour (a real store keeps 35 days
of minutes, but every query reads minute rollups by a (monitor, time) range of
the primary key, so the others would never be read), and its 5 newest raw
results (about 3% of monitors failing or slow, with details). Every monitor
is checked once a minute: minute rollups come from a pool of single synthetic
log-normal checks (about 1% failing), and hour rows are merges of 60 of them.
"Now" is fixed at 14:17:30 so windows have partial hours at both ends, as real
ones do.

The real app (:func:`onwatch.web.app.create_app`) then serves the pages to a
client logged in through the real login form, in process (Starlette's
TestClient): each figure is the wall time of whole requests, from routing and
the session check through the database reads to the rendered HTML, over many
repetitions after a warm-up. The data assembly alone
(:func:`onwatch.web.dashboard.views.monitor_list`) is timed too.
"""

from __future__ import annotations

import argparse
import platform
import random
import re
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import Connection, func, select

from common import (
    chunked,
    console,
    figure_table,
    filesystem_of,
    merged,
    minute_pool,
    print_figures,
    print_header,
)
from onwatch.accounts.roles import Role
from onwatch.accounts.users import add_user
from onwatch.leader import SingleNodeLeader
from onwatch.policy import load_policy
from onwatch.probes.base import CheckResult, FailureClass
from onwatch.runtime import Service
from onwatch.scheduler import Scheduler
from onwatch.settings import InstanceSettings
from onwatch.store.batches import insert_many
from onwatch.store.database import Database, open_database
from onwatch.store.results import RESULT_COLUMNS, result_values
from onwatch.store.rollups import HOUR, MINUTE, ROLLUP_COLUMNS
from onwatch.store.tables import check_results, monitors, rollups_hour, rollups_minute
from onwatch.store.writer import Writer
from onwatch.web.app import create_app
from onwatch.web.context import WebContext
from onwatch.web.dashboard.views import monitor_list

MONITORS = 5_000
NOW = 1_795_357_050.0  # 2026-11-22 14:17:30 UTC
RAW_PER_MONITOR = 5
INTERVAL = 60.0
PASSWORD = "bench horse battery staple"  # noqa: S105  (a throwaway database's user)
SECRET = "b" * 48
REPETITIONS = 40
TARGET_MS = 200.0


class FixedClock:
    """The bench's "now" never moves, so the stored data stays current."""

    def now(self) -> float:
        return NOW

    def monotonic(self) -> float:
        return time.monotonic()

    async def sleep_until(self, when: float) -> None:
        return None


def write_policy(folder: Path) -> Path:
    """5,000 HTTP monitors across a few services (``web-0000`` … ``web-4999``)."""
    services = ("shop", "api", "search", "accounts", "media")
    lines = ["apiVersion: onwatch/v1", "services:"]
    lines += [f"  - name: {service}" for service in services]
    lines.append("monitors:")
    for i in range(MONITORS):
        lines.append(
            f"  - {{name: web-{i:04d}, type: http, service: {services[i % len(services)]}, "
            f'url: "https://host-{i:04d}.example/health", interval: 1m, '
            "slow: {first_byte: 800ms, total: 2s}}"
        )
    path = folder / "onwatch.yaml"
    path.write_text("\n".join(lines) + "\n")
    return path


def latest_results(rng: random.Random) -> list[CheckResult]:
    results = []
    for i in range(MONITORS):
        name = f"web-{i:04d}"
        for k in range(RAW_PER_MONITOR):
            at = NOW - (RAW_PER_MONITOR - k) * INTERVAL + rng.uniform(0, 30)
            took = rng.lognormvariate(4.5, 0.5)
            phases = {
                "dns_ms": took * 0.05,
                "connect_ms": took * 0.1,
                "tls_ms": took * 0.2,
                "first_byte_ms": took * 0.5,
                "transfer_ms": took * 0.15,
            }
            roll = rng.random()
            if roll < 0.02:
                phases["first_byte_ms"] = 1200.0
                took = sum(phases.values())
                detail = "slow: first byte took 1.2 s, over the 800 ms agreed (+400 ms)"
                results.append(
                    CheckResult(name, at, False, took, FailureClass.SLOW, **phases, detail=detail)
                )
            elif roll < 0.03:
                detail = f"refused: host-{i:04d}.example:443 refused the connection"
                results.append(
                    CheckResult(
                        name, at, False, 2.0, FailureClass.REFUSED, dns_ms=2.0, detail=detail
                    )
                )
            else:
                results.append(
                    CheckResult(name, at, True, took, **phases, status_code=200, bytes_read=9_000)
                )
    return results


def minute_buckets(days: int) -> list[int]:
    """Starts of the minutes the windows' partial hours cover, and the current hour's."""
    starts: set[int] = set()
    for seconds in (86400, 7 * 86400, days * 86400):
        first = int(NOW - seconds) // MINUTE * MINUTE
        starts.update(range(first, -(-first // HOUR) * HOUR, MINUTE))
    current = int(NOW) // HOUR * HOUR
    starts.update(range(current, int(NOW) // MINUTE * MINUTE + MINUTE, MINUTE))
    return sorted(starts)


def fill(database: Database, days: int) -> dict[str, int]:
    """Bulk-insert monitors, hour and minute rollups and raw results; return row counts."""
    rng = random.Random(7)
    minutes = minute_pool(rng, 240, 1)  # one check a minute
    minute_values = [rollup.values() for rollup in minutes]
    hour_values = [merged(rng.sample(minutes, 60)).values() for _ in range(96)]
    hours = list(range(int(NOW) // HOUR * HOUR - days * 24 * HOUR, int(NOW) + 1, HOUR))
    edge_minutes = minute_buckets(days)
    key = ("monitor_id", "bucket_start", *ROLLUP_COLUMNS)
    with database.engine.begin() as connection:
        connection.execute(
            monitors.insert(),
            [{"id": i + 1, "name": f"web-{i:04d}", "created_at": 0} for i in range(MONITORS)],
        )
    for chunk in chunked(range(1, MONITORS + 1), 250):
        with database.engine.begin() as connection:
            rows = [(m, h, *hour_values[rng.randrange(96)]) for m in chunk for h in hours]
            insert_many(connection, rollups_hour, key, rows)
            rows = [(m, s, *minute_values[rng.randrange(240)]) for m in chunk for s in edge_minutes]
            insert_many(connection, rollups_minute, key, rows)
    results = latest_results(rng)
    with database.engine.begin() as connection:
        insert_many(
            connection,
            check_results,
            RESULT_COLUMNS,
            [result_values(r, int(r.monitor[4:]) + 1) for r in results],
        )
        return {
            table.name: count(connection, table.name)
            for table in (rollups_hour, rollups_minute, check_results)
        }


def count(connection: Connection, name: str) -> int:
    table = {t.name: t for t in (rollups_hour, rollups_minute, check_results)}[name]
    return int(connection.execute(select(func.count()).select_from(table)).scalar_one())


def timed(action: Callable[[], object], repetitions: int) -> list[float]:
    """Milliseconds per call of ``action``, after three warm-up calls."""
    for _ in range(3):
        action()
    times = []
    for _ in range(repetitions):
        started = time.perf_counter()
        action()
        times.append((time.perf_counter() - started) * 1000)
    return times


def summary(times: Sequence[float]) -> tuple[str, str, str]:
    ordered = sorted(times)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return f"{statistics.median(ordered):.1f} ms", f"{p95:.1f} ms", f"{ordered[-1]:.1f} ms"


def log_in(client: TestClient) -> None:
    page = client.get("/login")
    match = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert match, "the login form has no csrf_token field"
    answer = client.post(
        "/login",
        data={"username": "bench", "password": PASSWORD, "next": "/", "csrf_token": match[1]},
        follow_redirects=False,
    )
    assert answer.status_code == 303, f"login failed: {answer.status_code}"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="24 h of rollups instead of 30 days")
    args = parser.parse_args(argv)
    days = 1 if args.quick else 30
    began = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="onwatch-bench-") as folder:
        print_header("onwatch dashboard benchmark", args.quick)
        console.print(
            f"software Python {platform.python_version()}, SQLite {sqlite3.sqlite_version} "
            f"(WAL, synchronous=NORMAL) on {filesystem_of(Path(folder))} in {folder}"
        )
        started = time.perf_counter()
        policy_path = write_policy(Path(folder))
        policy = load_policy(policy_path)
        console.print(
            f"policy   {MONITORS:,} monitors loaded in {time.perf_counter() - started:.1f} s"
        )
        database = open_database(f"sqlite:///{Path(folder) / 'onwatch.db'}")
        started = time.perf_counter()
        counts = fill(database, days)
        size = (Path(folder) / "onwatch.db").stat().st_size / 2**20
        console.print(
            "stored   "
            + ", ".join(f"{n:,} {name}" for name, n in counts.items())
            + f" ({days} d of hours; {size:,.0f} MiB) in {time.perf_counter() - started:.0f} s"
        )
        add_user(database, "bench", PASSWORD, Role.VIEWER)
        clock = FixedClock()
        writer = Writer(database)
        scheduler = Scheduler({}, {}, writer.submit, clock, leader=SingleNodeLeader())
        service = Service(policy_path, policy, database, writer, scheduler, clock)
        context = WebContext(service, InstanceSettings(secret_key=SECRET), SECRET)
        figures = figure_table(
            f"GET through the app, {REPETITIONS} requests each",
            ("request", "rows", "median", "p95", "slowest", "target"),
        )
        with TestClient(create_app(context)) as client:
            log_in(client)
            cases = [
                ("/monitors (page 1)", "/monitors", {}),
                ("/monitors?q=web-42 (search)", "/monitors", {"q": "web-42"}),
                ("/monitors?page=60", "/monitors", {"page": "60"}),
                ("/monitors?per_page=200", "/monitors", {"per_page": "200"}),
                ("/monitors/web-0042", "/monitors/web-0042", {}),
                ("/pools (none: the floor of any page)", "/pools", {}),
            ]
            for label, path, params in cases:
                page = client.get(path, params=params)
                assert page.status_code == 200, f"{path}: {page.status_code}"
                rows = page.text.count("<tr data-monitor=")
                times = timed(lambda p=path, q=params: client.get(p, params=q), REPETITIONS)
                target = (
                    f"< {TARGET_MS:.0f} ms"
                    if path == "/monitors" and "per_page" not in params
                    else ""
                )
                figures.add_row(label, str(rows or "—"), *summary(times), target)
        data = timed(lambda: monitor_list(context), REPETITIONS)
        figures.add_row("views.monitor_list (page 1, no HTTP)", "50", *summary(data), "")
        database.dispose()
        print_figures(figures, began)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

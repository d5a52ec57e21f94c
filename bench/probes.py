"""Probe and scheduler benchmark: HTTP checks per second, CPU per check, lateness, memory.

Run it with ``.venv/bin/python bench/probes.py`` (about 3 minutes) or ``--quick``
(under a minute, 1,000 monitors only). Every check fetches a 171-byte file from
nginx on loopback (Debian's package, from a generated config in a temporary
directory: one worker, no access log) or, without nginx, from an aiohttp server
in a subprocess (the output says which). The URL names ``localhost``, so each
check pays a name lookup as in production.

Each run has its own subprocess (so its peak RSS is its own) on uvloop, as in
production, and measures the real pipeline: the Scheduler (``max_concurrency``
256, the service's default, and ``per_host`` 256, since every monitor here hits
one host) runs HttpProbe checks (a fresh connection and lookup each) whose
results the Writer commits to a SQLite file. After a warm-up, a fixed window
gives checks/s (results committed in it, per second), CPU ms per check (process
CPU time, all threads), p50/p99 lateness over all monitors from the scheduler's
histogram (as ``≤ bound``), skipped starts, peak RSS, and server and machine CPU.

Loads: 1,000 monitors every 1 s, 5,000 every 4 s and 10,000 every 8 s (1,000,
1,250 and 1,250 checks/s offered; 10,000 monitors at the usual 60 s offer only
167/s), then 1,000 every 0.2 s (5,000/s offered, more than the engine can do)
for its maximum. A bare aiohttp loop with 256 workers then makes the same
requests for the same window: through one ``TCPConnector(force_close=True,
use_dns_cache=False)`` (the same work on the wire with the least client
overhead: the stricter baseline), and with a new session and connector per
request (the objects onwatch also makes for each check).

One more saturation run (not with ``--quick``) calls ``gc.collect()`` and
``gc.freeze()`` before the scheduler starts, which the service does not do (yet):
it shows what moving the startup objects (policy, probes, libraries) out of the
collector's way is worth. The steady-state memory that a short window does not
reach (the scheduler's recent lateness values, the writer's cache of open rollup
rows) is estimated with tracemalloc and printed after the table.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import gc
import json
import math
import os
import random
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import tracemalloc
from array import array
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import timedelta
from functools import partial
from importlib.metadata import version
from pathlib import Path
from typing import Any

import aiohttp
import uvloop
from aiohttp import web

from common import (
    console,
    cpu_seconds,
    differences,
    figure_table,
    free_port,
    machine_ticks,
    print_figures,
    print_header,
    print_targets,
    process_family,
    run_measured,
    server_process,
)
from onwatch.clock import SystemClock
from onwatch.lateness import LATENESS_BUCKETS, RECENT_STARTS
from onwatch.leader import SingleNodeLeader
from onwatch.policy.monitors import HttpOptions
from onwatch.probes.base import CheckResult
from onwatch.probes.http import HttpProbe
from onwatch.scheduler import Scheduler
from onwatch.store.database import open_database
from onwatch.store.rollups import HOUR, MINUTE, Rollup
from onwatch.store.writer import CommittedBatch, Writer

CONCURRENCY = 256
PAGE = b"<!doctype html><title>onwatch bench</title><p>" + b"x" * 120 + b"</p>\n"
NGINX = "/usr/sbin/nginx"
NGINX_CONF = """daemon off;
worker_processes 1;
{user}pid {folder}/nginx.pid;
events {{ worker_connections 8192; }}
http {{
    access_log off;
    client_body_temp_path {folder}/body;
    proxy_temp_path {folder}/proxy;
    fastcgi_temp_path {folder}/fastcgi;
    uwsgi_temp_path {folder}/uwsgi;
    scgi_temp_path {folder}/scgi;
    server {{ listen 127.0.0.1:{port} backlog=4096; root {folder}/www; }}
}}
"""
COLUMNS = ("run", "offered/s", "checks/s", "CPU ms", "p50 late", "p99 late", "skipped", "RSS MB")


@dataclass(frozen=True)
class Scenario:
    """One measured run in a subprocess: onwatch's pipeline or a bare aiohttp loop."""

    kind: str  # "onwatch", "bare-shared" or "bare-fresh"
    label: str
    url: str
    monitors: int  # bare loops have none: CONCURRENCY workers
    interval: float
    warmup: float
    window: float
    server: tuple[int, ...]  # pids of the target server, whose CPU is measured too
    freeze: bool = False  # gc.freeze() before the scheduler starts (the service does not)

    @property
    def offered(self) -> float:
        return self.monitors / self.interval


# --- the target server ------------------------------------------------------------------


def serve(port: int, folder: str) -> None:
    """The fallback target: aiohttp serving the files in ``folder`` (in its own process)."""
    app = web.Application()
    app.router.add_static("/", folder)
    loop = uvloop.new_event_loop()
    web.run_app(app, host="127.0.0.1", port=port, print=None, backlog=4096, loop=loop)


@contextmanager
def target_server(choice: str) -> Iterator[tuple[str, str, tuple[int, ...]]]:
    """Serve the page on loopback; yield its URL, what serves it and its process ids."""
    port, host = free_port(), "localhost"
    if {info[4][0] for info in socket.getaddrinfo(host, port)} != {"127.0.0.1"}:
        host = "127.0.0.1"  # localhost also means ::1 here: one address, and no lookup
    url = f"http://{host}:{port}/probe.html"
    with tempfile.TemporaryDirectory(prefix="onwatch-bench-www-") as folder:
        Path(folder, "www").mkdir()
        Path(folder, "www", "probe.html").write_bytes(PAGE)
        nginx = shutil.which("nginx") or (NGINX if Path(NGINX).exists() else None)
        if nginx and choice != "python":
            user = "user root;\n" if os.geteuid() == 0 else ""  # workers must read the temp dir
            Path(folder, "nginx.conf").write_text(
                NGINX_CONF.format(user=user, folder=folder, port=port)
            )
            command = [nginx, "-p", folder, "-c", "nginx.conf", "-e", f"{folder}/error.log"]
            version = subprocess.run([nginx, "-v"], capture_output=True, text=True).stderr
            what = f"{version.strip().split(': ')[-1]} ({nginx}), 1 worker, access log off"
        elif choice == "nginx":
            raise SystemExit("nginx not found (apt-get install nginx), or use --server auto")
        else:
            command = [sys.executable, __file__, "--serve", str(port), f"{folder}/www"]
            what = f"aiohttp server in a subprocess ({'--server python' if nginx else 'no nginx'})"
        with server_process(command, url, PAGE) as server:
            yield url, f"{what}, {len(PAGE)}-byte file at {url}", tuple(process_family(server.pid))


# --- in the subprocess: one scenario ----------------------------------------------------


async def measure(scenario: Scenario, read: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """Warm up, then read the counters at both ends of the window; return the differences."""

    def counters() -> dict[str, Any]:
        busy, ticks = machine_ticks()
        now = {"time": time.monotonic(), "cpu": time.process_time(), "busy": busy, "ticks": ticks}
        return {**read(), **now, "server_cpu": cpu_seconds(scenario.server)}

    print("warmup", flush=True)
    await asyncio.sleep(scenario.warmup)
    print("measure", flush=True)
    before = counters()
    await asyncio.sleep(scenario.window)
    figures = differences(before, counters())
    figures["machine_busy"] = figures.pop("busy") / max(1, figures.pop("ticks"))
    return figures


async def run_onwatch(scenario: Scenario, folder: str) -> dict[str, Any]:
    """Scheduler → HttpProbe → Writer → SQLite, as the service wires them."""
    database = open_database(f"sqlite:///{folder}/bench.db")
    committed, failures = [0], collections.Counter[str]()

    def on_commit(batch: CommittedBatch) -> None:
        committed[0] += len(batch.results)
        failures.update(str(r.failure) for r in batch.results if not r.ok)

    writer = Writer(database, on_commit=on_commit)
    probe = partial(
        HttpProbe, url=scenario.url, options=HttpOptions(), timeout=timedelta(seconds=10)
    )
    names = [f"bench-{i:05d}" for i in range(scenario.monitors)]
    probes, intervals = {n: probe(name=n) for n in names}, dict.fromkeys(names, scenario.interval)
    clock, leader, cap = SystemClock(), SingleNodeLeader(), CONCURRENCY
    scheduler = Scheduler(
        probes, intervals, writer.submit, clock, leader=leader, max_concurrency=cap, per_host=cap
    )
    snapshot_seconds: list[float] = []

    def read() -> dict[str, Any]:
        began = time.perf_counter()
        stats = scheduler.stats().values()
        snapshot_seconds.append(time.perf_counter() - began)
        buckets = [sum(column) for column in zip(*(s.lateness_buckets for s in stats), strict=True)]
        return {
            "checks": committed[0],
            "failures": dict(failures),
            "skipped_behind": sum(s.skipped_behind for s in stats),
            "skipped_busy": sum(s.skipped_busy for s in stats),
            "buckets": buckets,
        }

    if scenario.freeze:
        gc.collect()
        gc.freeze()
    writer.start()
    scheduler.start()
    try:
        figures = await measure(scenario, read)
        figures["queue_at_end"] = writer.queue_depth
        figures["snapshot_ms"] = max(snapshot_seconds) * 1000
    finally:
        await scheduler.stop(grace=10)
        await writer.stop()
        database.dispose()
    return figures


async def run_bare(scenario: Scenario) -> dict[str, Any]:
    """CONCURRENCY workers fetching the URL in a loop, each request on a fresh connection."""
    counts, stop = collections.Counter[str](), asyncio.Event()

    def new_session() -> aiohttp.ClientSession:
        connector = aiohttp.TCPConnector(force_close=True, use_dns_cache=False, limit=0)
        return aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(10))

    async def fetch(session: aiohttp.ClientSession) -> bool:
        async with session.get(scenario.url) as response:
            return response.status == 200 and await response.read() == PAGE

    async def worker(shared: aiohttp.ClientSession | None) -> None:
        while not stop.is_set():
            try:
                if shared is not None:
                    ok = await fetch(shared)
                else:
                    async with new_session() as session:
                        ok = await fetch(session)
            except (aiohttp.ClientError, OSError, TimeoutError):
                ok = False
            counts["checks" if ok else "failed"] += 1

    async with new_session() as shared:
        use = shared if scenario.kind == "bare-shared" else None
        workers = [asyncio.create_task(worker(use)) for _ in range(CONCURRENCY)]
        figures = await measure(
            scenario, lambda: {**counts, "failures": {"failed": counts["failed"]}}
        )
        stop.set()
        await asyncio.wait(workers)
    return figures


def child(spec: str) -> None:
    """Run one scenario (in this subprocess) and print its figures as a JSON line."""
    scenario = Scenario(**{**json.loads(spec), "server": tuple(json.loads(spec)["server"])})
    with (
        tempfile.TemporaryDirectory(prefix="onwatch-bench-") as folder,
        asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner,
    ):
        work = run_onwatch(scenario, folder) if scenario.kind == "onwatch" else run_bare(scenario)
        figures = runner.run(work)
    figures["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / 1e6
    print("result " + json.dumps(figures), flush=True)


# --- in the parent: run the scenarios and report ----------------------------------------


def lateness(buckets: list[int], quantile: float) -> str:
    """The ``quantile`` of lateness from cumulative bucket counts, as ``≤ bound``."""
    for bound, count in zip(LATENESS_BUCKETS, buckets, strict=False):
        if count >= quantile * buckets[-1]:
            return f"≤ {bound * 1000:g} ms" if bound < 1 else f"≤ {bound:g} s"
    return f"> {LATENESS_BUCKETS[-1]:g} s"


def held_mb(build: Callable[[int], object], monitors: int, sample: int = 100) -> float:
    """Memory (MB, tracemalloc) that ``build(i)`` for ``sample`` monitors holds, scaled up."""
    tracemalloc.start()
    held = [build(i) for i in range(sample)]
    size = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    del held
    return size / sample * monitors / 1e6


def recent_starts(i: int) -> object:
    """A monitor's ring of recent lateness values once full, as the scheduler keeps it."""
    return array("d", (i + j / 7 for j in range(RECENT_STARTS)))


def cached_rollups(interval: float, spread: float) -> Callable[[int], object]:
    """The rollups the writer's cache holds for one monitor checked every ``interval`` s.

    A full hour row and two minute rows (what ``RollupCache`` keeps), with log-normal latencies around 50 ms whose log has standard
    deviation ``spread``: the wider they spread, the more histogram buckets.
    """
    rng = random.Random(7)

    def build(_: int) -> object:
        rows = []
        for period in (HOUR, MINUTE, MINUTE):
            rollup = Rollup()
            for _ in range(int(period / interval)):
                ms = rng.lognormvariate(math.log(50), spread)
                rollup.add(CheckResult("m", 0.0, ok=True, total_ms=ms, first_byte_ms=ms / 2))
            rows.append(rollup)
        return rows

    return build


def run(scenario: Scenario) -> dict[str, Any]:
    """Run ``scenario`` in its own process and print a line with all its figures."""
    command = [sys.executable, __file__, "--child", json.dumps(asdict(scenario))]
    f = run_measured(command, scenario.label, scenario.warmup + scenario.window)
    f["rate"], f["cpu_ms"] = f["checks"] / f["time"], f["cpu"] / max(1, f["checks"]) * 1000
    failed = ", ".join(f"{k} {v:,}" for k, v in f["failures"].items() if v) or "none"
    line = (
        f"    {scenario.label}: {f['checks']:,} checks in {f['time']:.1f} s = {f['rate']:,.0f}/s; "
        f"{f['cpu_ms']:.2f} CPU ms per check, {f['cpu'] / f['time']:.2f} cores; server "
        f"{f['server_cpu'] / f['time']:.2f} cores; machine {f['machine_busy'] * 100:.0f}% busy; "
        f"failed: {failed}; peak RSS {f['peak_rss_mb']:.0f} MB"
    )
    if scenario.kind == "onwatch":
        line += (
            f"; skipped {f['skipped_behind']:,} behind + {f['skipped_busy']:,} busy; lateness "
            f"p50 {lateness(f['buckets'], 0.5)}, p99 {lateness(f['buckets'], 0.99)}; writer "
            f"queue at end {f['queue_at_end']:,}; stats() snapshot {f['snapshot_ms']:.0f} ms"
        )
    console.print(line)
    return f


def report(runs: dict[Scenario, dict[str, Any]], began: float) -> None:
    """The targets and the table of figures."""
    table = figure_table(f"probe figures (bare: {CONCURRENCY} workers)", COLUMNS)
    for s, f in runs.items():
        ours = s.kind == "onwatch"
        late = [lateness(f["buckets"], q) if ours else "" for q in (0.5, 0.99)]
        skipped = f"{f['skipped_behind'] + f['skipped_busy']:,}" if ours else ""
        figures = (f"{f['rate']:,.0f}", f"{f['cpu_ms']:.2f}", *late, skipped)
        offered = f"{s.offered:,.0f}" if ours else ""
        table.add_row(s.label, offered, *figures, f"{f['peak_rss_mb']:.0f}")
    rate = {s.label: f["rate"] for s, f in runs.items()}
    loaded = [s for s in runs if s.kind == "onwatch" and s.interval >= 1]
    [top] = [rate[s.label] for s in runs if s.kind == "onwatch" and s.interval < 1 and not s.freeze]
    [shared] = [rate[s.label] for s in runs if s.kind == "bare-shared"]
    [fresh] = [rate[s.label] for s in runs if s.kind == "bare-fresh"]
    frozen = [rate[s.label] for s in runs if s.freeze]
    big, rss = loaded[-1], runs[loaded[-1]]["peak_rss_mb"]
    kept = all(rate[s.label] >= 0.97 * s.offered and not runs[s]["skipped_behind"] for s in loaded)
    buckets = [runs[s]["buckets"] for s in loaded]
    in_time = all(b[LATENESS_BUCKETS.index(1.0)] >= 0.99 * b[-1] for b in buckets)
    ring = held_mb(recent_starts, big.monitors)
    narrow, wide = (held_mb(cached_rollups(big.interval, w), big.monitors) for w in (0.1, 0.5))
    console.print(
        f"\nnote: steady state at {big.monitors:,} monitors every {big.interval:g} s, not reached "
        f"in the window above: the scheduler's last {RECENT_STARTS} lateness values per monitor "
        f"(full after {RECENT_STARTS * big.interval / 60:.1f} min) hold about {ring:.0f} MB; the "
        f"writer's cache of open rollup rows (full after an hour) about {narrow:.0f} MB for "
        f"latencies as narrow as these (log-normal, σ 0.1) and {wide:.0f} MB for wide ones "
        f"(σ 0.5); so expect up to {rss + ring + wide:.0f} MB"
    )
    rates = ", ".join(f"{rate[s.label]:,.0f}/s" for s in loaded)
    p99 = ", ".join(lateness(b, 0.99) for b in buckets)
    print_targets(
        [
            ("≥ 1,000 checks/s sustained (saturation)", f"{top:,.0f}/s", top >= 1_000),
            ("each load kept up (≥ 97%, none skipped)", rates, kept),
            (
                "≥ 0.7 of the bare loop (shared connector)",
                f"{top / shared:.2f}",
                top >= 0.7 * shared,
            ),
            ("  (of the bare loop, new session each)", f"{top / fresh:.2f}", None),
            *(
                [("  (saturation with gc.freeze(), of shared)", f"{frozen[0] / shared:.2f}", None)]
                if frozen
                else []
            ),
            ("p99 lateness < 1 s at every load", p99, in_time),
            (
                f"< 300 MB at {big.monitors:,} monitors",
                f"{rss:.0f} MB peak, ≤ {rss + ring + wide:.0f} MB steady",
                rss + ring + wide < 300,
            ),
        ]
    )
    print_figures(table, began)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="1,000 monitors, short windows")
    parser.add_argument("--server", choices=("auto", "nginx", "python"), default="auto")
    parser.add_argument("--child", help=argparse.SUPPRESS)  # run one scenario
    parser.add_argument("--serve", nargs=2, help=argparse.SUPPRESS)  # the fallback target
    args = parser.parse_args(argv)
    if args.child:
        child(args.child)
        return 0
    if args.serve:
        serve(int(args.serve[0]), args.serve[1])
        return 0
    began = time.perf_counter()
    warmup, window = (2.0, 8.0) if args.quick else (5.0, 20.0)
    loads = [(1_000, 1.0)] if args.quick else [(1_000, 1.0), (5_000, 4.0), (10_000, 8.0)]
    print_header("onwatch probe and scheduler benchmark", args.quick)
    versions = ", ".join(f"{name} {version(name)}" for name in ("aiohttp", "uvloop"))
    console.print(f"software Python {sys.version.split()[0]}, {versions}")
    with target_server(args.server) as (url, what, pids):
        console.print(f"target   {what}")
        console.print(
            f"engine   Scheduler (max_concurrency={CONCURRENCY}, per_host={CONCURRENCY}: one "
            "host) → HttpProbe (fresh connection and lookup per check) → Writer → SQLite file"
        )
        console.print(f"window   {warmup:g} s warm-up, {window:g} s measured, one process each\n")

        def plan(
            kind: str, label: str, monitors: int, interval: float, freeze: bool = False
        ) -> Scenario:
            return Scenario(kind, label, url, monitors, interval, warmup, window, pids, freeze)

        scenarios = [plan("onwatch", f"{n:,} @ {i:g} s", n, i) for n, i in loads] + [
            plan("onwatch", "1,000 @ 0.2 s (saturation)", 1_000, 0.2),
            plan("bare-shared", "bare, shared connector", 0, 1),
            plan("bare-fresh", "bare, new session each", 0, 1),
        ]
        if not args.quick:
            scenarios.append(plan("onwatch", "saturation, gc.freeze()", 1_000, 0.2, freeze=True))
        runs = {scenario: run(scenario) for scenario in scenarios}
    report(runs, began)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Notifications benchmark: outbox drain rate, a failure storm, outage-to-page latency.

Run it with ``.venv/bin/python bench/notify.py`` (about 3 minutes; ``--messages
500 --monitors 200 --outages 10`` for a quick look, ``--parts`` to run some
parts only, ``--help`` for every size). Three parts:

``drain``: for each backend (a SQLite file; PostgreSQL when its binaries are
found) and each kind of channel (our signed webhooks; Apprise's json://), it
fills the outbox with ``--messages`` due rows, then runs the real sender loop
(:func:`onwatch.notify.sender.run_sender`, default limits: 100 rows per claim,
16 sends in flight) until every row is ``sent``, and reports notifications per
second from the first claim to the last commit. The receiver is a separate
process on loopback that answers 200 at once, so the figure is onwatch's cost:
claim, sign or render, POST, store the attempt. Target: at least 200
notifications/s.

``storm``: ``--monitors`` HTTP monitors (10 s interval, confirmation 2,
spread over ``--services`` services) all fail at once. A service is assembled
as ``onwatch serve`` builds it, minus the scheduler and the web app: the real
:class:`~onwatch.store.writer.Writer`, the incident engine
(:func:`~onwatch.notify.engine.incident_engine_task`, 1 s ticks) and the
sender (:func:`~onwatch.notify.sender.sender_task`, 1 s poll), on the system
clock. A simulated prober submits each monitor's results to the writer at its
check times (phases spread evenly over the interval; a refused connection,
50 ms), so every monitor's second failure (the confirming one) arrives within
one interval. The escalation's first step notifies ``alice.sms`` and the team
``ops`` (alice, bob) by email, later steps bob and carol. Once the first steps
of every incident are written and delivered to a recording receiver (json://
on loopback, another process), it reports the incidents opened, the monitors
they name and the messages each contact received: grouping must keep it to a
handful (one incident per service).

``latency``: outage start to first notification delivered, in real time, on
SQLite. ``--outages`` monitors (10 s interval, confirmation 2), each in a
service of its own so that no grouping hides a page, plus ``--healthy``
passing monitors for background load, with random phases. Each outage starts
at a random moment within ``--window`` seconds; the prober's checks fail from
then on. Every incident's first step pages ``alice.sms``; the receiver stamps
each arrival with the system clock. Reported: p50/p99/max of (first message
received − the first failed check's start), also from the outage's start and
from the confirming check's start (onwatch's own delay: writer batching,
engine tick, sender poll, sending). Target: p99 under interval ×
confirmations + 2 s = 22 s.

The machine is shared (2 cores, other jobs and tests running), so the header
prints the load average; real-time figures include waiting for the CPU.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import heapq
import logging
import math
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections import Counter
from collections.abc import AsyncIterator, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import SecretStr
from rich.table import Table

from common import (
    console,
    figure_table,
    free_port,
    fresh_database,
    postgres_server,
    print_figures,
    print_header,
    print_targets,
    server_process,
)
from onwatch.clock import SystemClock
from onwatch.incidents import list_incidents
from onwatch.leader import SingleNodeLeader
from onwatch.notify.engine import TICK, incident_engine_task
from onwatch.notify.outbox import counts, enqueue, rows
from onwatch.notify.sender import (
    DEFAULT_LIMIT,
    DEFAULT_WORKERS,
    POLL_INTERVAL,
    run_sender,
    sender_task,
)
from onwatch.policy import Policy, load_policy, parse_policy
from onwatch.probes.base import CheckResult, FailureClass
from onwatch.runtime import Service
from onwatch.scheduler import Scheduler
from onwatch.settings import InstanceSettings
from onwatch.store.database import open_database
from onwatch.store.writer import Writer

TARGET = 200.0
CONFIRM = 2  # the default confirmation, as the bench policies leave it
CHECK_SECONDS = 0.05  # a failing check: connection refused, answered at once
RECEIVER = """
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"
    def do_GET(self):
        self._answer()
    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self._answer()
    def _answer(self):
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")
    def log_message(self, *args):
        pass

ThreadingHTTPServer.request_queue_size = 256  # 16 sends in flight must not be reset
server = ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Handler)
server.daemon_threads = True
server.serve_forever()
"""


RECORDER = """
import json, sys, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        self._answer()
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        arrived = time.time()
        try:
            text = str(json.loads(body).get("title") or "")
        except ValueError:
            text = ""
        text = " ".join(text.split()) or "-"
        sys.stdout.write(f"{arrived:.6f}\\t{self.path}\\t{text}\\n")
        sys.stdout.flush()
        self._answer()
    def _answer(self):
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")
    def log_message(self, *args):
        pass

ThreadingHTTPServer.request_queue_size = 256
server = ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Handler)
server.daemon_threads = True
server.serve_forever()
"""


@dataclass(frozen=True)
class Arrival:
    """One message the recording receiver accepted: when (system clock), path, title."""

    at: float
    path: str
    title: str


class Recorder:
    """A loopback receiver process that stamps every POST it accepts with the system clock."""

    def __init__(self) -> None:
        self.port = free_port()
        self.arrivals: list[Arrival] = []
        self._lock = threading.Lock()
        self._process = subprocess.Popen(
            [sys.executable, "-c", RECORDER, str(self.port)], stdout=subprocess.PIPE, text=True
        )
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        for line in self._process.stdout or ():
            at, path, title = line.rstrip("\n").split("\t", 2)
            with self._lock:
                self.arrivals.append(Arrival(float(at), path, title))

    def wait_ready(self) -> None:
        url = f"http://127.0.0.1:{self.port}/"
        for _ in range(100):
            with contextlib.suppress(OSError), urllib.request.urlopen(url, timeout=1) as answer:
                if answer.read() == b"ok":
                    return
            if self._process.poll() is not None:
                raise SystemExit("the recording receiver exited")
            time.sleep(0.1)
        raise SystemExit(f"the recording receiver does not answer at {url}")

    def received(self) -> list[Arrival]:
        with self._lock:
            return list(self.arrivals)

    def clear(self) -> None:
        with self._lock:
            self.arrivals.clear()

    def stop(self) -> None:
        self._process.terminate()
        self._process.wait(10)
        self._reader.join(5)


@contextlib.contextmanager
def recorder() -> Iterator[Recorder]:
    """A running :class:`Recorder` for the ``with`` block."""
    recording = Recorder()
    try:
        recording.wait_ready()
        yield recording
    finally:
        recording.stop()


@contextlib.contextmanager
def receiver() -> Iterator[int]:
    """A loopback receiver process answering 200 to everything; its port."""
    port = free_port()
    command = [sys.executable, "-c", RECEIVER, str(port)]
    with server_process(command, f"http://127.0.0.1:{port}/", b"ok"):
        yield port


def bench_policy(port: int) -> Policy:
    return parse_policy(
        "apiVersion: onwatch/v1\n"
        "contacts:\n"
        "  - name: ops\n"
        "    channels:\n"
        f"      webhook: {{webhook: 'http://127.0.0.1:{port}/hook', secret: '${{BENCH_SECRET}}'}}\n"
        f"      json: json://127.0.0.1:{port}/json\n"
    )


def fill(url: str, channel: str, messages: int) -> None:
    database = open_database(url)
    with database.engine.begin() as connection:
        for n in range(messages):
            enqueue(
                connection,
                key=f"bench/{channel}/{n}",
                contact="ops",
                channel=channel,
                title=f"checkout is down ({n})",
                short=f"checkout down ({n})",
                full=f"checkout is down: 5 of 5 checks failed ({n})",
                payload={"n": n},
                due_at=0.0,
                now=0.0,
            )
    database.dispose()


async def drain(url: str, policy: Policy, messages: int) -> float:
    """Run the real sender until every row is sent; seconds it took."""
    database = open_database(url)
    stopping = asyncio.Event()
    began = time.perf_counter()
    task = asyncio.create_task(
        run_sender(
            database,
            policy=lambda: policy,
            leader=SingleNodeLeader(),
            clock=SystemClock(),
            stopping=stopping,
            poll=0.01,
        )
    )
    while True:
        await asyncio.sleep(0.01)
        with database.engine.connect() as connection:
            states = counts(connection)
        if states.get("sent", 0) + states.get("failed", 0) >= messages:
            break
    elapsed = time.perf_counter() - began
    stopping.set()
    await task
    database.dispose()
    if states.get("failed"):
        console.print(f"[red]{states['failed']} messages failed[/red]")
    return elapsed


# --- a service as `onwatch serve` assembles it, minus the scheduler and the web app ------


def contacts_yaml(port: int) -> str:
    """Contacts, a team and the escalation every incident of the bench policies follows."""
    base = f"json://127.0.0.1:{port}"
    return (
        "contacts:\n"
        f"  - {{name: alice, channels: {{sms: '{base}/alice/sms', email: '{base}/alice/email'}}}}\n"
        f"  - {{name: bob, channels: {{sms: '{base}/bob/sms', email: '{base}/bob/email'}}}}\n"
        f"  - {{name: carol, channels: {{sms: '{base}/carol/sms'}}}}\n"
        "teams:\n"
        "  - {name: ops, members: [alice, bob]}\n"
        "escalation:\n"
        "  - name: default\n"
        "    steps:\n"
        "      - {after: 0m, notify: [alice.sms, ops.email]}\n"
        "      - {after: 5m, notify: [bob.sms]}\n"
        "      - {after: 15m, notify: [carol.sms]}\n"
    )


def monitors_yaml(services: dict[str, list[str]], interval: float) -> str:
    """Services and their HTTP monitors (nothing listens at the URLs: the bench probes)."""
    lines = ["services:"] + [f"  - {{name: {service}}}" for service in services]
    lines.append("monitors:")
    for service, names in services.items():
        lines += [
            f"  - {{name: {name}, type: http, url: 'http://127.0.0.1:9/{name}', "
            f"service: {service}, interval: {interval:g}s}}"
            for name in names
        ]
    return "\n".join(lines) + "\n"


@dataclass(frozen=True)
class Simulated:
    """One monitor the simulated prober checks every ``interval`` from ``first``;
    its checks fail from ``fails_from`` on (None: never)."""

    name: str
    first: float
    fails_from: float | None


def check_result(monitor: Simulated, at: float) -> CheckResult:
    if monitor.fails_from is not None and at >= monitor.fails_from:
        return CheckResult(
            monitor=monitor.name,
            started_at=at,
            ok=False,
            failure=FailureClass.REFUSED,
            total_ms=CHECK_SECONDS * 1000,
            detail="connection refused",
        )
    return CheckResult(
        monitor=monitor.name,
        started_at=at,
        ok=True,
        total_ms=CHECK_SECONDS * 1000,
        first_byte_ms=CHECK_SECONDS * 700,
        status_code=200,
        bytes_read=1_000,
    )


async def prober(
    writer: Writer, monitors: Sequence[Simulated], interval: float, until: float
) -> None:
    """Submit each monitor's results to the writer in real time, as its probe would: a check
    starting at ``t`` is submitted at ``t`` + :data:`CHECK_SECONDS`; checks start until ``until``."""
    due = [(monitor.first, n) for n, monitor in enumerate(monitors)]
    heapq.heapify(due)
    while due and due[0][0] < until:
        at, n = heapq.heappop(due)
        delay = at + CHECK_SECONDS - time.time()
        if delay > 0:
            await asyncio.sleep(delay)
        writer.submit(check_result(monitors[n], at))
        heapq.heappush(due, (at + interval, n))


SETTINGS = InstanceSettings(
    public_url="https://onwatch.example", secret_key=SecretStr("bench-secret-key-" * 3)
)


@contextlib.asynccontextmanager
async def service_running(url: str, policy_file: Path) -> AsyncIterator[Service]:
    """The writer, the incident engine and the sender as ``onwatch serve`` runs them
    (shipped defaults: writer batches of up to 0.2 s, 1 s engine ticks, 1 s sender poll)."""
    clock = SystemClock()
    database = await asyncio.to_thread(open_database, url)
    writer = Writer(database)
    leader = SingleNodeLeader()
    scheduler = Scheduler({}, {}, writer.submit, clock, leader=leader)  # never started
    service = Service(
        policy_file, load_policy(policy_file), database, writer, scheduler, clock, leader=leader
    )
    writer.start()
    tasks = [
        asyncio.create_task(incident_engine_task(service)),
        asyncio.create_task(sender_task(SETTINGS)(service)),
    ]
    try:
        yield service
    finally:
        service.stopping.set()
        await asyncio.gather(*tasks)
        await writer.stop()
        database.dispose()


# --- 1,000 monitors fail at once ---------------------------------------------------------


@dataclass
class Storm:
    """What a storm led to."""

    incidents: int
    service_incidents: int
    named: int
    rows: int
    received: Counter[str]
    seconds: float  # from the first confirming check's start to the last message received
    missing: int  # outbox rows that were not delivered when the bench gave up


async def storm(url: str, folder: str, port: int, recording: Recorder, args: Any) -> Storm:
    interval = args.interval
    services = {
        f"svc-{s:02d}": [
            f"svc-{s:02d}-m{m:04d}" for m in range(args.monitors) if m % args.services == s
        ]
        for s in range(args.services)
    }
    names = [name for members in services.values() for name in members]
    policy_file = Path(folder) / f"storm-{len(os.listdir(folder))}.yaml"
    policy_file.write_text(
        "apiVersion: onwatch/v1\n" + monitors_yaml(services, interval) + contacts_yaml(port),
        encoding="utf-8",
    )
    recording.clear()
    async with service_running(url, policy_file) as service:
        start = time.time() + 1.0
        ordered = sorted(names, key=lambda name: int(name.rsplit("m", 1)[1]))
        monitors = [
            Simulated(name, start + n * interval / len(ordered), fails_from=start)
            for n, name in enumerate(ordered)
        ]
        # Each monitor's first two checks: both fail, the second confirms.
        await prober(service.writer, monitors, interval, start + CONFIRM * interval)
        confirmed = time.time()
        await service.writer.flush()
        deadline = confirmed + args.storm_timeout
        await asyncio.sleep(2 * TICK)  # the engine has seen every confirming result
        while True:
            database = service.database
            with database.engine.connect() as connection:
                incidents = list_incidents(connection, limit=100_000)
                states = counts(connection)
                written = rows(connection)
            first_steps_done = all(i.next_step >= 1 or i.round > 0 for i in incidents)
            delivered = len(recording.received())
            settled = states.get("sent", 0) + states.get("failed", 0)
            if first_steps_done and settled == len(written) and delivered >= len(written):
                break
            if time.time() > deadline:
                console.print("[red]storm: gave up waiting for the first steps[/red]")
                break
            await asyncio.sleep(0.1)
    arrivals = recording.received()
    received = Counter("{}.{}".format(*a.path.strip("/").split("/")[:2]) for a in arrivals)
    first_confirming = start + (CONFIRM - 1) * interval
    last = max((a.at for a in arrivals), default=math.nan)
    return Storm(
        incidents=len(incidents),
        service_incidents=sum(1 for i in incidents if i.subject_kind == "service"),
        named=len({member for i in incidents for member in i.members}),
        rows=len(written),
        received=received,
        seconds=last - first_confirming,
        missing=max(len(written) - len(arrivals), 0),
    )


# --- outage start to first notification ------------------------------------------------


@dataclass(frozen=True)
class Page:
    """One measured outage: when it started, its first failed and confirming checks, the page."""

    outage: float
    first_failed: float
    confirming: float
    received: float


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q`` quantile (0–1) by linear interpolation between the closest ranks."""
    ordered = sorted(values)
    if len(ordered) == 1:
        return ordered[0]
    return statistics.quantiles(ordered, n=100, method="inclusive")[round(q * 100) - 1]


async def latency(
    url: str, folder: str, port: int, recording: Recorder, args: Any
) -> tuple[list[Page], int]:
    """Measured pages, and how many outages sent no page in time."""
    interval, rng = args.interval, random.Random(6)
    outages = [f"out-{n:03d}" for n in range(args.outages)]
    healthy = {
        f"web-{s}": [f"web-{s}-m{m:04d}" for m in range(args.healthy) if m % 10 == s]
        for s in range(min(10, args.healthy))
    }
    services = {f"svc-{name}": [name] for name in outages} | healthy
    policy_file = Path(folder) / "latency.yaml"
    policy_file.write_text(
        "apiVersion: onwatch/v1\n" + monitors_yaml(services, interval) + contacts_yaml(port),
        encoding="utf-8",
    )
    recording.clear()
    async with service_running(url, policy_file) as service:
        begin = time.time() + 1.0
        warm = begin + interval  # every monitor passes at least once first
        monitors = [
            Simulated(
                name,
                begin + rng.uniform(0, interval),
                fails_from=warm + rng.uniform(0, args.window) if name in outages else None,
            )
            for members in services.values()
            for name in members
        ]
        starts = {m.name: m.fails_from for m in monitors if m.fails_from is not None}
        until = max(starts.values()) + CONFIRM * interval + args.page_timeout
        probing = asyncio.create_task(prober(service.writer, monitors, interval, until))
        pattern = re.compile(r"\bout-\d{3}\b")
        while time.time() < until:
            paged = {m.group(0) for a in recording.received() if (m := pattern.search(a.title))}
            if paged >= set(outages):
                break
            await asyncio.sleep(0.2)
        probing.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await probing
    first: dict[str, float] = {}
    for arrival in recording.received():
        found = pattern.search(arrival.title)
        if found and arrival.path == "/alice/sms":
            first[found.group(0)] = min(first.get(found.group(0), arrival.at), arrival.at)
    pages = []
    for monitor in monitors:
        if monitor.fails_from is None or monitor.name not in first:
            continue
        periods = max(0, math.ceil((monitor.fails_from - monitor.first) / interval))
        failed = monitor.first + periods * interval
        pages.append(
            Page(
                monitor.fails_from,
                failed,
                failed + (CONFIRM - 1) * interval,
                first[monitor.name],
            )
        )
    return pages, len(outages) - len(pages)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--parts",
        default="drain,storm,latency",
        help="comma-separated parts to run: drain, storm, latency (default all)",
    )
    parser.add_argument(
        "--messages", type=int, default=3000, help="drain: rows per measurement (default 3000)"
    )
    parser.add_argument("--no-postgres", action="store_true", help="measure SQLite only")
    parser.add_argument(
        "--monitors", type=int, default=1000, help="storm: monitors failing at once (default 1000)"
    )
    parser.add_argument(
        "--services", type=int, default=10, help="storm: services they belong to (default 10)"
    )
    parser.add_argument(
        "--storm-timeout",
        type=float,
        default=60.0,
        help="storm: seconds to wait for the first steps after the last confirmation (default 60)",
    )
    parser.add_argument(
        "--outages", type=int, default=40, help="latency: outages measured (default 40)"
    )
    parser.add_argument(
        "--healthy",
        type=int,
        default=1000,
        help="latency: passing monitors checked alongside, for load (default 1000)",
    )
    parser.add_argument(
        "--window",
        type=float,
        default=40.0,
        help="latency: seconds over which the outages start (default 40)",
    )
    parser.add_argument(
        "--page-timeout",
        type=float,
        default=30.0,
        help="latency: seconds past interval x confirmations to wait for a page (default 30)",
    )
    parser.add_argument(
        "--interval", type=float, default=10.0, help="check interval in seconds (default 10)"
    )
    args = parser.parse_args(argv)
    parts = {part.strip() for part in args.parts.split(",") if part.strip()}
    if unknown := parts - {"drain", "storm", "latency"}:
        parser.error(f"unknown parts: {', '.join(sorted(unknown))}")
    logging.getLogger("onwatch").setLevel(logging.ERROR)  # not every incident opened
    began = time.perf_counter()
    quick = args.messages < 3000 or args.monitors < 1000 or args.outages < 40
    print_header("onwatch notifications benchmark", quick=quick)
    os.environ.setdefault("BENCH_SECRET", "bench-secret")
    targets: list[tuple[str, str, bool | None]] = []
    tables = []
    settings = {} if args.no_postgres else {"fsync": "on", "synchronous_commit": "on"}
    with (
        tempfile.TemporaryDirectory(prefix="onwatch-bench-notify-") as folder,
        contextlib.ExitStack() as stack,
    ):
        server, described = (
            (None, "skipped")
            if args.no_postgres or not parts & {"drain", "storm"}
            else stack.enter_context(postgres_server(settings))
        )
        console.print(f"postgresql: {described}")
        if "drain" in parts:
            console.print(
                f"drain: {DEFAULT_LIMIT} rows per claim, {DEFAULT_WORKERS} sends in flight; "
                f"{args.messages:,} messages per measurement"
            )
            table, met = run_drain(args, folder, server)
            tables.append(table)
            targets.append(met)
        if parts & {"storm", "latency"}:
            recording = stack.enter_context(recorder())
            console.print(
                f"service: writer batches ≤ 0.2 s, engine tick {TICK:g} s, sender poll "
                f"{POLL_INTERVAL:g} s; checks every {args.interval:g} s, confirmation {CONFIRM}"
            )
        if "storm" in parts:
            tables += run_storm(args, folder, server, recording, targets)
        if "latency" in parts:
            tables.append(run_latency(args, folder, recording, targets))
    for table in tables[:-1]:
        console.print()
        console.print(table)
    if tables:
        print_figures(tables[-1], began)
    print_targets(targets)
    return 0 if all(met is not False for _, _, met in targets) else 1


def run_drain(args: Any, folder: str, server: Any) -> tuple[Table, tuple[str, str, bool]]:
    figures = figure_table(
        "drain rate", ("backend", "channel", "messages", "seconds", "per second")
    )
    rates: list[float] = []
    with receiver() as port:
        policy = bench_policy(port)
        for backend in ("SQLite", "PostgreSQL"):
            for channel in ("webhook", "json"):
                purpose = f"{backend.lower()}_{channel}"
                with fresh_database(backend, folder, server, purpose) as url:
                    if url is None:
                        continue
                    fill(url, channel, args.messages)
                    seconds = asyncio.run(drain(url, policy, args.messages))
                    rate = args.messages / seconds
                    rates.append(rate)
                    label = "signed webhook" if channel == "webhook" else "json:// (Apprise)"
                    figures.add_row(
                        backend, label, f"{args.messages:,}", f"{seconds:.2f}", f"{rate:,.0f}/s"
                    )
    slowest = min(rates)
    met = ("outbox drain ≥ 200 notifications/s", f"{slowest:,.0f}/s (slowest)", slowest >= TARGET)
    return figures, met


def run_storm(
    args: Any,
    folder: str,
    server: Any,
    recording: Recorder,
    targets: list[tuple[str, str, bool | None]],
) -> list[Table]:
    console.print(f"storm: {args.monitors:,} monitors in {args.services} services fail at once")
    summary = figure_table(
        f"{args.monitors:,} monitors fail at once ({args.services} services)",
        ("backend", "incidents", "service incidents", "monitors named", "messages", "last page"),
    )
    messages = figure_table(
        "messages per contact (first steps: alice.sms, ops.email)",
        ("backend", "alice.sms", "alice.email", "bob.email", "bob.sms", "carol.sms", "total"),
    )
    results: dict[str, Storm] = {}
    for backend in ("SQLite", "PostgreSQL"):
        with fresh_database(backend, folder, server, "storm") as url:
            if url is None:
                continue
            found = asyncio.run(storm(url, folder, recording.port, recording, args))
            results[backend] = found
            summary.add_row(
                backend,
                str(found.incidents),
                str(found.service_incidents),
                f"{found.named:,} of {args.monitors:,}",
                f"{found.rows:,}" + (f" ({found.missing} undelivered)" if found.missing else ""),
                f"{found.seconds:.1f} s after the first confirming check",
            )
            counted = found.received
            messages.add_row(
                backend,
                *(
                    str(counted.get(name, 0))
                    for name in ("alice.sms", "alice.email", "bob.email", "bob.sms", "carol.sms")
                ),
                str(sum(counted.values())),
            )
    for backend, found in results.items():
        most = max(found.received.values(), default=0)
        grouped = found.incidents == args.services and found.named == args.monitors
        targets.append(
            (
                f"grouping ({backend}): one incident per service, naming all its monitors",
                f"{found.incidents} incidents naming {found.named:,} monitors",
                grouped,
            )
        )
        targets.append(
            (
                f"messages per contact channel ({backend}), a handful",
                f"at most {most}",
                None,
            )
        )
    return [summary, messages]


def run_latency(
    args: Any, folder: str, recording: Recorder, targets: list[tuple[str, str, bool | None]]
) -> Table:
    console.print(
        f"latency: {args.outages} outages starting within {args.window:g} s, "
        f"{args.healthy:,} healthy monitors alongside (SQLite)"
    )
    url = f"sqlite:///{folder}/latency.db"
    pages, missed = asyncio.run(latency(url, folder, recording.port, recording, args))
    table = figure_table(
        f"outage to first page, {args.interval:g} s checks, confirmation {CONFIRM} "
        f"({len(pages)} outages, SQLite)",
        ("measured from", "p50", "p99", "max"),
    )
    rows_ = {
        "first failed check's start": [p.received - p.first_failed for p in pages],
        "outage start": [p.received - p.outage for p in pages],
        "confirming check's start": [p.received - p.confirming for p in pages],
    }
    for label, values in rows_.items():
        if values:
            table.add_row(
                label,
                f"{percentile(values, 0.5):.2f} s",
                f"{percentile(values, 0.99):.2f} s",
                f"{max(values):.2f} s",
            )
    limit = args.interval * CONFIRM + 2.0
    delays = rows_["first failed check's start"]
    p99 = percentile(delays, 0.99) if delays else math.inf
    measured = f"p99 {p99:.2f} s" + (f", {missed} outages never paged" if missed else "")
    targets.append(
        (f"first failed check → page p99 < {limit:g} s", measured, p99 < limit and not missed)
    )
    return table


if __name__ == "__main__":
    sys.exit(main())

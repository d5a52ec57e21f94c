"""Notifications benchmark: the outbox drain rate to a local HTTP receiver, real sender.

Run it with ``.venv/bin/python bench/notify.py`` (under a minute; ``--messages
500`` for a quick look). For each backend (a SQLite file; PostgreSQL when its
binaries are found) and each kind of channel (our signed webhooks; Apprise's
json://), it fills the outbox with ``--messages`` due rows, then runs the real
sender loop (:func:`onwatch.notify.sender.run_sender`, default limits: 100 rows
per claim, 16 sends in flight) until every row is ``sent``, and reports
notifications per second from the first claim to the last commit. The
receiver is a separate process on loopback that answers 200 at once, so the
figure is onwatch's cost: claim, sign or render, POST, store the attempt.
Target: at least 200 notifications/s.

TODO (needs the incident engine of issue 6, not built here):

- 1,000 monitors fail at once: how many messages each contact receives
  (grouping must keep it to a handful);
- outage start to first notification delivered, for 10 s check intervals
  (target: p99 under interval x confirmations + 2 s).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence

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
from onwatch.leader import SingleNodeLeader
from onwatch.notify.outbox import counts, enqueue
from onwatch.notify.sender import DEFAULT_LIMIT, DEFAULT_WORKERS, run_sender
from onwatch.policy import Policy, parse_policy
from onwatch.store.database import open_database

TARGET = 200.0
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


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--messages", type=int, default=3000, help="rows drained per measurement (default 3000)"
    )
    parser.add_argument("--no-postgres", action="store_true", help="measure SQLite only")
    args = parser.parse_args(argv)
    began = time.perf_counter()
    print_header("onwatch notifications benchmark", quick=args.messages < 3000)
    console.print(
        f"sender: {DEFAULT_LIMIT} rows per claim, {DEFAULT_WORKERS} sends in flight; "
        f"{args.messages:,} messages per measurement"
    )
    os.environ.setdefault("BENCH_SECRET", "bench-secret")
    figures = figure_table(
        "drain rate", ("backend", "channel", "messages", "seconds", "per second")
    )
    rates: list[float] = []
    settings = {} if args.no_postgres else {"fsync": "on", "synchronous_commit": "on"}
    with (
        tempfile.TemporaryDirectory(prefix="onwatch-bench-notify-") as folder,
        receiver() as port,
        contextlib.ExitStack() as stack,
    ):
        server, described = (
            (None, "skipped")
            if args.no_postgres
            else stack.enter_context(postgres_server(settings))
        )
        console.print(f"postgresql: {described}")
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
    print_figures(figures, began)
    slowest = min(rates)
    print_targets(
        [("outbox drain ≥ 200 notifications/s", f"{slowest:,.0f}/s (slowest)", slowest >= TARGET)]
    )
    return 0 if slowest >= TARGET else 1


if __name__ == "__main__":
    sys.exit(main())

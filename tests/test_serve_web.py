"""``onwatch serve`` with its web app, as an operator runs it: a real process on loopback.

Each test starts the installed console script on a SQLite file in ``tmp_path``
with HTTP monitors pointing at a local aiohttp server, and talks to it over
HTTP. Waiting is always a bounded poll (up to 20 s); no test asserts how long
anything took.
"""

from __future__ import annotations

import asyncio
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import httpx
import pytest
from aiohttp import web

from netutil import free_port
from onwatch.accounts.roles import Role
from onwatch.accounts.tokens import create_token
from onwatch.store.database import open_database

ONWATCH = Path(sys.executable).parent / "onwatch"
PASSWORD_LINE = re.compile(r"admin password \(shown once\): (\S+)")
T = TypeVar("T")


def eventually(check: Callable[[], T], what: str, log: Callable[[], str] = str) -> T:
    """Poll ``check`` until it returns something true; fail after 20 s."""
    deadline = time.monotonic() + 20.0
    while time.monotonic() < deadline:
        if value := check():
            return value
        time.sleep(0.05)
    raise AssertionError(f"gave up waiting for {what}\n{log()}")


@pytest.fixture(scope="module")
def target() -> Iterator[str]:
    """A local HTTP server that answers ``ok`` on every path; yields its base URL."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()

    async def handle(_request: web.Request) -> web.Response:
        return web.Response(text="ok")

    async def start() -> web.AppRunner:
        app = web.Application()
        app.router.add_get("/{tail:.*}", handle)
        runner = web.AppRunner(app)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", 0).start()
        return runner

    runner = asyncio.run_coroutine_threadsafe(start(), loop).result(10)
    yield f"http://127.0.0.1:{runner.addresses[0][1]}"
    asyncio.run_coroutine_threadsafe(runner.cleanup(), loop).result(10)
    loop.call_soon_threadsafe(loop.stop)
    thread.join(10)
    loop.close()


def write_policy(folder: Path, base: str, monitors: int = 1, interval: str = "500ms") -> Path:
    lines = ["apiVersion: onwatch/v1", "monitors:"]
    for i in range(monitors):
        lines += [f"  - name: page-{i}", "    type: http", f"    url: {base}/page/{i}"]
        lines += [f"    interval: {interval}", "    timeout: 5s"]
    policy = folder / "onwatch.yaml"
    policy.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return policy


@dataclass
class Serving:
    """One ``onwatch serve`` process, its output files and its address."""

    process: subprocess.Popen[bytes]
    base: str
    stdout: Path
    stderr: Path

    def output(self) -> str:
        return self.stdout.read_text(encoding="utf-8", errors="replace")

    def log(self) -> str:
        return f"stdout:\n{self.output()}\nstderr:\n{self.stderr.read_text(errors='replace')}"

    def get(self, path: str, token: str | None = None) -> httpx.Response:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return httpx.get(self.base + path, headers=headers, timeout=10)

    def healthy(self) -> bool:
        try:
            return self.get("/healthz").status_code == 200
        except httpx.TransportError:
            return False


@contextmanager
def serving(folder: Path, policy: Path, run: int) -> Iterator[Serving]:
    """Start ``onwatch serve`` on ``folder/onwatch.db`` and wait until /healthz answers."""
    port = free_port()
    stdout, stderr = folder / f"serve-{run}.out", folder / f"serve-{run}.log"
    command = [str(ONWATCH), "serve", "--policy", str(policy), "--listen", f"127.0.0.1:{port}"]
    command += ["--db", f"sqlite:///{folder / 'onwatch.db'}", "--pid-file", "onwatch.pid"]
    with stdout.open("wb") as out, stderr.open("wb") as err:
        process = subprocess.Popen(command, cwd=folder, stdout=out, stderr=err)
    serve = Serving(process, f"http://127.0.0.1:{port}", stdout, stderr)
    try:
        eventually(lambda: serve.healthy() or process.poll() is not None, "/healthz", serve.log)
        assert process.poll() is None, f"serve exited early:\n{serve.log()}"
        yield serve
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def stored(database: Path) -> tuple[int, int]:
    """(raw results, checks counted in the minute rollups) in the SQLite file."""
    with closing(sqlite3.connect(f"file:{database}?mode=ro", uri=True)) as connection:
        raw = connection.execute("SELECT count(*) FROM check_results").fetchone()[0]
        rolled = connection.execute("SELECT sum(total) FROM rollups_minute").fetchone()[0]
    return raw, rolled or 0


def viewer_token(database: Path) -> str:
    db = open_database(f"sqlite:///{database}")
    try:
        return create_token(db, "tests", Role.VIEWER, created_by="tests").plaintext
    finally:
        db.dispose()


def test_serve_answers_healthz_and_shows_stored_results_to_a_token_holder(
    tmp_path: Path, target: str
) -> None:
    with serving(tmp_path, write_policy(tmp_path, target), run=1) as serve:
        token = viewer_token(tmp_path / "onwatch.db")
        health = serve.get("/healthz").json()
        eventually(lambda: stored(tmp_path / "onwatch.db")[0] >= 2, "results", serve.log)

        page = serve.get("/api/v1/monitors/page-0/results", token).json()
        anonymous = serve.get("/api/v1/monitors")

        assert (health["status"], health["database"]["reachable"]) == ("ok", True)
        assert len(page["results"]) >= 2
        assert all(r["ok"] and r["status_code"] == 200 for r in page["results"])
        assert anonymous.status_code == 401
        assert f"dashboard: {serve.base}/" in serve.output()
        serve.process.send_signal(signal.SIGTERM)
        assert serve.process.wait(timeout=30) == 0


def test_the_first_admin_password_is_printed_once_and_not_again_on_restart(
    tmp_path: Path, target: str
) -> None:
    policy = write_policy(tmp_path, target)
    with serving(tmp_path, policy, run=1) as first:
        passwords = eventually(lambda: PASSWORD_LINE.findall(first.output()), "the password")
        first.process.send_signal(signal.SIGTERM)
        first.process.wait(timeout=30)
    with serving(tmp_path, policy, run=2) as second:
        eventually(lambda: "onwatch is running" in second.output(), "the banner", second.log)

        assert len(passwords) == 1
        assert len(passwords[0]) >= 20
        assert "admin password" not in second.output()
        assert first.log().count(passwords[0]) == 1  # on stdout, never in the log
        assert passwords[0] not in second.log()


def test_kill_9_mid_write_loses_no_committed_result_and_the_restart_is_clean(
    tmp_path: Path, target: str
) -> None:
    database = tmp_path / "onwatch.db"
    policy = write_policy(tmp_path, target, monitors=20, interval="100ms")
    with serving(tmp_path, policy, run=1) as first:
        eventually(lambda: stored(database)[0] >= 300, "a few batches", first.log)
        committed, _ = stored(database)
        first.process.send_signal(signal.SIGKILL)  # the writer commits several times a second
        first.process.wait(timeout=30)

    raw, rolled = stored(database)
    assert raw >= committed
    assert rolled == raw  # results and their rollups commit together or not at all
    with serving(tmp_path, policy, run=2) as second:
        token = viewer_token(database)
        eventually(lambda: stored(database)[0] > raw, "new results after the restart", second.log)
        stats = second.get("/api/v1/monitors/page-0/stats?window=1h", token).json()

        assert second.get("/healthz").json()["status"] == "ok"
        assert stats["count"] >= 1
        assert "Traceback" not in second.log()
        second.process.send_signal(signal.SIGTERM)
        assert second.process.wait(timeout=30) == 0
    with closing(sqlite3.connect(database)) as connection:
        assert connection.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_serve_refuses_a_listen_address_in_use_with_a_clear_error(
    tmp_path: Path, target: str
) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = subprocess.run(
            [
                str(ONWATCH),
                "serve",
                "--policy",
                str(write_policy(tmp_path, target)),
                "--listen",
                f"127.0.0.1:{port}",
                "--db",
                "sqlite:///onwatch.db",
            ],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )

    assert done.returncode == 1
    assert f"error: cannot listen on 127.0.0.1:{port}: Address already in use" in done.stderr
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "onwatch.db").exists()

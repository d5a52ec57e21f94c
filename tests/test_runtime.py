"""``onwatch serve``, ``reload`` and ``probe`` as a user runs them: real processes, real files.

Each test starts the installed console script against a SQLite file in
``tmp_path`` and HTTP monitors pointing at a local aiohttp server run by the
test. Waiting is always a bounded poll of the database or the log (up to 20 s);
no test asserts how long anything took.
"""

from __future__ import annotations

import asyncio
import re
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import pytest
from aiohttp import web

from netutil import free_port

ONWATCH = Path(sys.executable).parent / "onwatch"
SLOW_ANSWER = 2.0  # seconds /slow/... takes to answer
T = TypeVar("T")


class Target:
    """A local HTTP server that counts requests per path; ``/slow/...`` answers late."""

    def __init__(self) -> None:
        self.arrived: Counter[str] = Counter()
        self.answered: Counter[str] = Counter()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._runner: web.AppRunner | None = None
        self.base = ""

    async def _handle(self, request: web.Request) -> web.Response:
        path = request.path
        self.arrived[path] += 1
        if path.startswith("/slow/"):
            await asyncio.sleep(SLOW_ANSWER)
        self.answered[path] += 1
        return web.Response(text="ok")

    async def _start(self) -> None:
        app = web.Application()
        app.router.add_get("/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        self.base = f"http://127.0.0.1:{self._runner.addresses[0][1]}"

    def __enter__(self) -> Target:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._start(), self._loop).result(10)
        return self

    def __exit__(self, *_: object) -> None:
        if self._runner is not None:
            asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._loop.close()


@pytest.fixture
def target() -> Iterator[Target]:
    with Target() as server:
        yield server


def policy_text(base: str, monitors: dict[str, str]) -> str:
    """A policy of HTTP monitors (name → path on ``base``), each checked every 500 ms."""
    lines = ["apiVersion: onwatch/v1", "monitors:"]
    for name, path in monitors.items():
        lines += [f"  - name: {name}", "    type: http", f"    url: {base}{path}"]
        lines += ["    interval: 500ms", "    timeout: 10s"]
    return "\n".join(lines) + "\n"


def eventually(
    check: Callable[[], T], what: str, log: Callable[[], str] = str, timeout: float = 20.0
) -> T:
    """Poll ``check`` until it returns something true; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"gave up waiting after {timeout:g}s for {what}\n{log()}")


@dataclass
class Serving:
    """A running ``onwatch serve`` and the files it uses."""

    process: subprocess.Popen[bytes]
    policy: Path
    database: Path
    pid_file: Path
    stderr: Path

    def log(self) -> str:
        return self.stderr.read_text(encoding="utf-8", errors="replace")

    def results(self) -> Counter[str]:
        """Stored results per monitor name (nothing while the schema is being made)."""
        try:
            uri = f"file:{self.database}?mode=ro"
            with closing(sqlite3.connect(uri, uri=True)) as connection:
                rows = connection.execute(
                    "SELECT m.name, count(*) FROM check_results c"
                    " JOIN monitors m ON m.id = c.monitor_id GROUP BY m.name"
                ).fetchall()
        except sqlite3.OperationalError:
            return Counter()
        return Counter(dict(rows))

    def results_for(self, name: str, at_least: int) -> None:
        eventually(lambda: self.results()[name] >= at_least, f"{name} results", self.log)

    def stop(self) -> int:
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=30)


@contextmanager
def serving(tmp_path: Path, policy: str) -> Iterator[Serving]:
    policy_file, stderr = tmp_path / "onwatch.yaml", tmp_path / "serve.log"
    policy_file.write_text(policy, encoding="utf-8")
    database, pid_file = tmp_path / "onwatch.db", tmp_path / "onwatch.pid"
    command = [str(ONWATCH), "serve", "--policy", str(policy_file), "--db", f"sqlite:///{database}"]
    command += ["--listen", f"127.0.0.1:{free_port()}"]
    with stderr.open("wb") as errors:
        process = subprocess.Popen(
            [*command, "--pid-file", str(pid_file)],
            cwd=tmp_path,
            stdout=subprocess.DEVNULL,
            stderr=errors,
        )
    run = Serving(process, policy_file, database, pid_file, stderr)
    try:
        eventually(lambda: pid_file.exists() or process.poll() is not None, "a pid", run.log)
        assert process.poll() is None, f"serve exited early:\n{run.log()}"
        yield run
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def onwatch(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(ONWATCH), *args], cwd=cwd, capture_output=True, text=True, timeout=60, check=False
    )


def test_serve_stores_results_of_every_monitor_and_exits_0_on_sigterm(
    tmp_path: Path, target: Target
) -> None:
    with serving(tmp_path, policy_text(target.base, {"home": "/", "about": "/about"})) as run:
        assert int(run.pid_file.read_text()) == run.process.pid
        run.results_for("home", 2)
        run.results_for("about", 2)
        assert run.stop() == 0
        assert not run.pid_file.exists()
        assert "stopped" in run.log()


def test_sigterm_lets_checks_in_flight_finish_and_flushes_their_results(
    tmp_path: Path, target: Target
) -> None:
    with serving(tmp_path, policy_text(target.base, {"slow": "/slow/page"})) as run:
        eventually(
            lambda: target.arrived["/slow/page"] > target.answered["/slow/page"], "a check", run.log
        )
        assert run.stop() == 0
    assert target.arrived["/slow/page"] >= 1
    assert run.results()["slow"] == target.arrived["/slow/page"]  # none lost, none made up


def test_sighup_with_an_invalid_policy_logs_each_error_with_its_place_and_keeps_the_old_one(
    tmp_path: Path, target: Target
) -> None:
    with serving(tmp_path, policy_text(target.base, {"home": "/"})) as run:
        run.results_for("home", 1)
        broken = policy_text(target.base, {"home": "/", "other": "/other"})
        broken = broken.replace("interval: 500ms", "interval: soon", 1)
        run.policy.write_text(broken.replace(f"{target.base}/other", "not-a-url"), encoding="utf-8")
        run.process.send_signal(signal.SIGHUP)
        eventually(lambda: "previous policy keeps running" in run.log(), "the rejection", run.log)
        where = re.escape(str(run.policy))
        assert re.search(
            rf"{where}:6:15: monitors\[0\]\.interval: \"soon\" is not a duration", run.log()
        )
        assert re.search(rf"{where}:10:10: monitors\[1\]\.url: ", run.log())
        before = run.results()["home"]
        run.results_for("home", before + 2)  # the old policy still runs
        assert "other" not in run.results()
        assert run.stop() == 0


def test_onwatch_reload_with_a_valid_changed_policy_adds_a_monitor(
    tmp_path: Path, target: Target
) -> None:
    with serving(tmp_path, policy_text(target.base, {"home": "/"})) as run:
        run.results_for("home", 1)
        changed = policy_text(target.base, {"home": "/", "added": "/added"})
        run.policy.write_text(changed, encoding="utf-8")
        done = onwatch("reload", "--pid-file", str(run.pid_file), cwd=tmp_path)
        assert done.returncode == 0, done.stderr
        assert f"pid {run.process.pid}" in done.stdout
        run.results_for("added", 1)
        assert "added: added" in run.log()
        assert run.stop() == 0


def test_a_second_serve_with_the_same_pid_file_refuses_to_start(
    tmp_path: Path, target: Target
) -> None:
    with serving(tmp_path, policy_text(target.base, {"home": "/"})) as run:
        policy, pid_file = str(run.policy), str(run.pid_file)
        listen = f"127.0.0.1:{free_port()}"
        second = onwatch(
            "serve", "--policy", policy, "--pid-file", pid_file, "--listen", listen, cwd=tmp_path
        )
        assert second.returncode == 1
        assert f"onwatch is already running (pid {run.process.pid}" in second.stderr
        assert int(run.pid_file.read_text()) == run.process.pid
        assert run.stop() == 0


def test_reload_says_so_when_no_instance_runs_or_the_pid_file_is_stale(tmp_path: Path) -> None:
    missing = onwatch("reload", "--pid-file", "nothing.pid", cwd=tmp_path)
    assert missing.returncode == 1
    assert "no onwatch is running here: nothing.pid does not exist" in missing.stderr
    finished = subprocess.Popen([sys.executable, "-c", "pass"])
    finished.wait()
    (tmp_path / "old.pid").write_text(f"{finished.pid}\n")
    stale = onwatch("reload", "--pid-file", "old.pid", cwd=tmp_path)
    assert stale.returncode == 1
    assert "stale pid file old.pid" in stale.stderr


def test_serve_refuses_an_invalid_policy_before_starting_anything(tmp_path: Path) -> None:
    (tmp_path / "bad.yaml").write_text("apiVersion: onwatch/v1\nmonitors: 12\n", encoding="utf-8")
    listen = f"127.0.0.1:{free_port()}"
    done = onwatch(
        "serve",
        "--policy",
        "bad.yaml",
        "--db",
        "sqlite:///onwatch.db",
        "--listen",
        listen,
        cwd=tmp_path,
    )
    assert done.returncode == 1
    assert "bad.yaml:2:" in done.stderr
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "onwatch.pid").exists()
    assert not (tmp_path / "onwatch.db").exists()


def test_probe_shows_each_phase_of_one_check_and_exits_0_when_it_passes(
    tmp_path: Path, target: Target
) -> None:
    (tmp_path / "p.yaml").write_text(policy_text(target.base, {"home": "/"}), encoding="utf-8")
    done = onwatch("probe", "home", "--policy", "p.yaml", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    for phase in ("DNS", "connect", "TLS", "first byte", "transfer", "total"):
        assert phase in done.stdout
    assert "status 200 · 2 bytes · ok" in done.stdout
    assert target.arrived["/"] == 1


def test_probe_exits_1_with_the_failure_class_when_the_check_fails(tmp_path: Path) -> None:
    closed = "http://127.0.0.1:9"  # the discard port: nothing listens on loopback
    policy = (
        f"apiVersion: onwatch/v1\npools:\n  - name: api\n    targets: [{closed}/a, {closed}/b]\n"
    )
    (tmp_path / "p.yaml").write_text(policy, encoding="utf-8")
    done = onwatch("probe", "api#2", "--policy", "p.yaml", cwd=tmp_path)
    assert done.returncode == 1
    assert "failed: refused" in done.stdout


def test_probe_suggests_the_closest_names_for_an_unknown_monitor(tmp_path: Path) -> None:
    policy = policy_text("http://127.0.0.1:9", {"checkout": "/", "home": "/"})
    (tmp_path / "p.yaml").write_text(policy, encoding="utf-8")
    done = onwatch("probe", "chekout", "--policy", "p.yaml", cwd=tmp_path)
    assert done.returncode == 1
    assert 'no monitor named "chekout" in the policy (did you mean checkout?)' in done.stderr

"""A pool is judged from its backends' latest results: losing one of two servers is noticed."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from onwatch.policy.monitors import Pool
from onwatch.pools import PoolState, judge_pool
from onwatch.probes.base import CheckResult, FailureClass
from onwatch.store.batches import write_batch
from onwatch.store.database import open_database
from onwatch.store.monitors import MonitorIds
from onwatch.store.results import latest_results

ONWATCH = str(Path(sys.executable).with_name("onwatch"))


def pool(targets: int, min_healthy: int) -> Pool:
    urls = [f"http://10.0.0.{i + 1}/health" for i in range(targets)]
    return Pool.model_validate({"name": "api", "targets": urls, "min_healthy": min_healthy})


def up(name: str, at: float = 1000.0) -> CheckResult:
    return CheckResult(monitor=name, started_at=at, ok=True, total_ms=12.0)


def down(name: str, at: float = 1000.0) -> CheckResult:
    return CheckResult(
        monitor=name, started_at=at, ok=False, failure=FailureClass.REFUSED, detail="refused"
    )


@pytest.mark.parametrize(
    ("targets", "min_healthy", "healthy", "state"),
    [
        (2, 2, 2, PoolState.HEALTHY),
        (2, 2, 1, PoolState.REDUNDANCY_LOST),
        (2, 2, 0, PoolState.DOWN),
        (3, 2, 2, PoolState.DEGRADED),
        (3, 2, 1, PoolState.REDUNDANCY_LOST),
        (3, 1, 1, PoolState.DEGRADED),
    ],
)
def test_a_pool_is_judged_by_how_many_backends_answer(
    targets: int, min_healthy: int, healthy: int, state: PoolState
) -> None:
    the_pool = pool(targets, min_healthy)
    names = [the_pool.target_monitor_name(i) for i in range(targets)]
    latest = {n: up(n) if i < healthy else down(n) for i, n in enumerate(names)}
    status = judge_pool(the_pool, latest)
    assert (status.state, status.healthy, status.total) == (state, healthy, targets)


def test_losing_one_of_two_servers_says_users_still_get_answers() -> None:
    status = judge_pool(pool(2, 2), {"api#1": up("api#1"), "api#2": down("api#2")})
    assert status.summary.startswith("api: 1 of 2 backends healthy (needs 2): redundancy lost")
    assert "users still get answers" in status.summary


def test_a_pool_nobody_has_checked_yet_is_unknown_and_an_unchecked_backend_is_not_healthy() -> None:
    assert judge_pool(pool(2, 2), {}).state is PoolState.UNKNOWN
    partly = judge_pool(pool(2, 2), {"api#1": up("api#1")})
    assert partly.state is PoolState.REDUNDANCY_LOST
    assert [b.latest is None for b in partly.backends] == [False, True]


def test_the_store_returns_each_monitors_newest_result(database_url: str) -> None:
    database = open_database(database_url)
    write_batch(
        database,
        MonitorIds(),
        [up("api#1", 100.0), down("api#1", 200.0), up("api#2", 150.0), up("other", 300.0)],
    )
    with database.engine.connect() as connection:
        latest = latest_results(connection, ["api#1", "api#2", "missing"])
    database.dispose()
    assert set(latest) == {"api#1", "api#2"}
    assert latest["api#1"] == down("api#1", 200.0)
    assert latest["api#2"] == up("api#2", 150.0)


class _Ok(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def one_live_backend(tmp_path: Path) -> Iterator[Path]:
    """A policy whose pool has one backend that answers and one port that refuses."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Ok)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    dead = ThreadingHTTPServer(("127.0.0.1", 0), _Ok)
    dead_port = dead.server_address[1]
    dead.server_close()  # nothing listens there any more
    policy = tmp_path / "onwatch.yaml"
    policy.write_text(
        "apiVersion: onwatch/v1\n"
        "pools:\n"
        "  - name: web\n"
        "    timeout: 5s\n"
        f"    targets: [http://127.0.0.1:{server.server_address[1]}/, "
        f"http://127.0.0.1:{dead_port}/]\n"
    )
    yield policy
    server.shutdown()
    server.server_close()


def test_probing_a_pool_checks_every_backend_and_reports_lost_redundancy(
    one_live_backend: Path,
) -> None:
    done = subprocess.run(
        [ONWATCH, "probe", "web", "--policy", str(one_live_backend)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1, done.stderr
    assert "web: 1 of 2 backends healthy (needs 2): redundancy lost" in done.stdout
    assert "refused" in done.stdout


def test_onwatch_pools_judges_from_stored_results(one_live_backend: Path, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/onwatch.db"
    database = open_database(url)
    write_batch(database, MonitorIds(), [up("web#1", time.time()), up("web#2", time.time())])
    database.dispose()
    command = [ONWATCH, "pools", "--policy", str(one_live_backend), "--db", url]
    healthy = subprocess.run(command, capture_output=True, text=True, timeout=60)
    assert healthy.returncode == 0, healthy.stderr
    assert "web: 2 of 2 backends healthy (needs 2): healthy" in healthy.stdout

    database = open_database(url)
    write_batch(database, MonitorIds(), [down("web#2", time.time() + 1)])
    database.dispose()
    lost = subprocess.run(command, capture_output=True, text=True, timeout=60)
    assert lost.returncode == 1
    assert "redundancy lost" in lost.stdout

"""``onwatch demo`` as a user runs it: a real process, its banner, its database, a clean stop.

Waiting is always a bounded poll of the output, the database or the log; no
test asserts how long anything took.
"""

from __future__ import annotations

import socket
import sqlite3
import subprocess
import time
from contextlib import closing
from pathlib import Path

import httpx
import pytest
from demoprocess import ONWATCH, start_demo, stop_demo

pytestmark = pytest.mark.slow


def failures_of(db: Path, monitor: str) -> list[str]:
    with closing(sqlite3.connect(db)) as connection:
        rows = connection.execute(
            "SELECT r.failure FROM check_results r JOIN monitors m ON m.id = r.monitor_id"
            " WHERE m.name = ? AND NOT r.ok",
            (monitor,),
        ).fetchall()
    return [failure for (failure,) in rows]


def test_the_demo_prints_the_password_once_and_says_how_to_reset_it_afterwards(
    tmp_path: Path,
) -> None:
    with start_demo(tmp_path) as first:
        assert first.password is not None
        assert httpx.get(first.url + "healthz").status_code == 200
        assert stop_demo(first) == 0
    with start_demo(tmp_path) as second:
        text = "\n".join(second.banner)
        assert second.password is None
        assert first.password not in text
        assert f"onwatch user reset-password admin --db sqlite:///{tmp_path}/demo.db" in text
        assert stop_demo(second) == 0


def test_the_second_backend_dies_when_told_and_the_pool_check_sees_it(tmp_path: Path) -> None:
    with start_demo(tmp_path, {"ONWATCH_DEMO_POOL_DIES_AFTER": "1s"}) as demo:
        assert "the second stops answering after 1s" in "\n".join(demo.banner)
        deadline = time.monotonic() + 40  # the pool is checked every 10 s
        while "refused" not in failures_of(demo.db, "api-pool#2"):
            if time.monotonic() > deadline:
                pytest.fail(f"api-pool#2 never refused; log:\n{demo.log.read_text()}")
            time.sleep(0.5)
        assert failures_of(demo.db, "api-pool#1") == []
        assert stop_demo(demo) == 0
    assert "backend-2 (port" in demo.log.read_text()


def test_a_busy_listen_address_is_one_clear_error_before_anything_starts(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        done = subprocess.run(
            [str(ONWATCH), "demo", "--listen", f"127.0.0.1:{port}", "--db", "sqlite:///x.db"],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert done.returncode == 1
    assert f"cannot listen on 127.0.0.1:{port}" in done.stderr
    assert not (tmp_path / "x.db").exists(), "nothing started"


def test_a_pool_death_that_is_not_a_duration_is_refused(tmp_path: Path) -> None:
    done = subprocess.run(
        [str(ONWATCH), "demo", "--pool-dies-after", "soon"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert "not a duration" in done.stderr

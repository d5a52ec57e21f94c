"""The test harness itself: a throwaway PostgreSQL on loopback, and one URL per backend."""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from sqlalchemy import create_engine, text

from pgserver import (
    MISSING_MESSAGE,
    ExternalPostgres,
    PostgresError,
    PostgresServer,
    ThrowawayPostgres,
    find_postgres_bindir,
)

_HERE = Path(__file__).resolve().parent
_PR_SET_CHILD_SUBREAPER = 36


@pytest.fixture(scope="module")
def bindir() -> Path:
    found = find_postgres_bindir()
    if found is None:
        pytest.skip(MISSING_MESSAGE)
    return found


@pytest.fixture(scope="module")
def server(postgres: PostgresServer | None, bindir: Path) -> Iterator[ThrowawayPostgres]:
    """The session's throwaway server, or one of our own when the session uses an existing one."""
    if isinstance(postgres, ThrowawayPostgres):
        yield postgres
        return
    with ThrowawayPostgres(bindir) as own:
        yield own


@pytest.fixture
def reachable_dir() -> Iterator[Path]:
    """An empty directory the postgres OS user can enter (pytest's tmp_path is root-only)."""
    path = Path(tempfile.mkdtemp(prefix="onwatch-test-"))
    path.chmod(0o755)
    yield path
    shutil.rmtree(path, ignore_errors=True)


def _refuses_connections(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=2):
            return False
    except OSError:
        return True


def _is_running(pid: int) -> bool:
    """True while ``pid`` exists and is not a zombie waiting to be reaped."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return False
    return fields[0] != "Z"


def _wait_until(condition: Callable[[], bool], timeout: float = 15.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return bool(condition())


@pytest.mark.postgres
def test_the_throwaway_server_answers_a_psycopg_query_on_loopback(
    server: ThrowawayPostgres,
) -> None:
    with psycopg.connect(server.libpq_url("postgres")) as conn:
        row = conn.execute(
            "SELECT host(inet_server_addr()), current_user,"
            " current_setting('listen_addresses'), 6 * 7"
        ).fetchone()
    assert row == ("127.0.0.1", "onwatch", "127.0.0.1", 42)


@pytest.mark.postgres
def test_it_gives_sqlalchemy_urls_for_the_psycopg_driver(server: ThrowawayPostgres) -> None:
    assert server.url("x") == f"postgresql+psycopg://onwatch@127.0.0.1:{server.port}/x"


@pytest.mark.postgres
def test_it_trades_durability_for_speed(server: ThrowawayPostgres) -> None:
    with server.connect() as conn:
        settings = {
            name: conn.execute(f"SHOW {name}").fetchone()
            for name in ("fsync", "synchronous_commit", "full_page_writes")
        }
    assert settings == dict.fromkeys(settings, ("off",))


@pytest.mark.postgres
def test_two_created_databases_do_not_see_each_others_tables(server: ThrowawayPostgres) -> None:
    with server.temporary_database("left") as left, server.temporary_database("right") as right:
        left_engine, right_engine = create_engine(left), create_engine(right)
        try:
            with left_engine.begin() as conn:
                conn.execute(text("CREATE TABLE checks (name text)"))
                conn.execute(text("INSERT INTO checks VALUES ('homepage')"))
            with right_engine.connect() as conn:
                assert conn.execute(text("SELECT to_regclass('checks')")).scalar() is None
            with left_engine.connect() as conn:
                assert conn.execute(text("SELECT count(*) FROM checks")).scalar() == 1
        finally:
            left_engine.dispose()
            right_engine.dispose()


@pytest.mark.postgres
def test_a_database_is_dropped_even_while_a_connection_is_still_open(
    server: ThrowawayPostgres,
) -> None:
    server.create_database("left_open")
    forgotten = server.connect("left_open")
    try:
        server.drop_database("left_open")
        with server.connect() as conn:
            found = conn.execute("SELECT 1 FROM pg_database WHERE datname = 'left_open'")
            assert found.fetchone() is None
        with pytest.raises(psycopg.OperationalError):
            forgotten.execute("SELECT 1")
    finally:
        forgotten.close()


@pytest.mark.postgres
def test_a_temporary_database_is_gone_when_its_block_ends(server: ThrowawayPostgres) -> None:
    with server.temporary_database("brief") as url:
        name = url.rsplit("/", 1)[1]
        assert name.startswith("t_brief_")
    with server.connect() as conn:
        found = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,))
        assert found.fetchone() is None


def test_database_names_must_be_plain_identifiers() -> None:
    nowhere = ExternalPostgres("postgresql://nobody@127.0.0.1:1/postgres")
    with pytest.raises(ValueError, match="plain lowercase identifier"):
        nowhere.create_database('x"; DROP DATABASE postgres; --')


def test_an_existing_server_url_keeps_its_credentials_and_admin_database() -> None:
    existing = ExternalPostgres("postgresql://me:s%40cret@db.internal:5432/admin")
    assert existing.admin_database == "admin"
    assert existing.url("t_1") == "postgresql+psycopg://me:s%40cret@db.internal:5432/t_1"


@pytest.mark.postgres
def test_after_the_context_exits_the_port_is_closed_and_the_directory_is_gone(
    bindir: Path, reachable_dir: Path
) -> None:
    with ThrowawayPostgres(bindir, parent_dir=reachable_dir) as pg:
        port, directory, pid = pg.port, pg.directory, pg.pid
        assert (directory / "data" / "PG_VERSION").is_file()
        with pg.connect() as conn:
            assert conn.execute("SELECT 1").fetchone() == (1,)
    assert _refuses_connections(port)
    assert not directory.exists()
    assert not _is_running(pid)
    assert list(reachable_dir.iterdir()) == []


@pytest.mark.postgres
@pytest.mark.skipif(os.geteuid() != 0, reason="only root hands the server to the postgres user")
def test_as_root_the_server_runs_as_the_postgres_user(server: ThrowawayPostgres) -> None:
    postgres_uid = pwd.getpwnam("postgres").pw_uid
    status = Path(f"/proc/{server.pid}/status").read_text()
    uids = next(line.split()[1:] for line in status.splitlines() if line.startswith("Uid:"))
    assert set(uids) == {str(postgres_uid)}
    assert (server.directory / "data").stat().st_uid == postgres_uid


@pytest.mark.postgres
def test_a_server_that_cannot_start_says_why_and_leaves_nothing_behind(
    bindir: Path, reachable_dir: Path
) -> None:
    broken = ThrowawayPostgres(
        bindir, settings={"shared_buffers": "plenty"}, parent_dir=reachable_dir
    )
    with pytest.raises(PostgresError, match="shared_buffers"):
        broken.start()
    assert list(reachable_dir.iterdir()) == []


def test_find_postgres_bindir_takes_the_directory_named_in_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("initdb", "pg_ctl", "postgres"):
        (tmp_path / name).write_text("#!/bin/sh\n")
        (tmp_path / name).chmod(0o755)
    monkeypatch.setenv("ONWATCH_PG_BINDIR", str(tmp_path))
    assert find_postgres_bindir() == tmp_path


def test_find_postgres_bindir_complains_when_the_environment_names_a_wrong_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ONWATCH_PG_BINDIR", str(tmp_path))
    with pytest.raises(PostgresError, match="ONWATCH_PG_BINDIR"):
        find_postgres_bindir()


_HOLD_A_SERVER = """
import json, sys, time
from pathlib import Path
from pgserver import ThrowawayPostgres
pg = ThrowawayPostgres(Path(sys.argv[1]), parent_dir=Path(sys.argv[2])).start()
print(json.dumps({"port": pg.port, "pid": pg.pid, "directory": str(pg.directory)}), flush=True)
time.sleep(120)
"""


def _process_holding_a_server(
    bindir: Path, parent: Path
) -> tuple[subprocess.Popen[str], dict[str, Any]]:
    env = {**os.environ, "PYTHONPATH": str(_HERE)}
    holder = subprocess.Popen(
        [sys.executable, "-c", _HOLD_A_SERVER, str(bindir), str(parent)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )
    assert holder.stdout is not None
    line = holder.stdout.readline()
    if not line:
        holder.kill()
        pytest.fail(f"the helper process exited with {holder.wait()} before starting a server")
    return holder, json.loads(line)


@pytest.mark.postgres
def test_a_test_process_stopped_by_sigterm_stops_its_server_and_cleans_up(
    bindir: Path, reachable_dir: Path
) -> None:
    holder, started = _process_holding_a_server(bindir, reachable_dir)
    holder.send_signal(signal.SIGTERM)
    assert holder.wait(timeout=30) == -signal.SIGTERM
    assert not _is_running(started["pid"])
    assert _refuses_connections(started["port"])
    assert not Path(started["directory"]).exists()


@contextlib.contextmanager
def _adopting_orphans() -> Iterator[None]:
    """Make this process the reaper of orphaned descendants (Linux), so we can reap them."""
    prctl = ctypes.CDLL(None, use_errno=True).prctl
    prctl(_PR_SET_CHILD_SUBREAPER, 1)
    try:
        yield
    finally:
        prctl(_PR_SET_CHILD_SUBREAPER, 0)


def _reaped(pid: int) -> bool:
    try:
        return os.waitpid(pid, os.WNOHANG)[0] == pid
    except ChildProcessError:
        return not _is_running(pid)


@pytest.mark.postgres
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="parent-death signal is Linux")
def test_a_test_process_killed_outright_takes_its_server_with_it(
    bindir: Path, reachable_dir: Path
) -> None:
    with _adopting_orphans():
        holder, started = _process_holding_a_server(bindir, reachable_dir)
        holder.kill()
        holder.wait(timeout=30)
        assert _wait_until(lambda: _reaped(started["pid"]))
    assert _refuses_connections(started["port"])


def test_the_database_url_fixture_gives_a_working_empty_database_for_each_backend(
    database_url: str, request: pytest.FixtureRequest
) -> None:
    engine = create_engine(database_url)
    try:
        assert engine.dialect.name == request.node.callspec.params["database_url"]
        with engine.begin() as conn:
            assert conn.execute(text("SELECT 1")).scalar_one() == 1
            conn.execute(text("CREATE TABLE samples (ok integer)"))
            conn.execute(text("INSERT INTO samples VALUES (1)"))
        with engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM samples")).scalar_one() == 1
    finally:
        engine.dispose()

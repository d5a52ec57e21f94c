"""A private PostgreSQL server in a temporary directory, started from this machine's binaries.

``initdb`` runs into a fresh temporary directory, ``postgres`` starts on a free
loopback port (TCP on 127.0.0.1 only, its unix socket inside that directory,
durability switched off for speed), and on exit the server is stopped and the
directory deleted. ``guard.py`` stops it too when the session fails or is
interrupted; ``processes.py`` runs it as the ``postgres`` OS user when we are root.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType
from typing import Any, Self

import psycopg
from sqlalchemy.engine import URL

from . import guard
from .binaries import BINDIR_ENV, MISSING_MESSAGE, find_postgres_bindir
from .errors import PostgresError
from .processes import check_reachable, child_env, run_as
from .server import PostgresServer

SUPERUSER = "onwatch"
LOOPBACK = "127.0.0.1"
FAST_SETTINGS: Mapping[str, str] = {
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
}
_BIND_FAILURE = re.compile(r"could not bind|could not create any TCP/IP sockets")


def _free_loopback_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((LOOPBACK, 0))
        port: int = probe.getsockname()[1]
        return port


class ThrowawayPostgres(PostgresServer):
    """A private PostgreSQL server in a temporary directory, for one test session.

    Use it as a context manager (or call :meth:`start` and :meth:`stop`)::

        with ThrowawayPostgres() as pg:
            engine = create_engine(pg.create_database("demo"))

    ``settings`` are extra ``postgres -c name=value`` options; they override the
    speed settings (:data:`FAST_SETTINGS`). ``os_user`` is who runs the server
    when we are root. ``parent_dir`` is where the temporary directory goes.
    """

    def __init__(
        self,
        bindir: Path | None = None,
        *,
        superuser: str = SUPERUSER,
        os_user: str = "postgres",
        settings: Mapping[str, str] | None = None,
        start_timeout: float = 30.0,
        parent_dir: Path | None = None,
    ) -> None:
        self._bindir = bindir
        self._superuser = superuser
        self._os_user = os_user
        self._settings = {**FAST_SETTINGS, **(settings or {})}
        self._start_timeout = start_timeout
        self._parent_dir = parent_dir
        self._directory: Path | None = None
        self._process: subprocess.Popen[bytes] | None = None
        self._port: int | None = None
        self._as_user: dict[str, Any] = {}

    # --- what a started server exposes ---

    @property
    def port(self) -> int:
        """The loopback TCP port the server listens on."""
        if self._port is None:
            raise PostgresError("the throwaway PostgreSQL server is not running")
        return self._port

    @property
    def directory(self) -> Path:
        """The temporary directory: ``data/``, ``socket/`` and ``server.log``."""
        if self._directory is None:
            raise PostgresError("the throwaway PostgreSQL server is not running")
        return self._directory

    @property
    def pid(self) -> int:
        """The postmaster's process id (also its process group id)."""
        if self._process is None:
            raise PostgresError("the throwaway PostgreSQL server is not running")
        return self._process.pid

    def server_url(self) -> URL:
        """``postgresql+psycopg://<superuser>@127.0.0.1:<port>``."""
        return URL.create(
            "postgresql+psycopg", username=self._superuser, host=LOOPBACK, port=self.port
        )

    def log_tail(self, lines: int = 30) -> str:
        """The last lines of the server's log (empty before it has one)."""
        try:
            text = (self.directory / "server.log").read_text(errors="replace")
        except (OSError, PostgresError):
            return ""
        return "\n".join(text.splitlines()[-lines:])

    # --- lifecycle ---

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def start(self) -> Self:
        """initdb into a fresh directory and start the server; return once it takes connections."""
        if self._directory is not None:
            raise PostgresError("this throwaway PostgreSQL server was already started")
        bindir = self._bindir or find_postgres_bindir()
        if bindir is None:
            raise PostgresError(f"{MISSING_MESSAGE}; install postgresql or set ${BINDIR_ENV}")
        self._bindir = bindir
        guard.install_guards()
        guard.watch(self)
        try:
            self._as_user = run_as(self._os_user)
            self._directory = Path(tempfile.mkdtemp(prefix="onwatch-pg-", dir=self._parent_dir))
            self._prepare_directory()
            self._initdb()
            self._launch()
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        """Stop the server at once (``pg_ctl stop -m immediate``) and delete its directory.

        Falls back to killing the server's process group. Safe to call more than once.
        """
        process, self._process = self._process, None
        if process is not None:
            self._shut_down(process)
        directory, self._directory = self._directory, None
        if directory is not None:
            shutil.rmtree(directory, ignore_errors=True)
        self._port = None
        guard.forget(self)

    # --- internals ---

    def _bin(self, name: str) -> str:
        assert self._bindir is not None
        return str(self._bindir / name)

    def _run(self, args: list[str], timeout: float) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            args,
            capture_output=True,
            text=True,
            timeout=timeout,
            cwd=self.directory,
            env=child_env(),
            stdin=subprocess.DEVNULL,
            check=False,
            **self._as_user,
        )

    def _prepare_directory(self) -> None:
        (self.directory / "socket").mkdir(mode=0o700)
        (self.directory / "server.log").touch(mode=0o600)
        if self._as_user:
            uid, gid = self._as_user["user"], self._as_user["group"]
            check_reachable(self.directory, uid, gid, self._os_user)
            for path in (self.directory, self.directory / "socket", self.directory / "server.log"):
                os.chown(path, uid, gid)

    def _initdb(self) -> None:
        args = [self._bin("initdb"), "--pgdata", str(self.directory / "data")]
        args += ["--username", self._superuser, "--auth", "trust"]
        args += ["--encoding", "UTF8", "--locale", "C", "--no-sync"]
        done = self._run(args, timeout=120)
        if done.returncode != 0:
            output = (done.stdout + done.stderr).strip().splitlines()[-30:]
            raise PostgresError("initdb failed:\n" + "\n".join(output))

    def _launch(self) -> None:
        """Start ``postgres`` on a free port; pick another port if someone took it meanwhile."""
        for _attempt in range(5):
            self._port = _free_loopback_port()
            self._process = self._spawn_postgres(self._port)
            if self._wait_until_ready(self._process):
                return
            self._process = None
        raise PostgresError(f"PostgreSQL found no free port to bind:\n{self.log_tail()}")

    def _spawn_postgres(self, port: int) -> subprocess.Popen[bytes]:
        options = {
            "listen_addresses": LOOPBACK,
            "unix_socket_directories": f'"{self.directory / "socket"}"',
            **self._settings,
        }
        args = [self._bin("postgres"), "-D", str(self.directory / "data"), "-p", str(port)]
        for name, value in options.items():
            args += ["-c", f"{name}={value}"]
        with (self.directory / "server.log").open("ab") as log:
            return subprocess.Popen(
                args,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=self.directory,
                env=child_env(),
                start_new_session=True,  # Ctrl-C reaches pytest, which stops us in order
                preexec_fn=guard.die_with_parent_hook(),
                **self._as_user,
            )

    def _wait_until_ready(self, process: subprocess.Popen[bytes]) -> bool:
        """True once our server answers on its port; False if it could not bind the port."""
        deadline = time.monotonic() + self._start_timeout
        problem = "no answer yet"
        while time.monotonic() < deadline:
            if process.poll() is not None:
                if _BIND_FAILURE.search(self.log_tail(10)):
                    return False
                raise PostgresError(
                    f"PostgreSQL exited with status {process.returncode} while starting:\n"
                    f"{self.log_tail()}"
                )
            try:
                with psycopg.connect(self.libpq_url("postgres"), connect_timeout=2) as conn:
                    row = conn.execute("SELECT current_setting('data_directory')").fetchone()
            except psycopg.Error as exc:
                problem = str(exc).strip()
            else:
                # Answered on our port, but is it our server (and not a neighbour's)?
                if (
                    row is not None
                    and Path(row[0]).resolve() == (self.directory / "data").resolve()
                ):
                    return True
                problem = f"port {self.port} is answered by another server ({row})"
            time.sleep(0.05)
        raise PostgresError(
            f"PostgreSQL did not accept connections on {LOOPBACK}:{self.port} within "
            f"{self._start_timeout:g}s ({problem}). Server log:\n{self.log_tail()}"
        )

    def _shut_down(self, process: subprocess.Popen[bytes]) -> None:
        if process.poll() is None and self._directory is not None:
            stop = [self._bin("pg_ctl"), "stop", "-D", str(self._directory / "data")]
            with contextlib.suppress(OSError, subprocess.SubprocessError):
                self._run([*stop, "-m", "immediate", "-w", "-t", "10"], timeout=20)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            # The postmaster is not reaped yet, so its process group id is still ours.
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)

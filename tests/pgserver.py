"""PostgreSQL for the test run: a throwaway server started from the machine's binaries.

Every storage test runs twice, on a real SQLite file and on a real PostgreSQL
database. This module provides the PostgreSQL half without any service having
to be installed, configured or running beforehand:

* :func:`find_postgres_bindir` finds ``initdb``, ``pg_ctl`` and ``postgres``:
  ``$ONWATCH_PG_BINDIR``, then ``pg_config --bindir``, then the highest
  ``/usr/lib/postgresql/<version>/bin``, then ``$PATH``.
* :class:`ThrowawayPostgres` runs ``initdb`` into a fresh temporary directory,
  starts ``postgres`` on a free loopback port (TCP on 127.0.0.1 only, its unix
  socket inside that directory, durability switched off for speed), and stops
  it and deletes the directory on exit. It is also stopped when the session
  fails or is interrupted: ``atexit``, SIGTERM/SIGHUP handlers, and on Linux a
  parent-death signal, so even a test process killed with SIGKILL takes its
  server with it (the directory is then left behind in the temp dir).
* :class:`ExternalPostgres` wraps an existing server named by
  ``$ONWATCH_TEST_POSTGRES_URL``, a URL for a role allowed to create databases,
  such as ``postgresql://me:secret@127.0.0.1:5432/postgres``.
* :class:`PostgresSource` decides which of the two a test session uses.

Both servers hand out SQLAlchemy URLs (``postgresql+psycopg://...``) and create
and drop databases, so a test never cares which one it got.

PostgreSQL refuses to run as root. When the tests run as root, the temporary
directory is handed to the ``postgres`` OS user and ``initdb``, ``postgres``
and ``pg_ctl`` run as that user; the directory's parents must let that user
through (the system temp dir does; set ``TMPDIR`` if yours does not).
"""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import functools
import os
import pwd
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import FrameType, TracebackType
from typing import Any, Self

import psycopg
from psycopg import sql
from sqlalchemy.engine import URL, make_url

BINDIR_ENV = "ONWATCH_PG_BINDIR"
URL_ENV = "ONWATCH_TEST_POSTGRES_URL"
REQUIRED_BINARIES = ("initdb", "pg_ctl", "postgres")
SUPERUSER = "onwatch"
LOOPBACK = "127.0.0.1"
MISSING_MESSAGE = "PostgreSQL binaries not found: ran the SQLite half only"
FAST_SETTINGS: Mapping[str, str] = {
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
}
_DATABASE_NAME = re.compile(r"[a-z_][a-z0-9_]{0,62}")
_BIND_FAILURE = re.compile(r"could not bind|could not create any TCP/IP sockets")
_PR_SET_PDEATHSIG = 1


class PostgresError(RuntimeError):
    """The test PostgreSQL server could not be found, started or used."""


# --- finding the binaries ---------------------------------------------------------------


def _has_binaries(directory: Path) -> bool:
    return all(
        (directory / name).is_file() and os.access(directory / name, os.X_OK)
        for name in REQUIRED_BINARIES
    )


def _version_key(bindir: Path) -> tuple[int, ...]:
    """``/usr/lib/postgresql/15/bin`` sorts by ``(15,)``; ``9.6`` by ``(9, 6)``."""
    return tuple(int(part) for part in re.findall(r"\d+", bindir.parent.name))


def _pg_config_bindir() -> Path | None:
    pg_config = shutil.which("pg_config")
    if pg_config is None:
        return None
    try:
        done = subprocess.run(
            [pg_config, "--bindir"], capture_output=True, text=True, timeout=10, check=True
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return Path(done.stdout.strip())


def find_postgres_bindir() -> Path | None:
    """Return the directory holding ``initdb``, ``pg_ctl`` and ``postgres``, or None.

    Looks at ``$ONWATCH_PG_BINDIR`` (an error if it is set but wrong), ``pg_config
    --bindir`` (skipped when it names a client-only install), the highest
    ``/usr/lib/postgresql/<version>/bin``, and finally ``initdb`` on ``$PATH``.
    """
    explicit = os.environ.get(BINDIR_ENV)
    if explicit:
        if not _has_binaries(Path(explicit)):
            raise PostgresError(
                f"${BINDIR_ENV}={explicit} does not hold all of {', '.join(REQUIRED_BINARIES)}"
            )
        return Path(explicit)
    candidates: list[Path] = []
    if (from_pg_config := _pg_config_bindir()) is not None:
        candidates.append(from_pg_config)
    versions = Path("/usr/lib/postgresql").glob("*/bin")
    candidates.extend(sorted(versions, key=_version_key, reverse=True))
    if (initdb := shutil.which("initdb")) is not None:
        candidates.extend([Path(initdb).resolve().parent, Path(initdb).parent])
    return next((path for path in candidates if _has_binaries(path)), None)


# --- servers ----------------------------------------------------------------------------


def unique_database_name(hint: str) -> str:
    """A fresh database name that says where it came from.

    ``test_x[postgresql]`` becomes e.g. ``t_test_x_postgresql_1a2b3c4d``.
    """
    readable = re.sub(r"[^a-z0-9]+", "_", hint.lower()).strip("_")[:40]
    return f"t_{readable}_{secrets.token_hex(4)}"


def _check_database_name(name: str) -> None:
    if not _DATABASE_NAME.fullmatch(name):
        raise ValueError(f"not a plain lowercase identifier of at most 63 characters: {name!r}")


class PostgresServer:
    """A PostgreSQL server on which the tests may create and drop databases.

    Subclasses say where the server is (:meth:`server_url`) and which database to
    connect to for administration (:attr:`admin_database`).
    """

    admin_database = "postgres"

    def server_url(self) -> URL:
        """The server's URL without a database name (driver ``postgresql+psycopg``)."""
        raise NotImplementedError

    def url(self, dbname: str) -> str:
        """A SQLAlchemy URL for ``dbname``, e.g. ``postgresql+psycopg://onwatch@127.0.0.1:5433/x``."""
        server = self.server_url().set(drivername="postgresql+psycopg", database=dbname)
        return server.render_as_string(hide_password=False)

    def libpq_url(self, dbname: str) -> str:
        """The same URL in the form psycopg and psql accept (``postgresql://...``)."""
        server = self.server_url().set(drivername="postgresql", database=dbname)
        return server.render_as_string(hide_password=False)

    def connect(self, dbname: str | None = None) -> psycopg.Connection[tuple[Any, ...]]:
        """An autocommit psycopg connection to ``dbname`` (default: the admin database)."""
        conninfo = self.libpq_url(dbname or self.admin_database)
        return psycopg.connect(conninfo, autocommit=True, connect_timeout=10)

    def create_database(self, name: str) -> str:
        """Create an empty database called ``name`` and return its SQLAlchemy URL."""
        _check_database_name(name)
        with self.connect() as conn:
            statement = sql.SQL("CREATE DATABASE {} TEMPLATE template0 ENCODING 'UTF8'")
            conn.execute(statement.format(sql.Identifier(name)))
        return self.url(name)

    def drop_database(self, name: str) -> None:
        """Drop ``name`` if it exists, ending its open connections first."""
        _check_database_name(name)
        with self.connect() as conn:
            conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = %s AND pid <> pg_backend_pid()",
                (name,),
            )
            force = sql.SQL(" WITH (FORCE)" if conn.info.server_version >= 130000 else "")
            drop = sql.SQL("DROP DATABASE IF EXISTS {}{}")
            conn.execute(drop.format(sql.Identifier(name), force))

    @contextlib.contextmanager
    def temporary_database(self, hint: str = "db") -> Iterator[str]:
        """Create a uniquely named database, yield its URL, and drop it afterwards."""
        name = unique_database_name(hint)
        url = self.create_database(name)
        try:
            yield url
        finally:
            self.drop_database(name)


class ExternalPostgres(PostgresServer):
    """An already running server, e.g. from ``$ONWATCH_TEST_POSTGRES_URL``; never stopped by us."""

    def __init__(self, url: str) -> None:
        parsed = make_url(url)
        if parsed.get_backend_name() != "postgresql":
            raise PostgresError(f"not a PostgreSQL URL: {parsed!r}")
        self._server = parsed.set(drivername="postgresql+psycopg", database=None)
        self.admin_database = parsed.database or "postgres"

    def server_url(self) -> URL:
        """The URL given, without its database."""
        return self._server


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
        _install_guards()
        _LIVE.add(self)
        try:
            self._as_user = _run_as(self._os_user)
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
        _LIVE.discard(self)

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
            env=_child_env(),
            stdin=subprocess.DEVNULL,
            check=False,
            **self._as_user,
        )

    def _prepare_directory(self) -> None:
        (self.directory / "socket").mkdir(mode=0o700)
        (self.directory / "server.log").touch(mode=0o600)
        if self._as_user:
            uid, gid = self._as_user["user"], self._as_user["group"]
            _check_reachable(self.directory, uid, gid, self._os_user)
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
                env=_child_env(),
                start_new_session=True,  # Ctrl-C reaches pytest, which stops us in order
                preexec_fn=_die_with_parent_hook(),
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


# --- running as the postgres user, and never outliving the test process ------------------


def _run_as(os_user: str) -> dict[str, Any]:
    """subprocess keyword arguments that drop root to ``os_user`` (none when not root)."""
    if os.geteuid() != 0:
        return {}
    try:
        entry = pwd.getpwnam(os_user)
    except KeyError:
        raise PostgresError(
            f"running as root, and PostgreSQL refuses to run as root: create the {os_user!r} "
            "OS user (Debian's postgresql package does) or run the tests as another user"
        ) from None
    return {"user": entry.pw_uid, "group": entry.pw_gid, "extra_groups": []}


def _check_reachable(path: Path, uid: int, gid: int, os_user: str) -> None:
    for parent in path.parents:
        mode = parent.stat()
        if mode.st_uid == uid:
            searchable = mode.st_mode & 0o100
        elif mode.st_gid == gid:
            searchable = mode.st_mode & 0o010
        else:
            searchable = mode.st_mode & 0o001
        if not searchable:
            raise PostgresError(
                f"the {os_user!r} user cannot reach {path} because {parent} is closed to it; "
                "point TMPDIR at a directory it can reach"
            )


def _child_env() -> dict[str, str]:
    """Our environment minus PG* variables that could point the tools elsewhere."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("PG")}
    env["LC_ALL"] = "C"
    return env


def _free_loopback_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((LOOPBACK, 0))
        port: int = probe.getsockname()[1]
        return port


def _die_with_parent_hook() -> Callable[[], None] | None:
    """On Linux, a preexec hook that makes the kernel send the server SIGQUIT (immediate
    shutdown) when the process that started it dies, even by SIGKILL."""
    if not sys.platform.startswith("linux"):
        return None
    prctl = ctypes.CDLL(None, use_errno=True).prctl
    parent = os.getpid()

    def hook() -> None:
        prctl(_PR_SET_PDEATHSIG, signal.SIGQUIT)
        if os.getppid() != parent:  # the parent died before the hook ran
            os.kill(os.getpid(), signal.SIGKILL)

    return hook


_LIVE: set[ThrowawayPostgres] = set()


def _stop_all_live() -> None:
    for server in list(_LIVE):
        with contextlib.suppress(Exception):
            server.stop()


def _stop_all_then_die(signum: int, _frame: FrameType | None) -> None:
    _stop_all_live()
    signal.signal(signum, signal.SIG_DFL)
    os.kill(os.getpid(), signum)


@functools.cache
def _install_guards() -> None:
    """Stop live servers at interpreter exit and on SIGTERM/SIGHUP (unless already handled)."""
    atexit.register(_stop_all_live)
    if threading.current_thread() is not threading.main_thread():
        return
    for signum in (signal.SIGTERM, signal.SIGHUP):
        if signal.getsignal(signum) is signal.SIG_DFL:
            signal.signal(signum, _stop_all_then_die)


# --- which server a test session uses ---------------------------------------------------


@dataclass(frozen=True)
class PostgresSource:
    """Where a test session gets PostgreSQL from: an existing server, local binaries, or nowhere."""

    external_url: str | None
    bindir: Path | None

    @classmethod
    def detect(cls) -> PostgresSource:
        """``$ONWATCH_TEST_POSTGRES_URL`` if set, else what :func:`find_postgres_bindir` finds."""
        external = os.environ.get(URL_ENV) or None
        return cls(external, None if external else find_postgres_bindir())

    @property
    def available(self) -> bool:
        """Whether the PostgreSQL half of the suite can run."""
        return self.external_url is not None or self.bindir is not None

    def describe(self) -> str:
        """One line for the test report header."""
        if self.external_url is not None:
            shown = make_url(self.external_url).render_as_string(hide_password=True)
            return f"postgresql: existing server {shown} (from ${URL_ENV})"
        if self.bindir is not None:
            return f"postgresql: throwaway server from {self.bindir} (started on first use)"
        return (
            "PostgreSQL binaries not found: running the SQLite half only"
            f" (install postgresql, or set ${BINDIR_ENV} or ${URL_ENV})"
        )

    @contextlib.contextmanager
    def open(self) -> Iterator[PostgresServer]:
        """Yield a server to create databases on; a throwaway one is stopped afterwards."""
        if self.external_url is not None:
            yield ExternalPostgres(self.external_url)
            return
        if self.bindir is None:
            raise PostgresError(MISSING_MESSAGE)
        with ThrowawayPostgres(self.bindir) as server:
            yield server

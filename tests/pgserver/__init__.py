"""PostgreSQL for the test run: a throwaway server started from the machine's binaries.

Every storage test runs twice, on a real SQLite file and on a real PostgreSQL
database. This package provides the PostgreSQL half without any service having
to be installed, configured or running beforehand:

* :func:`find_postgres_bindir` (``binaries.py``) finds ``initdb``, ``pg_ctl`` and
  ``postgres``: ``$ONWATCH_PG_BINDIR``, then ``pg_config --bindir``, then the
  highest ``/usr/lib/postgresql/<version>/bin``, then ``$PATH``.
* :class:`ThrowawayPostgres` (``throwaway.py``) runs ``initdb`` into a fresh
  temporary directory, starts ``postgres`` on a free loopback port (TCP on
  127.0.0.1 only, its unix socket inside that directory, durability switched off
  for speed), and stops it and deletes the directory on exit. It is also stopped
  when the session fails or is interrupted (``guard.py``): ``atexit``,
  SIGTERM/SIGHUP handlers, and on Linux a parent-death signal, so even a test
  process killed with SIGKILL takes its server with it (the directory is then
  left behind in the temp dir).
* :class:`ExternalPostgres` (``server.py``) wraps an existing server named by
  ``$ONWATCH_TEST_POSTGRES_URL``, a URL for a role allowed to create databases,
  such as ``postgresql://me:secret@127.0.0.1:5432/postgres``.
* :class:`PostgresSource` (``source.py``) decides which of the two a test session uses.

Both servers hand out SQLAlchemy URLs (``postgresql+psycopg://...``) and create
and drop databases (:class:`PostgresServer`), so a test never cares which one it got.

PostgreSQL refuses to run as root. When the tests run as root, the temporary
directory is handed to the ``postgres`` OS user and ``initdb``, ``postgres``
and ``pg_ctl`` run as that user (``processes.py``); the directory's parents must
let that user through (the system temp dir does; set ``TMPDIR`` if yours does not).
"""

from __future__ import annotations

from .binaries import MISSING_MESSAGE, find_postgres_bindir
from .errors import PostgresError
from .server import ExternalPostgres, PostgresServer
from .source import PostgresSource
from .throwaway import ThrowawayPostgres

__all__ = [
    "MISSING_MESSAGE",
    "ExternalPostgres",
    "PostgresError",
    "PostgresServer",
    "PostgresSource",
    "ThrowawayPostgres",
    "find_postgres_bindir",
]

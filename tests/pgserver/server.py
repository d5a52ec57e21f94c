"""What every test PostgreSQL server offers: URLs, connections, and databases to create and drop.

:class:`PostgresServer` is the common base; :class:`ExternalPostgres` is an
already running server (``$ONWATCH_TEST_POSTGRES_URL``). The throwaway server
started from local binaries is in ``throwaway.py``.
"""

from __future__ import annotations

import contextlib
import re
import secrets
from collections.abc import Iterator
from typing import Any

import psycopg
from psycopg import sql
from sqlalchemy.engine import URL, make_url

from .errors import PostgresError

_DATABASE_NAME = re.compile(r"[a-z_][a-z0-9_]{0,62}")


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

"""Which PostgreSQL a test session uses: an existing server, local binaries, or nowhere."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import make_url

from .binaries import BINDIR_ENV, MISSING_MESSAGE, find_postgres_bindir
from .errors import PostgresError
from .server import ExternalPostgres, PostgresServer
from .throwaway import ThrowawayPostgres

URL_ENV = "ONWATCH_TEST_POSTGRES_URL"


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

"""Shared fixtures: storage tests run on a real SQLite file and a real PostgreSQL database.

``database_url`` is parametrized with the ids ``sqlite`` and ``postgresql``, so a
test that takes it runs the same scenario on both backends. The PostgreSQL half
gets a fresh database per test on one server per session (``postgres``), started
from the machine's binaries the first time a test needs it (see the ``pgserver`` package).
Without binaries the PostgreSQL half is skipped, and the report says so at the
start and at the end.

Environment:
    ONWATCH_TEST_POSTGRES_URL      use this running server instead of starting one; a URL
                                   for a role that may create databases, e.g.
                                   ``postgresql://me:secret@127.0.0.1:5432/postgres``
    ONWATCH_PG_BINDIR              where initdb, pg_ctl and postgres are, if not found
    ONWATCH_TEST_REQUIRE_POSTGRES  ``1``: refuse to run without PostgreSQL (CI sets it)
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from pgserver import MISSING_MESSAGE, PostgresError, PostgresServer, PostgresSource

_SOURCE = pytest.StashKey[PostgresSource]()
_BANNER = "!" * 78


def pytest_configure(config: pytest.Config) -> None:
    try:
        source = PostgresSource.detect()
    except PostgresError as exc:
        raise pytest.UsageError(str(exc)) from exc
    if not source.available and os.environ.get("ONWATCH_TEST_REQUIRE_POSTGRES") == "1":
        raise pytest.UsageError(f"{MISSING_MESSAGE}, and ONWATCH_TEST_REQUIRE_POSTGRES=1")
    config.stash[_SOURCE] = source


def pytest_report_header(config: pytest.Config) -> list[str]:
    source = config.stash[_SOURCE]
    if source.available:
        return [source.describe()]
    return [_BANNER, source.describe(), _BANNER]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if config.stash[_SOURCE].available:
        return
    for item in items:
        if item.get_closest_marker("postgres"):
            item.add_marker(pytest.mark.skip(reason=MISSING_MESSAGE))


def pytest_terminal_summary(
    terminalreporter: pytest.TerminalReporter, exitstatus: int, config: pytest.Config
) -> None:
    if not config.stash[_SOURCE].available:
        terminalreporter.write_sep("!", MISSING_MESSAGE, red=True, bold=True)


@pytest.fixture(scope="session")
def postgres(pytestconfig: pytest.Config) -> Iterator[PostgresServer | None]:
    """The session's PostgreSQL server, or None when there is none to be had."""
    source = pytestconfig.stash[_SOURCE]
    if not source.available:
        yield None
        return
    with source.open() as server:
        yield server


@pytest.fixture(
    params=[
        pytest.param("sqlite", id="sqlite"),
        pytest.param("postgresql", id="postgresql", marks=pytest.mark.postgres),
    ]
)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A SQLAlchemy URL for an empty database of its own: SQLite file or PostgreSQL database."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'onwatch.db'}"
        return
    server: PostgresServer | None = request.getfixturevalue("postgres")
    if server is None:
        pytest.skip(MISSING_MESSAGE)
    with server.temporary_database(request.node.name) as url:
        yield url

"""Helpers for the web auth tests: a real service over a real database, and form logins.

The service is the one ``onwatch serve`` builds, minus probes: a migrated
database, a writer, a scheduler with nothing to run, the example policy and
a fake clock the test moves.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
from fastapi.testclient import TestClient

from fakeclock import FakeClock
from onwatch.leader import SingleNodeLeader
from onwatch.policy import load_policy
from onwatch.runtime import Service
from onwatch.scheduler import Scheduler
from onwatch.settings import InstanceSettings
from onwatch.store.database import open_database
from onwatch.store.writer import Writer
from onwatch.web.context import WebContext

EXAMPLE_POLICY = Path(__file__).parents[2] / "examples" / "onwatch.yaml"
SECRET_KEY = "k" * 48
PASSWORD = "correct horse battery staple"

_CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')


@contextmanager
def web_context(
    database_url: str, clock: FakeClock, *, public_url: str = "http://127.0.0.1:8080"
) -> Iterator[WebContext]:
    """A :class:`WebContext` over a real service; the database is closed afterwards."""
    database = open_database(database_url)
    try:
        writer = Writer(database)
        scheduler = Scheduler({}, {}, writer.submit, clock, leader=SingleNodeLeader())
        policy = load_policy(EXAMPLE_POLICY)
        service = Service(EXAMPLE_POLICY, policy, database, writer, scheduler, clock)
        settings = InstanceSettings(public_url=public_url, secret_key=SECRET_KEY)
        yield WebContext(service, settings, settings.effective_secret_key())
    finally:
        database.dispose()


def advance(clock: FakeClock, seconds: float) -> None:
    """Move the fake clock (nothing sleeps on it in these tests)."""
    asyncio.run(clock.advance(seconds))


def form_token(page: httpx.Response) -> str:
    """The hidden ``csrf_token`` of a rendered form."""
    match = _CSRF_FIELD.search(page.text)
    assert match, f"no csrf_token field in:\n{page.text}"
    return match.group(1)


def log_in(
    client: TestClient, username: str, password: str = PASSWORD, next_path: str = "/"
) -> httpx.Response:
    """Fill in the login form as a browser does: GET it, then POST it with its token."""
    token = form_token(client.get("/login"))
    return client.post(
        "/login",
        data={"username": username, "password": password, "next": next_path, "csrf_token": token},
        follow_redirects=False,
    )

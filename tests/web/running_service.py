"""A real service behind the real app, for tests of the JSON API, /healthz and /metrics.

:func:`running` opens a real database (SQLite file or PostgreSQL), starts a real
:class:`~onwatch.store.writer.Writer` and a :class:`~onwatch.scheduler.Scheduler`
on a fake clock, builds the app with :func:`~onwatch.web.app.create_app` and
talks to it through httpx on the same event loop, with a real viewer token.
Results reach the database the way checks' results do: submitted to the writer.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from fakeclock import FakeClock
from onwatch.accounts.roles import Role
from onwatch.accounts.tokens import create_token
from onwatch.leader import SingleNodeLeader
from onwatch.policy import parse_policy
from onwatch.probes.base import CheckResult, FailureClass, Probe
from onwatch.runtime import Service
from onwatch.scheduler import Scheduler
from onwatch.settings import InstanceSettings
from onwatch.store.database import open_database
from onwatch.store.writer import Writer
from onwatch.web.app import create_app
from onwatch.web.context import WebContext

POLICY = """\
apiVersion: onwatch/v1
services:
  - name: shop
monitors:
  - name: checkout
    type: http
    url: https://shop.example/checkout
    service: shop
    interval: 30s
    runbook: https://wiki.example/checkout
  - name: db
    type: tcp
    host: db.internal
    port: 5432
pools:
  - name: api
    targets: [http://10.0.0.1/health, http://10.0.0.2/health]
    min_healthy: 2
"""


@dataclass
class Running:
    """The service, an authenticated client, and the fake clock it runs on."""

    service: Service
    client: httpx.AsyncClient
    token: str
    clock: FakeClock

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    async def get(self, path: str, **params: str | int) -> httpx.Response:
        return await self.client.get(path, params=params, headers=self.auth)

    async def write(self, results: list[CheckResult]) -> None:
        """Submit results to the writer and wait until they are committed."""
        for result in results:
            self.service.writer.submit(result)
        await self.service.writer.flush()


def ok(monitor: str, at: float, total_ms: float, first_byte_ms: float | None = None) -> CheckResult:
    return CheckResult(
        monitor=monitor, started_at=at, ok=True, total_ms=total_ms, first_byte_ms=first_byte_ms
    )


def failed(monitor: str, at: float, failure: str, total_ms: float | None = None) -> CheckResult:
    return CheckResult(
        monitor=monitor, started_at=at, ok=False, failure=FailureClass(failure), total_ms=total_ms
    )


@asynccontextmanager
async def running(
    database_url: str,
    policy: str = POLICY,
    *,
    settings: InstanceSettings | None = None,
    probes: Mapping[str, Probe] | None = None,
    interval: float = 30.0,
) -> AsyncIterator[Running]:
    """The service on ``database_url`` with ``policy``; ``probes`` are scheduled if given."""
    clock = FakeClock()
    database = open_database(database_url)
    writer = Writer(database, max_delay=0.01)
    probes = dict(probes or {})
    scheduler = Scheduler(
        probes,
        dict.fromkeys(probes, interval),
        writer.submit,
        clock,
        leader=SingleNodeLeader(),
    )
    service = Service(
        Path("onwatch.yaml"), parse_policy(policy), database, writer, scheduler, clock
    )
    settings = settings or InstanceSettings()
    token = create_token(database, "tests", Role.VIEWER, created_by="tests", now=clock.now())
    app = create_app(WebContext(service, settings, settings.effective_secret_key()))
    writer.start()
    transport = httpx.ASGITransport(app=app)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://onwatch.test") as client:
            yield Running(service, client, token.plaintext, clock)
    finally:
        await scheduler.stop(0.0)
        await writer.stop()
        database.dispose()

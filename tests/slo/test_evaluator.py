"""The evaluator over a real database (SQLite and PostgreSQL), the real writer and a fake clock:
alert events open when an objective burns and resolve when it stops."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from fakeclock import FakeClock
from onwatch.leader import Leadership
from onwatch.policy import load_policy
from onwatch.probes.base import CheckResult, FailureClass
from onwatch.runtime import Service
from onwatch.scheduler import Scheduler
from onwatch.slo.evaluator import Evaluator, evaluator_task
from onwatch.store.agreement_log import history
from onwatch.store.alerts import AlertEvent, list_alerts, open_alerts
from onwatch.store.database import open_database
from onwatch.store.maintenance import add_window, load_windows
from onwatch.store.maintenance_request import check_window
from onwatch.store.writer import Writer

pytestmark = pytest.mark.anyio

MINUTE = 60.0
MONITOR = "checkout-page"
POLICY = """\
apiVersion: onwatch/v1
services:
  - name: checkout
    title: Checkout
    objectives:
      availability:
        target: 99%
        window: 30d
        alerts:
          tiers: [{severity: page, long: 1h, short: 5m, burn_rate: 14.4}]
monitors:
  - name: checkout-page
    type: http
    url: https://shop.example/checkout
    service: checkout
    interval: 1m
"""
NO_OBJECTIVES = """\
apiVersion: onwatch/v1
services:
  - name: checkout
monitors:
  - {name: checkout-page, type: http, url: https://shop.example/checkout, service: checkout}
maintenance:
  - name: sunday-db
    reason: Weekly database upgrade
    start: "2030-01-06 22:00"
    duration: 2h
    rrule: FREQ=WEEKLY;BYDAY=SU
    services: [checkout]
"""


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


class Follower:
    """A node that is not the leader."""

    def current(self) -> Leadership:
        return Leadership(is_leader=False, epoch=7, remaining=0.0)


@dataclass
class Running:
    service: Service
    clock: FakeClock
    policy_file: Path

    async def checks(self, count: int, failure: FailureClass | None = None) -> None:
        """``count`` checks a minute apart ending now, through the writer."""
        now = self.clock.now()
        for i in range(count):
            at = now - (count - 1 - i) * MINUTE
            ok = failure is None
            self.service.writer.submit(
                CheckResult(MONITOR, at, ok, total_ms=120.0, failure=failure)
            )
        await self.service.writer.flush()

    def alerts(self) -> list[AlertEvent]:
        with self.service.database.engine.connect() as connection:
            return list_alerts(connection, since=0)


@asynccontextmanager
async def running(
    database_url: str, folder: Path, clock: FakeClock | None = None, leader: object = None
) -> AsyncIterator[Running]:
    """A service like ``onwatch serve`` builds it, minus probes, on ``database_url``."""
    clock = clock or FakeClock()
    policy_file = folder / "onwatch.yaml"
    if not policy_file.exists():
        policy_file.write_text(POLICY, encoding="utf-8")
    database = open_database(database_url)
    writer = Writer(database, max_delay=0.01)
    scheduler = Scheduler({}, {}, writer.submit, clock, leader=Follower())
    service = Service(policy_file, load_policy(policy_file), database, writer, scheduler, clock)
    if leader is not None:
        service.leader = leader  # type: ignore[assignment]
    writer.start()
    try:
        yield Running(service, clock, policy_file)
    finally:
        await writer.stop()
        database.dispose()


async def test_a_burning_objective_opens_an_alert_that_resolves_when_checks_pass_again(
    database_url: str, tmp_path: Path
) -> None:
    async with running(database_url, tmp_path) as run:
        evaluator = Evaluator(run.service)
        evaluator.start()
        await run.clock.advance(50 * MINUTE)
        await run.checks(50)
        await evaluator.step()
        assert run.alerts() == []

        await run.clock.advance(10 * MINUTE)
        await run.checks(10, FailureClass.REFUSED)
        await evaluator.step()
        opened_at = run.clock.now()
        [event] = run.alerts()

        assert run.service.evaluator is evaluator
        assert (event.objective, event.tier, event.severity, event.epoch) == (
            "checkout/availability",
            "page-1h",
            "page",
            1,
        )
        assert (event.opened_at, event.resolved_at) == (opened_at, None)
        assert event.message.startswith(
            "Checkout is failing: 10 of the last 60 checks failed (connection refused ×10). "
            "Agreed: 99% available over 30 days. Burning budget "
        )
        assert event.details["long_bad"] == 10
        assert event.details["burn_rate"] == 14.4
        standing = evaluator.evaluations["checkout/availability"].standing
        assert (standing.events, standing.bad) == (60, 10)

        await run.clock.advance(10 * MINUTE)
        await run.checks(10)
        await evaluator.step()
        [resolved] = run.alerts()

        assert (resolved.id, resolved.resolved_at) == (event.id, run.clock.now())


async def test_failures_inside_maintenance_count_as_excluded_time_and_alert_nobody(
    database_url: str, tmp_path: Path
) -> None:
    async with running(database_url, tmp_path) as run:
        evaluator = Evaluator(run.service)
        evaluator.start()
        await run.clock.advance(50 * MINUTE)
        await run.checks(50)
        await evaluator.step()
        request = check_window(
            run.service.policy,
            reason="Payment provider swap",
            services=["checkout"],
            monitors=[],
            now=run.clock.now(),
            duration="15m",
        )
        with run.service.database.engine.begin() as connection:
            add_window(connection, request, created_by="alice", now=run.clock.now())
        await evaluator.step()  # picks up the new window
        spec = evaluator.specs[0]

        assert evaluator.maintenance_reasons(spec) == ["Payment provider swap"]
        await run.clock.advance(10 * MINUTE)
        await run.checks(10, FailureClass.REFUSED)
        await evaluator.step()

        standing = evaluator.evaluations[spec.key].standing
        assert (standing.events, standing.bad) == (50, 0)
        assert standing.excluded_seconds == 10 * MINUTE
        assert run.alerts() == []


async def test_a_restarted_evaluator_rebuilds_from_the_store_and_keeps_the_open_alert(
    database_url: str, tmp_path: Path
) -> None:
    clock = FakeClock()
    async with running(database_url, tmp_path, clock) as run:
        first = Evaluator(run.service)
        first.start()
        await clock.advance(50 * MINUTE)
        await run.checks(50)
        await clock.advance(10 * MINUTE)
        await run.checks(10, FailureClass.REFUSED)
        await first.step()
        [event] = run.alerts()

    async with running(database_url, tmp_path, clock) as run:
        second = Evaluator(run.service)
        second.start()
        await second.step()
        standing = second.evaluations["checkout/availability"].standing

        assert (standing.events, standing.bad) == (60, 10)
        assert [e.id for e in run.alerts()] == [event.id]  # not opened twice
        await clock.advance(10 * MINUTE)
        await run.checks(10)
        await second.step()
        assert run.alerts()[0].resolved_at == clock.now()


async def test_a_reload_rebuilds_records_the_agreement_syncs_windows_and_closes_stale_alerts(
    database_url: str, tmp_path: Path
) -> None:
    async with running(database_url, tmp_path) as run:
        evaluator = Evaluator(run.service)
        evaluator.start()
        await run.clock.advance(50 * MINUTE)
        await run.checks(50)
        await run.clock.advance(10 * MINUTE)
        await run.checks(10, FailureClass.REFUSED)
        await evaluator.step()
        assert len(run.alerts()) == 1

        run.policy_file.write_text(NO_OBJECTIVES, encoding="utf-8")
        run.service.policy = load_policy(run.policy_file)
        await run.clock.advance(MINUTE)
        await evaluator.step()

        assert evaluator.specs == ()
        assert evaluator.evaluations == {}
        assert run.alerts()[0].resolved_at == run.clock.now()
        with run.service.database.engine.connect() as connection:
            windows = load_windows(connection)
            target = history(connection, "checkout/availability target")
            still_open = open_alerts(connection)
        assert [(w.source, w.name) for w in windows] == [("policy", "sunday-db")]
        assert [(c.old_value, c.new_value) for c in target] == [(None, "99%"), ("99%", None)]
        assert still_open == []


async def test_a_node_that_is_not_the_leader_evaluates_nothing(
    database_url: str, tmp_path: Path
) -> None:
    async with running(database_url, tmp_path, leader=Follower()) as run:
        evaluator = Evaluator(run.service)
        evaluator.start()
        await run.clock.advance(10 * MINUTE)
        await run.checks(10, FailureClass.REFUSED)
        await evaluator.step()

        assert evaluator.evaluations == {}
        assert evaluator.rounds == 0
        assert run.alerts() == []


async def test_the_task_evaluates_every_interval_until_the_service_stops(
    database_url: str, tmp_path: Path
) -> None:
    async with running(database_url, tmp_path) as run:
        task = asyncio.create_task(evaluator_task(run.service, interval=10.0))
        while run.service.evaluator is None or run.service.evaluator.rounds < 1:
            await asyncio.sleep(0.01)  # the first rebuild runs in a worker thread
        evaluator = run.service.evaluator
        first = evaluator.latest("checkout/availability")
        assert first is not None

        await run.clock.advance(10.0)
        while evaluator.rounds < 2:
            await asyncio.sleep(0.01)
        second = evaluator.latest("checkout/availability")
        assert second is not None
        assert second.at == first.at + 10.0

        run.service.stopping.set()
        await task
        assert task.done()

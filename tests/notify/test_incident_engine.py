"""The incident engine over a real database (SQLite and PostgreSQL), the real writer and a
fake clock: checks and objective alerts become incidents, pages land in the outbox, silences
are explained, and a restarted engine finishes what the previous one opened."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest

from fakeclock import FakeClock
from onwatch.incidents import Incident, list_incidents, timeline
from onwatch.leader import Leadership
from onwatch.notify.engine import IncidentEngine
from onwatch.notify.outbox import OutboxRow, rows
from onwatch.policy import load_policy
from onwatch.probes.base import CheckResult, FailureClass
from onwatch.runtime import Service
from onwatch.scheduler import Scheduler
from onwatch.store.alerts import open_alert, resolve_alert
from onwatch.store.database import open_database
from onwatch.store.maintenance import add_window
from onwatch.store.maintenance_request import check_window
from onwatch.store.mutes import add_mute
from onwatch.store.writer import Writer

pytestmark = pytest.mark.anyio

MINUTE = 60.0
MONITOR = "checkout-page"
OBJECTIVE = "checkout/availability"
POLICY = """\
apiVersion: onwatch/v1
services:
  - name: checkout
contacts:
  - name: alice
    channels: {sms: "json://127.0.0.1:9/alice"}
  - name: bob
    channels: {sms: "json://127.0.0.1:9/bob"}
escalation:
  - name: default
    steps:
      - {after: 0m, notify: [alice.sms]}
      - {after: 5m, notify: [bob.sms]}
monitors:
  - {name: checkout-page, type: http, url: https://shop.example/checkout, service: checkout}
"""


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


class Leader:
    """A leader whose answer the test changes."""

    def __init__(self, *, is_leader: bool, epoch: int = 1) -> None:
        self.is_leader, self.epoch = is_leader, epoch

    def current(self) -> Leadership:
        return Leadership(is_leader=self.is_leader, epoch=self.epoch, remaining=60.0)


@dataclass
class Running:
    service: Service
    clock: FakeClock
    engine: IncidentEngine

    async def checks(self, *outcomes: bool) -> None:
        """One check a minute per outcome (True passed), through the writer, then a round."""
        for ok in outcomes:
            await self.clock.advance(MINUTE)
            failure = None if ok else FailureClass.REFUSED
            self.service.writer.submit(
                CheckResult(MONITOR, self.clock.now(), ok, total_ms=80.0, failure=failure)
            )
        await self.service.writer.flush()
        await self.engine.step()

    def incidents(self) -> list[Incident]:
        with self.service.database.engine.connect() as connection:
            return list(reversed(list_incidents(connection)))

    def outbox(self) -> list[OutboxRow]:
        with self.service.database.engine.connect() as connection:
            return rows(connection)

    def sent(self) -> list[tuple[str, int | None]]:
        return [(f"{row.contact}.{row.channel}", row.step) for row in self.outbox()]

    def timeline_details(self, incident: Incident, kind: str) -> list[str]:
        with self.service.database.engine.connect() as connection:
            return [e.detail for e in timeline(connection, incident.id) if e.kind == kind]


@asynccontextmanager
async def running(
    database_url: str,
    folder: Path,
    clock: FakeClock,
    leader: Leader | None = None,
    policy: str = POLICY,
) -> AsyncIterator[Running]:
    """A service like ``onwatch serve`` builds it, minus probes, with its incident engine."""
    policy_file = folder / "onwatch.yaml"
    policy_file.write_text(policy, encoding="utf-8")
    database = open_database(database_url)
    writer = Writer(database, max_delay=0.01)
    scheduler = Scheduler({}, {}, writer.submit, clock, leader=Leader(is_leader=False))
    service = Service(policy_file, load_policy(policy_file), database, writer, scheduler, clock)
    if leader is not None:
        service.leader = leader
    engine = IncidentEngine(service)
    engine.start()
    writer.start()
    try:
        yield Running(service, clock, engine)
    finally:
        await writer.stop()
        database.dispose()


async def test_two_failed_checks_open_an_incident_and_alices_sms_is_in_the_outbox(
    database_url: str, tmp_path: Path
) -> None:
    async with running(database_url, tmp_path, FakeClock()) as run:
        await run.checks(True, False)
        assert run.incidents() == []

        await run.checks(False)
        [incident] = run.incidents()
        assert (incident.subject, incident.condition, incident.state) == (
            MONITOR,
            "down",
            "triggered",
        )
        [row] = run.outbox()
        assert (row.contact, row.channel, row.step, row.incident_id) == ("alice", "sms", 0, 1)


async def test_a_monitor_in_maintenance_records_its_incident_but_pages_nobody_and_says_why(
    database_url: str, tmp_path: Path
) -> None:
    clock = FakeClock()
    async with running(database_url, tmp_path, clock) as run:
        request = check_window(
            run.service.policy,
            reason="Payment provider swap",
            services=["checkout"],
            monitors=[],
            now=clock.now(),
            duration="1h",
        )
        with run.service.database.engine.begin() as connection:
            add_window(connection, request, created_by="alice", now=clock.now())

        await run.checks(False, False)

        [incident] = run.incidents()
        assert incident.in_maintenance
        assert run.outbox() == []
        assert run.timeline_details(incident, "silenced") == [
            f"step 1 notified nobody: {MONITOR} in maintenance: Payment provider swap"
        ]


async def test_a_muted_monitor_pages_nobody_and_the_timeline_says_who_muted_it(
    database_url: str, tmp_path: Path
) -> None:
    clock = FakeClock()
    async with running(database_url, tmp_path, clock) as run:
        with run.service.database.engine.begin() as connection:
            add_mute(
                connection,
                monitor=MONITOR,
                reason="database migration",
                lasting=timedelta(hours=2),
                created_by="bob",
                now=clock.now(),
            )

        await run.checks(False, False)

        [incident] = run.incidents()
        assert run.outbox() == []
        assert run.timeline_details(incident, "silenced") == [
            f"step 1 notified nobody: {MONITOR} muted by bob: database migration"
        ]


async def test_an_objectives_open_alert_becomes_an_incident_of_its_severity_and_resolves_with_it(
    database_url: str, tmp_path: Path
) -> None:
    clock = FakeClock()
    async with running(database_url, tmp_path, clock) as run:
        with run.service.database.engine.begin() as connection:
            open_alert(
                connection,
                objective=OBJECTIVE,
                tier="slow-burn",
                severity="ticket",
                at=clock.now(),
                message="checkout availability burns its budget",
                details={},
                epoch=1,
            )
        await run.engine.step()

        [incident] = run.incidents()
        assert (incident.subject_kind, incident.subject, incident.condition) == (
            "objective",
            OBJECTIVE,
            "slow-burn",
        )
        assert (incident.severity, incident.service) == ("ticket", "checkout")
        assert run.sent() == [("alice.sms", 0)]

        await clock.advance(10 * MINUTE)
        with run.service.database.engine.begin() as connection:
            resolve_alert(connection, OBJECTIVE, "slow-burn", at=clock.now())
        await run.engine.step()

        [incident] = run.incidents()
        assert (incident.state, incident.resolved_at) == ("resolved", clock.now())
        assert run.timeline_details(incident, "resolved") == ["the objective's alert ended"]


async def test_after_a_restart_two_passing_checks_resolve_the_incident_and_everyone_paged_is_told(
    database_url: str, tmp_path: Path
) -> None:
    clock = FakeClock()
    async with running(database_url, tmp_path, clock) as run:
        await run.checks(False, False)
        await clock.advance(5 * MINUTE)
        await run.engine.step()
        assert run.sent() == [("alice.sms", 0), ("bob.sms", 1)]

    async with running(database_url, tmp_path, clock) as run:
        await run.checks(False)  # still failing: the same incident, not a second one
        await run.checks(True, True)

        [incident] = run.incidents()
        assert incident.state == "resolved"
        assert run.timeline_details(incident, "repeat") == []
        assert run.timeline_details(incident, "resolved") == [f"{MONITOR} recovered"]
        resolved = [row for row in run.outbox() if row.step is None]
        assert [(row.contact, row.channel) for row in resolved] == [
            ("alice", "sms"),
            ("bob", "sms"),
        ]
        assert all(row.short.startswith("RESOLVED") for row in resolved)


async def test_a_follower_does_nothing(database_url: str, tmp_path: Path) -> None:
    clock = FakeClock()
    async with running(database_url, tmp_path, clock, Leader(is_leader=False)) as run:
        with run.service.database.engine.begin() as connection:
            open_alert(
                connection,
                objective=OBJECTIVE,
                tier="fast-burn",
                severity="page",
                at=clock.now(),
                message="checkout availability burns fast",
                details={},
                epoch=1,
            )

        await run.checks(False, False, False)

        assert run.incidents() == []
        assert run.outbox() == []


async def test_a_node_that_leads_again_resolves_what_another_leader_opened_meanwhile(
    database_url: str, tmp_path: Path
) -> None:
    clock = FakeClock()
    first, second = Leader(is_leader=True, epoch=1), Leader(is_leader=False)
    async with (
        running(database_url, tmp_path, clock, first) as node_a,
        running(database_url, tmp_path, clock, second) as node_b,
    ):
        await node_a.checks(True)
        first.is_leader, second.is_leader, second.epoch = False, True, 2
        await node_b.checks(False, False)
        [opened] = node_b.incidents()

        second.is_leader, first.is_leader, first.epoch = False, True, 3
        await node_a.checks(True, True)

        [incident] = node_a.incidents()
        assert (incident.id, incident.state) == (opened.id, "resolved")


async def test_monitors_of_one_service_confirmed_in_the_same_round_make_one_incident(
    database_url: str, tmp_path: Path
) -> None:
    pages = ["checkout-page", "cart-api", "payment-api"]
    monitors = "".join(
        f"  - {{name: {name}, type: http, url: https://shop.example/{name}, service: checkout}}\n"
        for name in pages
    )
    policy = POLICY.split("monitors:")[0] + "monitors:\n" + monitors
    async with running(database_url, tmp_path, FakeClock(), policy=policy) as run:
        for _ in range(2):  # two failed checks each, all committed before one engine round
            await run.clock.advance(MINUTE)
            for name in pages:
                run.service.writer.submit(
                    CheckResult(name, run.clock.now(), False, failure=FailureClass.REFUSED)
                )
        await run.service.writer.flush()
        await run.engine.step()

        [incident] = run.incidents()
        assert (incident.subject_kind, incident.subject) == ("service", "checkout")
        assert sorted(incident.members) == sorted(pages)
        assert run.sent() == [("alice.sms", 0)]  # one cascade, not three

        for _ in range(2):
            await run.clock.advance(MINUTE)
            for name in pages:
                run.service.writer.submit(CheckResult(name, run.clock.now(), True, total_ms=80.0))
        await run.service.writer.flush()
        await run.engine.step()
        [done] = run.incidents()
        assert done.state == "resolved"

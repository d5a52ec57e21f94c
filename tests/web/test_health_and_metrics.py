"""``/healthz`` and ``/metrics`` of a real service: what they report, and who may see it.

Checks are made by stub probes on the real scheduler (fake clock), so lateness,
commits and counters come from the real parts; ``/metrics`` is read back with
prometheus_client's own parser.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.samples import Sample
from running_service import Running, failed, ok, running
from sqlalchemy import create_engine, func, select

from onwatch import __version__
from onwatch.probes.base import CheckResult
from onwatch.settings import InstanceSettings
from onwatch.store.database import Database
from onwatch.store.tables import check_results

pytestmark = pytest.mark.anyio

INTERVAL = 30.0


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@dataclass
class StubProbe:
    """Answers at once: every third check of a monitor times out."""

    name: str
    target: str
    checks: int = 0

    async def check(self, started_at: float) -> CheckResult:
        self.checks += 1
        if self.checks % 3 == 0:
            return failed(self.name, started_at, "timeout", 10_000.0)
        return ok(self.name, started_at, 42.0 * self.checks, 20.0)


def probes() -> dict[str, StubProbe]:
    return {name: StubProbe(name, f"{name}.example:443") for name in ("checkout", "db")}


@pytest.fixture
async def scheduled(database_url: str) -> AsyncIterator[Running]:
    async with running(database_url, probes=probes(), interval=INTERVAL) as service:
        yield service


async def run_checks(api: Running, periods: int) -> None:
    api.service.scheduler.start()
    await api.clock.run_until(api.clock.now() + periods * INTERVAL)
    await api.service.writer.flush()


def scrape(text: str) -> dict[str, list[Sample]]:
    return {family.name: family.samples for family in text_string_to_metric_families(text)}


def value(samples: list[Sample], name: str, **labels: str) -> float:
    [match] = [s.value for s in samples if s.name == name and s.labels == labels]
    return match


async def test_healthz_is_public_and_reports_the_database_scheduler_and_writer(
    scheduled: Running,
) -> None:
    await run_checks(scheduled, 3)

    response = await scheduled.client.get("/healthz")

    assert response.status_code == 200
    health = response.json()
    assert (health["status"], health["problems"], health["version"]) == ("ok", [], __version__)
    assert health["database"]["reachable"] is True
    assert health["database"]["backend"] == scheduled.service.database.backend
    assert health["scheduler"]["monitors"] == 2
    assert health["scheduler"]["lateness_p99_seconds"] == 0.0  # the fake clock is never late
    assert health["writer"]["queue_depth"] == 0
    assert health["writer"]["committed_results"] >= 4


async def test_healthz_is_503_when_the_database_is_gone_and_does_not_say_where_it_was(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    url = f"sqlite:///{tmp_path_factory.mktemp('gone') / 'onwatch.db'}"
    async with running(url) as api:
        gone = "postgresql+psycopg://onwatch:hunter2@127.0.0.1:9/onwatch"  # nothing listens
        api.service.database = Database(create_engine(gone), gone)

        response = await api.client.get("/healthz")

    assert response.status_code == 503
    assert response.json()["status"] == "degraded"
    assert response.json()["database"]["reachable"] is False
    assert response.json()["problems"] == ["the database does not answer"]
    assert "127.0.0.1" not in response.text
    assert "hunter2" not in response.text


async def test_metrics_parse_and_count_exactly_the_checks_that_were_committed(
    scheduled: Running,
) -> None:
    first = await scheduled.get("/metrics")  # counting starts with the first scrape
    await run_checks(scheduled, 6)

    response = await scheduled.get("/metrics")

    assert first.status_code == response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=")
    families = scrape(response.text)
    with scheduled.service.database.engine.connect() as connection:
        stored = connection.execute(select(func.count()).select_from(check_results)).scalar_one()
    checks = families["onwatch_checks"]
    counted = sum(s.value for s in checks if s.name == "onwatch_checks_total")
    assert counted == stored == 2 * 6  # one start per interval, at each monitor's phase
    assert value(checks, "onwatch_checks_total", monitor="checkout", outcome="ok") == 4
    assert value(checks, "onwatch_checks_total", monitor="checkout", outcome="timeout") == 2
    durations = families["onwatch_check_duration_seconds"]
    assert value(durations, "onwatch_check_duration_seconds_count", monitor="db") == 6
    assert value(durations, "onwatch_check_duration_seconds_bucket", monitor="db", le="+Inf") == 6
    # 42, 84, 10000 (timeout), 168, 210, 10000 ms: four under a second
    assert value(durations, "onwatch_check_duration_seconds_bucket", monitor="db", le="1.0") == 4


async def test_metrics_show_scheduler_lateness_skips_and_the_writer_queue(
    scheduled: Running,
) -> None:
    await run_checks(scheduled, 2)

    families = scrape((await scheduled.get("/metrics")).text)

    lateness = families["onwatch_scheduler_lateness_seconds"]
    started = scheduled.service.scheduler.stats()["checkout"].started
    count = value(lateness, "onwatch_scheduler_lateness_seconds_count", monitor="checkout")
    assert count == started == 2
    bucket = "onwatch_scheduler_lateness_seconds_bucket"
    assert value(lateness, bucket, monitor="checkout", le="0.005") == 2
    skipped = families["onwatch_scheduler_skipped"]
    assert value(skipped, "onwatch_scheduler_skipped_total", monitor="db", reason="busy") == 0
    assert value(families["onwatch_writer_queue_depth"], "onwatch_writer_queue_depth") == 0
    assert value(families["onwatch_build_info"], "onwatch_build_info", version=__version__) == 1


async def test_metrics_refuse_a_caller_without_a_token(scheduled: Running) -> None:
    response = await scheduled.client.get("/metrics")

    assert response.status_code == 401
    assert "onwatch_" not in response.text


async def test_metrics_are_public_when_the_settings_say_so(database_url: str) -> None:
    public = InstanceSettings(metrics_public=True)
    async with running(database_url, settings=public, probes=probes()) as api:
        response = await api.client.get("/metrics")

    assert response.status_code == 200
    assert "onwatch_checks_total" in scrape(response.text)["onwatch_checks"][0].name


async def test_metrics_never_touch_the_global_registry(scheduled: Running) -> None:
    await scheduled.get("/metrics")

    assert not any(name.startswith("onwatch_") for name in REGISTRY._names_to_collectors)

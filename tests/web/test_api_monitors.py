"""``/api/v1/monitors``: what the API says matches what was written, on SQLite and PostgreSQL.

Results go through the real writer into a real database; the app is the real
one, called over httpx with a real viewer token. Times come from a fake clock.
"""

from __future__ import annotations

import math
import random
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from running_service import POLICY, Running, failed, ok, running

from onwatch.policy import parse_policy
from onwatch.probes.base import CheckResult
from onwatch.store.queries import monitor_ids
from onwatch.store.stats import window_stats, window_stats_many

pytestmark = pytest.mark.anyio

HOUR = 3600.0


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
async def api(database_url: str) -> AsyncIterator[Running]:
    async with running(database_url) as service:
        yield service


def iso(unix_seconds: float) -> str:
    return datetime.fromtimestamp(unix_seconds, UTC).isoformat().replace("+00:00", "Z")


def lower_quantile(values: list[float], q: float) -> float:
    """The element of rank floor(q * (n - 1)), the definition the histograms follow."""
    ordered = sorted(values)
    return ordered[math.floor(q * (len(ordered) - 1))]


def assert_close(reported: float | None, exact: float) -> None:
    assert reported is not None
    assert abs(reported - exact) <= 0.01 * exact, (reported, exact)


async def test_the_list_shows_each_monitor_pool_and_backend_with_its_latest_check(
    api: Running,
) -> None:
    now = api.clock.now()
    await api.write(
        [
            ok("checkout", now - 60, 120.0, 80.0),
            failed("checkout", now - 30, "status", 95.0),
            ok("api#1", now - 20, 10.0),
            failed("api#2", now - 20, "timeout"),
        ]
    )

    response = await api.get("/api/v1/monitors")

    assert response.status_code == 200
    monitors = {m["name"]: m for m in response.json()}
    assert list(monitors) == ["checkout", "db", "api", "api#1", "api#2"]
    checkout = monitors["checkout"]
    assert checkout["type"] == "http"
    assert checkout["target"] == "https://shop.example/checkout"
    assert (checkout["service"], checkout["interval_seconds"]) == ("shop", 30.0)
    assert checkout["runbook"] == "https://wiki.example/checkout"
    assert checkout["latest"]["started_at"] == iso(now - 30)
    assert (checkout["latest"]["ok"], checkout["latest"]["failure"]) == (False, "status")
    assert monitors["db"]["target"] == "db.internal:5432"
    assert monitors["db"]["latest"] is None
    pool = monitors["api"]
    assert (pool["type"], pool["backends"], pool["latest"]) == ("pool", ["api#1", "api#2"], None)
    assert pool["pool_status"]["state"] == "redundancy lost"
    assert pool["pool_status"]["healthy"] == 1
    assert [b["healthy"] for b in pool["pool_status"]["backends"]] == [True, False]
    backend = monitors["api#2"]
    assert (backend["type"], backend["pool"], backend["target"]) == (
        "http",
        "api",
        "http://10.0.0.2/health",
    )
    assert backend["latest"]["failure"] == "timeout"


async def test_a_pool_backend_is_reached_with_its_hash_written_as_percent_23(
    api: Running,
) -> None:
    now = api.clock.now()
    await api.write([ok("api#1", now - 5, 12.5), ok("api#1", now - 4, 7.5)])

    detail = await api.get("/api/v1/monitors/api%231")
    first = await api.get("/api/v1/monitors/api%231/results", limit=1)
    second = await api.client.get(first.json()["next"], headers=api.auth)

    assert detail.status_code == 200
    assert (detail.json()["name"], detail.json()["pool"]) == ("api#1", "api")
    assert first.json()["next"].startswith("/api/v1/monitors/api%231/results?")
    assert [r["total_ms"] for r in first.json()["results"]] == [7.5]
    assert [r["total_ms"] for r in second.json()["results"]] == [12.5]


async def test_the_detail_of_a_pool_has_its_verdict_and_no_schedule(api: Running) -> None:
    response = await api.get("/api/v1/monitors/api")

    assert response.status_code == 200
    assert response.json()["pool_status"]["state"] == "unknown"
    assert response.json()["schedule"] is None


async def test_an_unknown_monitor_is_404_and_names_the_closest_ones(api: Running) -> None:
    for path in ("", "/results", "/stats"):
        response = await api.get(f"/api/v1/monitors/chekout{path}")

        assert response.status_code == 404
        assert response.json()["detail"] == (
            'no monitor named "chekout" in the running policy (did you mean checkout?)'
        )


async def test_a_reloaded_policy_shows_at_once(api: Running) -> None:
    api.service.policy = parse_policy(POLICY.replace("name: checkout", "name: basket"))

    names = [m["name"] for m in (await api.get("/api/v1/monitors")).json()]

    assert names[0] == "basket"
    assert (await api.get("/api/v1/monitors/checkout")).status_code == 404


async def test_every_route_refuses_a_caller_without_a_valid_token(api: Running) -> None:
    for path in ("", "/checkout", "/checkout/results", "/checkout/stats"):
        anonymous = await api.client.get(f"/api/v1/monitors{path}")
        forged = await api.client.get(
            f"/api/v1/monitors{path}", headers={"Authorization": "Bearer ow_forged"}
        )

        assert (anonymous.status_code, forged.status_code) == (401, 401)


async def test_results_come_newest_first_in_pages_that_together_hold_every_check(
    api: Running,
) -> None:
    now = api.clock.now()
    written = [ok("checkout", now - 100 + i, float(i + 1)) for i in range(25)]
    await api.write(written)

    pages, path = [], "/api/v1/monitors/checkout/results?limit=10"
    while path:
        response = await api.client.get(path, headers=api.auth)
        assert response.status_code == 200
        pages.append(response.json())
        path = response.json()["next"]

    assert [len(page["results"]) for page in pages] == [10, 10, 5]
    assert all(page["limit"] == 10 and not page["limit_capped"] for page in pages)
    seen = [r["total_ms"] for page in pages for r in page["results"]]
    assert seen == [float(i) for i in range(25, 0, -1)]


async def test_results_are_filtered_by_since_and_until_in_iso_8601_or_unix_seconds(
    api: Running,
) -> None:
    now = api.clock.now()
    await api.write([ok("checkout", now - 100 + i, float(i)) for i in range(10)])

    by_iso = await api.get(
        "/api/v1/monitors/checkout/results", since=iso(now - 98), until=iso(now - 95)
    )
    by_unix = await api.get(
        "/api/v1/monitors/checkout/results", since=int(now - 98), until=str(now - 95)
    )

    assert [r["total_ms"] for r in by_iso.json()["results"]] == [4.0, 3.0, 2.0]
    assert by_unix.json()["results"] == by_iso.json()["results"]
    assert by_iso.json()["since"] == iso(now - 98)


async def test_a_huge_limit_is_capped_and_the_page_says_so(api: Running) -> None:
    await api.write([ok("checkout", api.clock.now() - 1, 5.0)])

    response = await api.get("/api/v1/monitors/checkout/results", limit=1_000_000)

    assert response.status_code == 200
    assert (response.json()["limit"], response.json()["limit_capped"]) == (1000, True)
    assert len(response.json()["results"]) == 1


@pytest.mark.parametrize(
    ("path", "params", "field", "says"),
    [
        ("stats", {"window": "2h"}, "window", "'1h', '24h', '7d' or '30d'"),
        ("results", {"limit": "0"}, "limit", "greater than or equal to 1"),
        ("results", {"limit": "lots"}, "limit", "valid integer"),
        ("results", {"since": "yesterday"}, "since", "not an ISO 8601 time or Unix seconds"),
        ("results", {"until": "2026-13-01"}, "until", "not an ISO 8601 time"),
        ("results", {"since": "200", "until": "100"}, "since", "earlier than until"),
        ("results", {"cursor": "x"}, "cursor", "pattern"),
    ],
)
async def test_a_bad_parameter_is_422_naming_the_field(
    api: Running, path: str, params: dict[str, str], field: str, says: str
) -> None:
    response = await api.get(f"/api/v1/monitors/checkout/{path}", **params)

    assert response.status_code == 422
    [error] = response.json()["detail"]
    assert error["loc"] == ["query", field]
    assert says in error["msg"]


def mixed_results(monitor: str, start: float, count: int, seed: int) -> list[CheckResult]:
    rng = random.Random(seed)
    results = []
    for i in range(count):
        latency = rng.lognormvariate(5, 0.7)
        if i % 10 == 0:
            results.append(failed(monitor, start + i, rng.choice(["timeout", "status"]), latency))
        else:
            results.append(ok(monitor, start + i, latency, latency * 0.4))
    return results


async def test_stats_count_checks_and_percentiles_as_written_within_the_window(
    api: Running,
) -> None:
    now = api.clock.now()
    recent = mixed_results("checkout", now - 0.5 * HOUR, 300, seed=1)
    older = mixed_results("checkout", now - 5 * HOUR, 50, seed=2)  # in 24h, not in 1h
    await api.write(recent + older + mixed_results("checkout", now - 20 * 24 * HOUR, 7, seed=3))

    hour = (await api.get("/api/v1/monitors/checkout/stats", window="1h")).json()
    day = (await api.get("/api/v1/monitors/checkout/stats", window="24h")).json()
    month = (await api.get("/api/v1/monitors/checkout/stats", window="30d")).json()

    assert (hour["count"], day["count"], month["count"]) == (300, 350, 357)
    assert (hour["good"], hour["failed"]) == (270, 30)
    assert hour["availability"] == pytest.approx(0.9)
    failures = [r.failure.value for r in recent if r.failure]
    assert hour["failures"] == {name: failures.count(name) for name in sorted(set(failures))}
    totals = [r.total_ms for r in recent if r.total_ms is not None]
    first_bytes = [r.first_byte_ms for r in recent if r.first_byte_ms is not None]
    for key, q in (("p50", 0.5), ("p90", 0.9), ("p95", 0.95), ("p99", 0.99)):
        assert_close(hour["latency_ms"]["total"][key], lower_quantile(totals, q))
        assert_close(hour["latency_ms"]["first_byte"][key], lower_quantile(first_bytes, q))
    assert hour["latency_ms"]["first_byte"]["count"] == 270
    assert hour["until"] == iso(now + 60)
    assert hour["since"] == iso(now + 60 - HOUR)


async def test_stats_of_a_monitor_without_checks_are_zero_with_null_figures(
    api: Running,
) -> None:
    stats = (await api.get("/api/v1/monitors/db/stats")).json()

    assert (stats["window"], stats["count"], stats["availability"]) == ("24h", 0, None)
    assert stats["latency_ms"]["total"]["p99"] is None


async def test_stats_of_a_pool_take_all_its_backends_together(api: Running) -> None:
    now = api.clock.now()
    await api.write([ok("api#1", now - 60, 10.0), failed("api#2", now - 60, "refused")])

    stats = (await api.get("/api/v1/monitors/api/stats", window="1h")).json()

    assert stats["covers"] == ["api#1", "api#2"]
    assert (stats["count"], stats["good"], stats["failures"]) == (2, 1, {"refused": 1})


async def test_window_stats_of_the_store_agree_with_the_api(api: Running) -> None:
    now = api.clock.now()
    await api.write(mixed_results("checkout", now - 600, 40, seed=4))
    await api.write(mixed_results("api#1", now - 600, 20, seed=5))

    with api.service.database.engine.connect() as connection:
        ids = monitor_ids(connection, ["checkout", "api#1"])
        one = window_stats(connection, ids["checkout"], now - HOUR, now + 60)
        many = window_stats_many(connection, list(ids.values()), now - HOUR, now + 60)
    stats = (await api.get("/api/v1/monitors/checkout/stats", window="1h")).json()

    assert many[ids["checkout"]] == one
    assert (one.count, one.good, many[ids["api#1"]].count) == (40, 36, 20)
    assert stats["count"] == one.count
    assert stats["latency_ms"]["total"]["p95"] == one.total.p95

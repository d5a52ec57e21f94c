"""``/api/v1/objectives`` over a real service: the evaluator's figures, alerts and maintenance."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from running_service import failed, ok, running

from onwatch.slo.evaluator import Evaluator
from onwatch.store.maintenance import add_window
from onwatch.store.maintenance_request import check_window

pytestmark = pytest.mark.anyio

MINUTE = 60.0
POLICY = """\
apiVersion: onwatch/v1
services:
  - name: shop
    title: Shop
    objectives:
      availability:
        target: 99%
        also_report: [month]
      latency:
        - name: page-load
          threshold: 3s
          target: 90%
monitors:
  - name: checkout
    type: http
    url: https://shop.example/checkout
    service: shop
    interval: 1m
"""


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


async def test_before_the_first_round_objectives_are_listed_without_figures(
    database_url: str,
) -> None:
    async with running(database_url, POLICY) as run:
        answer = await run.get("/api/v1/objectives")
        assert answer.status_code == 200
        [availability, latency] = answer.json()["objectives"]
        assert availability["name"] == "availability"
        assert availability["agreed"].startswith("Shop is available 99% of the time")
        assert availability["sli"] is None
        assert availability["evaluated_at"] is None
        assert availability["alert"] == "ok"
        assert latency["threshold_ms"] == 3000
        assert latency["phase"] == "total"


async def test_the_list_and_the_detail_show_sli_budget_burn_rates_and_the_firing_tier(
    database_url: str,
) -> None:
    async with running(database_url, POLICY) as run:
        evaluator = Evaluator(run.service)
        evaluator.start()
        await run.clock.advance(60 * MINUTE)
        now = run.clock.now()
        good = [ok("checkout", now - (59 - i) * MINUTE, 200.0) for i in range(50)]
        bad = [failed("checkout", now - (9 - i) * MINUTE, "refused") for i in range(10)]
        await run.write(good + bad)
        await evaluator.step()

        listing = (await run.get("/api/v1/objectives", service="shop")).json()["objectives"]
        availability = next(o for o in listing if o["name"] == "availability")
        assert availability["sli"] == pytest.approx(50 / 60)
        assert availability["alert"] == "page"
        assert availability["firing"] == ["page-1h"]
        # 10 bad of the 60 an hour brings, against 1% of 30 days of such hours
        assert availability["budget_remaining"] == pytest.approx(
            1 - 10 / (60 * 0.01 * 720), abs=1e-3
        )
        assert availability["budget_words"].endswith("of downtime left in the last 30 days")

        detail = (await run.get("/api/v1/objectives/shop/availability")).json()
        assert [w["window"] for w in detail["windows"]] == ["30d", "month"]
        assert detail["windows"][0]["events"] == 60
        assert detail["windows"][0]["bad"] == 10
        tiers = {t["tier"]: t for t in detail["burn_rates"]}
        assert set(tiers) == {"page-1h", "page-6h", "ticket-3d"}
        assert tiers["page-1h"]["firing"]
        assert tiers["page-1h"]["long_burn"] == pytest.approx((10 / 60) / 0.01)
        # the 6 h tier's condition holds too, but a faster tier fires: it is suppressed
        assert tiers["page-6h"]["condition"]
        assert not tiers["page-6h"]["firing"]
        [alert] = detail["open_alerts"]
        assert alert["tier"] == "page-1h"
        assert "Shop" in alert["message"]

        latency = (await run.get("/api/v1/objectives/shop/page-load")).json()
        # refused checks never loaded: they count against the latency objective too
        assert latency["windows"][0]["bad"] == 10


async def test_maintenance_now_is_named_and_its_time_is_excluded(database_url: str) -> None:
    async with running(database_url, POLICY) as run:
        evaluator = Evaluator(run.service)
        evaluator.start()
        await run.clock.advance(60 * MINUTE)
        begin = run.clock.now()
        request = check_window(
            run.service.policy,
            services=["shop"],
            monitors=[],
            start=datetime.fromtimestamp(begin, UTC),
            end=datetime.fromtimestamp(begin + 60 * MINUTE, UTC),
            reason="Database upgrade",
            now=begin,
        )
        with run.service.database.engine.begin() as connection:
            add_window(connection, request, created_by="tests", now=begin)
        await run.clock.advance(30 * MINUTE)
        failures = [failed("checkout", begin + i * MINUTE, "refused") for i in range(30)]
        await run.write(failures)
        await evaluator.step()

        detail = (await run.get("/api/v1/objectives/shop/availability")).json()
        assert detail["maintenance"] == ["Database upgrade"]
        assert detail["windows"][0]["bad"] == 0
        assert detail["windows"][0]["excluded_seconds"] == pytest.approx(30 * MINUTE)
        assert detail["windows"][0]["excluded_for"] == ["Database upgrade"]
        assert detail["alert"] == "ok"
        assert detail["open_alerts"] == []


async def test_unknown_services_and_objectives_get_404_with_a_suggestion(
    database_url: str,
) -> None:
    async with running(database_url, POLICY) as run:
        wrong_service = await run.get("/api/v1/objectives/shoop/availability")
        assert wrong_service.status_code == 404
        assert 'did you mean "shop"' in wrong_service.json()["detail"]
        wrong_name = await run.get("/api/v1/objectives/shop/page-lod")
        assert wrong_name.status_code == 404
        assert 'did you mean "page-load"' in wrong_name.json()["detail"]
        assert (await run.get("/api/v1/objectives", service="nope")).status_code == 404


async def test_objectives_need_a_token(database_url: str) -> None:
    async with running(database_url, POLICY) as run:
        assert (await run.client.get("/api/v1/objectives")).status_code == 401

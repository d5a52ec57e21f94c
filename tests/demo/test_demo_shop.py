"""The demo shop misbehaves on a fixed pattern, and the demo policy catches each misbehaviour.

The shop runs on loopback in the test's own event loop; the checks are onwatch's
real probes built from the policy ``onwatch demo`` writes. The shop's clock is a
plain function the test sets, so "slow in the first minute" needs no waiting.
Waiting for the second backend to die is a bounded poll; no test asserts how
long anything took.
"""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

import aiohttp
import pytest

from onwatch.demo import (
    DEFAULT_PORTS,
    DemoShop,
    ShopConfig,
    demo_policy_source,
    render_demo_policy,
    running_shop,
    write_demo_policy,
)
from onwatch.demo.shop import api_answer, checkout_is_slow
from onwatch.policy import load_policy
from onwatch.probes.base import CheckResult, FailureClass
from onwatch.runtime import find_probe

T = TypeVar("T")
ANY_FREE_PORTS = tuple((name, 0) for name in DEFAULT_PORTS)


class Clock:
    """The shop's clock: seconds since an arbitrary start, set by the test."""

    def __init__(self) -> None:
        self.value = 1000.0

    def __call__(self) -> float:
        return self.value


def with_shop(
    body: Callable[[DemoShop], Awaitable[T]],
    clock: Callable[[], float] = time.monotonic,
    **config: Any,
) -> T:
    """Run ``body`` against a shop on free ports (``config`` overrides :class:`ShopConfig`)."""

    async def main() -> T:
        settings = ShopConfig(**{"preferred_ports": ANY_FREE_PORTS, **config})
        async with running_shop(settings, clock) as shop:
            return await body(shop)

    return asyncio.run(main())


async def get(url: str) -> tuple[int, str]:
    async with aiohttp.ClientSession() as session, session.get(url) as response:
        return response.status, await response.text()


async def check(shop: DemoShop, tmp_path: Path, name: str) -> CheckResult:
    policy = load_policy(write_demo_policy(shop.ports, tmp_path))
    return await find_probe(policy, name).check(time.time())


def test_the_checkout_is_slow_in_the_first_of_every_three_minutes() -> None:
    slow = [minute for minute in range(9) if checkout_is_slow(minute * 60 + 30, 60)]
    assert slow == [0, 3, 6]
    assert checkout_is_slow(0, 60), "slow from the very first check"


def test_the_api_fails_every_fifth_and_seventh_time_and_answers_ok_otherwise() -> None:
    answers = [api_answer(count) for count in range(1, 15)]
    assert answers[0] == (200, {"status": "ok"})
    assert [i + 1 for i, (status, _) in enumerate(answers) if status == 503] == [7, 14]
    degraded = [i + 1 for i, (_, body) in enumerate(answers) if body["status"] == "degraded"]
    assert degraded == [5, 10]


def test_the_shop_serves_a_home_page_a_checkout_and_a_json_health(tmp_path: Path) -> None:
    clock = Clock()

    async def body(shop: DemoShop) -> None:
        clock.value += 61  # the second minute: a fast checkout
        assert shop.url.startswith("http://127.0.0.1:")
        home = await get(shop.url)
        checkout = await get(shop.url + "checkout")
        api = await get(shop.url + "api/health")
        assert (home[0], "Add to cart" in home[1]) == (200, True)
        assert (checkout[0], "Pay now" in checkout[1]) == (200, True)
        assert api == (200, '{"status": "ok"}')

    with_shop(body, clock)


def test_the_demo_policy_flags_the_first_checkout_as_slow_by_its_first_byte(
    tmp_path: Path,
) -> None:
    result = with_shop(lambda shop: check(shop, tmp_path, "checkout"))
    assert (result.ok, result.failure, result.status_code) == (False, FailureClass.SLOW, 200)
    assert result.detail is not None
    assert "first byte took" in result.detail


def test_the_other_demo_checks_pass_while_the_shop_is_healthy(tmp_path: Path) -> None:
    async def body(shop: DemoShop) -> list[tuple[str, bool, str | None]]:
        names = ["home", "api", "database", "api-pool#1", "api-pool#2"]
        results = [await check(shop, tmp_path, name) for name in names]
        return [(name, r.ok, r.detail) for name, r in zip(names, results, strict=True)]

    assert [(name, ok) for name, ok, _ in with_shop(body)] == [
        ("home", True),
        ("api", True),
        ("database", True),
        ("api-pool#1", True),
        ("api-pool#2", True),
    ]


def test_the_demo_policy_catches_a_degraded_api_behind_a_200(tmp_path: Path) -> None:
    async def body(shop: DemoShop) -> CheckResult:
        for _ in range(4):
            await get(shop.url + "api/health")
        return await check(shop, tmp_path, "api")  # the fifth request

    result = with_shop(body)
    assert (result.ok, result.status_code, result.failure) == (False, 200, FailureClass.ASSERTION)


def test_the_second_backend_stops_answering_after_its_time(tmp_path: Path) -> None:
    async def body(shop: DemoShop) -> tuple[bool, bool]:
        for _ in range(200):  # up to 10 s
            if not shop.backend_2_alive:
                break
            await asyncio.sleep(0.05)
        first = await check(shop, tmp_path, "api-pool#1")
        second = await check(shop, tmp_path, "api-pool#2")
        return first.ok, second.ok

    assert with_shop(body, pool_dies_after=0.2) == (True, False)


def test_a_busy_default_port_moves_the_listener_to_a_free_one(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        taken = busy.getsockname()[1]

        async def body(shop: DemoShop) -> dict[str, int]:
            return shop.ports

        ports = with_shop(body, preferred_ports=(("shop", taken), *ANY_FREE_PORTS[1:]))
    assert ports["shop"] != taken
    assert len(set(ports.values())) == 4


def test_the_policy_written_for_the_shop_names_the_ports_it_got(tmp_path: Path) -> None:
    ports = {"shop": 41001, "backend-1": 41002, "backend-2": 41003, "database": 41004}
    policy = load_policy(write_demo_policy(ports, tmp_path))
    urls = {m.name: getattr(m, "url", None) for m in policy.monitors}
    assert urls["checkout"] == "http://127.0.0.1:41001/checkout"
    assert [m.port for m in policy.monitors if m.type == "tcp"] == [41004]
    assert policy.pools[0].targets == [
        "http://127.0.0.1:41002/health",
        "http://127.0.0.1:41003/health",
    ]


def test_rendering_changes_nothing_but_the_default_ports() -> None:
    text = demo_policy_source().read_text(encoding="utf-8")
    same = render_demo_policy(text, DEFAULT_PORTS)
    assert same == text
    moved = render_demo_policy(
        "a: 18081\nb: 180812\nc: 1.18081\nd: 127.0.0.1:18082/\n",
        {
            "shop": 5,
            "backend-1": 6,
        },
    )
    assert moved == "a: 5\nb: 180812\nc: 1.18081\nd: 127.0.0.1:6/\n"


@pytest.mark.parametrize("name", sorted(DEFAULT_PORTS))
def test_every_default_port_appears_in_the_example(name: str) -> None:
    assert str(DEFAULT_PORTS[name]) in demo_policy_source().read_text(encoding="utf-8")
